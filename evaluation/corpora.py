"""Indexes for evaluation: the one the settings point at, or a temporary one built from folders."""

from __future__ import annotations

import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from settings import Settings


@contextmanager
def temporary_index(settings: Settings, folders: list[Path] | None) -> Iterator[Settings]:
    """``settings`` as they are when ``folders`` is None; otherwise settings whose storage is a
    temporary folder holding those folders' articles, indexed now (the model cache is shared)."""
    if not folders:
        yield settings
        return
    from index.embedding import load_embedder
    from index.store import IndexStore
    from ingest.sync import sync

    with tempfile.TemporaryDirectory(prefix="guanwen-eval-") as work:
        indexed = settings.model_copy(
            update={"storage_dir": Path(work) / "storage", "model_cache_dir": settings.onnx_cache_dir, "chroma_host": None}
        )
        store = IndexStore(indexed, load_embedder(indexed))
        sync(indexed, store, list(folders))
        yield indexed
