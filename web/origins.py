"""Which other sites may use guanwen from a browser: CORS and framing, from GUANWEN_ALLOWED_ORIGINS.

- CORS: only the configured origins get ``Access-Control-Allow-Origin`` (on /api, /v1 and every
  other path); any other origin, and ``null`` (sandboxed frames, local files), gets none, so the
  browser keeps the response from the calling page; its preflight is refused with 400. With no
  origins configured, only same-origin pages (the UI and /embed themselves) can call the API.
- Framing: every response carries ``Content-Security-Policy: frame-ancestors 'self' <origins>``,
  so /embed and the UI can be framed by guanwen itself and the configured sites, and browsers
  refuse to render them inside any other site. Beside it, for browsers that predate CSP 2,
  ``X-Frame-Options: SAMEORIGIN`` — only while no other site is allowed: that header cannot name
  other sites, and browsers that know frame-ancestors ignore it anyway.

Starlette's CORSMiddleware is used on purpose: when the parent app configures it, Gradio does not
add its own, more permissive, localhost CORS headers to the mounted UI.
"""

from __future__ import annotations

from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from settings import Settings


def frame_ancestors(settings: Settings) -> str:
    return " ".join(["frame-ancestors 'self'", *settings.allowed_origin_list])


class FrameAncestorsMiddleware:
    def __init__(self, app: ASGIApp, policy: str):
        self.app = app
        self.policy = policy.encode("latin-1")
        self.same_origin_only = policy == "frame-ancestors 'self'"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_policy(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                if b"content-security-policy" not in names:
                    headers.append((b"content-security-policy", self.policy))
                if self.same_origin_only and b"x-frame-options" not in names:
                    headers.append((b"x-frame-options", b"SAMEORIGIN"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_policy)


def cors_options(settings: Settings) -> dict[str, Any]:
    """Starlette's CORSMiddleware, set for the configured origins only (app.py puts it outermost)."""
    return {
        "allow_origins": settings.allowed_origin_list,
        "allow_methods": ["GET", "POST", "OPTIONS"],
        # X-Gradio-User: Gradio's <gradio-app> web component sends it on every call (docs/embedding.md).
        "allow_headers": ["Content-Type", "Authorization", "X-Gradio-User"],
        "allow_credentials": False,
        "max_age": 600,
    }
