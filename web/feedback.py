"""Readers' feedback on answers, kept durably and exportable as new golden-set questions.

Each piece of feedback is one JSON line appended to ``<storage>/feedback.jsonl``: written with a
single ``write`` on a file opened with O_APPEND, under an exclusive lock, then fsynced, so
concurrent writers never interleave and a crash leaves whole lines (a torn last line, if the
machine dies mid-write, is skipped when reading). The HTTP side is web/routers/feedback.py; the chat
UI stores its thumbs up/down here too, at the click, and a comment given afterwards as a later line
with the same ``feedback_id`` (the file stays append-only; reading keeps the last line of each id,
and a line ``{"feedback_id": …, "withdrawn": true}`` for a rating taken back drops it).
"""

from __future__ import annotations

import fcntl
import json
import os
import threading
import time
import uuid
from pathlib import Path

from web.schemas import FeedbackRequest


class FeedbackStore:
    def __init__(self, path: Path):
        self.path = path
        self._lock = threading.Lock()

    def add(self, feedback: FeedbackRequest, user: str = "", feedback_id: str | None = None) -> dict:
        """Store one piece of feedback; with the ``feedback_id`` of earlier feedback, this replaces it."""
        record = {
            "feedback_id": feedback_id or uuid.uuid4().hex[:12],
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "user": user,
            **feedback.model_dump(),
        }
        self._append(record)
        return record

    def withdraw(self, feedback_id: str, user: str = "") -> None:
        """A rating taken back (the thumb clicked again): it no longer counts."""
        self._append({"feedback_id": feedback_id, "user": user, "withdrawn": True})

    def _append(self, record: dict) -> None:
        line = (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                os.write(fd, line)
                os.fsync(fd)
            finally:
                os.close(fd)  # closing releases the lock

    def records(self) -> list[dict]:
        """Every piece of feedback, oldest first: the last line of each id, withdrawn ones left out."""
        if not self.path.exists():
            return []
        records: dict[str, dict] = {}
        for number, line in enumerate(self.path.read_text(encoding="utf-8").splitlines()):
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                continue  # a line torn by a crash
            if not isinstance(row, dict):
                continue
            key = str(row.get("feedback_id") or f"line-{number}")
            if row.get("withdrawn"):
                records.pop(key, None)
                continue
            first = records.get(key)  # a replaced record keeps its place and when it was first given
            records[key] = row if first is None else {**row, "created": first.get("created", row.get("created"))}
        return list(records.values())


def golden_row(record: dict) -> dict:
    """A golden-set question (evaluation/golden.jsonl format) from one piece of feedback:
    ``expected`` is left empty for a person to fill in before it joins the set."""
    return {
        "id": f"fb-{record['feedback_id']}",
        "question": record["question"],
        "expected": [],
        "unanswerable": False,
        "rating": record["rating"],
        "comment": record.get("comment", ""),
        "wrong_source": record.get("wrong_source", False),
        "answer": record.get("answer", ""),
        "refused": record.get("refused", False),
        "query": record.get("query", ""),
        "citations": record.get("citations", []),
        "channel": record.get("channel", ""),
        "created": record.get("created", ""),
    }
