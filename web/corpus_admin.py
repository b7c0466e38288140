"""Document management for administrators: upload articles into the corpus folder, re-index, delete.

One implementation for the Documents tab (web/ui/) and ``/api/admin/*`` (web/routers/admin.py).
Every action checks the caller's role itself, runs the ingest code (``ingest.sync``) on the app's own
IndexStore under the ingest lock, and returns a ``Report`` of what was added, updated, removed
or not saved, and why. The corpus folder stays the source of truth, as for ``python -m ingest``:
an upload is saved there (then indexed), a delete removes the file (then the index follows).

An uploaded file that cannot be indexed (unreadable, a near-duplicate of an indexed article) is
not kept: it is removed again and, if it replaced a file of the same name, that file is put back,
so a bad upload never costs the version that worked. A title, date and source given with an upload
are written beside the article as its sidecar metadata file (ingest/metadata.py), kept or put back
with it; deleting an article deletes its sidecar too.
"""

from __future__ import annotations

import logging
import os
import secrets
import unicodedata
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from ingest import freshness, metadata
from ingest.documents import SUPPORTED_SUFFIXES
from ingest.sync import IngestError, IngestSummary, ingest_lock, sync_holding_lock
from web.admin_report import Problem, Report
from web.auth import Identity
from web.upload_names import name_problem, skeleton

log = logging.getLogger("guanwen")
_STAGING_PREFIX = ".gw-upload-"  # hidden: ingest ignores names starting with "."


def _suffix_problem(name: str) -> dict[str, Any] | None:
    suffix = PurePosixPath(name).suffix.lower()
    return None if suffix in SUPPORTED_SUFFIXES else {"suffix": suffix or "(none)"}


@dataclass
class Upload:
    """One uploaded file: the name it is to have in the corpus, where its bytes are now, and the
    metadata to write beside it (None: leave any sidecar it has as it is)."""

    name: str
    source: Path
    stated: dict[str, str] | None = None


def upload_limit_bytes(settings) -> int:
    """The largest file a browser or client can upload: ingest's limit, unless the upload request
    that carries it would first hit GUANWEN_MAX_UPLOAD_MB (web/limits.py), less room for the
    multipart headers."""
    return min(int(settings.max_file_mb * 1_000_000), int(settings.max_upload_mb * 1_000_000) - 8 * 1024)


class CorpusAdmin:
    def __init__(self, settings, store):
        self.settings = settings
        self.store = store

    @property
    def max_bytes(self) -> int:
        return int(self.settings.max_file_mb * 1_000_000)  # the same limit ingest applies

    # --- the three actions ----------------------------------------------------------------------

    def upload(self, identity: Identity | None, uploads: list[Upload]) -> Report:
        if not _is_admin(identity):
            return Report(error="forbidden")
        if not uploads:
            return Report(error="no_files")
        report = Report()
        accepted: list[Upload] = []
        names: set[str] = set()
        for upload in uploads:
            problem = self._upload_problem(upload, names)
            if problem:
                report.rejected.append(problem)
            else:
                accepted.append(upload)
                names.add(upload.name)
        if not accepted:
            documents, chunks = self.store.counts()
            report.documents, report.chunks = documents, chunks
            return report
        return self._run(report, accepted, delete=None)

    def reindex(self, identity: Identity | None) -> Report:
        if not _is_admin(identity):
            return Report(error="forbidden")
        return self._run(Report(), [], delete=None)

    def delete(self, identity: Identity | None, doc_id: str) -> Report:
        if not _is_admin(identity):
            return Report(error="forbidden")
        if not isinstance(doc_id, str) or not doc_id.strip():
            return Report(error="no_document")
        if self._corpus_path(doc_id) is None:
            return Report(error="bad_doc_id", error_params={"doc_id": doc_id[:200]})
        return self._run(Report(), [], delete=doc_id)

    def files_of(self, doc_id: str) -> list[str]:
        """The files a delete of ``doc_id`` removes from the corpus folder: the article and its sidecar."""
        path = self._corpus_path(doc_id) if isinstance(doc_id, str) and doc_id.strip() else None
        if path is None:
            return []
        return [p.relative_to(self.settings.corpus_dir).as_posix() for p in (path, metadata.sidecar_for(path)) if p.is_file()]

    # --- under the ingest lock --------------------------------------------------------------------

    def _run(self, report: Report, uploads: list[Upload], delete: str | None) -> Report:
        corpus = self.settings.corpus_dir
        try:
            with ingest_lock(self.settings.storage_dir):
                before = {d: r.content_hash for d, r in self.store.manifest.documents().items()}
                if delete is not None:
                    path = self._corpus_path(delete)
                    if delete not in before and not (path and path.is_file()):
                        return Report(error="not_found", error_params={"doc_id": delete})
                    if path and path.is_file():
                        path.unlink()
                    if path:
                        metadata.sidecar_for(path).unlink(missing_ok=True)
                corpus.mkdir(parents=True, exist_ok=True)
                saved = [(u.name, *self._save(u, corpus)) for u in uploads]  # (name, target, backups)
                try:
                    summary = sync_holding_lock(self.settings, self.store, [corpus])
                    if self._keep_only_indexed(summary, saved, report):
                        summary = sync_holding_lock(self.settings, self.store, [corpus])  # index what was put back
                finally:
                    for _, _, backups in saved:
                        for backup in backups.values():
                            if backup is not None and backup.exists():
                                backup.unlink()
                after = {d: r.content_hash for d, r in self.store.manifest.documents().items()}
                freshness.record(self.settings, [corpus], summary)
        except IngestError:
            return Report(error="busy", rejected=report.rejected)
        except Exception as error:  # the vector store down, a full disk: say so, never a traceback
            log.exception("document management failed")
            detail = self._scrub(" ".join(str(error).split()))[:200] or type(error).__name__
            return Report(error="failed", error_params={"error": detail}, rejected=report.rejected)
        uploaded = {name for name, _, _ in saved} - {p.name for p in report.rejected}
        report.added = sorted(set(after) - set(before))
        report.removed = sorted(set(before) - set(after))
        report.updated = sorted(d for d in set(before) & set(after) if before[d] != after[d])
        report.unchanged = sorted(n for n in uploaded if n in after and before.get(n) == after[n])
        rejected_names = {p.name for p in report.rejected}
        report.skipped = [s for s in (self._skipped(s) for s in summary.skipped) if s["path"] not in rejected_names]
        report.documents, report.chunks = summary.documents, summary.chunks
        return report

    def _save(self, upload: Upload, corpus: Path) -> tuple[Path, dict[Path, Path | None]]:
        """Copy the upload (and the sidecar its metadata makes) into the corpus under its name; a
        file it replaces is moved aside (hidden, so ingest ignores it) until the new one is known
        to index. Returns the article's path and, per file written, its backup (None: it is new)."""
        target = corpus / upload.name
        written = {target: upload.source.read_bytes()}
        if upload.stated is not None:
            written[metadata.sidecar_for(target)] = metadata.dump(upload.stated)
        backups: dict[Path, Path | None] = {}
        for path, data in written.items():
            staging = corpus / f"{_STAGING_PREFIX}{secrets.token_hex(6)}"
            staging.write_bytes(data)
            backups[path] = None
            if path.exists():
                backups[path] = corpus / f"{_STAGING_PREFIX}{secrets.token_hex(6)}.previous"
                os.replace(path, backups[path])
            os.replace(staging, path)
        return target, backups

    def _keep_only_indexed(self, summary: IngestSummary, saved: list[tuple[str, Path, Path | None]], report: Report) -> bool:
        """Take back the uploads ingest skipped or found to be near-duplicates; True when a file
        was put back (so the index must follow it once more)."""
        skipped = {Path(s.path): s.reason for s in summary.skipped}
        duplicates = {Path(d.path): d.duplicate_of for d in summary.duplicates}
        restored = False
        for name, target, backups in saved:
            if target in skipped:
                problem = Problem(name, "unreadable", {"reason": self._scrub(skipped[target])})
            elif target in duplicates:
                problem = Problem(name, "duplicate", {"original": duplicates[target]})
            else:
                continue
            for path, backup in backups.items():
                path.unlink(missing_ok=True)
                if backup is not None:
                    os.replace(backup, path)
                    restored = True
            if backups[target] is not None:
                problem.params["kept_previous"] = True
            report.rejected.append(problem)
        return restored

    # --- checks -------------------------------------------------------------------------------------

    def _upload_problem(self, upload: Upload, names: set[str]) -> Problem | None:
        code = name_problem(upload.name)
        if code:
            return Problem(str(upload.name)[:200], code)
        if (suffix := _suffix_problem(upload.name)) is not None:
            return Problem(upload.name, "unsupported", suffix)
        if upload.name in names:
            return Problem(upload.name, "twice")
        if (twin := self._lookalike(upload.name, names)) is not None:
            return Problem(upload.name, "name_lookalike", {"existing": twin})
        size = upload.source.stat().st_size
        if size > self.max_bytes:
            return Problem(upload.name, "too_big", {"size": f"{size / 1_000_000:.3g}", "limit": f"{self.settings.max_file_mb:g}"})
        return None

    def _lookalike(self, name: str, names: set[str]) -> str | None:
        """Another name, in the corpus or in this upload, that looks the same as ``name``."""
        corpus = self.settings.corpus_dir
        existing = {p.name for p in corpus.iterdir() if p.is_file()} if corpus.is_dir() else set()
        shape = skeleton(name)
        return next((other for other in sorted(existing | names) if other != name and skeleton(other) == shape), None)

    def _corpus_path(self, doc_id: str) -> Path | None:
        """The file of a document id inside the corpus folder, or None for an id that would lead
        outside it (``..``, an absolute path) or to a hidden file."""
        parts = PurePosixPath(doc_id).parts
        if (
            not parts or PurePosixPath(doc_id).is_absolute() or "\\" in doc_id
            or any(p in ("..", ".") or p.startswith(".") for p in parts)
            or any(unicodedata.category(c) in ("Cc", "Cs") for c in doc_id)
        ):
            return None
        return self.settings.corpus_dir.joinpath(*parts)

    def _skipped(self, skipped) -> dict[str, str]:
        path = Path(skipped.path)
        try:  # the path inside the corpus folder, not the server's file system layout
            shown = path.relative_to(self.settings.corpus_dir).as_posix()
        except ValueError:
            shown = path.name
        return {"path": shown, "reason": self._scrub(skipped.reason)}

    def _scrub(self, text: str) -> str:
        """``text`` without the server's folders: paths shown inside the corpus folder."""
        for folder in sorted({str(self.settings.corpus_dir.resolve()), str(self.settings.corpus_dir),
                              str(self.settings.storage_dir.resolve()), str(self.settings.storage_dir)}, key=len, reverse=True):
            if folder not in (".", ""):
                text = text.replace(folder + "/", "").replace(folder, "")
        return text


def _is_admin(identity: Identity | None) -> bool:
    return identity is not None and identity.is_admin
