"""What reaches the chat UI's Gradio routes, checked before Gradio touches anything.

The UI is mounted in guanwen's FastAPI app (``gr.mount_gradio_app``), not launched, and Gradio
skips some of its own checks for a mounted app (which paths an event may name, for one). So every
request to an event route (``/gradio_api/queue/join``, ``/run/…``, ``/api/…``, ``/call/…``) is
read here first, on the event loop but with only a bounded JSON body to parse:

1. the event is found (``fn_index``, else the name in the path), as Gradio will find it; an
   unknown one is a 404;
2. an administrators' event (``admin_events``: document management) called by anyone else is a
   403, before any of its inputs is looked at;
3. the inputs must fit their components (a list of the right length; text for a text box, a
   number for a slider, one of the choices for a radio, files for a file input…): else a 422
   saying which, instead of a Gradio traceback;
4. every file the body names (any object with a ``path``) must be an upload handle its caller was
   given by ``/gradio_api/upload`` (web/uploads.py); it is swapped for the file's real path.
   Anything else — ``/dev/zero``, ``/etc/passwd``, the server's own files, another user's upload,
   an URL — is a 403, so no event can make the server read a path it did not hand out.

``/gradio_api/upload`` itself (administrators only, web/access.py) must fit in the upload space
(507 otherwise), and its answer carries handles, never server paths. Other POST routes of Gradio
that the UI does not use (streams, recordings, run history, code editing) answer 404. Gradio's own
error answers on these routes are put in guanwen's envelope (web/errors.py), without Python reprs.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any, Iterable

import gradio as gr
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from web.access import FORBIDDEN
from web.auth import Identity
from web.errors import error_response
from web.gradio_inputs import file_objects, input_problem
from web.limits import replayed
from web.uploads import UploadRegistry

PREFIX = "/gradio_api/"
EVENT_ROUTES = ("queue/join", "run/", "api/", "call/")
OTHER_POSTS = {"upload", "cancel", "reset"}
NOT_UPLOADED = "a file named in an event must first be uploaded through this page, by you"
NO_SPACE = "the server's space for uploads is full; try again in a few minutes"


class GradioGuard:
    def __init__(self, app: ASGIApp, blocks: gr.Blocks, uploads: UploadRegistry, admin_events: Iterable[str]):
        self.app = app
        self.blocks = blocks
        self.uploads = uploads
        self.admin_events = set(admin_events)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or scope["method"] != "POST" or not path.startswith(PREFIX):
            await self.app(scope, receive, send)
            return
        route = path.removeprefix(PREFIX).rstrip("/")
        identity = scope.get("state", {}).get("guanwen_identity")
        if route == "upload":
            await self._upload(scope, receive, send, identity)
        elif route.startswith(EVENT_ROUTES):
            await self._event(scope, receive, send, identity, route)
        elif route in OTHER_POSTS:
            await self.app(scope, receive, _in_our_envelope(send, path))
        else:
            await error_response(path, 404, "not found")(scope, receive, send)

    # --- events ---------------------------------------------------------------------------------------

    async def _event(self, scope: Scope, receive: Receive, send: Send, identity: Identity | None, route: str) -> None:
        path = scope["path"]
        try:
            body = json.loads(await _read_body(receive))
        except (UnicodeDecodeError, ValueError):
            await error_response(path, 400, "the request body is not valid JSON")(scope, receive, send)
            return
        if not isinstance(body, dict):
            await error_response(path, 422, "the request body must be a JSON object")(scope, receive, send)
            return
        problem, status = self._check_event(body, route, identity)
        if problem:
            await error_response(path, status, problem)(scope, receive, send)
            return
        checked = json.dumps(body).encode()
        await self.app(_with_body(scope, checked), replayed(checked, receive), _in_our_envelope(send, path))

    def _check_event(self, body: dict, route: str, identity: Identity | None) -> tuple[str | None, int]:
        fn = self._function(body, route)
        if fn is None:
            return "no such event", 404
        if fn.api_name in self.admin_events and not (identity and identity.is_admin):
            return FORBIDDEN, 403
        if body.get("batched"):
            return "'batched' is not supported", 422
        if not route.startswith("call/v2/") and (problem := input_problem(fn, body.get("data"))):
            return problem, 422
        owner = identity.upload_key if identity else ""
        for file in file_objects(body):
            real = self.uploads.resolve(owner, file["path"])
            if real is None:
                return NOT_UPLOADED, 403
            file["path"], file["url"] = real, None
        return None, 200

    def _function(self, body: dict, route: str) -> Any:
        fns = self.blocks.fns
        index = body.get("fn_index")
        if index is not None:  # Gradio prefers the index to the name, whatever the path says
            return fns.get(index) if isinstance(index, int) and not isinstance(index, bool) else None
        if route == "queue/join":
            return None
        name = route.split("/")[-1]
        return next((fn for fn in fns.values() if fn.api_name == name), None)

    # --- uploads --------------------------------------------------------------------------------------

    async def _upload(self, scope: Scope, receive: Receive, send: Send, identity: Identity | None) -> None:
        path = scope["path"]
        declared = int(dict(scope.get("headers", [])).get(b"content-length", b"0") or 0)  # required: web/limits.py
        if identity is None:  # web/access.py lets only administrators here
            await error_response(path, 403, FORBIDDEN, code="forbidden")(scope, receive, send)
            return
        if not await asyncio.to_thread(self.uploads.reserve, declared):  # it sweeps the folder: off the event loop
            await error_response(path, 507, NO_SPACE, code="upload_space_full")(scope, receive, send)
            return
        start: Message = {}
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        try:
            await self.app(scope, receive, capture)
        finally:
            self.uploads.unreserve(declared)
        status, body = start.get("status", 500), b"".join(chunks)
        if status != 200:
            await error_response(path, status, _gradio_message(body, status))(scope, receive, send)
            return
        handles = [self.uploads.register(identity.upload_key, p) for p in json.loads(body)]
        if None in handles:
            await error_response(path, 500, "the upload could not be stored")(scope, receive, send)
            return
        await _send_json(send, 200, handles)


# --- plumbing ---------------------------------------------------------------------------------------------


async def _read_body(receive: Receive) -> bytes:
    chunks, more = [], True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunks.append(message.get("body", b""))
        more = message.get("more_body", False)
    return b"".join(chunks)


def _with_body(scope: Scope, body: bytes) -> Scope:
    headers = [(k, v) for k, v in scope.get("headers", []) if k != b"content-length"]
    return {**scope, "headers": [*headers, (b"content-length", str(len(body)).encode())]}


def _gradio_message(body: bytes, status: int) -> str:
    """Gradio's own error, as a message: a handler's gr.Error is kept, anything else is generic."""
    try:
        content = json.loads(body)
    except ValueError:
        content = body.decode("utf-8", "replace")
    if isinstance(content, dict) and isinstance(content.get("title"), str) and isinstance(content.get("error"), str):
        return content["error"]  # gr.Error: a message written for people
    if isinstance(content, dict) and isinstance(content.get("detail"), str) and status < 500:
        return content["detail"]
    if isinstance(content, str) and status < 500 and len(content) < 300:
        return content
    return "the request could not be handled" if status < 500 else "the event failed; the server log has the details"


def _in_our_envelope(send: Send, path: str) -> Send:
    """``send`` with Gradio's error answers (JSON or text, status >= 400) turned into ours."""
    held: Message | None = None
    chunks: list[bytes] = []

    async def wrapped(message: Message) -> None:
        nonlocal held
        if message["type"] == "http.response.start" and message.get("status", 200) >= 400:
            held = message
            return
        if held is None:
            await send(message)
            return
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            status = held["status"]
            status = 422 if status == 500 and _is_app_error(b"".join(chunks)) else status
            response = error_response(path, status, _gradio_message(b"".join(chunks), held["status"]))
            await send({"type": "http.response.start", "status": response.status_code, "headers": response.raw_headers})
            await send({"type": "http.response.body", "body": response.body})

    return wrapped


def _is_app_error(body: bytes) -> bool:
    try:
        content = json.loads(body)
    except ValueError:
        return False
    return isinstance(content, dict) and isinstance(content.get("title"), str)


async def _send_json(send: Send, status: int, payload: object) -> None:
    body = json.dumps(payload).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
