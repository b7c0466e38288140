"""Format readers: the bytes of one file → the raw article text plus the metadata the file carries.

One function per format, each ``(raw: bytes) -> RawArticle``, and ``read(suffix, raw)`` to pick
one by file suffix. Readers only read: they return the article's text with one paragraph per line
(Markdown ``#`` headings for headings the format marks as such) and whatever title, author,
published date and source the file states. Cleaning (header lines, page furniture, sections,
the title fallback) happens afterwards in ``ingest.documents`` for every format alike.

Every problem with a file's content is raised as ``ReaderError`` with a short reason for users.
Third-party parsers are imported when a file of their format is read, not at import time.
"""

from __future__ import annotations

import io
import logging
import re
import unicodedata
import zipfile
from copy import deepcopy
from dataclasses import dataclass, field
from typing import Callable


class ReaderError(ValueError):
    """The file's content cannot be read as its format; the message is the reason shown to users."""


@dataclass
class RawArticle:
    text: str  # one paragraph per line; "#"-prefixed lines are headings
    title: str = ""
    # Only what the file states, under these keys: author, published, source.
    metadata: dict[str, str] = field(default_factory=dict)


# ---------------------------------------------------------------------------------------------
# Plain text (.txt, .md)

# Among the legacy Chinese encodings, these are the candidates for detection. GB18030 is a
# superset of GBK and GB2312; cp950 is the Big5 that Windows writes (Big5 plus a few extensions).
_LEGACY_ENCODINGS = ["gb18030", "big5", "cp950"]


def decode_text(raw: bytes) -> str:
    """Decode text: UTF-8 (with or without BOM) first, else GB18030/GBK or Big5, detected.

    GB18030 accepts almost any byte string, so "try each codec in turn" would read Big5 as
    GB18030 mojibake; charset-normalizer decides between them by how coherent each decoding is.
    Detection needs a little text: a file of only a few Chinese characters can be ambiguous.
    """
    if b"\x00" in raw[:4096]:
        raise ReaderError("looks like a binary file, not text")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(raw, cp_isolation=_LEGACY_ENCODINGS).best()
    if best is None:
        raise ReaderError("not text in UTF-8, GB18030/GBK or Big5 (binary file?)")
    try:
        return raw.decode(best.encoding)
    except (UnicodeDecodeError, LookupError):
        raise ReaderError(f"text is not consistently {best.encoding}: some bytes do not decode") from None


def read_text(raw: bytes) -> RawArticle:
    """``.txt`` and ``.md``: the decoded text as it is (header lines and front matter are cleaning)."""
    return RawArticle(text=decode_text(raw))


# ---------------------------------------------------------------------------------------------
# HTML (.html, .htm)

# The encoding a page declares, as browsers pre-scan for it: <meta charset=...> or the
# http-equiv Content-Type in the first bytes.
_DECLARED_CHARSET = re.compile(rb"<meta[^>]{0,200}?charset\s*=\s*[\"']?\s*([A-Za-z0-9_\-]+)", re.I)
# Declared labels read with a superset codec (pages labelled gb2312 routinely hold GBK text).
_CHARSET_ALIASES = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "big5": "cp950"}

_HTML_AUTHOR_META = (
    "author",
    "article:author",
    "og:article:author",
    "byl",
    "dc.creator",
    "sailthru.author",
    "parsely-author",
)
_HTML_PUBLISHED_META = (
    "article:published_time",
    "og:article:published_time",
    "og:published_time",
    "publishdate",
    "publish_date",
    "pubdate",
    "publication_date",
    "dc.date",
    "dc.date.issued",
    "date",
)
_HTML_SOURCE_META = ("og:site_name", "application-name", "source")

_trafilatura_config = None


def _decode_html(raw: bytes) -> str:
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8", errors="replace")
    declared = _DECLARED_CHARSET.search(raw[:4096])
    if declared:
        label = declared.group(1).decode("ascii").lower()
        try:
            return raw.decode(_CHARSET_ALIASES.get(label, label))
        except (LookupError, UnicodeDecodeError):
            pass  # a wrong or unknown declaration: detect instead
    return decode_text(raw)


def _meta_content(tree, names: tuple[str, ...]) -> str:
    """The first non-empty <meta name|property|itemprop=NAME content=...> among ``names``."""
    found: dict[str, str] = {}
    for meta in tree.iter("meta"):
        content = (meta.get("content") or "").strip()
        if not content:
            continue
        for attribute in ("name", "property", "itemprop"):
            key = (meta.get(attribute) or "").strip().lower()
            if key in names and key not in found:
                found[key] = content
    for name in names:
        value = found.get(name, "")
        if value and not value.startswith(("http://", "https://")):  # a profile URL is no name
            return value
    return ""


def _config():
    global _trafilatura_config
    if _trafilatura_config is None:
        from trafilatura.settings import DEFAULT_CONFIG

        config = deepcopy(DEFAULT_CONFIG)
        # trafilatura's default (250 characters) is sized for alphabetic text; a Chinese article
        # says as much in about a third of the characters, and below the minimum trafilatura
        # falls back to taking the whole page, navigation included.
        config.set("DEFAULT", "MIN_EXTRACTED_SIZE", "80")
        _trafilatura_config = config
    return _trafilatura_config


def read_html(raw: bytes) -> RawArticle:
    """``.html`` / ``.htm``: the article body (trafilatura), not navigation, ads or comments.

    Title from og:title or <title> (site name trimmed), author and published date from the
    page's meta tags, source from og:site_name.
    """
    import trafilatura
    from trafilatura.xml import xmltotxt

    text = _decode_html(raw)
    if not text.strip():
        raise ReaderError("empty HTML page")
    try:
        tree = trafilatura.load_html(text)
    except Exception as error:  # lxml raises a variety of parser errors on broken input
        raise ReaderError(f"not a readable HTML page ({_brief(error)})") from None
    if tree is None:
        raise ReaderError("not a readable HTML page")

    metadata: dict[str, str] = {}
    author = _meta_content(tree, _HTML_AUTHOR_META)
    published = _meta_content(tree, _HTML_PUBLISHED_META)
    source = _meta_content(tree, _HTML_SOURCE_META)

    try:
        extracted = trafilatura.bare_extraction(
            tree,
            with_metadata=True,
            include_comments=False,
            include_tables=True,
            include_images=False,
            include_links=False,
            favor_precision=True,
            # Published date only from the page's markup (meta tags, structured data, <time>), never
            # guessed from a year mentioned in the text.
            date_extraction_params={"extensive_search": False, "original_date": True},
            config=_config(),
        )
    except Exception as error:  # trafilatura on markup it cannot handle
        raise ReaderError(f"cannot extract the article from the HTML page ({_brief(error)})") from None
    if extracted is None or extracted.body is None:
        raise ReaderError("no article text found in the HTML page")
    body = deepcopy(extracted.body)
    for head in body.iter("head"):
        # Headings become Markdown headings, which the cleaning turns into sections.
        level = (head.get("rend") or "h2").lstrip("h")
        level_number = int(level) if level.isdigit() else 2
        head.text = "#" * max(1, min(level_number, 6)) + " " + (head.text or "").lstrip()
    article_text = xmltotxt(body, include_formatting=False)
    if not article_text.strip():
        raise ReaderError("no article text found in the HTML page")

    title = (extracted.title or "").strip()
    author = author or (extracted.author or "").strip()
    published = (extracted.date or "").strip() or published
    source = source or (extracted.sitename or "").strip()
    for key, value in (("author", author), ("published", published), ("source", source)):
        if value:
            metadata[key] = value
    return RawArticle(text=article_text, title=title, metadata=metadata)


# ---------------------------------------------------------------------------------------------
# PDF (.pdf)

# A line that is only a page number: "3", "- 3 -", "第3页", "第 3 页 共 10 页", "3 / 10", "Page 3".
_PAGE_NUMBER = re.compile(
    r"^\s*(?:[-—–]\s*\d{1,4}\s*[-—–]|第\s*\d{1,4}\s*页(?:\s*[,，/]?\s*共\s*\d{1,4}\s*页)?"
    r"|\d{1,4}\s*/\s*\d{1,4}|(?:page|p\.)\s*\d{1,4}(?:\s*of\s*\d{1,4})?|\d{1,4})\s*$",
    re.I,
)
# A line that ends a sentence or a clause the writer broke on purpose.
_LINE_END = re.compile(r"[。！？!?；;…:：.][\"”’」』）)\]]*$")
_PDF_JUNK_TITLE = re.compile(r"(^microsoft (word|powerpoint) - )|(\.(docx?|pdf|txt|wps)$)|^untitled$", re.I)


def _display_width(line: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line)


def _is_cjk(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in "WF"


def _unwrap_lines(lines: list[str]) -> list[str]:
    """Join lines that a PDF broke only because the text reached the right margin.

    A line is wrapped when it is about as wide as the document's full lines and does not end a
    sentence; it is joined to the next line (without a space between Chinese characters).
    Short lines (headings, the last line of a paragraph) stay lines of their own.
    """
    widths = sorted(_display_width(line) for line in lines if line)
    if not widths:
        return []
    full = widths[min(len(widths) - 1, int(len(widths) * 0.9))] * 0.8
    out: list[str] = []
    joining = False
    for line in lines:
        if not line:  # a blank line inside a page ends a paragraph
            joining = False
            continue
        if joining and out:
            previous = out[-1]
            if previous.endswith("-") and line[:1].islower():
                out[-1] = previous[:-1] + line
            elif _is_cjk(previous[-1]) or _is_cjk(line[0]):
                out[-1] = previous + line
            else:
                out[-1] = previous + " " + line
        else:
            out.append(line)
        joining = _display_width(line) >= full and full >= 20 and not _LINE_END.search(line)
    return out


def _page_lines(text: str, page_number: int) -> list[str]:
    lines = [line.strip() for line in text.replace("\r", "\n").split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    while lines and not lines[0]:
        lines.pop(0)
    # A page number printed at the top or bottom of the page is not article text.
    for index in (-1, 0):
        if lines and _PAGE_NUMBER.match(lines[index]):
            bare = lines[index].strip()
            if not bare.isdigit() or int(bare) == page_number:
                lines.pop(index)
    return lines


def read_pdf(raw: bytes) -> RawArticle:
    """``.pdf``: the text of every page (pypdf), page numbers dropped, wrapped lines joined.

    Title and author from the document information, when they look like real ones (not
    "Microsoft Word - x.docx"). A PDF of scanned images has no text to read and is refused.
    """
    from pypdf import PdfReader

    if b"%PDF-" not in raw[:1024]:
        raise ReaderError("not a PDF file (no %PDF header)")
    pypdf_log = logging.getLogger("pypdf")
    level = pypdf_log.level
    pypdf_log.setLevel(logging.ERROR)  # repair notices for damaged files; the reason is returned
    try:
        reader = PdfReader(io.BytesIO(raw))
        if reader.is_encrypted:
            try:
                opened = reader.decrypt("")
            except Exception:
                opened = 0
            if not opened:
                raise ReaderError("encrypted PDF: it needs a password")
        lines: list[str] = []
        for number, page in enumerate(reader.pages, start=1):
            # A paragraph that runs on to the next page is joined like any wrapped line.
            lines.extend(_page_lines(page.extract_text() or "", number))
        info = reader.metadata or {}
        title = str(info.get("/Title") or "").strip()
        author = str(info.get("/Author") or "").strip()
    except ReaderError:
        raise
    except Exception as error:  # pypdf raises many kinds of error on damaged files
        raise ReaderError(f"corrupt PDF ({_brief(error)})") from None
    finally:
        pypdf_log.setLevel(level)

    text = "\n".join(_unwrap_lines(lines))
    if not text.strip():
        raise ReaderError("no text in the PDF (scanned images need OCR first)")
    if _PDF_JUNK_TITLE.search(title):
        title = ""
    return RawArticle(text=text, title=title, metadata={"author": author} if author else {})


# ---------------------------------------------------------------------------------------------
# DOCX (.docx)

# python-docx's built-in template names this author; it says nothing about the article.
_DOCX_TEMPLATE_AUTHORS = {"python-docx"}


def _heading_level(style_name: str) -> int:
    match = re.fullmatch(r"heading\s*([1-9])", style_name.strip().lower())
    return int(match.group(1)) if match else 0


def read_docx(raw: bytes) -> RawArticle:
    """``.docx``: paragraphs and tables in document order (python-docx), headings as Markdown.

    Title from the core properties, else the first Title or Heading paragraph; author from the
    core properties.
    """
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        document = docx.Document(io.BytesIO(raw))
        properties = document.core_properties
        title = (properties.title or "").strip()
        author = (properties.author or "").strip()
        lines: list[str] = []
        first_heading = ""
        for block in document.iter_inner_content():
            if isinstance(block, Paragraph):
                text = block.text.strip()
                if not text:
                    continue
                style = block.style.name if block.style is not None else ""
                level = 1 if style.strip().lower() == "title" else _heading_level(style)
                if level:
                    first_heading = first_heading or text
                    lines.append("#" * level + " " + text)
                else:
                    lines.append(text)
            elif isinstance(block, Table):
                lines.extend(_table_rows(block))
    except zipfile.BadZipFile:
        raise ReaderError("not a DOCX file (not a zip archive), or a damaged one") from None
    except Exception as error:  # missing parts, broken XML
        raise ReaderError(f"corrupt DOCX ({_brief(error)})") from None

    if author in _DOCX_TEMPLATE_AUTHORS:
        author = ""
    return RawArticle(
        text="\n".join(lines),
        title=title or first_heading,
        metadata={"author": author} if author else {},
    )


def _table_rows(table) -> list[str]:
    rows = []
    for row in table.rows:
        cells: list[str] = []
        previous = None
        for cell in row.cells:
            if cell._tc is previous:  # a merged cell is listed once per grid column it spans
                continue
            previous = cell._tc
            cells.append(" ".join(cell.text.split()))
        if any(cells):
            rows.append(" | ".join(cells))
    return rows


# ---------------------------------------------------------------------------------------------
# Dispatch

READERS: dict[str, Callable[[bytes], RawArticle]] = {
    ".txt": read_text,
    ".md": read_text,
    ".html": read_html,
    ".htm": read_html,
    ".pdf": read_pdf,
    ".docx": read_docx,
}
SUPPORTED_SUFFIXES = tuple(READERS)


def read(suffix: str, raw: bytes) -> RawArticle:
    """Read ``raw`` with the reader for ``suffix`` (case-insensitive, with the dot)."""
    reader = READERS.get(suffix.lower())
    if reader is None:
        raise ReaderError(f"unsupported file type {suffix or '(none)'}")
    return reader(raw)


def _brief(error: Exception) -> str:
    message = " ".join(str(error).split())
    name = type(error).__name__
    if not message:
        return name
    return f"{name}: {message[:120]}"
