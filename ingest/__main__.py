"""python -m ingest [PATH ...] [--json]: make the index mirror the corpus folder."""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import time
from pathlib import Path

from index.embedding import EmbeddingModelError, load_embedder
from index.store import IndexStore
from index.vector_store import VectorStoreError
from ingest import freshness
from ingest.sync import IngestError, sync
from settings import load_settings


def _disk_hint(storage: Path) -> str:
    from index.disk import disk_problem

    problem = disk_problem(storage)
    # What was indexed before the failure stays consistent (vectors first, manifest rows last).
    return f". Cause: {problem}. What is already indexed still serves; make room and run ingest again" if problem else ""


def _argument_problem(path: Path, text: str) -> str | None:
    """Why a PATH argument cannot be ingested, or None. Checked before anything is touched: an
    empty argument would otherwise mean the current folder, and a device or pipe is no article."""
    if not text.strip():
        return "an empty path was given; name a folder or a file"
    shown = text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    if shown != text:
        return f"the path {shown!r} is not valid UTF-8; rename it"
    if path.exists() and not (path.is_file() or path.is_dir()):
        return f"{text} is neither a folder nor a regular file"
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ingest",
        description=(
            "Make the index mirror the given folders or files (default: GUANWEN_CORPUS_DIR): new files "
            "are added, changed ones re-indexed, deleted ones removed, unchanged ones left alone."
        ),
    )
    parser.add_argument("paths", nargs="*", help="folders or files to index (default: the corpus folder)")
    parser.add_argument("--json", action="store_true", help="print one JSON summary and nothing else")
    args = parser.parse_args(argv)

    for text in args.paths:  # as typed: Path("") would quietly become "."
        if problem := _argument_problem(Path(text), text):
            print(f"ingest: {problem}", file=sys.stderr)
            return 2
    settings = load_settings()
    roots = [Path(text) for text in args.paths] or [settings.corpus_dir]
    started = time.perf_counter()
    try:
        for root in roots:
            if not root.exists():
                raise IngestError(f"corpus folder not found: {root}")
        store = IndexStore(settings, load_embedder(settings), rebuild_on_model_change=True)
        summary = sync(settings, store, roots, progress=not args.json)
        freshness.record(settings, roots, summary)  # for /healthz: what this ingest could not index
    except (IngestError, VectorStoreError, EmbeddingModelError) as error:
        print(f"ingest: {error}{_disk_hint(settings.storage_dir)}", file=sys.stderr)
        return 1
    except (OSError, sqlite3.Error) as error:  # sqlite3: the manifest on a full or read-only disk
        reason = getattr(error, "strerror", None) or error
        print(f"ingest: cannot write the index in {settings.storage_dir}: {reason}{_disk_hint(settings.storage_dir)}", file=sys.stderr)
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
