"""``GET /embed``: a compact chat made for an iframe on another site (see docs/embedding.md); the page
is web/templates/embed.html, its CSS and JavaScript web/static/embed.css and embed.js.

Plain HTML and JavaScript, no build step. It asks ``api/ask/stream`` (same origin as the page, so
no CORS is needed), shows the provisional text while an LLM writes, then the verified answer with
clickable [n] markers that open the matching source (title, date, source, the passage with the
quoted sentence highlighted), and 👍/👎 with an optional comment and 「来源有误」 (``api/feedback``). Every piece of answer or passage text is inserted with
``textContent``/text nodes, never as HTML. Whether another site may frame it is decided by the
frame-ancestors policy (web/origins.py).
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import HTMLResponse

from web.pages import embed_page

def install_embed(api: FastAPI) -> None:
    @api.get("/embed", response_class=HTMLResponse, include_in_schema=False)
    def embed() -> HTMLResponse:
        # no-referrer: the widget token in this page's address never leaves in a Referer header.
        return HTMLResponse(embed_page(), headers={"Cache-Control": "no-cache", "Referrer-Policy": "no-referrer"})
