"""Sidecar metadata files: an article's title, date, source and author, stated beside it.

Many articles carry no usable title (a scraped page whose first line is a byline, a PDF whose
document properties are empty), and the file itself must not be edited to add one. For
``corpus/plan.pdf`` the file ``corpus/plan.pdf.meta.json`` (the article's full name plus
``.meta.json``) says what the article is::

    {"title": "东莞布局九大未来产业", "published": "2024-03-12", "source": "东莞日报", "author": "郑康喜"}

UTF-8 JSON, one object of strings. ``title``, ``published`` (``date`` is taken as the same),
``source`` and ``author`` are shown with the article's citations and in the Documents tab; any
other string keys are kept as metadata too. What it states wins over everything the article says
about itself (front matter, the format's own properties, header lines). Values are kept exactly as
written: brackets, colons and punctuation included. The upload form of the Documents tab writes
this file; ``python -m ingest`` reads it, re-indexes the article when it changes, and lists a
sidecar it cannot read (or one whose article is missing) under ``skipped``.
"""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

SIDECAR_SUFFIX = ".meta.json"
SHOWN_KEYS = ("title", "published", "source", "author")
_ALIASES = {"date": "published"}
_KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
MAX_VALUE_CHARS = 300
MAX_SIDECAR_BYTES = 64_000


class MetadataError(ValueError):
    """A sidecar that cannot be used; the message is the reason shown to users."""


def sidecar_for(article: Path) -> Path:
    return article.with_name(article.name + SIDECAR_SUFFIX)


def is_sidecar(path: Path) -> bool:
    return path.name.lower().endswith(SIDECAR_SUFFIX) and len(path.name) > len(SIDECAR_SUFFIX)


def article_for(sidecar: Path) -> Path:
    return sidecar.with_name(sidecar.name[: -len(SIDECAR_SUFFIX)])


def parse(raw: bytes) -> dict[str, str]:
    """The metadata a sidecar states (empty values dropped), or MetadataError saying why not."""
    if len(raw) > MAX_SIDECAR_BYTES:
        raise MetadataError(f"metadata file larger than {MAX_SIDECAR_BYTES // 1000} kB")
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise MetadataError("metadata file is not UTF-8") from None
    except json.JSONDecodeError as error:
        raise MetadataError(f"metadata file is not valid JSON ({error.msg}, line {error.lineno})") from None
    if not isinstance(data, dict):
        raise MetadataError('metadata file must hold one JSON object, such as {"title": "…"}')
    values: dict[str, str] = {}
    for key, value in data.items():
        name = _ALIASES.get(key, key)
        if not isinstance(key, str) or not _KEY.match(key):
            raise MetadataError(f"metadata key {str(key)[:40]!r} is not a plain lower-case name")
        if value is None or value == "":
            continue
        if not isinstance(value, str):
            raise MetadataError(f"metadata {key!r} must be a string")
        problem = value_problem(value)
        if problem:
            raise MetadataError(f"metadata {key!r} {problem}")
        values[name] = value.strip()
    return values


def value_problem(value: str) -> str | None:
    """Why a metadata value cannot be kept (too long, control characters, one line only), or None."""
    if len(value) > MAX_VALUE_CHARS:
        return f"is longer than {MAX_VALUE_CHARS} characters"
    if any(unicodedata.category(c) in ("Cc", "Cs") for c in value):
        return "contains control characters or line breaks"
    return None


def dump(values: dict[str, str]) -> bytes:
    """A sidecar's bytes for ``values`` (empty ones left out), as the upload form writes it."""
    kept = {key: value.strip() for key, value in values.items() if value and value.strip()}
    return (json.dumps(kept, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
