"""Who is asking: ``GET /api/me``; and, with auth on, logging in and out (``login_router``: app.py
includes it only when a credentials file is configured). docs/security.md."""

from __future__ import annotations

import math
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from web.access import authorized, safe_next
from web.auth import SESSION_COOKIE
from web.csrf import CROSS_SITE, CSRF_COOKIE, same_origin, token_matches
from web.deps import AuthenticatorDep, CallerDep
from web.errors import error_response
from web.pages import login_page

STALE_FORM = "登录页已过期或来自其他网站，请重新登录。The login form expired or came from another site: sign in again."

router = APIRouter(dependencies=[Depends(authorized)])
login_router = APIRouter(include_in_schema=False)  # public: PUBLIC_PATHS in web/access.py
# With auth off there is nothing to log in to; without these, Gradio's own /login would answer.
no_login_router = APIRouter(include_in_schema=False)


@router.get("/api/me")
def me(caller: CallerDep, authenticator: AuthenticatorDep):
    """Who the caller is: whether auth is on, their name and role (admin, user or widget)."""
    return {"auth": authenticator.enabled, "name": caller.name, "role": caller.role}


@login_router.api_route("/login", methods=["GET", "HEAD", "POST"])
async def login(request: Request, auth: AuthenticatorDep) -> Response:
    target = safe_next(request.query_params.get("next", "/"))
    secure = request.url.scheme == "https"
    if request.method != "POST":
        return login_page(target, secure=secure)
    body = await request.body()  # its size is capped by BodyLimitMiddleware (web/limits.py)
    form = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
    target = safe_next(form.get("next", target))
    # Checked before the password: a forged login (another site's form, signing the visitor in
    # as someone else) is refused whatever it carries, and counts as no failed attempt.
    if not same_origin(request.headers) or not token_matches(request.cookies.get(CSRF_COOKIE), form.get("csrf")):
        return login_page(target, STALE_FORM, 403, secure=secure)
    name, password = form.get("username", "").strip(), form.get("password", "")
    client = request.client.host if request.client else "?"
    keys = auth.throttle.keys(name, client)
    wait = auth.throttle.retry_after(keys)
    if wait > 0:
        seconds = math.ceil(wait)
        message = f"登录失败次数过多，请 {seconds} 秒后再试。Too many failed logins: try again in {seconds} s."
        return login_page(target, message, 429, {"Retry-After": str(seconds)}, secure=secure)
    # scrypt takes ~50 ms of CPU, and the session is written to SQLite: off the event loop, so
    # logins never stall other requests.
    session = await run_in_threadpool(auth.login, name, password) if name and password else None
    if session is None:
        auth.throttle.failed(keys)
        return login_page(target, "用户名或密码错误。Wrong username or password.", 401, secure=secure)
    auth.throttle.succeeded(keys)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        SESSION_COOKIE, session, max_age=int(auth.sessions.lifetime_s), httponly=True, samesite="lax", secure=secure
    )
    response.delete_cookie(CSRF_COOKIE, path="/login")
    return response


@login_router.api_route("/logout", methods=["GET", "POST"])
async def logout(request: Request, auth: AuthenticatorDep) -> Response:
    """Ends the session on the server (the cookie is worthless afterwards, wherever it was copied).
    GET is the link in every page's user bar; from another site's page, neither method works."""
    if not same_origin(request.headers) or request.headers.get("sec-fetch-site") == "cross-site":
        return error_response(request.url.path, 403, CROSS_SITE, code="cross_site")
    await run_in_threadpool(auth.logout, request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@no_login_router.api_route("/login", methods=["GET", "HEAD", "POST"])
@no_login_router.api_route("/logout", methods=["GET", "POST"])
async def no_login(request: Request) -> Response:
    return error_response(request.url.path, 404, "auth is off: there is nothing to log in to (docs/security.md)")
