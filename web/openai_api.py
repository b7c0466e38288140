"""An OpenAI-compatible face: ``GET /v1/models`` and ``POST /v1/chat/completions``.

Existing chat clients and widgets can use guanwen as a model named ``guanwen``. The last user
message is the question, earlier user/assistant messages are the history (system messages are
ignored: guanwen's own prompts and verification decide how it answers). The answer is the same
verified answer ``/api/ask`` returns; its citations come back in ``references`` (the same objects
as ``/api/ask``'s ``citations``), with ``refused``, ``query`` and ``verification``.

Streaming sends only verified text: while an LLM writes, the stream carries SSE comments (which
clients ignore) to keep the connection alive, and the verified answer follows as content deltas.
Errors use OpenAI's shape: ``{"error": {"message", "type", "param", "code"}}``.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from typing import Any, Iterator, Literal

from fastapi import FastAPI
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from answer.models import Answer
from answer.pipeline import Answerer, Turn
from settings import Settings
from web.inputs import MAX_TURN_CHARS, Text, safe

MODEL_ID = "guanwen"
CREATED = 1_700_000_000  # fixed: the model's "created" time is not meaningful here

log = logging.getLogger("guanwen")


class ContentPart(BaseModel):
    model_config = ConfigDict(extra="allow")
    type: str
    text: Text | None = None


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: Text | list[ContentPart] | None = None


class StreamOptions(BaseModel):
    model_config = ConfigDict(extra="allow")
    include_usage: bool = False


class ChatCompletionRequest(BaseModel):
    """OpenAI's request body. Sampling parameters (temperature, max_tokens …) are accepted and
    ignored: guanwen's answer does not depend on them."""

    model_config = ConfigDict(extra="allow")
    model: Text = Field(description=f"Must be '{MODEL_ID}'.")
    messages: list[ChatMessage] = Field(description="The conversation; the last message must be the user's question.")
    stream: bool = Field(False, strict=True)  # "yes" is refused, not read as true
    stream_options: StreamOptions | None = None
    n: int | None = Field(None, description="Only 1 is supported.")


def openai_error(status: int, message: str, param: str | None = None, code: str | None = None) -> JSONResponse:
    kind = "invalid_request_error" if status < 500 else "server_error"
    message, param = safe(message), safe(param) if param is not None else None
    return JSONResponse(
        status_code=status, content={"error": {"message": message, "type": kind, "param": param, "code": code}}
    )


def describe_validation(errors: list[dict]) -> tuple[str, str | None]:
    """A sentence for the first problem of a request that failed validation, and the field."""
    from web.api import body_problem, field_path

    if problem := body_problem(errors):
        return problem[:1].upper() + problem[1:] + ".", None
    for error in errors:
        where = field_path(error.get("loc", ()))
        if error.get("type") == "missing":
            return f"'{where}' is required.", where
        # A union (content: a string or a list of parts) fails once per member: say all of them.
        messages = [e.get("msg", "invalid value") for e in errors if field_path(e.get("loc", ())) == where]
        alternatives = [messages[0]] + [m.removeprefix("Input should be ") for m in messages[1:] if m != messages[0]]
        return f"'{where}': {', or '.join(alternatives)}.", where
    return "Invalid request.", None


def _text(message: ChatMessage, index: int) -> str:
    if message.content is None:
        return ""
    if isinstance(message.content, str):
        return message.content
    texts = []
    for number, part in enumerate(message.content):
        if part.type != "text":
            raise ValueError(f"messages[{index}].content: only text parts are supported, not '{safe(part.type)}'")
        if part.text is None:
            raise ValueError(f"messages[{index}].content[{number}]: a text part needs 'text'")
        texts.append(part.text)
    return "\n".join(texts)


def _references(answer: Answer) -> dict[str, Any]:
    from web.api import AskResponse  # the /api/ask shape, so references == citations there

    shaped = AskResponse.model_validate(answer.as_dict()).model_dump()
    return {
        "references": shaped["citations"],
        "refused": shaped["refused"],
        "query": shaped["query"],
        "verification": shaped["verification"],
    }


def _pieces(text: str) -> list[str]:
    """The verified answer in sentence-sized content deltas."""
    parts = [p for p in re.split(r"(?<=[。！？!?])", text) if p]
    return parts or [text]


def install_openai_api(api: FastAPI, settings: Settings, answerer: Answerer) -> None:
    @api.get("/v1/models", tags=["openai"])
    def list_models():
        """The one model this server offers."""
        return {
            "object": "list",
            "data": [{"id": MODEL_ID, "object": "model", "created": CREATED, "owned_by": "guanwen"}],
        }

    @api.get("/v1/models/{model}", tags=["openai"])
    def get_model(model: str):
        if model != MODEL_ID:
            return openai_error(404, f"The model '{model}' does not exist; this server offers '{MODEL_ID}'.", "model", "model_not_found")
        return {"id": MODEL_ID, "object": "model", "created": CREATED, "owned_by": "guanwen"}

    @api.post(
        "/v1/chat/completions",
        tags=["openai"],
        responses={200: {"content": {"text/event-stream": {}}}, 400: {"description": "Invalid request"}},
    )
    def chat_completions(body: ChatCompletionRequest):
        """Answer the last user message with guanwen's pipeline (earlier messages are the history).

        The response is OpenAI's chat.completion (or, with ``stream: true``, chat.completion.chunk
        server-sent events ending in ``data: [DONE]``), plus ``references`` (the citations, as
        /api/ask returns them), ``refused``, ``query`` and ``verification`` — on the final chunk
        when streaming."""
        if body.model != MODEL_ID:
            return openai_error(
                404, f"The model '{body.model}' does not exist; this server offers '{MODEL_ID}'.", "model", "model_not_found"
            )
        if body.n not in (None, 1):
            return openai_error(400, "Only n=1 is supported.", "n")
        if not body.messages:
            return openai_error(400, "'messages' must hold at least one message.", "messages")
        try:
            texts = [_text(m, i) for i, m in enumerate(body.messages)]
        except ValueError as error:
            return openai_error(400, str(error), "messages")
        last = len(body.messages) - 1
        if body.messages[last].role != "user":
            return openai_error(400, "The last message must be the user's question (role 'user').", f"messages[{last}].role")
        question = texts[last].strip()
        if not question:
            return openai_error(400, "The last user message is empty.", f"messages[{last}].content")
        if len(question) > settings.max_question_chars:
            return openai_error(
                400, f"The question is longer than {settings.max_question_chars} characters.", f"messages[{last}].content"
            )
        history = [
            Turn(role=m.role, content=texts[i])
            for i, m in enumerate(body.messages[:last])
            if m.role in ("user", "assistant") and texts[i].strip()
        ]
        for i, m in enumerate(body.messages[:last]):
            if m.role in ("user", "assistant") and len(texts[i]) > MAX_TURN_CHARS:
                return openai_error(400, f"An earlier message is longer than {MAX_TURN_CHARS} characters.", f"messages[{i}].content")
        if len(history) > settings.max_history_turns:
            return openai_error(400, f"The conversation has more than {settings.max_history_turns} earlier turns.", "messages")

        completion_id = f"chatcmpl-{uuid.uuid4().hex}"
        created = int(time.time())
        if not body.stream:
            answer = answerer.ask(question, history)
            return {
                "id": completion_id,
                "object": "chat.completion",
                "created": created,
                "model": MODEL_ID,
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": answer.answer},
                        "finish_reason": "stop",
                        "logprobs": None,
                    }
                ],
                "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
                **_references(answer),
            }

        include_usage = bool(body.stream_options and body.stream_options.include_usage)

        def chunk(delta: dict, finish: str | None = None, **extra: Any) -> str:
            payload = {
                "id": completion_id,
                "object": "chat.completion.chunk",
                "created": created,
                "model": MODEL_ID,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}],
                **extra,
            }
            return f"data: {json.dumps(payload, ensure_ascii=False)}\n\n"

        # Retrieval runs before the first event: pulled here, a vector store that is down becomes
        # a 503 (web/errors.py) rather than a 200 stream that breaks off.
        from itertools import chain

        stream = answerer.ask_stream(question, history)
        first = next(stream)

        def events() -> Iterator[str]:
            yield chunk({"role": "assistant", "content": ""})
            try:
                final = None
                for event in chain([first], stream):
                    if event.kind == "answer":
                        final = event.answer
                    else:
                        yield ": generating\n\n"  # keeps the connection alive; clients ignore comments
                if final is None:
                    raise RuntimeError("the pipeline ended without an answer")
                for piece in _pieces(final.answer):
                    yield chunk({"content": piece})
                yield chunk({}, "stop", **_references(final))
                if include_usage:
                    usage = {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}
                    payload = {"id": completion_id, "object": "chat.completion.chunk", "created": created,
                               "model": MODEL_ID, "choices": [], "usage": usage}
                    yield f"data: {json.dumps(payload)}\n\n"
            except Exception:  # the client gets an error event, never a truncated answer posing as whole
                log.exception("streaming a chat completion failed")
                error = {"message": "Answering failed; please try again.", "type": "server_error", "param": None, "code": None}
                yield f"data: {json.dumps({'error': error})}\n\n"
            yield "data: [DONE]\n\n"

        return StreamingResponse(events(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})
