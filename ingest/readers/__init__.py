"""Format readers: the bytes of one file → the raw article text plus the metadata the file carries.

One module per format (text, webpage, pdf, word), each with a reader
``(raw: bytes, limits: ReadLimits) -> RawArticle``, and ``read(suffix, raw, limits)`` to pick one
by file suffix. Readers only read: they return the article's text with one paragraph per line
(Markdown ``#`` headings for headings the format marks as such) and whatever title, author,
published date and source the file states. Cleaning (header lines, page furniture, sections,
the title fallback) happens afterwards in ``ingest.documents`` for every format alike.

Every problem with a file's content is raised as ``ReaderError`` with a short reason for users.
Third-party parsers are imported when a file of their format is read, not at import time.

A small file may expand a great deal while it is read: a .docx is a zip archive (442 KB can
inflate to 400 MiB of XML), a PDF's page content is compressed and may be shared by every page,
and any format can hold far more text than anyone would index. ``ReadLimits`` bounds both before
the expensive work: a .docx's declared unzipped size is checked before it is opened (Python's
zipfile never inflates a member past its declared size), a PDF's decoded page content is counted
page by page (each stream is also capped by pypdf's own configuration) and its text extraction
stopped as soon as the text limit is passed, and every reader refuses text that would make more
passages than allowed. Memory while reading a file is thereby bounded by the limits, not by what
the file claims.
"""

from __future__ import annotations

from typing import Callable

from ingest.readers.base import DEFAULT_LIMITS, RawArticle, ReaderError, ReadLimits
from ingest.readers.word import read_docx
from ingest.readers.webpage import read_html
from ingest.readers.pdf import read_pdf
from ingest.readers.text import decode_text, read_text

__all__ = ["DEFAULT_LIMITS", "READERS", "SUPPORTED_SUFFIXES", "RawArticle", "ReadLimits", "ReaderError", "decode_text",
           "read", "read_docx", "read_html", "read_pdf", "read_text"]

READERS: dict[str, Callable[[bytes, ReadLimits], RawArticle]] = {
    ".txt": read_text,
    ".md": read_text,
    ".html": read_html,
    ".htm": read_html,
    ".pdf": read_pdf,
    ".docx": read_docx,
}
SUPPORTED_SUFFIXES = tuple(READERS)


def read(suffix: str, raw: bytes, limits: ReadLimits = DEFAULT_LIMITS) -> RawArticle:
    """Read ``raw`` with the reader for ``suffix`` (case-insensitive, with the dot)."""
    reader = READERS.get(suffix.lower())
    if reader is None:
        raise ReaderError(f"unsupported file type {suffix or '(none)'}")
    return reader(raw, limits)
