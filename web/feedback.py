"""Readers' feedback on answers, kept durably and exportable as new golden-set questions.

Each piece of feedback is one JSON line appended to ``<storage>/feedback.jsonl``, whole or not at
all: under an exclusive lock, the line is written on a file opened with O_APPEND until every byte
is down (``os.write`` may write less than asked, on a nearly full disk), then fsynced; if any of
that fails, the file is cut back to its length before the write and the error is raised (a 503
for the client), so a full disk never leaves half a record. A line torn by a machine dying
mid-write is ended before the next record is appended (so that record is not lost with it), and
skipped when reading, as is any line that is not UTF-8 JSON. The HTTP side is
web/routers/feedback.py; the chat UI stores its thumbs up/down here too, at the click, and a
comment given afterwards as a later line with the same ``feedback_id`` (the file stays
append-only; reading keeps the last line of each id, and a line ``{"feedback_id": …,
"withdrawn": true}`` for a rating taken back drops it).

Limits: one record may take at most ``max_record_bytes`` as stored (413), and one client at most
``budget`` KiB an hour (429 with Retry-After), so nobody can fill the disk with feedback.
"""

from __future__ import annotations

import errno
import fcntl
import json
import math
import os
import threading
import time
import uuid
from pathlib import Path

from web.limits import TokenBuckets
from web.schemas import FeedbackRequest


class FeedbackRefused(Exception):
    """Feedback over a limit; ``status`` (413 or 429) and the message say which."""

    def __init__(self, status: int, message: str, retry_after: int | None = None):
        super().__init__(message)
        self.status, self.message, self.retry_after = status, message, retry_after


class FeedbackStore:
    def __init__(self, path: Path, max_record_bytes: int = 64 * 1024, budget: TokenBuckets | None = None):
        self.path = path
        self.max_record_bytes = max_record_bytes
        self.budget = budget  # KiB per client
        self._lock = threading.Lock()

    def add(self, feedback: FeedbackRequest, user: str = "", client: str = "", feedback_id: str | None = None) -> dict:
        """Store one record for ``user``; ``client`` is who the hourly budget counts (default: the
        user). With the ``feedback_id`` of earlier feedback, this replaces it."""
        record = {
            "feedback_id": feedback_id or uuid.uuid4().hex[:12],
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "user": user,
            **feedback.model_dump(),
        }
        line = (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")
        if len(line) > self.max_record_bytes:
            raise FeedbackRefused(413, f"the feedback is larger than {self.max_record_bytes // 1024} KiB; shorten the comment or the answer")
        if self.budget is not None:
            wait = self.budget.take(client or f"user:{user}", cost=len(line) / 1024)
            if wait > 0:
                seconds = max(1, math.ceil(min(wait, 3600)))
                raise FeedbackRefused(429, f"too much feedback from this client: try again in {seconds} s", seconds)
        self._append(line)
        return record

    def withdraw(self, feedback_id: str, user: str = "") -> None:
        """A rating taken back (the thumb clicked again): it no longer counts."""
        self._append((json.dumps({"feedback_id": feedback_id, "user": user, "withdrawn": True}) + "\n").encode("utf-8"))

    def _append(self, line: bytes) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock:
            fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                _append_whole(fd, line)
            finally:
                os.close(fd)  # closing releases the lock

    def records(self) -> list[dict]:
        """Every piece of feedback, oldest first: the last line of each id, withdrawn ones left out."""
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return []
        records: dict[str, dict] = {}
        for number, line in enumerate(data.split(b"\n")):
            try:
                row = json.loads(line.decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError):
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


def _append_whole(fd: int, line: bytes) -> None:
    """Append ``line`` and fsync it, or leave the file as it was and raise the OSError."""
    size = os.fstat(fd).st_size
    if size and os.pread(fd, 1, size - 1) != b"\n":
        line = b"\n" + line  # end a line torn by a crash, so that this record starts a line of its own
    try:
        view = memoryview(line)
        while view:
            written = os.write(fd, view)
            if written <= 0:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            view = view[written:]
        os.fsync(fd)
    except OSError:
        try:  # whole records or nothing: take back what part of this one reached the file
            os.ftruncate(fd, size)
            os.fsync(fd)
        except OSError:
            pass  # the reader skips the torn line; the next writer ends it
        raise


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
