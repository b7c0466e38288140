"""Turn one article file into a clean document: body text, title, metadata and sections.

Only plain text formats are read here (``.txt`` and ``.md``). The cleaned text is what chunks
point into by character offset, so everything removed (header lines, page furniture, section
numbers) is removed before offsets exist.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

SUPPORTED_SUFFIXES = (".txt", ".md")

# Header lines such as 「作者:郑康喜」 become metadata, not text (ASCII or full-width colon).
_HEADER_KEYS = {
    "作者": "author",
    "记者": "author",
    "编辑": "editors",
    "责任编辑": "editors",
    "图源": "image_source",
    "来源": "source",
    "发布时间": "published",
    "时间": "published",
}
_HEADER_LINE = re.compile(r"^\s*(" + "|".join(sorted(_HEADER_KEYS, key=len, reverse=True)) + r")\s*[:：]\s*(.+?)\s*$")
# Scraped-page furniture: comment-section labels and share lines that end a page.
_FURNITURE = re.compile(r"^\s*(热门跟贴|热门评论|相关推荐|分享到|责任编辑|返回搜狐|查看更多|举报|打开APP).*$")
_SECTION_NUMBER = re.compile(r"^\s*[0-9０-９]{1,2}\s*$")
_MD_HEADING = re.compile(r"^\s*#{1,6}\s+(.+?)\s*#*\s*$")
_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*\n", re.S)


class DocumentError(ValueError):
    """A file that cannot become a document; the message is the reason shown to users."""


@dataclass(frozen=True)
class Section:
    start: int  # offset of the section's first character in the cleaned text
    title: str


@dataclass
class ParsedDocument:
    doc_id: str
    path: str
    title: str
    text: str
    content_hash: str
    metadata: dict[str, str] = field(default_factory=dict)
    sections: list[Section] = field(default_factory=list)

    def section_at(self, offset: int) -> str:
        name = ""
        for section in self.sections:
            if section.start <= offset:
                name = section.title
        return name


def decode_text(raw: bytes) -> str:
    """Decode a text file: UTF-8 (with or without BOM), else the Chinese legacy encodings."""
    if b"\x00" in raw[:4096]:
        raise DocumentError("looks like a binary file, not text")
    for encoding in ("utf-8-sig", "gb18030", "big5"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise DocumentError("text is not UTF-8, GB18030 or Big5")


def read_document(path: Path, doc_id: str) -> ParsedDocument:
    if path.suffix.lower() not in SUPPORTED_SUFFIXES:
        raise DocumentError(f"unsupported file type {path.suffix or '(none)'}")
    raw = path.read_bytes()
    text = decode_text(raw)
    return parse_text(text, doc_id=doc_id, path=str(path), content_hash=hashlib.sha256(raw).hexdigest())


def parse_text(text: str, *, doc_id: str, path: str, content_hash: str) -> ParsedDocument:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    metadata: dict[str, str] = {}
    title = ""
    match = _FRONT_MATTER.match(text)
    if match:
        for line in match.group(1).splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "title":
                title = value.strip().strip("\"'")
            elif key.strip() and value.strip():
                metadata[key.strip()] = value.strip().strip("\"'")
        text = text[match.end():]

    body: list[str] = []
    sections: list[tuple[int, str]] = []  # (index of heading line in body, heading)
    lines = [line.strip() for line in text.split("\n")]
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if not line:
            continue
        header = _HEADER_LINE.match(line)
        if header and not body:
            key = _HEADER_KEYS[header.group(1)]
            metadata[key] = header.group(2)
            continue
        if _FURNITURE.match(line):
            continue
        heading = _MD_HEADING.match(line)
        if heading:
            if not title and not body:
                title = heading.group(1)
                continue
            sections.append((len(body), heading.group(1)))
            body.append(heading.group(1))
            continue
        if _SECTION_NUMBER.match(line) and i < len(lines) and lines[i]:
            # A bare number followed by a heading line marks a numbered section.
            sections.append((len(body), lines[i]))
            continue
        body.append(line)

    if not body:
        raise DocumentError("no text after removing headers and page furniture")

    clean = "\n".join(body)
    starts, offset = [], 0
    for line in body:
        starts.append(offset)
        offset += len(line) + 1
    doc = ParsedDocument(
        doc_id=doc_id,
        path=path,
        title=title or derive_title(clean),
        text=clean,
        content_hash=content_hash,
        metadata=metadata,
        sections=[Section(start=starts[index], title=name) for index, name in sections],
    )
    return doc


def derive_title(text: str, limit: int = 30) -> str:
    """A short title from the opening sentence, for articles that carry none."""
    first = re.split(r"[。！？!?\n]", text, maxsplit=1)[0].strip()
    return first if len(first) <= limit else first[:limit] + "…"
