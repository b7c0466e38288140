"""guanwen inside other sites' pages (docs/embedding.md):

- ``GET /embed``: a compact chat made for an iframe (web/templates/embed.html, its CSS and JavaScript
  in web/static/). Plain HTML and JavaScript, no build step; it calls ``api/ask/stream``,
  ``api/documents`` and ``api/feedback`` on its own origin, so it needs no CORS. Whether another
  site may frame it is decided by the frame-ancestors policy (web/origins.py).
- ``GET /gradio.js``: the loader of Gradio's ``<gradio-app>`` web component. Gradio's own snippet
  loads it from a CDN (``https://gradio.s3-us-west-2.amazonaws.com/<version>/gradio.js``), which an
  offline or intranet host cannot reach. The installed gradio package ships the same loader
  (``templates/frontend/gradio.js``, one line importing ``./assets/index-<hash>.js``), and Gradio
  already serves ``/assets/``; serving the loader here gives a snippet whose address does not
  change with Gradio's file hashes.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse, Response

from web.access import authorized
from web.pages import embed_page

router = APIRouter(include_in_schema=False, dependencies=[Depends(authorized)])


@cache
def gradio_loader() -> str:
    """app.py reads it at start-up: a missing file fails there, not in a host page."""
    return resources.files("gradio").joinpath("templates/frontend/gradio.js").read_text(encoding="utf-8")


@router.get("/embed", response_class=HTMLResponse)
async def embed() -> HTMLResponse:
    # no-referrer: the widget token in this page's address never leaves in a Referer header.
    return HTMLResponse(embed_page(), headers={"Cache-Control": "no-cache", "Referrer-Policy": "no-referrer"})


@router.get("/gradio.js")
async def gradio_js() -> Response:
    return Response(gradio_loader(), media_type="text/javascript", headers={"Cache-Control": "no-cache"})
