"""Faults of the services guanwen depends on, as HTTP answers a person can act on.

A stopped Chroma server (or a vector store that fails) is not the client's fault and not a bug:
it becomes a 503 with ``Retry-After`` and a message saying what is down, in OpenAI's error shape
under ``/v1/`` and as ``{"error": "..."}`` elsewhere — never a traceback or a bare 500. While it
is down, ``/healthz`` answers 503 with ``"status": "degraded"`` and why. Nothing here holds state:
the Chroma client reconnects on its own, so the first request after the server is back succeeds.

Whether answers are still given from BM25 alone meanwhile is the pipeline's choice
(``GUANWEN_BM25_FALLBACK``, answer/pipeline.py); what reaches this module is a request that
needed the vectors and could not do without them. (The chat's own wording is web/i18n.py's
``vectors_down``.) Storing feedback on a full or read-only disk is a 503 too.
"""

from __future__ import annotations

import errno
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from index.vector_store import VectorStoreError

STORAGE_ERRNOS = {errno.ENOSPC, errno.EROFS, errno.EDQUOT}  # full or read-only disk
RETRY_AFTER_S = 10  # a restarted Chroma server answers within seconds


def vector_store_response(path: str, error: VectorStoreError) -> JSONResponse:
    message = f"The search index is unavailable: {error}"
    headers = {"Retry-After": str(RETRY_AFTER_S)}
    if path.startswith("/v1/"):
        from web.openai_api import openai_error

        response = openai_error(503, message, None, "vector_store_unavailable")
        response.headers.update(headers)
        return response
    return JSONResponse(status_code=503, content={"error": message}, headers=headers)


class _HealthCheck:
    """Answers ``GET /healthz`` itself when the vector store does not: 503, status "degraded"."""

    def __init__(self, app: ASGIApp, store: Any):
        self.app = app
        self.store = store

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == "/healthz" and scope["method"] in ("GET", "HEAD"):
            problem = await run_in_threadpool(self.store.collection.check)
            if problem:
                documents, chunks = await run_in_threadpool(self.store.counts)
                body = {"status": "degraded", "documents": documents, "chunks": chunks, "error": problem}
                response = JSONResponse(status_code=503, content=body, headers={"Retry-After": str(RETRY_AFTER_S)})
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def install_error_handlers(api: FastAPI, store: Any = None) -> None:
    """503s for vector-store faults on every route; with ``store``, /healthz checks the vectors too."""

    @api.exception_handler(VectorStoreError)
    async def _vector_store_down(request: Request, error: VectorStoreError) -> JSONResponse:
        return vector_store_response(request.url.path, error)

    @api.exception_handler(OSError)
    async def _storage_full(request: Request, error: OSError) -> JSONResponse:
        # Storing feedback on a full or read-only disk: the operator has to act, the client can
        # only retry later. Any other OSError is a bug and stays a 500.
        if error.errno not in STORAGE_ERRNOS:
            raise error
        message = f"The server cannot write its storage ({error.strerror}); try again later."
        if request.url.path.startswith("/v1/"):
            from web.openai_api import openai_error

            return openai_error(503, message, None, "storage_unavailable")
        return JSONResponse(status_code=503, content={"error": message}, headers={"Retry-After": str(RETRY_AFTER_S)})

    if store is not None:
        api.add_middleware(_HealthCheck, store=store)
