"""What is indexed: ``GET /api/documents`` (the articles) and ``GET /healthz`` (how much, and
whether all is well: 503 "degraded" with why while the vectors cannot be reached; 200 "degraded"
with the problems while answers still work but something needs an operator — a full disk, corpus
files the index lacks)."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from starlette.responses import JSONResponse

from web.access import authorized
from web.deps import LibraryDep
from web.errors import RETRY_AFTER_S
from web.schemas import DocumentOut, HealthResponse

router = APIRouter(dependencies=[Depends(authorized)])
health_router = APIRouter()  # public: PUBLIC_PATHS in web/access.py


@router.get("/api/documents", response_model=list[DocumentOut])
def documents(library: LibraryDep):
    """The indexed articles: title, date, source, author (where the article states them), chunk count."""
    return library.documents()


@health_router.head("/healthz", include_in_schema=False)
@health_router.get("/healthz", response_model=HealthResponse, responses={503: {}})
def healthz(library: LibraryDep):
    problem = library.problem()
    documents, chunks = library.counts()
    problems = ([problem] if problem else []) + library.warnings()
    if problem:
        body = {"status": "degraded", "documents": documents, "chunks": chunks, "error": problem, "problems": problems}
        return JSONResponse(status_code=503, content=body, headers={"Retry-After": str(RETRY_AFTER_S)})
    return HealthResponse(status="degraded" if problems else "ok", documents=documents, chunks=chunks, problems=problems)
