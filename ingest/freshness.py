"""Whether the index has caught up with the corpus folder (``/healthz``, docs/security.md).

A file in the corpus folder that ingest reads (a supported type, within the size limit, not
hidden) should be in the manifest, unless the last ingest looked at it and could not index it
(unreadable, a near-duplicate). Each ingest of the corpus folder records those here, with the
size and modification time they had, in ``<storage>/ingest-report.json``; ``unindexed`` lists
the files that are neither indexed nor excused that way: added since the last ingest, or left
behind by one that was killed or failed.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from ingest.sync import IngestSummary, discover

REPORT_NAME = "ingest-report.json"


def _stamp(path: Path) -> list[int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return [stat.st_size, stat.st_mtime_ns]


def record(settings, roots: list[Path], summary: IngestSummary) -> None:
    """After an ingest that completed: the corpus files it could not index, as they were."""
    corpus = Path(settings.corpus_dir).resolve()
    if [Path(r).resolve() for r in roots] != [corpus]:
        return  # an ingest of other paths says nothing about the corpus folder
    excused: dict[str, list[int] | None] = {}
    for path in [s.path for s in summary.skipped] + [d.path for d in summary.duplicates]:
        try:
            doc_id = Path(path).resolve().relative_to(corpus).as_posix()
        except ValueError:
            continue
        excused[doc_id] = _stamp(Path(path))
    target = settings.storage_dir / REPORT_NAME
    temporary = target.with_suffix(".tmp")
    try:
        temporary.write_text(json.dumps({"not_indexed": excused}, ensure_ascii=False), encoding="utf-8")
        os.replace(temporary, target)
    except OSError:
        pass  # a full disk: the ingest itself reported what matters


def unindexed(settings, indexed: set[str]) -> list[str]:
    """Document ids of corpus files that should be indexed and are not."""
    if not Path(settings.corpus_dir).is_dir():
        return []
    try:
        report = json.loads((settings.storage_dir / REPORT_NAME).read_text(encoding="utf-8"))
        excused = report.get("not_indexed", {}) if isinstance(report, dict) else {}
    except (OSError, ValueError):
        excused = {}
    found, _, _ = discover([Path(settings.corpus_dir)], int(settings.max_file_mb * 1_000_000))
    return sorted(
        doc_id for doc_id, path in found.items()
        if doc_id not in indexed and not (doc_id in excused and excused[doc_id] == _stamp(path))
    )
