"""What the web layer reads of the index, and nothing more: how much is indexed, the articles,
ranked passages for the retrieval lab and /api/search, and whether the vectors can be reached.

app.py builds it from the app's own IndexStore and Searcher; the routers and the UI see only these
methods, never the store, the manifest or Chroma behind them.
"""

from __future__ import annotations

from index.retrieval import RankedPassage, Searcher
from index.store import IndexStore
from settings import RetrievalMode
from web.schemas import DocumentOut


class Library:
    def __init__(self, store: IndexStore, searcher: Searcher):
        self._store = store
        self._searcher = searcher

    def counts(self) -> tuple[int, int]:
        """How many documents and chunks are indexed."""
        return self._store.counts()

    def problem(self) -> str | None:
        """Why the vector store cannot be reached, or None while it can."""
        return self._store.collection.check()

    def documents(self) -> list[DocumentOut]:
        """The indexed articles, newest first: title, date, source, author (where stated), chunks,
        and where the title came from."""
        return sorted(
            (
                DocumentOut(
                    doc_id=d.doc_id,
                    title=d.title,
                    published=d.metadata.get("published", ""),
                    source=d.metadata.get("source", ""),
                    author=d.metadata.get("author", ""),
                    chunks=d.chunk_count,
                    title_from=d.metadata.get("title_from", ""),
                )
                for d in self._store.manifest.documents().values()
            ),
            key=lambda d: (d.published, d.title),
            reverse=True,
        )

    def details(self, doc_ids: list[str]) -> dict[str, dict[str, str]]:
        """Date, source and author of the given documents (empty strings where unknown)."""
        return {
            doc_id: {key: d.metadata.get(key, "") for key in ("published", "source", "author")}
            for doc_id, d in self._store.manifest.documents_by_id(sorted(set(doc_ids))).items()
        }

    def search(self, question: str, mode: RetrievalMode, k: int) -> list[RankedPassage]:
        """Ranked passages with every retriever's score and rank: why a passage ranked where it did."""
        return self._searcher.search(question, mode, k)
