"""The API reference, served entirely from this app's own files: ``GET /docs`` (Swagger UI) and
``GET /redoc`` (ReDoc) are web/templates/api_docs.html, and their scripts and styles come from the
installed fastapi-offline package (which ships Swagger UI and ReDoc for exactly this) at
``/docs/assets/<name>``. FastAPI's own pages load them from a CDN, which an offline or intranet
machine cannot reach, so app.py turns those off. ``?lang=en`` labels the bar in English.

Both pages carry a Content-Security-Policy that lets the browser load nothing from another host:
ReDoc's sidebar would otherwise fetch its vendor's logo from cdn.redoc.ly (it hides the image when
that fails), and Swagger UI is told not to call validator.swagger.io (web/static/api_docs.js).
"""

from __future__ import annotations

from functools import cache
from importlib import resources

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from web.access import authorized
from web.deps import AuthenticatorDep, CallerDep, SettingsDep
from web.errors import ApiError
from web.i18n import language
from web.origins import frame_ancestors
from web.pages import api_docs_page, signed_in

router = APIRouter(include_in_schema=False, dependencies=[Depends(authorized)])

ASSETS = {
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui.css": "text/css",
    "redoc.standalone.js": "text/javascript",
    "favicon.png": "image/png",
}


@cache
def asset(name: str) -> bytes:
    """One of fastapi-offline's files; app.py reads them all at start-up, so a missing one fails there."""
    return resources.files("fastapi_offline").joinpath("static", name).read_bytes()


# Only this host (inline styles and the set-up script are the pages' own; ReDoc searches in a blob: worker).
_POLICY = ("default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
           "img-src 'self' data:; font-src 'self' data:; worker-src 'self' blob:; connect-src 'self'")


def _page(kind: str, request: Request, caller, authenticator, settings) -> HTMLResponse:
    page = api_docs_page(kind, language(request.query_params.get("lang")), signed_in(caller, authenticator.enabled))
    policy = f"{_POLICY}; {frame_ancestors(settings)}"  # this header replaces web/origins.py's, so it keeps its rule
    return HTMLResponse(page, headers={"Cache-Control": "no-cache", "Content-Security-Policy": policy})


@router.get("/docs", response_class=HTMLResponse)
async def swagger(request: Request, caller: CallerDep, authenticator: AuthenticatorDep, settings: SettingsDep) -> HTMLResponse:
    return _page("swagger", request, caller, authenticator, settings)


@router.get("/redoc", response_class=HTMLResponse)
async def redoc(request: Request, caller: CallerDep, authenticator: AuthenticatorDep, settings: SettingsDep) -> HTMLResponse:
    return _page("redoc", request, caller, authenticator, settings)


@router.get("/docs/assets/{name}")
async def docs_asset(name: str) -> Response:
    if name not in ASSETS:  # only the four files: no path reaches anything else
        raise ApiError(404, f"no such file: {name[:80]}")
    return Response(asset(name), media_type=ASSETS[name], headers={"Cache-Control": "public, max-age=86400"})
