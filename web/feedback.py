"""Readers' feedback on answers, kept durably and exportable as new golden-set questions.

Each piece of feedback is one JSON line appended to ``<storage>/feedback.jsonl``: written with a
single ``write`` on a file opened with O_APPEND, under an exclusive lock, then fsynced, so
concurrent writers never interleave and a crash leaves whole lines (a torn last line, if the
machine dies mid-write, is skipped when reading).
"""

from __future__ import annotations

import fcntl
import json
import os
import threading
import time
import uuid
from pathlib import Path
from typing import Literal

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from settings import Settings
from web.inputs import MAX_TURN_CHARS, Text
from web.auth import identity_of


class FeedbackCitation(BaseModel):
    model_config = ConfigDict(extra="ignore")
    id: int = Field(strict=True)
    doc_id: Text = Field(max_length=1000)
    title: Text = Field("", max_length=1000)
    text: Text = Field("", max_length=MAX_TURN_CHARS)
    quote: Text = Field("", max_length=MAX_TURN_CHARS)


class FeedbackRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # Text: lone surrogates refused, control characters removed (web/inputs.py); strict bools, so
    # "yes" is refused rather than read as true. Lengths: docs/api.md, "Limits".
    question: Text = Field(description="The question as asked.")
    answer: Text = Field(max_length=MAX_TURN_CHARS, description="The answer shown.")
    rating: Literal["up", "down"] = Field(description="Thumbs up or down.")
    comment: Text = Field("", max_length=4000, description="Optional: what was wrong or right.")
    wrong_source: bool = Field(False, strict=True, description="The cited source does not support the answer.")
    citations: list[FeedbackCitation] = Field(
        default_factory=list, max_length=50, description="The citations shown with the answer."
    )
    query: Text = Field("", max_length=MAX_TURN_CHARS, description="What was searched (the rewritten follow-up), if known.")
    refused: bool = Field(False, strict=True, description="Whether the answer was a refusal.")
    channel: Text = Field("api", max_length=20, description="Where the feedback came from: ui, embed, api.")


class FeedbackStore:
    def __init__(self, path: Path):
        self.path = path
        self._lock = threading.Lock()

    def add(self, feedback: FeedbackRequest, user: str = "") -> dict:
        record = {
            "feedback_id": uuid.uuid4().hex[:12],
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "user": user,
            **feedback.model_dump(),
        }
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
        return record

    def records(self) -> list[dict]:
        if not self.path.exists():
            return []
        records = []
        for line in self.path.read_text(encoding="utf-8").splitlines():
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                continue  # a line torn by a crash
            if isinstance(row, dict):
                records.append(row)
        return records


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


def install_feedback_api(api: FastAPI, settings: Settings, store: FeedbackStore) -> None:
    @api.post("/api/feedback", status_code=201, responses={422: {"description": "Invalid request"}})
    def feedback(request: FeedbackRequest, http: Request):
        """Thumbs up or down on an answer, with an optional comment and a 'wrong source' flag."""
        if not request.question.strip():
            return JSONResponse(status_code=422, content={"error": "'question' must not be empty"})
        if len(request.question) > settings.max_question_chars:
            return JSONResponse(
                status_code=422, content={"error": f"'question' is longer than {settings.max_question_chars} characters"}
            )
        record = store.add(request, _user(http))
        return {"stored": True, "feedback_id": record["feedback_id"]}

    @api.get("/api/feedback")
    def own_feedback(http: Request):
        """The caller's own feedback, newest first (with auth on, nobody sees anyone else's)."""
        user = _user(http)
        return [r for r in reversed(store.records()) if r.get("user", "") == user]

    @api.get("/api/feedback/export", response_class=Response, responses={200: {"content": {"application/x-ndjson": {}}}})
    def export(rating: Literal["up", "down"] | None = None):
        """Administrators only: all feedback as JSONL in the golden-set format ({"id", "question", "expected": [],
        "unanswerable": false, plus the feedback fields}); ``?rating=down`` for the bad answers."""
        rows = [golden_row(r) for r in store.records() if rating is None or r.get("rating") == rating]
        body = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
        return Response(
            body,
            media_type="application/x-ndjson",
            headers={"Content-Disposition": 'attachment; filename="feedback.jsonl"'},
        )


def _user(request: Request) -> str:
    identity = identity_of(request)
    return identity.name if identity else ""
