"""Server-sent events, framed in one place for both streaming endpoints (``/api/ask/stream`` and
``/v1/chat/completions`` with ``stream: true``)."""

from __future__ import annotations

import json
from itertools import chain
from typing import Any, Iterable, Iterator, TypeVar

from fastapi.responses import StreamingResponse

T = TypeVar("T")


def event(data: Any, name: str | None = None) -> str:
    """One event: ``data`` as JSON (a string as it is, e.g. OpenAI's ``[DONE]``), under ``name`` if given."""
    payload = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)
    return (f"event: {name}\n" if name else "") + f"data: {payload}\n\n"


def comment(text: str) -> str:
    """A comment line: it keeps the connection alive, and clients ignore it."""
    return f": {text}\n\n"


def started(events: Iterator[T]) -> Iterator[T]:
    """``events`` with its first item pulled now, in the handler. Retrieval runs before the pipeline's
    first event, so a vector store that is down raises here and becomes a 503 (web/errors.py)
    rather than a 200 stream that breaks off."""
    first = next(events)
    return chain([first], events)


def response(frames: Iterable[str]) -> StreamingResponse:
    return StreamingResponse(frames, media_type="text/event-stream", headers={"Cache-Control": "no-cache"})
