"""What the web layer reads of the index, and nothing more: how much is indexed, the articles,
ranked passages for the retrieval lab and /api/search, whether the vectors can be reached, and
what else /healthz should report (a full disk, corpus files the index has not caught up with).

app.py builds it from the app's own IndexStore and Searcher; the routers and the UI see only these
methods, never the store, the manifest or Chroma behind them.
"""

from __future__ import annotations

import threading
import time

from index.disk import disk_problem
from index.retrieval import RankedPassage, Searcher
from index.store import IndexStore
from ingest.freshness import unindexed
from settings import RetrievalMode, Settings
from web.schemas import DocumentOut

FRESHNESS_TTL_S = 10.0  # /healthz may be polled every second; the corpus folder is scanned at most this often


class Library:
    def __init__(self, store: IndexStore, searcher: Searcher, settings: Settings):
        self._store = store
        self._searcher = searcher
        self._settings = settings
        self._lag: tuple[float, list[str]] = (-FRESHNESS_TTL_S, [])
        self._lag_lock = threading.Lock()

    def counts(self) -> tuple[int, int]:
        """How many documents and chunks are indexed."""
        return self._store.counts()

    def problem(self) -> str | None:
        """Why the vector store cannot be reached, or None while it can."""
        return self._store.collection.check()

    def warnings(self) -> list[str]:
        """What an operator should fix although answers still work: a full or read-only disk
        under the storage folder, corpus files not in the index (ingest not run since they came,
        or killed)."""
        storage = self._settings.storage_dir
        disk = disk_problem(storage)  # said without the server's paths: /healthz is public
        found = [disk.replace(str(storage), "the storage folder (GUANWEN_STORAGE_DIR)")] if disk else []
        missing = self._unindexed()
        if missing:
            found.append(f"{len(missing)} file(s) in the corpus folder are not indexed: run python -m ingest")
        return found

    def _unindexed(self) -> list[str]:
        with self._lag_lock:
            checked, missing = self._lag
            if time.monotonic() - checked >= FRESHNESS_TTL_S:
                missing = unindexed(self._settings, set(self._store.manifest.documents()))
                self._lag = (time.monotonic(), missing)
            return missing

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
                    flags=d.metadata.get("flags", ""),
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
