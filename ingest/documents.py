"""Turn one article file into a clean document: body text, title, metadata and sections.

Reading a format (text, HTML, PDF, DOCX) is ``ingest.readers``' job; this module cleans what a
reader returns, the same way for every format. The cleaned text is what chunks point into by
character offset, so everything removed (header lines, page furniture, section numbers) is
removed before offsets exist.

Cleaning, in order:

- front matter (``---`` … ``---``) gives the title and metadata;
- boilerplate lines repeated three or more times in the document are dropped;
- header lines at the top (作者/记者/编辑/责任编辑/图源/图片来源/来源/发布时间/发布日期/时间/日期, with
  an ASCII or full-width colon, several on one line allowed, a leading date too) become metadata;
  a short line just before them is the title; the same lines at the very end (「（责任编辑：王某）」)
  become metadata too, and 图源/图片来源/责任编辑 lines anywhere;
- page furniture goes: a comment section (「热门跟贴」 and everything after it), a trailing
  「推荐阅读」/「相关推荐」 list, share and app lines (「分享到」, 「返回搜狐，查看更多」, 「打开APP」 …);
- a Markdown heading, or a bare section number followed by a heading line, starts a section.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ingest import readers
from ingest.readers import DEFAULT_LIMITS, ReaderError, ReadLimits

SUPPORTED_SUFFIXES = readers.SUPPORTED_SUFFIXES  # .txt .md .html .htm .pdf .docx

# Header lines such as 「作者:郑康喜」 become metadata, not text (ASCII or full-width colon).
_HEADER_KEYS = {
    "作者": "author",
    "记者": "author",
    "编辑": "editors",
    "责任编辑": "editors",
    "图源": "image_source",
    "图片来源": "image_source",
    "来源": "source",
    "发布时间": "published",
    "发布日期": "published",
    "时间": "published",
    "日期": "published",
}
# Keys whose lines are credits wherever they stand, never article text.
_CREDIT_KEYS = {"图源", "图片来源", "责任编辑"}
_KEY_PATTERN = "|".join(sorted(_HEADER_KEYS, key=len, reverse=True))
# A key with its colon, at the start of the line or after a separator (several fields per line).
_HEADER_FIELD = re.compile(rf"(?:^|(?<=[\s|｜丨/，,；;]))({_KEY_PATTERN})\s*[:：]\s*")
_FIELD_VALUE_MAX = 50
_DATE = re.compile(
    r"\d{4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?(?:\s*\d{1,2}:\d{2}(?::\d{2})?)?"
)
# A header line wholly in one pair of brackets, such as 「（责任编辑：王某）」: the pair goes, nothing else.
_BRACKET_PAIRS = {"(": ")", "（": "）", "[": "]", "【": "】", "〔": "〕"}

# Scraped-page furniture. A comment-section label ends the article: it and everything after go.
_COMMENTS_LABEL = re.compile(
    r"^(热门跟贴|热门跟帖|热门评论|最新评论|精彩评论|全部评论|网友评论|评论区|我要评论|发表评论|查看全部评论|文明上网理性发言)"
    r"\s*[:：]?\s*[(（]?\d*[)）]?$"
)
# A reading list label at the end: it goes, and the headline list after it when every line of it
# is short (a list of links); in the middle of an article only the label line goes.
_READING_LABEL = re.compile(r"^(推荐阅读|相关推荐|相关阅读|相关新闻|延伸阅读|猜你喜欢|热门推荐|为您推荐|更多阅读)\s*[:：]?$")
_HEADLINE_MAX = 50
# Share / app / navigation lines: removed wherever they stand, when short.
_FURNITURE_LINE = re.compile(
    r"^(分享到|分享至|返回搜狐|返回首页|查看更多|展开全文|阅读全文|阅读原文|打开APP|打开.{1,8}APP|下载.{1,8}客户端|"
    r"扫一扫|扫码(关注|下载|阅读|查看|添加|进群)|长按(识别|扫码|二维码)|点击(进入|查看|阅读|关注)|更多精彩|"
    r"责任编辑\s*[:：]?\s*$)",
    re.I,
)
_FURNITURE_WORD = re.compile(r"^(举报|点赞|收藏|评论|转发|分享|投诉|关注|上一篇|下一篇|返回顶部)\s*[(（]?\d*[)）]?$")
_FURNITURE_MAX = 40
# Lines repeated this often in one document are boilerplate (running heads, "关注我们" …).
_REPEATED_MIN = 3
_REPEATED_MAX_CHARS = 100

_SECTION_NUMBER = re.compile(r"^\s*[0-9０-９]{1,2}\s*$")
_MD_HEADING = re.compile(r"^\s*#{1,6}\s+(.+?)\s*#*\s*$")
_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*\n", re.S)
_SENTENCE_END = re.compile(r"[。！？!?；;，,：:]$")
_TITLE_MAX = 60
# Where a document's title came from (ParsedDocument.title_from; the manifest keeps it in the
# metadata as "title_from"): the last two are guesses.
TITLE_ORIGINS = ("metadata file", "front matter", "file properties", "title line", "heading", "opening sentence", "file name")
GUESSED_TITLE = ("opening sentence", "file name")


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
    title_from: str = ""  # one of TITLE_ORIGINS

    def section_at(self, offset: int) -> str:
        name = ""
        for section in self.sections:
            if section.start <= offset:
                name = section.title
        return name


def decode_text(raw: bytes) -> str:
    """Decode a text file: UTF-8 (with or without BOM), else GB18030/GBK or Big5 (detected)."""
    try:
        return readers.decode_text(raw)
    except ReaderError as error:
        raise DocumentError(str(error)) from None


def read_document(
    path: Path, doc_id: str, raw: bytes | None = None, limits: ReadLimits = DEFAULT_LIMITS,
    stated: dict[str, str] | None = None,
) -> ParsedDocument:
    """Read ``path`` (or its bytes, already read) with the reader for its suffix and clean it,
    within ``limits`` (how far the file may expand, how many passages it may make); any failure
    is a DocumentError. ``stated`` is what a sidecar metadata file says (ingest/metadata.py)."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise DocumentError(f"unsupported file type {path.suffix or '(none)'}")
    if raw is None:
        try:
            raw = path.read_bytes()
        except OSError as error:
            raise DocumentError(f"cannot read file: {error.strerror or error}") from None
    if not raw.strip():
        raise DocumentError("empty file: no text")
    try:
        article = readers.read(suffix, raw, limits)
    except ReaderError as error:
        raise DocumentError(str(error)) from None
    except Exception as error:  # a parser failing in a way its reader did not foresee
        raise DocumentError(f"cannot read this {suffix} file ({type(error).__name__})") from None
    return parse_text(
        article.text,
        doc_id=doc_id,
        path=str(path),
        content_hash=hashlib.sha256(raw).hexdigest(),
        title=article.title,
        metadata=article.metadata,
        stated=stated,
    )


def parse_text(
    text: str,
    *,
    doc_id: str,
    path: str,
    content_hash: str,
    title: str = "",
    metadata: dict[str, str] | None = None,
    stated: dict[str, str] | None = None,
) -> ParsedDocument:
    """Clean ``text`` into a document. ``title`` and ``metadata`` are what the file's format
    stated (a reader's findings); front matter overrides them, header lines only fill gaps, and
    ``stated`` (a sidecar metadata file) overrides everything. Where the title came from is the
    document's ``title_from`` (one of ``TITLE_ORIGINS``)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    metadata = {key: value for key, value in (metadata or {}).items() if value}
    stated = {key: value for key, value in (stated or {}).items() if value}
    title = title.strip()
    origin = "file properties" if title else ""
    match = _FRONT_MATTER.match(text)
    if match:
        for line in match.group(1).splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "title" and value.strip().strip("\"'"):
                title, origin = value.strip().strip("\"'"), "front matter"
            elif key.strip() and value.strip():
                metadata[key.strip()] = value.strip().strip("\"'")
        text = text[match.end():]
    if stated.get("title"):
        title, origin = stated["title"], "metadata file"

    lines = [line.strip() for line in text.split("\n")]
    lines = [line for line in lines if line]
    if not lines:
        raise DocumentError("empty file: no text")
    lines = _drop_repeated(lines)
    lines, title_line = _take_header(lines, metadata)
    lines = _drop_furniture(lines, metadata)
    lines = _take_trailer(lines, metadata)
    if title_line and not title:
        title, origin = title_line, "title line"

    body: list[str] = []
    sections: list[tuple[int, str]] = []  # (index of heading line in body, heading)
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        heading = _MD_HEADING.match(line)
        if heading:
            name = heading.group(1)
            if not body and (not title or _same(name, title)):
                if not title:  # the heading that opens the document is its title
                    title, origin = name, "heading"
                continue
            sections.append((len(body), name))
            body.append(name)
            continue
        if not body and title and _same(line, title):
            continue  # the title repeated as the first line of the text
        if _SECTION_NUMBER.match(line) and i < len(lines) and not _SECTION_NUMBER.match(lines[i]):
            # A bare number followed by a heading line marks a numbered section.
            sections.append((len(body), lines[i].lstrip("#").strip()))
            continue
        body.append(line)

    if not body:
        raise DocumentError("no text left after removing header lines and page furniture")

    clean = "\n".join(body)
    starts, offset = [], 0
    for line in body:
        starts.append(offset)
        offset += len(line) + 1
    if not title:
        title, origin = derive_title(clean), "opening sentence"
    if not title:
        title, origin = Path(doc_id).stem or doc_id, "file name"
    metadata.update((key, value) for key, value in stated.items() if key != "title")
    return ParsedDocument(
        doc_id=doc_id,
        path=path,
        title=title,
        text=clean,
        content_hash=content_hash,
        metadata=metadata,
        sections=[Section(start=starts[index], title=name) for index, name in sections],
        title_from=origin,
    )


def derive_title(text: str, limit: int = 30) -> str:
    """A short title from the opening sentence, for articles that carry none."""
    pieces = (piece.strip() for piece in re.split(r"[。！？!?\n]", text))
    first = next((piece for piece in pieces if piece), "")
    return first if len(first) <= limit else first[:limit] + "…"


# -- cleaning steps -----------------------------------------------------------------------------


def _same(a: str, b: str) -> bool:
    return "".join(a.lstrip("#").split()) == "".join(b.lstrip("#").split())


def header_fields(line: str) -> list[tuple[str, str, str]] | None:
    """The (label, key, value) fields of a header line, or None when the line is not one.

    「作者：郑康喜」, 「来源：南方财经 发布时间：2024-03-12 08:30」, 「2024-03-12 10:20 来源：东莞日报」,
    「（责任编辑：王某）」. A field value longer than a name or a date means the line is prose.
    """
    stripped = _unbracketed(line.strip())
    date = _DATE.match(stripped)
    rest = stripped[date.end():].lstrip() if date else stripped
    found = list(_HEADER_FIELD.finditer(rest))
    if not found or found[0].start() != 0:
        return None
    fields = [("日期", "published", date.group(0))] if date else []
    for current, following in zip(found, found[1:] + [None], strict=True):
        value = rest[current.end(): following.start() if following else len(rest)]
        value = value.strip(" \t\u3000|｜丨/，,；;")
        if len(value) > _FIELD_VALUE_MAX:
            return None
        fields.append((current.group(1), _HEADER_KEYS[current.group(1)], value))
    return fields


def _unbracketed(line: str) -> str:
    """The line without one pair of brackets enclosing all of it; brackets inside a value (「来源：
    测试稿（内部）」) stay, and so does a closing bracket that only ends the value."""
    opening = line[:1]
    closing = _BRACKET_PAIRS.get(opening)
    if not closing or len(line) < 2 or not line.endswith(closing):
        return line
    depth = 0
    for index, char in enumerate(line):
        depth += (char == opening) - (char == closing)
        if depth == 0 and index < len(line) - 1:
            return line  # 「（图源：甲）（责任编辑：乙）」: the first pair closes before the end
    return line[1:-1].strip()


def _record(fields: list[tuple[str, str, str]], metadata: dict[str, str]) -> None:
    for _label, key, value in fields:
        if value:
            metadata.setdefault(key, value)


def _is_header(line: str) -> bool:
    return header_fields(line) is not None or bool(_DATE.fullmatch(line))


def _title_like(line: str) -> bool:
    line = line.lstrip("#").strip()
    return 0 < len(line) <= _TITLE_MAX and not _SENTENCE_END.search(line) and not _is_header(line)


def _take_header(lines: list[str], metadata: dict[str, str]) -> tuple[list[str], str]:
    """Consume the header lines that open the document; a short line just before them is the title."""
    title_line = ""
    i = 0
    if len(lines) > 1 and _title_like(lines[0]) and _is_header(lines[1]):
        title_line = lines[0].lstrip("#").strip()
        i = 1
    taken = 0
    while i < len(lines):
        fields = header_fields(lines[i])
        if fields is None and _DATE.fullmatch(lines[i]):
            fields = [("日期", "published", lines[i])]
        if fields is None:
            break
        _record(fields, metadata)
        taken += 1
        i += 1
    if not taken:
        return lines, ""
    return lines[i:], title_line


def _take_trailer(lines: list[str], metadata: dict[str, str]) -> list[str]:
    """Consume header lines that close the document, such as 「（责任编辑：王某）」."""
    end = len(lines)
    while end > 1:
        fields = header_fields(lines[end - 1])
        if fields is None:
            break
        end -= 1
    # Recorded in reading order, so a field stated twice keeps its first value.
    for line in lines[end:]:
        _record(header_fields(line) or [], metadata)
    return lines[:end]


def _is_furniture(line: str) -> bool:
    if len(line) > _FURNITURE_MAX:
        return False
    return bool(_FURNITURE_LINE.match(line) or _FURNITURE_WORD.match(line))


def _drop_furniture(lines: list[str], metadata: dict[str, str]) -> list[str]:
    kept: list[str] = []
    for index, line in enumerate(lines):
        if _COMMENTS_LABEL.match(line):
            if kept:
                break  # a comment section: nothing after its label is article text
            continue
        if _READING_LABEL.match(line):
            rest = [other for other in lines[index + 1 :] if not _is_furniture(other)]
            if kept and all(len(other) <= _HEADLINE_MAX or _COMMENTS_LABEL.match(other) for other in rest):
                # A reading list closing the page; an editor credit among its lines (before any
                # comment section) still belongs to the article.
                for other in rest:
                    if _COMMENTS_LABEL.match(other):
                        break
                    _record(header_fields(other) or [], metadata)
                break
            continue
        if _is_furniture(line):
            continue
        fields = header_fields(line)
        if fields and kept and all(label in _CREDIT_KEYS for label, _key, _value in fields):
            _record(fields, metadata)  # 图源/责任编辑 credits, wherever they stand
            continue
        kept.append(line)
    return kept


def _drop_repeated(lines: list[str]) -> list[str]:
    """Drop boilerplate: short lines that occur three or more times in the document."""
    counts = Counter(lines)
    repeated = {
        line
        for line, count in counts.items()
        if count >= _REPEATED_MIN
        and len(line) <= _REPEATED_MAX_CHARS
        and not _MD_HEADING.match(line)
        and not _SECTION_NUMBER.match(line)
    }
    return [line for line in lines if line not in repeated] if repeated else lines
