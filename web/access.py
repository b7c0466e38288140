"""Who may call what: the auth middleware, the login page, and the path rules (docs/security.md).

Every request gets an identity (web/auth.py) put on ``scope["state"]["guanwen_identity"]`` for the
handlers; without one, protected paths answer 401 (the login page for a browser asking for a page,
JSON for everything else), and a role that may not use a path gets 403.
"""

from __future__ import annotations

import math
from urllib.parse import parse_qs

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from web.auth import SESSION_COOKIE, Authenticator, Identity, identity_of
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
ADMIN_PREFIXES = ("/api/feedback/export", "/api/admin/")


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
        if self.auth.enabled and path in ("/login", "/logout"):
            response = await self._login(request) if path == "/login" else _logout()
            await response(scope, receive, send)
            return
        token = request.query_params.get("token") if (method, path) == ("GET", "/embed") else None
        client = scope.get("client")
        identity = self.auth.identify(request.headers, request.cookies, client[0] if client else None, token)
        scope.setdefault("state", {})["guanwen_identity"] = identity
        if path in PUBLIC_PATHS or method == "OPTIONS" or (identity and allowed(identity, method, path)):
            await self.app(scope, receive, send)
            return
        response = _forbidden(path) if identity else _unauthorized(request)
        await response(scope, receive, send)

    async def _login(self, request: Request) -> Response:
        target = _safe_next(request.query_params.get("next", "/"))
        if request.method != "POST":
            return login_page(target)
        body = await request.body()  # its size is capped by BodyLimitMiddleware, outside this one
        form = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
        name, password = form.get("username", "").strip(), form.get("password", "")
        target = _safe_next(form.get("next", target))
        client = request.client.host if request.client else "?"
        keys = self.auth.throttle.keys(name, client)
        wait = self.auth.throttle.retry_after(keys)
        if wait > 0:
            seconds = math.ceil(wait)
            message = f"登录失败次数过多，请 {seconds} 秒后再试。Too many failed logins: try again in {seconds} s."
            return login_page(target, message, 429, {"Retry-After": str(seconds)})
        # scrypt takes ~50 ms of CPU: off the event loop, so logins never stall other requests.
        identity = await run_in_threadpool(self.auth.login, name, password) if name and password else None
        if identity is None:
            self.auth.throttle.failed(keys)
            return login_page(target, "用户名或密码错误。Wrong username or password.", 401)
        self.auth.throttle.succeeded(keys)
        response = RedirectResponse(target, status_code=303)
        response.set_cookie(
            SESSION_COOKIE,
            self.auth.signer.issue(identity.name),
            max_age=int(self.auth.signer.lifetime_s),
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
        )
        return response


def _logout() -> Response:
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


def _safe_next(target: str) -> str:
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
        return login_page(_safe_next(target), status=401)
    message = "authentication required: log in at /login, or send 'Authorization: Bearer <token>'"
    headers = {"WWW-Authenticate": 'Bearer realm="guanwen"'}
    if path.startswith("/v1/"):
        body = {"error": {"message": message, "type": "invalid_request_error", "param": None, "code": "invalid_api_key"}}
        return JSONResponse(body, status_code=401, headers=headers)
    return JSONResponse({"error": message}, status_code=401, headers=headers)


def _forbidden(path: str) -> Response:
    message = "this account or token may not use this endpoint"
    if path.startswith("/v1/"):
        return JSONResponse({"error": {"message": message, "type": "invalid_request_error", "param": None, "code": "forbidden"}}, 403)
    return JSONResponse({"error": message}, status_code=403)


def install_identity_api(api: FastAPI, authenticator: Authenticator) -> None:
    @api.get("/api/me")
    def me(request: Request):
        """Who the caller is: whether auth is on, their name and role (admin, user or widget)."""
        identity = identity_of(request)
        return {"auth": authenticator.enabled, "name": identity.name, "role": identity.role}
