"""Text that arrives from outside (questions, history, feedback), checked the same way on every
channel: the HTTP API, the OpenAI-compatible API, the chat UI and ``app.py ask``.

- **Lone surrogates** (``"\\ud800"`` in JSON, or undecodable bytes in a command-line argument) are
  not text: they cannot be stored or sent back as UTF-8, so the input is refused with a message.
- **Control and format characters** (Unicode categories Cc and Cf: NUL, BEL, ESC, DEL, the C1
  controls, zero-width spaces, the byte-order mark, bidi overrides) are removed; tab, line feed
  and carriage return stay as white space. They are invisible, carry nothing a question needs and
  would otherwise reach the tokenizer, the index and the logs; removing them loses no words.
- A question that is empty once those are removed and white space is trimmed is refused.
- **JSON bodies** must be UTF-8 (``json_body_is_utf8``): Python's json would also read UTF-16 and
  UTF-32, which docs/api.md does not promise; they are refused like any other non-UTF-8 body.

The limits themselves are listed in docs/api.md, section "Limits". The upload form's title, date
and source (the Documents tab and ``POST /api/admin/documents``) are checked by ``stated_metadata``.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated

from pydantic import AfterValidator
from pydantic_core import PydanticCustomError

from ingest.metadata import value_problem

# Earlier turns are answers as well as questions, so they may be longer than a question; this
# bounds what a follow-up rewrite (and an LLM's rewrite prompt) has to read.
MAX_TURN_CHARS = 8000

_KEPT_CONTROLS = {"\t", "\n", "\r"}


class InputTextError(ValueError):
    """Input that is not usable text; the message says why."""


def surrogate_position(text: str) -> int:
    """Index of the first lone surrogate in ``text``, or -1."""
    for i, char in enumerate(text):
        if "\ud800" <= char <= "\udfff":
            return i
    return -1


def clean_text(text: str) -> str:
    """``text`` without control and format characters; InputTextError for lone surrogates."""
    position = surrogate_position(text)
    if position >= 0:
        raise InputTextError(
            f"contains invalid Unicode (a lone surrogate, U+{ord(text[position]):04X}, at character {position + 1}); "
            "send UTF-8 text"
        )
    if text.isascii() and text.isprintable():
        return text  # the common case, without a walk over every character
    return "".join(
        c for c in text if c in _KEPT_CONTROLS or unicodedata.category(c) not in ("Cc", "Cf")
    )


def _validated(text: str) -> str:
    try:
        return clean_text(text)
    except InputTextError as error:
        raise PydanticCustomError("invalid_text", str(error)) from None


# A str field of a request model: surrogates refused (422/400 naming the field), controls removed.
Text = Annotated[str, AfterValidator(_validated)]


def json_body_is_utf8(body: bytes) -> bool:
    """Whether ``body`` can be UTF-8 JSON: it decodes as UTF-8 (a byte-order mark allowed) and
    holds no NUL byte, which JSON text never holds raw and which UTF-16 and UTF-32 always do."""
    if b"\x00" in body:
        return False
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def safe(text: str) -> str:
    """``text`` fit to be sent back in an error message: any lone surrogate (e.g. in the name of an
    unknown field) shown as an escape instead of breaking the UTF-8 response."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


# --- an upload's metadata (written beside the article: ingest/metadata.py) ---------------------------

_DATE = re.compile(r"^\d{4}(-\d{1,2}(-\d{1,2})?)?$")


def stated_metadata(title: str, published: str, source: str, count: int) -> tuple[dict[str, str] | None, tuple[str, dict] | None]:
    """The upload form's title, date and source as sidecar metadata (None when all are empty), or
    the problem with them (an i18n key and its parameters): a title for several files at once, a
    date that is not YYYY-MM-DD, YYYY-MM or YYYY (「2024年3月12日」 and 2024/3/12 are read as such),
    a value too long or with line breaks."""
    values = {"title": (title or "").strip(), "published": (published or "").strip(), "source": (source or "").strip()}
    if not any(values.values()):
        return None, None
    if values["title"] and count > 1:
        return None, ("meta_title_many", {})
    date = re.sub(r"\s+", "", values["published"]).rstrip("日").replace("年", "-").replace("月", "-").replace("/", "-").replace(".", "-")
    if values["published"]:
        if not _DATE.match(date):
            return None, ("meta_bad_date", {"value": values["published"][:40]})
        values["published"] = "-".join(part.zfill(2) for part in date.split("-"))
    for value in values.values():
        if value and value_problem(value):
            return None, ("meta_bad_value", {})
    return {k: v for k, v in values.items() if v}, None
