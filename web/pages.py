"""The pages and assets guanwen serves itself, from files: Jinja2 templates in web/templates/ (HTML,
autoescaped) and the CSS and JavaScript they inline from web/static/. The login page, the embed
widget's page, the API reference, the chat UI's header, CSS and ``<head>`` script are built here;
the chat's answers are templates too (answer.html, rendered by web/ui/rendering.py)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup
from starlette.responses import HTMLResponse

from web.csrf import CSRF_COOKIE, new_token
from web.i18n import t
from web.i18n_gradio import GRADIO_LABELS, MESSAGE_LABELS


@cache
def asset(name: str) -> Markup:
    """A file of web/static/, as it is (our own CSS or JavaScript, inlined by a template)."""
    return Markup(resources.files("web").joinpath("static", name).read_text(encoding="utf-8"))


_templates = Environment(loader=PackageLoader("web", "templates"), autoescape=select_autoescape(["html"]))
_templates.globals["asset"] = asset


@dataclass(frozen=True)
class SignedIn:
    """Who the signed-in person is, for the bar with the logout link (nothing while auth is off)."""

    name: str
    role: str


def signed_in(identity, auth_enabled: bool) -> SignedIn | None:
    """The person behind a login session; None without auth, or for a program's token."""
    if not auth_enabled or identity is None or identity.via != "session":
        return None
    return SignedIn(identity.name, identity.role)


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
    return render("ui_head.html", labels={"gradio": GRADIO_LABELS, "message": MESSAGE_LABELS})


def api_docs_page(kind: str, lang: str, user: SignedIn | None) -> str:
    """/docs (``kind`` "swagger") or /redoc ("redoc"): web/templates/api_docs.html."""
    return render("api_docs.html", kind=kind, lang=lang, user=user, tr=t)


def ui_header(lang: str, user: SignedIn | None) -> str:
    """The chat UI's header: the title, the API reference link, who is signed in and the logout link."""
    return render("ui_header.html", lang=lang, user=user, tr=t)
