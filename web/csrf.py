"""Requests another site makes a visitor's browser send (cross-site request forgery).

Two defences, both needed by the login form, which has no session to lean on yet:

- **Origin**: a browser names the page that made a request in ``Origin`` (every POST) or, failing
  that, ``Referer``. A request that changes state — the login and logout forms, and every POST,
  PUT or DELETE that a session cookie authenticates — is refused when those name another host
  than the one the request was sent to. Programs that send neither (curl, scripts) are not
  browsers acting for a victim and pass.
- **A token** in the login form: ``GET /login`` sets a random value in a ``guanwen_csrf`` cookie
  (HttpOnly, SameSite=Strict) and in a hidden field of the form; ``POST /login`` must carry both,
  equal. Another site can make the browser post a form, but can neither read nor set that cookie.

The session cookie itself is SameSite=Lax, so browsers do not send it with another site's POST.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Mapping
from urllib.parse import urlsplit

CSRF_COOKIE = "guanwen_csrf"
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
CROSS_SITE = "this request came from another site's page; open guanwen itself and try again"


def _host_of(value: str) -> str | None:
    try:
        parts = urlsplit(value)
    except ValueError:
        return None
    return parts.netloc.lower() if parts.scheme in ("http", "https") and parts.netloc else None


def same_origin(headers: Mapping[str, str]) -> bool:
    """False when the browser says the request came from a page on another host (or from an
    opaque origin, ``null``); True when it says this host, or says nothing."""
    host = (headers.get("host") or "").lower()
    origin = headers.get("origin")
    if origin is not None:
        return origin != "null" and _host_of(origin) == host
    referer = headers.get("referer")
    if referer:
        return _host_of(referer) == host
    return True


def new_token() -> str:
    return secrets.token_urlsafe(24)


def token_matches(cookie: str | None, submitted: str | None) -> bool:
    return bool(cookie and submitted) and hmac.compare_digest(cookie.encode(), submitted.encode())
