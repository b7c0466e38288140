"""PDF (.pdf): the text of every page (pypdf), page numbers dropped, wrapped lines joined, within
the file's content and text budgets."""

from __future__ import annotations

import io
import logging
import re
import unicodedata

from ingest.readers.base import DEFAULT_LIMITS, RawArticle, ReaderError, ReadLimits, brief

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


class _TextLimit(Exception):
    """Raised from pypdf's operator visitor to stop an extraction that passed the text limit."""


_PDF_TEXT_OPERATORS = {b"Tj", b"TJ", b"'", b'"'}


def _drawn_bytes(operands: list) -> int:
    """How many bytes of text a text-showing operator draws (strings, or a TJ array of them)."""
    total = 0
    for operand in operands:
        if isinstance(operand, (str, bytes)):
            total += len(operand)
        elif isinstance(operand, list):
            total += _drawn_bytes(operand)
    return total


def _pdf_page_text(page, limits: ReadLimits, budget: list[int]) -> str:
    """One page's text, within what is left of the file's budgets: ``budget`` is [decoded page
    content bytes, text bytes drawn, operators run, text characters], shared by all its pages.

    pypdf builds a page's text whole before handing it over, and a 5 KB file can make it build
    millions of characters (a content stream or a form drawn by every page, thousands of times), so
    the text is counted as it is drawn, operator by operator, forms included, and the extraction
    stopped there. Drawn bytes overcount characters in one-byte encodings and equal two per
    character in most Chinese fonts; the exact count of the page's text is checked after it."""
    contents = page.get_contents()
    budget[0] -= len(contents.get_data()) if contents is not None else 0  # a stream every page shares counts for each
    if budget[0] < 0:
        raise limits.too_expanded("the PDF's page content")

    def visitor(operator, operands, *_):
        budget[2] -= 1
        if operator in _PDF_TEXT_OPERATORS:
            budget[1] -= _drawn_bytes(operands)
        if budget[1] < 0 or budget[2] < 0:
            raise _TextLimit

    try:
        text = page.extract_text(visitor_operand_before=visitor) or ""
    except _TextLimit:
        raise limits.too_much_text() from None
    budget[3] -= len(text)
    if budget[3] < 0:
        raise limits.too_much_text()
    return text


def read_pdf(raw: bytes, limits: ReadLimits = DEFAULT_LIMITS) -> RawArticle:
    """``.pdf``: the text of every page (pypdf), page numbers dropped, wrapped lines joined.

    Title and author from the document information, when they look like real ones (not
    "Microsoft Word - x.docx"). A PDF of scanned images has no text to read and is refused.
    """
    from pypdf import PdfReader, apply_configuration

    if b"%PDF-" not in raw[:1024]:
        raise ReaderError("not a PDF file (no %PDF header)")
    pypdf_log = logging.getLogger("pypdf")
    level = pypdf_log.level
    pypdf_log.setLevel(logging.ERROR)  # repair notices for damaged files; the reason is returned
    cap = limits.expanded_bytes  # no one stream may decode past the file's whole budget
    caps = {name: cap for name in (
        "zlib_maximum_output_length", "lzw_maximum_output_length", "run_length_maximum_output_length",
        "brotli_maximum_output_length", "array_based_stream_maximum_output_length", "maximum_declared_stream_length",
    )}
    # Decoded content, text drawn (two bytes a character in most Chinese fonts), operators, characters.
    budget = [limits.expanded_bytes, 2 * limits.text_chars, 4 * limits.text_chars, limits.text_chars]
    try:
        with apply_configuration(**caps):
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
                lines.extend(_page_lines(_pdf_page_text(page, limits, budget), number))
            info = reader.metadata or {}
            title = str(info.get("/Title") or "").strip()
            author = str(info.get("/Author") or "").strip()
    except ReaderError:
        raise
    except Exception as error:  # pypdf raises many kinds of error on damaged files
        raise ReaderError(f"corrupt PDF ({brief(error)})") from None
    finally:
        pypdf_log.setLevel(level)

    text = "\n".join(_unwrap_lines(lines))
    if not text.strip():
        raise ReaderError("no text in the PDF (scanned images need OCR first)")
    if _PDF_JUNK_TITLE.search(title):
        title = ""
    return RawArticle(text=text, title=title, metadata={"author": author} if author else {})
