"""python -m index.publish DEST: copy what app hosts need besides Chroma (the manifest, and the
BM25 matrix built from it) into DEST, consistently and atomically.

For deployments where app processes run on other machines than ingest: vectors live in a shared
Chroma server, but the manifest is SQLite in WAL mode, which must not be shared over a network
file system. Ingest writes its own storage folder; this publishes a snapshot of it, either straight
into an app host's GUANWEN_STORAGE_DIR (a local folder) or into a staging folder that is then
copied with ``rsync --delay-updates``. App processes notice the new manifest generation with their
next question and load the matching BM25 matrix (or rebuild it from the manifest). See
docs/deployment.md.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
from pathlib import Path

from index.lexical import BM25Index
from settings import load_settings

MANIFEST = "manifest.sqlite3"


def publish(storage: Path, dest: Path) -> int:
    """Snapshot ``storage``'s manifest and BM25 matrix into ``dest``; returns the generation."""
    source_path = storage / MANIFEST
    if not source_path.exists():
        raise FileNotFoundError(f"no index in {storage}: run ingest first")
    dest.mkdir(parents=True, exist_ok=True)
    staged = dest / f".{MANIFEST}.publishing"
    staged.unlink(missing_ok=True)
    source = sqlite3.connect(f"{source_path.resolve().as_uri()}?mode=ro", uri=True, timeout=30)
    target = sqlite3.connect(staged)
    try:
        source.backup(target)  # one consistent state, even while an ingest is writing
        # Everything in the one file (no -wal beside it to lose in the rename); the app switches
        # it back to WAL when it first opens it.
        target.execute("PRAGMA journal_mode = DELETE")
        row = target.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
        generation = int(row[0]) if row else 0
    finally:
        target.close()
        source.close()
    with open(staged, "rb") as handle:
        os.fsync(handle.fileno())

    # The matrix first, then the manifest that names its generation: a reader that sees the new
    # manifest finds the matching matrix (any mismatch is rebuilt from the manifest, never used).
    lexical = BM25Index.load(storage / "lexical")
    if lexical is not None and lexical.generation == generation:
        lexical.save(dest / "lexical")
    os.replace(staged, dest / MANIFEST)
    return generation


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m index.publish",
        description="Copy the manifest and BM25 matrix of GUANWEN_STORAGE_DIR into DEST (an app host's storage folder).",
    )
    parser.add_argument("dest", type=Path, help="the folder app processes use as GUANWEN_STORAGE_DIR, or a staging folder")
    args = parser.parse_args(argv)
    storage = load_settings().storage_dir
    if args.dest.resolve() == storage.resolve():
        print("publish: DEST is the storage folder itself; name another folder", file=sys.stderr)
        return 2
    try:
        generation = publish(storage, args.dest)
    except (OSError, sqlite3.Error) as error:
        print(f"publish: {error}", file=sys.stderr)
        return 1
    print(f"published generation {generation} of {storage} to {args.dest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
