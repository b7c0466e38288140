"""What one document-management action did (web/corpus_admin.py), in the reader's language: added,
updated, removed, unchanged, the uploads not saved and why, and the corpus's totals."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from web.i18n import t


@dataclass
class Problem:
    """Why a file was not saved: an i18n key ``reason_<code>`` and its parameters."""

    name: str
    code: str
    params: dict[str, Any] = field(default_factory=dict)

    def text(self, lang: str) -> str:
        params = dict(self.params)
        if self.code == "unreadable" and params.pop("kept_previous", False):
            return t("reason_unreadable", lang, **params) + t("reason_kept_previous", lang)
        if self.code == "duplicate" and params.pop("kept_previous", False):
            return t("reason_duplicate", lang, **params) + t("reason_kept_previous", lang)
        return t(f"reason_{self.code}", lang, **params)


@dataclass
class Report:
    """What one action did. ``error`` (an i18n key) is set when it could not run at all."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    rejected: list[Problem] = field(default_factory=list)  # uploads not saved, and why
    skipped: list[dict[str, str]] = field(default_factory=list)  # other corpus files ingest could not use
    documents: int = 0
    chunks: int = 0
    error: str = ""
    error_params: dict[str, Any] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)

    def message(self, lang: str = "en") -> str:
        """The report as plain lines (Markdown list items for the rejected and skipped files)."""
        if self.error:
            return t(self.error, lang, **self.error_params)
        lines = []
        for key, names in (("report_added", self.added), ("report_updated", self.updated),
                           ("report_removed", self.removed), ("report_unchanged", self.unchanged)):
            if names:
                lines.append(t(key, lang, names=", ".join(names)))
        if self.rejected:
            lines.append(t("report_rejected", lang))
            lines.extend(f"- {p.name}: {p.text(lang)}" for p in self.rejected)
        if self.skipped:
            lines.append(t("report_skipped", lang))
            lines.extend(f"- {s['path']}: {s['reason']}" for s in self.skipped)
        if not self.changed and not self.rejected and not self.unchanged:
            lines.append(t("report_nothing", lang))
        lines.append(t("report_totals", lang, documents=self.documents, chunks=self.chunks))
        return "\n".join(lines)

    def as_dict(self) -> dict[str, Any]:
        body = asdict(self)
        body["rejected"] = [{"name": p.name, "reason": p.text("en")} for p in self.rejected]
        body.pop("error_params")
        body["error"] = self.message("en") if self.error else None
        body["message"] = self.message("en")
        return body
