"""python -m ingest [PATH ...] [--json]: make the index mirror the corpus folder."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from index.embedding import EmbeddingModelError, load_embedder
from index.store import IndexStore
from index.vector_store import VectorStoreError
from ingest.sync import IngestError, sync
from settings import load_settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ingest",
        description=(
            "Make the index mirror the given folders or files (default: GUANWEN_CORPUS_DIR): new files "
            "are added, changed ones re-indexed, deleted ones removed, unchanged ones left alone."
        ),
    )
    parser.add_argument("paths", nargs="*", type=Path, help="folders or files to index (default: the corpus folder)")
    parser.add_argument("--json", action="store_true", help="print one JSON summary and nothing else")
    args = parser.parse_args(argv)

    settings = load_settings()
    roots = args.paths or [settings.corpus_dir]
    started = time.perf_counter()
    try:
        for root in roots:
            if not root.exists():
                raise IngestError(f"corpus folder not found: {root}")
        store = IndexStore(settings, load_embedder(settings), rebuild_on_model_change=True)
        summary = sync(settings, store, roots, progress=not args.json)
    except (IngestError, VectorStoreError, EmbeddingModelError) as error:
        print(f"ingest: {error}", file=sys.stderr)
        return 1
    except OSError as error:
        print(f"ingest: cannot write the index in {settings.storage_dir}: {error.strerror or error}", file=sys.stderr)
        return 1

    if args.json:
        print(json.dumps(summary.as_dict(), ensure_ascii=False))
        return 0
    seconds = time.perf_counter() - started
    if store.model_changed:
        print("The embedding model changed: the whole index was rebuilt.")
    print(
        f"{summary.documents} documents, {summary.chunks} chunks in the index "
        f"(added {summary.added}, updated {summary.updated}, removed {summary.removed}, "
        f"unchanged {summary.unchanged}, skipped {len(summary.skipped)}) in {seconds:.1f}s"
    )
    for skipped in summary.skipped:
        print(f"  skipped {skipped.path}: {skipped.reason}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
