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
from ingest.progress import Progress, count
from ingest.sync import IngestError, IngestSummary, sync
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
        # Progress goes to stderr (bars on a terminal, a line per phase elsewhere); --json prints only the summary.
        progress = Progress() if args.json else Progress.for_stream(sys.stderr)
        progress.start("loading the embedding model", 0, "")  # the first run exports it to ONNX: about a minute
        store = IndexStore(settings, load_embedder(settings), rebuild_on_model_change=True)
        progress.finish(settings.embed_model)
        summary = sync(settings, store, roots, progress=progress)
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
        print("The embedding model or its backend changed: the whole index was rebuilt.")
    print("\n".join(summary_lines(summary, seconds, roots)))
    return 0


def summary_lines(summary: IngestSummary, seconds: float, roots: list[Path]) -> list[str]:
    """What a run did, for people: the totals, the near-duplicates (grouped under the article
    indexed in their place) and every skipped file with its reason."""
    lines = [
        f"{count(summary.documents, 'document')}, {count(summary.chunks, 'chunk')} in the index "
        f"(added {summary.added}, updated {summary.updated}, removed {summary.removed}, "
        f"unchanged {summary.unchanged}, near-duplicates {len(summary.duplicates)}, "
        f"skipped {len(summary.skipped)}) in {seconds:.1f}s"
    ]
    if summary.duplicates:
        lines.append(f"{count(len(summary.duplicates), 'near-duplicate')} indexed once (nearly the same text as an indexed article):")
        groups: dict[str, list[str]] = {}
        for duplicate in summary.duplicates:
            groups.setdefault(duplicate.duplicate_of, []).append(_document_id(duplicate.path, roots))
        for original, copies in groups.items():
            lines.append(f"  {original} is indexed for: {', '.join(copies)}")
    if summary.skipped:
        lines.append(f"{count(len(summary.skipped), 'file')} skipped:")
        lines.extend(f"  skipped {skipped.path}: {skipped.reason}" for skipped in summary.skipped)
    return lines


def _document_id(path: str, roots: list[Path]) -> str:
    """A file as its document id (its path inside the folder given), like the articles it duplicates."""
    for root in roots:
        base = root if root.is_dir() else root.parent
        try:
            return Path(path).relative_to(base).as_posix()
        except ValueError:
            continue
    return path


if __name__ == "__main__":
    sys.exit(main())
