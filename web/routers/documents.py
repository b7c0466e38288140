"""What is indexed: ``GET /api/documents`` (the articles) and ``GET /healthz`` (how much, and
whether the vectors can be reached: 503 "degraded" with why while they cannot)."""

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
    if problem:
        body = {"status": "degraded", "documents": documents, "chunks": chunks, "error": problem}
        return JSONResponse(status_code=503, content=body, headers={"Retry-After": str(RETRY_AFTER_S)})
    return HealthResponse(status="ok", documents=documents, chunks=chunks)
