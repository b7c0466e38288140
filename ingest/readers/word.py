"""DOCX (.docx): paragraphs and tables in document order (python-docx), headings as Markdown, once
the archive's declared unzipped size is known to be within the limit."""

from __future__ import annotations

import io
import re
import zipfile

from ingest.readers.base import DEFAULT_LIMITS, RawArticle, ReaderError, ReadLimits, brief

# python-docx's built-in template names this author; it says nothing about the article.
_DOCX_TEMPLATE_AUTHORS = {"python-docx"}


def _heading_level(style_name: str) -> int:
    match = re.fullmatch(r"heading\s*([1-9])", style_name.strip().lower())
    return int(match.group(1)) if match else 0


def _check_docx_size(raw: bytes, limits: ReadLimits) -> None:
    """Refuse a .docx whose parts unzip to more than the limit, before anything is inflated.
    The declared sizes are binding: zipfile stops each member at its declared size."""
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            members = archive.infolist()
    except zipfile.BadZipFile:
        raise ReaderError("not a DOCX file (not a zip archive), or a damaged one") from None
    total = sum(member.file_size for member in members)
    if total > limits.expanded_bytes or len(members) > 10_000:
        raise limits.too_expanded("the .docx", total)


def read_docx(raw: bytes, limits: ReadLimits = DEFAULT_LIMITS) -> RawArticle:
    """``.docx``: paragraphs and tables in document order (python-docx), headings as Markdown.

    Title from the core properties, else the first Title or Heading paragraph; author from the
    core properties.
    """
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    _check_docx_size(raw, limits)
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
        raise ReaderError(f"corrupt DOCX ({brief(error)})") from None

    if author in _DOCX_TEMPLATE_AUTHORS:
        author = ""
    return RawArticle(
        text=limits.check_text("\n".join(lines)),
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
