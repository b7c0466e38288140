"""The pages and assets guanwen serves itself, from files: Jinja2 templates in web/templates/ (HTML,
autoescaped) and the CSS and JavaScript they inline from web/static/. The login page, the embed
widget's page and the chat UI's CSS and ``<head>`` script are built here; the chat's answers are
templates too (answer.html, rendered by web/ui/rendering.py)."""

from __future__ import annotations

from functools import cache
from importlib import resources

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup
from starlette.responses import HTMLResponse

from web.csrf import CSRF_COOKIE, new_token


@cache
def asset(name: str) -> Markup:
    """A file of web/static/, as it is (our own CSS or JavaScript, inlined by a template)."""
    return Markup(resources.files("web").joinpath("static", name).read_text(encoding="utf-8"))


_templates = Environment(loader=PackageLoader("web", "templates"), autoescape=select_autoescape(["html"]))
_templates.globals["asset"] = asset


def render(template: str, **values: object) -> str:
    return _templates.get_template(template).render(**values)


def login_page(
    target: str, error: str = "", status: int = 200, headers: dict[str, str] | None = None, secure: bool = False
) -> HTMLResponse:
    """The login form; ``target`` (where to go after logging in) and ``error`` are escaped. It
    carries a fresh anti-forgery token, also set as a cookie that only /login receives (web/csrf.py)."""
    token = new_token()
    page = render("login.html", next=target, error=error, csrf=token)
    response = HTMLResponse(page, status_code=status, headers={"Cache-Control": "no-store", **(headers or {})})
    response.set_cookie(CSRF_COOKIE, token, max_age=3600, path="/login", httponly=True, samesite="strict", secure=secure)
    return response


@cache
def embed_page() -> str:
    return render("embed.html")


def ui_css() -> str:
    return str(asset("ui.css"))


def ui_head() -> str:
    return render("ui_head.html")
