"""Feedback on answers: ``POST /api/feedback``, ``GET /api/feedback`` (one's own) and, for
administrators, ``GET /api/feedback/export`` in the golden-set format (web/feedback.py stores it)."""

from __future__ import annotations

import json
from typing import Literal

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from web.access import authorized, require_admin
from web.deps import CallerDep, FeedbackDep, SettingsDep
from web.errors import ApiError
from web.feedback import FeedbackRefused, golden_row
from web.schemas import FeedbackRequest, question_field

router = APIRouter(prefix="/api/feedback", dependencies=[Depends(authorized)])


@router.post("", status_code=201, responses={413: {}, 422: {"description": "Invalid request"}, 429: {}, 503: {}})
def feedback(request: FeedbackRequest, store: FeedbackDep, settings: SettingsDep, caller: CallerDep):
    """Thumbs up or down on an answer, with an optional comment and a 'wrong source' flag.
    413 for a record over GUANWEN_MAX_FEEDBACK_KB, 429 for a client over its hourly
    GUANWEN_FEEDBACK_KB_PER_HOUR, 503 when the disk cannot take it (nothing half-written)."""
    question_field(request.question, settings.max_question_chars)
    try:
        record = store.add(request, caller.name if caller else "", caller.client_key if caller else "")
    except FeedbackRefused as refused:
        headers = {"Retry-After": str(refused.retry_after)} if refused.retry_after else None
        raise ApiError(refused.status, refused.message, code="feedback_refused", headers=headers) from None
    return {"stored": True, "feedback_id": record["feedback_id"]}


@router.get("")
def own_feedback(store: FeedbackDep, caller: CallerDep):
    """The caller's own feedback, newest first (with auth on, nobody sees anyone else's)."""
    user = caller.name if caller else ""
    return [r for r in reversed(store.records()) if r.get("user", "") == user]


@router.get(
    "/export", dependencies=[Depends(require_admin)], response_class=Response,
    responses={200: {"content": {"application/x-ndjson": {}}}},
)
def export(store: FeedbackDep, rating: Literal["up", "down"] | None = None):
    """Administrators only: all feedback as JSONL in the golden-set format ({"id", "question", "expected": [],
    "unanswerable": false, plus the feedback fields}); ``?rating=down`` for the bad answers."""
    rows = [golden_row(r) for r in store.records() if rating is None or r.get("rating") == rating]
    body = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
    return Response(
        body,
        media_type="application/x-ndjson",
        headers={"Content-Disposition": 'attachment; filename="feedback.jsonl"'},
    )
