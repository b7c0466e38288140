"""The HTTP API: /healthz and /api/ask. Bad input gets a 4xx with a message a person can act on."""

from __future__ import annotations

import json
from typing import Callable, Literal

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from answer.pipeline import Answerer, StreamEvent, Turn
from index.retrieval import RankedPassage
from settings import RetrievalMode, Settings
from web.inputs import MAX_TURN_CHARS, Text, safe


class HistoryTurn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    role: Literal["user", "assistant"]
    content: Text = Field(max_length=MAX_TURN_CHARS)


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    question: Text = Field(description="The question, in Chinese or English.")
    history: list[HistoryTurn] = Field(default_factory=list, description="Earlier turns, oldest first.")
    mode: RetrievalMode | None = Field(None, description="bm25, dense or hybrid (default: the configured mode).")


class SearchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    question: Text = Field(description="The question, in Chinese or English.")
    mode: RetrievalMode | None = Field(None, description="bm25, dense or hybrid (default: the configured mode).")
    k: int = Field(5, ge=1, le=50, description="How many passages to return.")


class RetrieverScore(BaseModel):
    score: float | None
    rank: int | None


class SearchHit(BaseModel):
    rank: int
    chunk_id: str
    doc_id: str
    title: str
    section: str
    text: str
    bm25: RetrieverScore
    dense: RetrieverScore
    fused: RetrieverScore


class SearchResponse(BaseModel):
    question: str
    mode: str
    k: int
    passages: list[SearchHit]


class CitationOut(BaseModel):
    id: int
    doc_id: str
    title: str
    text: str
    quote: str


class VerificationOut(BaseModel):
    passed: bool
    citations_checked: int
    citations_removed: int
    sentences_dropped: int
    unsupported_figures: list[str]


class AskResponse(BaseModel):
    answer: str
    refused: bool
    citations: list[CitationOut]
    query: str = Field(description="What was searched: the question, or its standalone rewrite.")
    mode: str
    language: str
    notice: str | None = None
    related: list[CitationOut] = []
    verification: VerificationOut | None = None


class HealthResponse(BaseModel):
    status: str
    documents: int
    chunks: int


def _error(status: int, message: str, details: object = None) -> JSONResponse:
    body: dict[str, object] = {"error": safe(message)}
    if details is not None:
        body["details"] = details
    return JSONResponse(status_code=status, content=body)


NOT_UTF8 = "the request body is not valid UTF-8 JSON"  # also JSON nested too deep to parse
NOT_AN_OBJECT = "the request body must be a JSON object, sent with Content-Type: application/json"
NO_BODY = "the request body is empty; send a JSON object with Content-Type: application/json"


def field_path(loc: tuple | list) -> str:
    """'history.0.content' from a validation error's location, without 'body' and without the
    type tags pydantic adds inside unions ('str', 'list[ContentPart]', 'function-after[…]')."""
    parts = [str(p) for p in loc if p != "body" and not (isinstance(p, str) and ("[" in p or p in _TYPE_TAGS))]
    return safe(".".join(parts))


_TYPE_TAGS = {"str", "int", "float", "bool", "list", "dict", "none"}


def body_problem(errors: list[dict]) -> str | None:
    """The message when the body as a whole is unusable (not JSON, not an object, absent)."""
    for error in errors:
        if error.get("type") == "json_invalid":
            return "the request body is not valid JSON"
        if error.get("type") == "string_unicode":  # a lone surrogate that pydantic itself refused
            where = field_path(error.get("loc", ()))
            return f"'{where}': " * bool(where) + f"{'' if where else 'the request body '}contains invalid Unicode (a lone surrogate); send UTF-8 text"
        if not field_path(error.get("loc", ())):
            return NO_BODY if error.get("type") == "missing" else NOT_AN_OBJECT
    return None


def _describe(errors: list[dict]) -> str:
    if problem := body_problem(errors):
        return problem
    parts: list[str] = []
    for error in errors:
        where = field_path(error.get("loc", ()))
        if error.get("type") == "missing":
            part = f"'{where}' is required"
        elif error.get("type") == "extra_forbidden":
            part = f"'{where}' is not a known field"
        else:
            part = f"'{where}': {error.get('msg', 'invalid value')}"
        if part not in parts:
            parts.append(part)
    return "; ".join(parts) or "invalid request"


def _sse(event: StreamEvent) -> str:
    if event.kind == "answer":
        payload = AskResponse.model_validate(event.answer.as_dict()).model_dump()
    elif event.kind == "query":
        payload = {"query": event.text}
    else:
        payload = {"text": event.text}
    return f"event: {event.kind}\ndata: {json.dumps(payload, ensure_ascii=False)}\n\n"


def _hit(hit: RankedPassage, mode: str) -> SearchHit:
    p = hit.passage
    return SearchHit(
        rank=hit.rank,
        chunk_id=p.chunk_id,
        doc_id=p.doc_id,
        title=p.title,
        section=p.section,
        text=p.text,
        bm25=RetrieverScore(score=hit.bm25_score, rank=hit.bm25_rank),
        dense=RetrieverScore(score=hit.dense_score, rank=hit.dense_rank),
        fused=RetrieverScore(score=hit.score if mode == "hybrid" else None, rank=hit.rank if mode == "hybrid" else None),
    )


def create_api(settings: Settings, answerer: Answerer, counts: Callable[[], tuple[int, int]]) -> FastAPI:
    api = FastAPI(title="guanwen 莞问", version="0.1.0", description="Cited answers about Dongguan's future industries.")

    @api.exception_handler(RequestValidationError)
    async def _invalid(request: Request, error: RequestValidationError) -> JSONResponse:
        errors = [
            {"loc": [safe(p) if isinstance(p, str) else p for p in e.get("loc", ())], "msg": safe(e.get("msg", "")), "type": e.get("type")}
            for e in error.errors()
        ]
        if request.url.path.startswith("/v1/"):  # OpenAI clients expect OpenAI's error shape
            from web.openai_api import describe_validation, openai_error

            message, param = describe_validation(errors)
            return openai_error(400, message, param)
        return _error(422, _describe(errors), errors)

    @api.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
        """FastAPI's own 4xx (a body that is not UTF-8, an unknown method …) in this API's error
        shape rather than {"detail": …}."""
        message = str(error.detail)
        if error.status_code == 400 and message == "There was an error parsing the body":
            message = NOT_UTF8  # the one body FastAPI cannot parse that json.loads does not report
        if request.url.path.startswith("/v1/"):
            from web.openai_api import openai_error

            response = openai_error(error.status_code, message[:1].upper() + message[1:] + ".")
        else:
            response = _error(error.status_code, message)
        for name, value in (error.headers or {}).items():
            response.headers[name] = value
        return response

    @api.get("/healthz", response_model=HealthResponse)
    def healthz() -> HealthResponse:
        documents, chunks = counts()
        return HealthResponse(status="ok", documents=documents, chunks=chunks)

    def question_error(question: str) -> JSONResponse | None:
        if not question:
            return _error(422, "'question' must not be empty")
        if len(question) > settings.max_question_chars:
            return _error(422, f"'question' is longer than {settings.max_question_chars} characters")
        return None

    def ask_error(request: AskRequest) -> JSONResponse | None:
        if error := question_error(request.question.strip()):
            return error
        if len(request.history) > settings.max_history_turns:
            return _error(422, f"'history' has more than {settings.max_history_turns} turns")
        return None

    @api.post("/api/ask", response_model=AskResponse, responses={422: {"description": "Invalid request"}})
    def ask(request: AskRequest):
        if error := ask_error(request):
            return error
        history = [Turn(role=t.role, content=t.content) for t in request.history]
        return answerer.ask(request.question, history, mode=request.mode).as_dict()

    @api.post(
        "/api/ask/stream",
        response_class=StreamingResponse,
        responses={200: {"content": {"text/event-stream": {}}}, 422: {"description": "Invalid request"}},
    )
    def ask_stream(request: AskRequest):
        """Server-sent events: `query` (what is searched), `token` (provisional text as it is
        generated), then `answer` (the verified answer, the same object /api/ask returns, which
        replaces the provisional text)."""
        if error := ask_error(request):
            return error
        history = [Turn(role=t.role, content=t.content) for t in request.history]
        events = answerer.ask_stream(request.question, history, mode=request.mode)
        # Retrieval runs before the first event: pulling it here turns a vector store that is down
        # into a 503 (web/errors.py) rather than a 200 stream that breaks off.
        from itertools import chain

        first = next(events)
        return StreamingResponse((_sse(event) for event in chain([first], events)), media_type="text/event-stream")

    @api.post("/api/search", response_model=SearchResponse, responses={422: {"description": "Invalid request"}})
    def search(request: SearchRequest):
        """Ranked passages with every retriever's score and rank: why a passage ranked where it did."""
        question = request.question.strip()
        if error := question_error(question):
            return error
        mode = request.mode or settings.retrieval_mode
        hits = answerer.searcher.search(question, mode, request.k)
        return SearchResponse(question=question, mode=mode, k=request.k, passages=[_hit(h, mode) for h in hits])

    return api
