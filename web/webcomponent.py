"""``GET /gradio.js``: the loader of Gradio's ``<gradio-app>`` web component, served by guanwen.

Gradio's own snippet loads it from a CDN (``https://gradio.s3-us-west-2.amazonaws.com/<version>/
gradio.js``), which an offline or intranet host cannot reach. The installed gradio package ships
the same loader (``templates/frontend/gradio.js``, one line importing ``./assets/index-<hash>.js``),
and Gradio already serves ``/assets/``; serving the loader here gives a snippet whose address does
not change with Gradio's file hashes. How and where the web component works: docs/embedding.md.
"""

from __future__ import annotations

from importlib import resources

from fastapi import FastAPI
from fastapi.responses import Response


def gradio_loader() -> str:
    return resources.files("gradio").joinpath("templates/frontend/gradio.js").read_text(encoding="utf-8")


def install_web_component(api: FastAPI) -> None:
    loader = gradio_loader()  # read once: a missing file fails at start-up, not in a host page

    @api.get("/gradio.js", include_in_schema=False)
    def gradio_js() -> Response:
        return Response(loader, media_type="text/javascript", headers={"Cache-Control": "no-cache"})
