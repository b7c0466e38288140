"""HTML (.html, .htm): the article body as trafilatura extracts it, with what the page's meta tags
state (title, author, published date, source)."""

from __future__ import annotations

import re
from copy import deepcopy

from ingest.readers.base import DEFAULT_LIMITS, RawArticle, ReaderError, ReadLimits, brief
from ingest.readers.text import decode_text

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


def read_html(raw: bytes, limits: ReadLimits = DEFAULT_LIMITS) -> RawArticle:
    """``.html`` / ``.htm``: the article body (trafilatura), not navigation, ads or comments.

    Title from og:title or <title> (site name trimmed), author and published date from the
    page's meta tags, source from og:site_name.
    """
    import trafilatura
    from trafilatura.xml import xmltotxt

    if len(raw) > limits.expanded_bytes:  # the parsed tree takes several times the page's size
        raise limits.too_expanded("the HTML page", len(raw))
    text = _decode_html(raw)
    if not text.strip():
        raise ReaderError("empty HTML page")
    try:
        tree = trafilatura.load_html(text)
    except Exception as error:  # lxml raises a variety of parser errors on broken input
        raise ReaderError(f"not a readable HTML page ({brief(error)})") from None
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
        raise ReaderError(f"cannot extract the article from the HTML page ({brief(error)})") from None
    if extracted is None or extracted.body is None:
        raise ReaderError("no article text found in the HTML page")
    body = deepcopy(extracted.body)
    for head in body.iter("head"):
        # Headings become Markdown headings, which the cleaning turns into sections.
        level = (head.get("rend") or "h2").lstrip("h")
        level_number = int(level) if level.isdigit() else 2
        head.text = "#" * max(1, min(level_number, 6)) + " " + (head.text or "").lstrip()
    article_text = limits.check_text(xmltotxt(body, include_formatting=False))
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
