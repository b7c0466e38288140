"""Asking: ``POST /api/ask``, ``POST /api/ask/stream`` (server-sent events) and ``POST /api/search``
(why a passage ranked where it did). Bad input gets a 4xx with a message a person can act on."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import StreamingResponse

from answer.pipeline import StreamEvent, Turn
from index.retrieval import RankedPassage
from settings import Settings
from web import sse
from web.access import authorized
from web.deps import AnswererDep, LibraryDep, SettingsDep
from web.errors import ApiError
from web.schemas import (
    AskRequest,
    AskResponse,
    RetrieverScore,
    SearchHit,
    SearchRequest,
    SearchResponse,
    question_field,
)

router = APIRouter(dependencies=[Depends(authorized)], responses={422: {"description": "Invalid request"}})


@router.post("/api/ask", response_model=AskResponse)
def ask(request: AskRequest, answerer: AnswererDep, settings: SettingsDep):
    question, history = _checked(request, settings)
    return answerer.ask(question, history, mode=request.mode).as_dict()


@router.post("/api/ask/stream", response_class=StreamingResponse, responses={200: {"content": {"text/event-stream": {}}}})
def ask_stream(request: AskRequest, answerer: AnswererDep, settings: SettingsDep):
    """Server-sent events: `query` (what is searched), `token` (provisional text as it is
    generated), then `answer` (the verified answer, the same object /api/ask returns, which
    replaces the provisional text)."""
    question, history = _checked(request, settings)
    events = sse.started(answerer.ask_stream(question, history, mode=request.mode))
    return sse.response(_frame(event) for event in events)


@router.post("/api/search", response_model=SearchResponse)
def search(request: SearchRequest, library: LibraryDep, settings: SettingsDep):
    """Ranked passages with every retriever's score and rank: why a passage ranked where it did."""
    question = question_field(request.question, settings.max_question_chars)
    mode = request.mode or settings.retrieval_mode
    hits = library.search(question, mode, request.k)
    return SearchResponse(question=question, mode=mode, k=request.k, passages=[_hit(h, mode) for h in hits])


def _checked(request: AskRequest, settings: Settings) -> tuple[str, list[Turn]]:
    question = question_field(request.question, settings.max_question_chars)
    if len(request.history) > settings.max_history_turns:
        raise ApiError(422, f"'history' has more than {settings.max_history_turns} turns")
    return question, [Turn(role=t.role, content=t.content) for t in request.history]


def _frame(event: StreamEvent) -> str:
    if event.kind == "answer":
        payload = AskResponse.model_validate(event.answer.as_dict()).model_dump()
    elif event.kind == "query":
        payload = {"query": event.text}
    else:
        payload = {"text": event.text}
    return sse.event(payload, event.kind)


def _hit(hit: RankedPassage, mode: str) -> SearchHit:
    p = hit.passage
    fused = mode == "hybrid"
    return SearchHit(
        rank=hit.rank,
        chunk_id=p.chunk_id,
        doc_id=p.doc_id,
        title=p.title,
        section=p.section,
        text=p.text,
        bm25=RetrieverScore(score=hit.bm25_score, rank=hit.bm25_rank),
        dense=RetrieverScore(score=hit.dense_score, rank=hit.dense_rank),
        sentence=RetrieverScore(score=hit.sentence_score, rank=hit.sentence_rank),
        fused=RetrieverScore(score=hit.score if fused else None, rank=hit.rank if fused else None),
    )
