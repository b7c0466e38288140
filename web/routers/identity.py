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
from web.deps import AuthenticatorDep, CallerDep
from web.pages import login_page

router = APIRouter(dependencies=[Depends(authorized)])
login_router = APIRouter(include_in_schema=False)  # public: PUBLIC_PATHS in web/access.py


@router.get("/api/me")
def me(caller: CallerDep, authenticator: AuthenticatorDep):
    """Who the caller is: whether auth is on, their name and role (admin, user or widget)."""
    return {"auth": authenticator.enabled, "name": caller.name, "role": caller.role}


@login_router.api_route("/login", methods=["GET", "HEAD", "POST"])
async def login(request: Request, auth: AuthenticatorDep) -> Response:
    target = safe_next(request.query_params.get("next", "/"))
    if request.method != "POST":
        return login_page(target)
    body = await request.body()  # its size is capped by BodyLimitMiddleware (web/limits.py)
    form = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
    name, password = form.get("username", "").strip(), form.get("password", "")
    target = safe_next(form.get("next", target))
    client = request.client.host if request.client else "?"
    keys = auth.throttle.keys(name, client)
    wait = auth.throttle.retry_after(keys)
    if wait > 0:
        seconds = math.ceil(wait)
        message = f"登录失败次数过多，请 {seconds} 秒后再试。Too many failed logins: try again in {seconds} s."
        return login_page(target, message, 429, {"Retry-After": str(seconds)})
    # scrypt takes ~50 ms of CPU: off the event loop, so logins never stall other requests.
    identity = await run_in_threadpool(auth.login, name, password) if name and password else None
    if identity is None:
        auth.throttle.failed(keys)
        return login_page(target, "用户名或密码错误。Wrong username or password.", 401)
    auth.throttle.succeeded(keys)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        auth.signer.issue(identity.name),
        max_age=int(auth.signer.lifetime_s),
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
    return response


@login_router.api_route("/logout", methods=["GET", "POST"])
async def logout() -> Response:
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response
