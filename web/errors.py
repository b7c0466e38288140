"""Every error guanwen's HTTP layer sends, in one of two envelopes, decided here by the path alone:

- ``/v1/…`` (the OpenAI-compatible API): OpenAI's ``{"error": {"message", "type", "param", "code"}}``,
  so OpenAI clients show the message;
- everything else: ``{"error": "…"}`` (with ``details`` for a request that failed validation).

``error_response`` builds both and is used by every layer: the middleware (limits, access), the
exception handlers below and the routers, which raise ``ApiError``. The handlers turn FastAPI's own
errors (validation, 4xx) into these envelopes, and the faults of the services guanwen depends on
into a 503 with ``Retry-After`` and a message saying what is down — never a traceback or a bare 500:
a stopped Chroma server (or a vector store that fails) and a full or read-only disk. Nothing here
holds state: the Chroma client reconnects on its own, so the first request after the server is back
succeeds. Whether answers are still given from BM25 alone meanwhile is the pipeline's choice
(``GUANWEN_BM25_FALLBACK``, answer/pipeline.py); what reaches this module is a request that needed
the vectors and could not do without them. (The chat's own wording is web/i18n.py's ``vectors_down``.)
"""

from __future__ import annotations

import errno

from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse

from index.vector_store import VectorStoreError
from web.inputs import safe

OPENAI_PREFIX = "/v1"  # the OpenAI-compatible API's router (web/routers/openai_api.py)
STORAGE_ERRNOS = {errno.ENOSPC, errno.EROFS, errno.EDQUOT}  # full or read-only disk
RETRY_AFTER_S = 10  # a restarted Chroma server answers within seconds


def is_openai_path(path: str) -> bool:
    """Whether ``path`` belongs to the OpenAI-compatible API, whose clients expect OpenAI's shapes."""
    return path.startswith(OPENAI_PREFIX + "/")


def error_body(
    status: int, message: str, *, openai: bool, param: str | None = None, code: str | None = None, details: object = None
) -> dict[str, object]:
    message = safe(message)
    if openai:
        kind = "invalid_request_error" if status < 500 else "server_error"
        return {"error": {"message": message, "type": kind, "param": safe(param) if param is not None else None, "code": code}}
    body: dict[str, object] = {"error": message}
    if details is not None:
        body["details"] = details
    return body


def error_response(
    path: str,
    status: int,
    message: str,
    *,
    param: str | None = None,
    code: str | None = None,
    details: object = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """The error for a request to ``path``, in the envelope its clients expect. ``param`` and
    ``code`` appear only in OpenAI's, ``details`` only in guanwen's."""
    body = error_body(status, message, openai=is_openai_path(path), param=param, code=code, details=details)
    return JSONResponse(body, status_code=status, headers=headers)


class ApiError(Exception):
    """Raised by a handler or a dependency: becomes ``error_response`` for the request's path."""

    def __init__(self, status: int, message: str, *, param: str | None = None, code: str | None = None,
                 headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status, self.message, self.param, self.code, self.headers = status, message, param, code, headers


# --- what a request that failed validation did wrong -----------------------------------------------

NOT_UTF8 = "the request body is not valid UTF-8 JSON"
TOO_DEEP = "the request body is nested too deeply to parse (JSON arrays or objects thousands of levels deep)"
TOO_MANY_DIGITS = "a number in the request body has too many digits (more than 4300) to parse"
# A multipart part without filename="…" is a plain field to Starlette; RFC 7578 forbids the
# filename*= form some clients send instead, so it is never read as a file.
NOT_A_FILE = (
    "is not a file: each part needs filename=\"…\" (UTF-8) in its Content-Disposition; "
    "filename*= alone is not allowed in multipart/form-data (RFC 7578)"
)
NOT_AN_OBJECT = "the request body must be a JSON object, sent with Content-Type: application/json"
NO_BODY = "the request body is empty; send a JSON object with Content-Type: application/json"
_TYPE_TAGS = {"str", "int", "float", "bool", "list", "dict", "none"}


def field_path(loc: tuple | list) -> str:
    """'history.0.content' from a validation error's location, without 'body' and without the
    type tags pydantic adds inside unions ('str', 'list[ContentPart]', 'function-after[…]')."""
    parts = [str(p) for p in loc if p != "body" and not (isinstance(p, str) and ("[" in p or p in _TYPE_TAGS))]
    return safe(".".join(parts))


def body_problem(errors: list[dict]) -> str | None:
    """The message when the body as a whole is unusable (not JSON, not an object, absent)."""
    for error in errors:
        if error.get("type") == "json_invalid":
            return "the request body is not valid JSON"
        if error.get("type") == "string_unicode":  # a lone surrogate that pydantic itself refused
            where = field_path(error.get("loc", ()))
            return f"'{where}': " * bool(where) + f"{'' if where else 'the request body '}contains invalid Unicode (a lone surrogate); send UTF-8 text"
        if not field_path(error.get("loc", ())):
            return NO_BODY if error.get("type") == "missing" else NOT_AN_OBJECT
    return None


def describe(errors: list[dict]) -> str:
    """Every problem of a request that failed validation, for guanwen's envelope."""
    if problem := body_problem(errors):
        return problem
    parts: list[str] = []
    for error in errors:
        where = field_path(error.get("loc", ()))
        if error.get("type") == "missing":
            part = f"'{where}' is required"
        elif error.get("type") == "extra_forbidden":
            part = f"'{where}' is not a known field"
        elif error.get("msg") == NOT_A_FILE:
            part = f"'{where}' {NOT_A_FILE}"
        else:
            part = f"'{where}': {error.get('msg', 'invalid value')}"
        if part not in parts:
            parts.append(part)
    return "; ".join(parts) or "invalid request"


def describe_openai(errors: list[dict]) -> tuple[str, str | None]:
    """A sentence for the first problem of a request that failed validation, and the field."""
    if problem := body_problem(errors):
        return _sentence(problem), None
    for error in errors:
        where = field_path(error.get("loc", ()))
        if error.get("type") == "missing":
            return f"'{where}' is required.", where
        # A union (content: a string or a list of parts) fails once per member: say all of them.
        messages = [e.get("msg", "invalid value") for e in errors if field_path(e.get("loc", ())) == where]
        alternatives = [messages[0]] + [m.removeprefix("Input should be ") for m in messages[1:] if m != messages[0]]
        return f"'{where}': {', or '.join(alternatives)}.", where
    return "Invalid request.", None


def _parse_problem(cause: BaseException | None) -> str:
    """What FastAPI's "error parsing the body" was: what json.loads raised besides a syntax error."""
    if isinstance(cause, RecursionError):
        return TOO_DEEP
    if isinstance(cause, ValueError) and not isinstance(cause, UnicodeError) and "digits" in str(cause):
        return TOO_MANY_DIGITS
    return NOT_UTF8


def _sentence(message: str) -> str:
    return message[:1].upper() + message[1:] + "."


# --- the exception handlers (app.py hands EXCEPTION_HANDLERS to FastAPI) ------------------------------


async def api_error(request: Request, error: ApiError) -> JSONResponse:
    return error_response(request.url.path, error.status, error.message, param=error.param, code=error.code, headers=error.headers)


def _readable(message: str) -> str:
    """pydantic's message, without the Python reprs some of them carry."""
    return NOT_A_FILE if "Expected UploadFile" in message else message


async def invalid_request(request: Request, error: RequestValidationError) -> JSONResponse:
    errors = [
        {"loc": [safe(p) if isinstance(p, str) else p for p in e.get("loc", ())], "msg": safe(_readable(e.get("msg", ""))),
         "type": e.get("type")}
        for e in error.errors()
    ]
    path = request.url.path
    if is_openai_path(path):  # OpenAI answers a bad request with 400
        message, param = describe_openai(errors)
        return error_response(path, 400, message, param=param)
    return error_response(path, 422, describe(errors), details=errors)


async def http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
    """FastAPI's own 4xx (a body that is not UTF-8, an unknown method …) in these envelopes rather
    than {"detail": …}."""
    message = str(error.detail)
    if error.status_code == 400 and message == "There was an error parsing the body":
        message = _parse_problem(error.__cause__)
    path = request.url.path
    return error_response(
        path, error.status_code, _sentence(message) if is_openai_path(path) else message, headers=dict(error.headers or {})
    )


async def vector_store_down(request: Request, error: VectorStoreError) -> JSONResponse:
    return error_response(
        request.url.path, 503, f"The search index is unavailable: {error}", code="vector_store_unavailable",
        headers={"Retry-After": str(RETRY_AFTER_S)},
    )


async def storage_full(request: Request, error: OSError) -> JSONResponse:
    # Storing feedback on a full or read-only disk: the operator has to act, the client can only
    # retry later. Any other OSError is a bug and stays a 500.
    if error.errno not in STORAGE_ERRNOS:
        raise error
    return error_response(
        request.url.path, 503, f"The server cannot write its storage ({error.strerror}); try again later.",
        code="storage_unavailable", headers={"Retry-After": str(RETRY_AFTER_S)},
    )


EXCEPTION_HANDLERS = {
    ApiError: api_error,
    RequestValidationError: invalid_request,
    StarletteHTTPException: http_error,
    VectorStoreError: vector_store_down,
    OSError: storage_full,
}
