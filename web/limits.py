"""Limits that keep one client, or a crowd, from taking the server down (docs/security.md):

- ``BodyLimitMiddleware``: request bodies over ``max_body_kb`` get 413 before any handler reads them
  (article uploads: over ``max_upload_mb``).
- ``RateLimitMiddleware``: a token bucket per client (its user or token name when authenticated,
  a widget token's name with the visitor's address, else the address; ``Identity.client_key``) on
  the API, the UI's event endpoints and its uploads; an empty bucket gets 429 with Retry-After.
- ``AdmissionMiddleware``: at most ``max_concurrent_answers`` answers are worked on at once; up
  to ``max_queued_answers`` more wait (as coroutines, holding no thread) for up to
  ``queue_timeout_s``; beyond that the answer is a clean 503 "busy" with Retry-After. A stream
  holds its slot until it ends or the client goes away.
"""

from __future__ import annotations

import asyncio
import math
import threading
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from web.errors import NOT_UTF8, OPENAI_PREFIX, error_response, is_openai_path
from web.inputs import json_body_is_utf8

RATE_LIMITED_PREFIXES = (
    "/api/", OPENAI_PREFIX + "/", "/gradio_api/queue/join", "/gradio_api/call/", "/gradio_api/run/", "/gradio_api/api/",
    "/gradio_api/upload",
)
ANSWER_PATHS = {"/api/ask", "/api/ask/stream", "/api/search", "/v1/chat/completions"}
UPLOAD_PATHS = {"/gradio_api/upload", "/api/admin/documents"}


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, max_bytes: int, upload_max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes
        self.upload_max_bytes = upload_max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        declared = dict(scope.get("headers", [])).get(b"content-length")
        length = int(declared) if declared is not None and declared.isdigit() else None
        if path in UPLOAD_PATHS:
            # Article uploads are larger than any JSON body and are streamed to disk by their
            # handlers, not held here: they must declare their length (browsers and HTTP clients
            # do for multipart forms), and the server never reads past it.
            if length is None:
                await error_response(path, 411, "an upload must declare its Content-Length", code="length_required")(scope, receive, send)
            elif length > self.upload_max_bytes:
                limit = f"{self.upload_max_bytes / 1_000_000:g} MB"
                await error_response(path, 413, f"the upload is larger than {limit}", code="request_too_large")(scope, receive, send)
            else:
                await self.app(scope, receive, send)
            return
        too_large = error_response(path, 413, f"the request body is larger than {self.max_bytes // 1024} KiB", code="request_too_large")
        if length is not None and length > self.max_bytes:
            await too_large(scope, receive, send)
            return
        # Without a trustworthy length (chunked uploads), count while reading: the body is small
        # enough to hold, so read it all first and hand the app a replay.
        chunks, size, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await too_large(scope, receive, send)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        if _is_json(scope) and not json_body_is_utf8(body):
            message = NOT_UTF8[:1].upper() + NOT_UTF8[1:] + "." if is_openai_path(path) else NOT_UTF8
            await error_response(path, 400, message, code="invalid_encoding")(scope, receive, send)
            return
        await self.app(scope, replayed(body, receive), send)


def replayed(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that gives the app ``body`` (already read) as one message, then whatever
    ``receive`` says next (disconnect notices, as the app expects)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def _is_json(scope: Scope) -> bool:
    """A body sent as JSON, or with no type at all (which FastAPI reads as JSON)."""
    content_type = dict(scope.get("headers", [])).get(b"content-type", b"").split(b";")[0].strip().lower()
    return not content_type or content_type == b"application/json" or content_type.endswith(b"+json")


class TokenBuckets:
    """``per_minute`` requests a minute per key, with bursts of up to ``burst``."""

    def __init__(self, per_minute: float, burst: int, max_keys: int = 100_000):
        self.rate = per_minute / 60.0
        self.burst = float(burst)
        self.max_keys = max_keys
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, last refill)
        self._lock = threading.Lock()

    def take(self, key: str, now: float | None = None, cost: float = 1.0) -> float:
        """0 when the request (costing ``cost`` tokens: one request, or e.g. a record's KiB) may go
        ahead, else the seconds until it may. A cost over the burst never goes ahead."""
        now = time.monotonic() if now is None else now
        with self._lock:
            tokens, last = self._buckets.get(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            if tokens >= cost:
                if len(self._buckets) >= self.max_keys and key not in self._buckets:
                    self._buckets.clear()  # bounded memory under an address-spraying flood
                self._buckets[key] = (tokens - cost, now)
                return 0.0
            self._buckets[key] = (tokens, now)
            return (cost - tokens) / self.rate if cost <= self.burst else math.inf


class RateLimitMiddleware:
    def __init__(self, app: ASGIApp, buckets: TokenBuckets):
        self.app = app
        self.buckets = buckets

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or scope["method"] == "OPTIONS" or not path.startswith(RATE_LIMITED_PREFIXES):
            await self.app(scope, receive, send)
            return
        identity = scope.get("state", {}).get("guanwen_identity")
        client = scope.get("client")
        key = identity.client_key if identity is not None else f"client:{client[0] if client else '?'}"
        wait = self.buckets.take(key)
        if wait > 0:
            seconds = max(1, math.ceil(wait))
            response = error_response(
                path, 429, f"too many requests: try again in {seconds} s", code="rate_limited", headers={"Retry-After": str(seconds)}
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


class Admission:
    """How many answers run and wait."""

    def __init__(self, max_concurrent: int, max_queued: int, timeout_s: float):
        self.max_concurrent, self.max_queued, self.timeout_s = max_concurrent, max_queued, timeout_s
        self.in_flight = 0
        self._semaphore: asyncio.Semaphore | None = None  # made inside the server's event loop

    @property
    def semaphore(self) -> asyncio.Semaphore:
        if self._semaphore is None:
            self._semaphore = asyncio.Semaphore(self.max_concurrent)
        return self._semaphore


class AdmissionMiddleware:
    def __init__(self, app: ASGIApp, admission: Admission):
        self.app = app
        self.admission = admission

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or scope["method"] != "POST" or path not in ANSWER_PATHS:
            await self.app(scope, receive, send)
            return
        admission = self.admission
        if admission.in_flight >= admission.max_concurrent + admission.max_queued:
            await self._busy(scope, receive, send, "the server is busy answering other questions")
            return
        admission.in_flight += 1
        try:
            try:
                await asyncio.wait_for(admission.semaphore.acquire(), admission.timeout_s)
            except asyncio.TimeoutError:
                await self._busy(scope, receive, send, f"no answer slot freed within {admission.timeout_s:g} s")
                return
            try:
                await self.app(scope, receive, send)
            finally:
                admission.semaphore.release()
        finally:
            admission.in_flight -= 1

    async def _busy(self, scope: Scope, receive: Receive, send: Send, why: str) -> None:
        response = error_response(scope["path"], 503, f"busy: {why}; please retry shortly", code="busy", headers={"Retry-After": "5"})
        await response(scope, receive, send)
