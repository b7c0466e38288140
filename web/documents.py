"""The indexed articles, from the manifest: for the Documents tab, the sources' dates and /api/documents."""

from __future__ import annotations

from fastapi import FastAPI
from pydantic import BaseModel


class DocumentOut(BaseModel):
    doc_id: str
    title: str
    published: str = ""
    source: str = ""
    author: str = ""
    chunks: int


def list_documents(manifest) -> list[DocumentOut]:
    return sorted(
        (
            DocumentOut(
                doc_id=d.doc_id,
                title=d.title,
                published=d.metadata.get("published", ""),
                source=d.metadata.get("source", ""),
                author=d.metadata.get("author", ""),
                chunks=d.chunk_count,
            )
            for d in manifest.documents().values()
        ),
        key=lambda d: (d.published, d.title),
        reverse=True,
    )


def document_details(manifest, doc_ids: list[str]) -> dict[str, dict[str, str]]:
    """Date, source and author of the given documents (empty strings where unknown)."""
    return {
        doc_id: {key: d.metadata.get(key, "") for key in ("published", "source", "author")}
        for doc_id, d in manifest.documents_by_id(sorted(set(doc_ids))).items()
    }


def install_documents_api(api: FastAPI, manifest) -> None:
    @api.get("/api/documents", response_model=list[DocumentOut])
    def documents():
        """The indexed articles: title, date, source, author (where the article states them), chunk count."""
        return list_documents(manifest)
