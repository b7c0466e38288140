"""Plain text (.txt, .md): UTF-16 or UTF-32 with a byte-order mark, UTF-8, else GB18030/GBK or
Big5 as charset-normalizer detects."""

from __future__ import annotations

from ingest.readers.base import DEFAULT_LIMITS, RawArticle, ReaderError, ReadLimits

# Among the legacy Chinese encodings, these are the candidates for detection. GB18030 is a
# superset of GBK and GB2312; cp950 is the Big5 that Windows writes (Big5 plus a few extensions).
_LEGACY_ENCODINGS = ["gb18030", "big5", "cp950"]


# Byte-order marks of the UTF-16 and UTF-32 text Windows' "Unicode" option writes (32 before 16:
# the UTF-32-LE mark begins with the UTF-16-LE one).
_UNICODE_BOMS = [(b"\xff\xfe\x00\x00", "utf-32-le"), (b"\x00\x00\xfe\xff", "utf-32-be"),
                 (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")]


def decode_text(raw: bytes) -> str:
    """Decode text: UTF-16 or UTF-32 with a byte-order mark, UTF-8 (with or without BOM), else
    GB18030/GBK or Big5, detected.

    GB18030 accepts almost any byte string, so "try each codec in turn" would read Big5 as
    GB18030 mojibake; charset-normalizer decides between them by how coherent each decoding is.
    Detection needs a little text: a file of only a few Chinese characters can be ambiguous.
    """
    for bom, encoding in _UNICODE_BOMS:
        if raw.startswith(bom):
            try:
                return raw[len(bom):].decode(encoding)
            except UnicodeDecodeError:
                raise ReaderError(f"text marked as {encoding.upper()} has bytes that do not decode") from None
    if b"\x00" in raw[:4096]:
        raise ReaderError("looks like a binary file, not text (UTF-16 text needs its byte-order mark)")
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


def read_text(raw: bytes, limits: ReadLimits = DEFAULT_LIMITS) -> RawArticle:
    """``.txt`` and ``.md``: the decoded text as it is (header lines and front matter are cleaning)."""
    return RawArticle(text=limits.check_text(decode_text(raw)))
