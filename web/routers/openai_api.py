"""An OpenAI-compatible face: ``GET /v1/models`` and ``POST /v1/chat/completions``.

Existing chat clients and widgets can use guanwen as a model named ``guanwen``. The last user
message is the question, earlier user/assistant messages are the history (system messages are
ignored: guanwen's own prompts and verification decide how it answers). The answer is the same
verified answer ``/api/ask`` returns; its citations come back in ``references`` (the same objects
as ``/api/ask``'s ``citations``), with ``refused``, ``query`` and ``verification``.

Streaming sends only verified text: while an LLM writes, the stream carries SSE comments (which
clients ignore) to keep the connection alive, and the verified answer follows as content deltas.
Errors use OpenAI's shape, ``{"error": {"message", "type", "param", "code"}}`` (web/errors.py).
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from typing import Any, Iterator

from fastapi import APIRouter, Depends

from answer.models import Answer
from answer.pipeline import StreamEvent, Turn
from settings import Settings
from web import sse
from web.access import authorized
from web.deps import AnswererDep, SettingsDep
from web.errors import OPENAI_PREFIX, ApiError, error_body
from web.inputs import MAX_TURN_CHARS, safe
from web.schemas import MODEL_ID, AskResponse, ChatCompletionRequest, ChatMessage, QuestionError, validate_question

CREATED = 1_700_000_000  # fixed: the model's "created" time is not meaningful here
MODEL = {"id": MODEL_ID, "object": "model", "created": CREATED, "owned_by": "guanwen"}
NO_USAGE = {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}

log = logging.getLogger("guanwen")
router = APIRouter(prefix=OPENAI_PREFIX, tags=["openai"], dependencies=[Depends(authorized)])


@router.get("/models")
def list_models():
    """The one model this server offers."""
    return {"object": "list", "data": [MODEL]}


@router.get("/models/{model}")
def get_model(model: str):
    _check_model(model)
    return MODEL


@router.post("/chat/completions", responses={200: {"content": {"text/event-stream": {}}}, 400: {"description": "Invalid request"}})
def chat_completions(body: ChatCompletionRequest, answerer: AnswererDep, settings: SettingsDep):
    """Answer the last user message with guanwen's pipeline (earlier messages are the history).

    The response is OpenAI's chat.completion (or, with ``stream: true``, chat.completion.chunk
    server-sent events ending in ``data: [DONE]``), plus ``references`` (the citations, as
    /api/ask returns them), ``refused``, ``query`` and ``verification`` — on the final chunk
    when streaming."""
    question, history = _conversation(body, settings)
    completion = {"id": f"chatcmpl-{uuid.uuid4().hex}", "created": int(time.time()), "model": MODEL_ID}
    if not body.stream:
        answer = answerer.ask(question, history)
        choice = {"index": 0, "message": {"role": "assistant", "content": answer.answer}, "finish_reason": "stop", "logprobs": None}
        return {**completion, "object": "chat.completion", "choices": [choice], "usage": NO_USAGE, **_references(answer)}
    include_usage = bool(body.stream_options and body.stream_options.include_usage)
    events = sse.started(answerer.ask_stream(question, history))
    return sse.response(_chunks(events, {**completion, "object": "chat.completion.chunk"}, include_usage))


def _check_model(model: str) -> None:
    if model != MODEL_ID:
        raise ApiError(404, f"The model '{model}' does not exist; this server offers '{MODEL_ID}'.", param="model", code="model_not_found")


def _conversation(body: ChatCompletionRequest, settings: Settings) -> tuple[str, list[Turn]]:
    """The question (the last message) and the history (earlier user and assistant messages)."""
    _check_model(body.model)
    if body.n not in (None, 1):
        raise ApiError(400, "Only n=1 is supported.", param="n")
    if not body.messages:
        raise ApiError(400, "'messages' must hold at least one message.", param="messages")
    texts = [_text(m, i) for i, m in enumerate(body.messages)]
    last = len(body.messages) - 1
    if body.messages[last].role != "user":
        raise ApiError(400, "The last message must be the user's question (role 'user').", param=f"messages[{last}].role")
    try:
        question = validate_question(texts[last], settings.max_question_chars)
    except QuestionError as error:
        message = "The last user message is empty." if error.code == "empty" else f"The question {error}."
        raise ApiError(400, message, param=f"messages[{last}].content") from None
    earlier = [(i, m.role, texts[i]) for i, m in enumerate(body.messages[:last]) if m.role in ("user", "assistant")]
    for i, _, text in earlier:
        if len(text) > MAX_TURN_CHARS:
            raise ApiError(400, f"An earlier message is longer than {MAX_TURN_CHARS} characters.", param=f"messages[{i}].content")
    history = [Turn(role=role, content=text) for _, role, text in earlier if text.strip()]
    if len(history) > settings.max_history_turns:
        raise ApiError(400, f"The conversation has more than {settings.max_history_turns} earlier turns.", param="messages")
    return question, history


def _text(message: ChatMessage, index: int) -> str:
    if message.content is None:
        return ""
    if isinstance(message.content, str):
        return message.content
    texts = []
    for number, part in enumerate(message.content):
        if part.type != "text":
            raise ApiError(400, f"messages[{index}].content: only text parts are supported, not '{safe(part.type)}'", param="messages")
        if part.text is None:
            raise ApiError(400, f"messages[{index}].content[{number}]: a text part needs 'text'", param="messages")
        texts.append(part.text)
    return "\n".join(texts)


def _references(answer: Answer) -> dict[str, Any]:
    shaped = AskResponse.model_validate(answer.as_dict()).model_dump()  # the /api/ask shape: references == citations
    # Beside OpenAI's fields, guanwen's own (docs/api.md): the citations, and whether the model wrote
    # the answer ("llm") or the offline one stood in ("extractive"), with the notice saying why.
    return {"references": shaped["citations"], "refused": shaped["refused"], "query": shaped["query"],
            "verification": shaped["verification"], "mode": shaped["mode"], "notice": shaped["notice"]}


def _pieces(text: str) -> list[str]:
    """The verified answer in sentence-sized content deltas."""
    parts = [p for p in re.split(r"(?<=[。！？!?])", text) if p]
    return parts or [text]


def _chunks(events: Iterator[StreamEvent], completion: dict[str, Any], include_usage: bool) -> Iterator[str]:
    def chunk(delta: dict, finish: str | None = None, **extra: Any) -> str:
        return sse.event({**completion, "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}], **extra})

    yield chunk({"role": "assistant", "content": ""})
    try:
        final = None
        for event in events:
            if event.kind == "answer":
                final = event.answer
            else:
                yield sse.comment("generating")  # keeps the connection alive; clients ignore comments
        if final is None:
            raise RuntimeError("the pipeline ended without an answer")
        for piece in _pieces(final.answer):
            yield chunk({"content": piece})
        yield chunk({}, "stop", **_references(final))
        if include_usage:
            yield sse.event({**completion, "choices": [], "usage": NO_USAGE})
    except Exception:  # the client gets an error event, never a truncated answer posing as whole
        log.exception("streaming a chat completion failed")
        yield sse.event(error_body(500, "Answering failed; please try again.", openai=True))
    yield sse.event("[DONE]")
