"""Who may call what: the path rules, the auth middleware that applies them to every request, and
the same rules as router dependencies (docs/security.md).

Every request gets an identity (web/auth.py) put on ``scope["state"]["guanwen_identity"]`` for the
handlers; without one, protected paths answer 401 (the login page for a browser asking for a page,
JSON for everything else), and a role that may not use a path gets 403. The middleware covers
every path, Gradio's included; each router declares ``Depends(authorized)`` (and the admin router
``Depends(require_admin)``) so that no route depends on the middleware alone. A POST, PUT or
DELETE authenticated by a session cookie must come from this site's own pages (web/csrf.py).
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from web.auth import SESSION_COOKIE, Authenticator, Identity, identity_of
from web.csrf import CROSS_SITE, UNSAFE_METHODS, same_origin
from web.errors import ApiError, error_response
from web.pages import login_page

PUBLIC_PATHS = {"/healthz", "/login", "/logout"}
# What the embed page calls: a widget token, public in its host page's source, opens nothing else.
WIDGET_PATHS = {
    ("GET", "/embed"),
    ("POST", "/api/ask"),
    ("POST", "/api/ask/stream"),
    ("POST", "/api/feedback"),
    ("GET", "/api/documents"),
}
# Gradio's upload route feeds only the Documents tab's file input; its monitoring pages list every
# event's calls, administrators' included.
ADMIN_PREFIXES = ("/api/feedback/export", "/api/admin/", "/gradio_api/upload", "/monitoring")

UNAUTHENTICATED = "authentication required: log in at /login, or send 'Authorization: Bearer <token>'"
FORBIDDEN = "this account or token may not use this endpoint"
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="guanwen"'}


def allowed(identity: Identity, method: str, path: str) -> bool:
    if identity.role == "widget":
        return (method, path) in WIDGET_PATHS or method == "OPTIONS"
    if path.startswith(ADMIN_PREFIXES):
        return identity.is_admin
    return True


class AccessMiddleware:
    def __init__(self, app: ASGIApp, authenticator: Authenticator):
        self.app = app
        self.auth = authenticator

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        path, method = scope["path"], scope["method"]
        token = request.query_params.get("token") if (method, path) == ("GET", "/embed") else None
        client = scope.get("client")
        args = (request.headers, request.cookies, client[0] if client else None, token)
        if SESSION_COOKIE in request.cookies:  # the session is looked up in SQLite: off the event loop
            identity = await run_in_threadpool(self.auth.identify, *args)
        else:
            identity = self.auth.identify(*args)
        scope.setdefault("state", {})["guanwen_identity"] = identity
        if identity and identity.via == "session" and method in UNSAFE_METHODS and not same_origin(request.headers):
            # The browser sent the session cookie with a request another site's page made.
            await error_response(path, 403, CROSS_SITE, code="cross_site")(scope, receive, send)
            return
        if path in PUBLIC_PATHS or method == "OPTIONS" or (identity and allowed(identity, method, path)):
            await self.app(scope, receive, send)
            return
        response = _forbidden(path) if identity else _unauthorized(request)
        await response(scope, receive, send)


def safe_next(target: str) -> str:
    """Only a path on this site: never //other.host or a scheme (no open redirect)."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _wants_page(request: Request) -> bool:
    return request.method == "GET" and "text/html" in request.headers.get("accept", "")


def _unauthorized(request: Request) -> Response:
    path = request.url.path
    if _wants_page(request):
        target = path + (f"?{request.url.query}" if request.url.query else "")
        return login_page(safe_next(target), status=401, secure=request.url.scheme == "https")
    return error_response(path, 401, UNAUTHENTICATED, code="invalid_api_key", headers=CHALLENGE)


def _forbidden(path: str) -> Response:
    return error_response(path, 403, FORBIDDEN, code="forbidden")


# --- the same rules as router dependencies --------------------------------------------------------


async def authorized(request: Request) -> None:
    """A caller, allowed this method and path."""
    identity = identity_of(request)
    if identity is None:
        raise ApiError(401, UNAUTHENTICATED, code="invalid_api_key", headers=CHALLENGE)
    if not allowed(identity, request.method, request.scope["path"]):
        raise ApiError(403, FORBIDDEN, code="forbidden")


async def require_admin(request: Request) -> None:
    await authorized(request)
    if not identity_of(request).is_admin:
        raise ApiError(403, FORBIDDEN, code="forbidden")
