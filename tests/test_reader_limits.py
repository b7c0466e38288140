"""How far a file may expand while it is read (ingest/readers.py, ``ReadLimits``): a small file
built to inflate or to repeat itself (a .docx zip bomb, PDF pages sharing one content stream or
drawing one form thousands of times) is refused with a reason, in bounded memory and time, and
text that would make more passages than GUANWEN_MAX_PASSAGES_PER_FILE is refused in every format.
Also: UTF-16 and UTF-32 text with a byte-order mark is read (docs/ingest.md)."""

from __future__ import annotations

import io
import json
import struct
import subprocess
import sys
import time
import tracemalloc
import zipfile
import zlib
from pathlib import Path

import docx
import pytest

from index.embedding import load_embedder
from index.store import IndexStore
from ingest.readers import ReaderError, ReadLimits, decode_text, read_docx, read_pdf
from ingest.sync import sync
from tests.conftest import REPO, make_settings

# --- bombs -------------------------------------------------------------------------------------------


def docx_bomb(inflated_bytes: int) -> bytes:
    """A real .docx whose document.xml inflates to ``inflated_bytes`` of XML (written in pieces,
    so building it takes no memory)."""
    plain = io.BytesIO()
    docx.Document().save(plain)
    source = zipfile.ZipFile(io.BytesIO(plain.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as bomb:
        for item in source.infolist():
            if item.filename != "word/document.xml":
                bomb.writestr(item, source.read(item))
        with bomb.open("word/document.xml", "w", force_zip64=True) as xml:
            xml.write(b'<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>')
            piece = b"<w:p><w:r><w:t>" + "东莞".encode() * 500 + b"</w:t></w:r></w:p>"
            for _ in range(inflated_bytes // len(piece)):
                xml.write(piece)
            xml.write(b"</w:body></w:document>")
    return out.getvalue()


def lying_docx() -> bytes:
    """A .docx whose document.xml says it is 1,000 bytes and inflates to 50 MB."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", b"\0" * 50_000_000)
    data = bytearray(out.getvalue())
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):  # local header, central directory
        start = 0
        while (start := data.find(signature, start)) >= 0:
            name_length = struct.unpack_from("<H", data, start + (26 if signature == b"PK\x03\x04" else 28))[0]
            name = data[start + (30 if signature == b"PK\x03\x04" else 46):][:name_length]
            if name == b"word/document.xml":
                struct.pack_into("<I", data, start + offset, 1000)
            start += 4
    return bytes(data)


def _pdf(pages: int, content: bytes, form: bytes | None = None) -> bytes:
    from pypdf import PdfWriter
    from pypdf.generic import ArrayObject, DictionaryObject, FloatObject, NameObject, StreamObject

    writer = PdfWriter()
    font = writer._add_object(DictionaryObject({
        NameObject("/Type"): NameObject("/Font"), NameObject("/Subtype"): NameObject("/Type1"),
        NameObject("/BaseFont"): NameObject("/Helvetica"),
    }))
    fonts = DictionaryObject({NameObject("/F1"): font})
    resources = DictionaryObject({NameObject("/Font"): fonts})
    if form is not None:
        xobject = StreamObject()
        xobject.set_data(zlib.compress(form, 9))
        xobject.update({
            NameObject("/Filter"): NameObject("/FlateDecode"), NameObject("/Type"): NameObject("/XObject"),
            NameObject("/Subtype"): NameObject("/Form"), NameObject("/Resources"): DictionaryObject({NameObject("/Font"): fonts}),
            NameObject("/BBox"): ArrayObject([FloatObject(0), FloatObject(0), FloatObject(612), FloatObject(792)]),
        })
        resources[NameObject("/XObject")] = DictionaryObject({NameObject("/X1"): writer._add_object(xobject)})
    stream = StreamObject()
    stream.set_data(zlib.compress(content, 9))
    stream[NameObject("/Filter")] = NameObject("/FlateDecode")
    shared = writer._add_object(stream)
    for _ in range(pages):
        page = writer.add_blank_page(612, 792)
        page[NameObject("/Resources")] = resources
        page[NameObject("/Contents")] = shared  # every page draws the same stream
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def shared_stream_pdf() -> bytes:
    """20 pages sharing one content stream of 60,000 lines of text: 13 KB, 50 M characters."""
    return _pdf(20, b"BT /F1 10 Tf 72 720 Td " + b"(Dongguan future industry cluster plan text) Tj T* " * 60_000 + b"ET")


def form_pdf() -> bytes:
    """20 pages drawing one 100-line form 5,000 times each: 5 KB, 370 M characters."""
    form = b"BT /F1 10 Tf 72 720 Td " + b"(Dongguan future industry cluster plan) Tj T* " * 100 + b"ET"
    return _pdf(20, b"/X1 Do " * 5000, form)


# --- DOCX ----------------------------------------------------------------------------------------------


def test_a_docx_zip_bomb_is_refused_before_it_is_inflated():
    """442 KB that inflate to 400 MiB took the server from 847 to 1,481 MB while python-docx read it."""
    bomb = docx_bomb(400 * 1024 * 1024)
    assert len(bomb) < 2_000_000
    tracemalloc.start()
    try:
        started = time.monotonic()
        with pytest.raises(ReaderError, match="expands to more than 50 MB"):
            read_docx(bomb)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 10_000_000 and time.monotonic() - started < 5, (peak, time.monotonic() - started)


def test_a_docx_that_understates_its_sizes_is_still_bounded():
    """The declared sizes are what the limit checks; zipfile never inflates a member past them."""
    lying = lying_docx()
    tracemalloc.start()
    try:
        with pytest.raises(ReaderError, match="corrupt DOCX"):
            read_docx(lying)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 10_000_000, peak


def test_a_docx_within_the_limit_still_reads():
    assert "东莞" in read_docx(docx_bomb(200_000)).text


# --- PDF (in a child process: before the limits, each of these ran for many minutes) ------------------


@pytest.mark.parametrize("maker", ["shared_stream_pdf", "form_pdf"])
def test_a_small_pdf_that_repeats_its_content_is_refused_in_bounded_time_and_memory(maker):
    """A 5 KB PDF of 20 pages sharing one content stream made 8,000 passages (123 M characters,
    173 s); pypdf builds a page's text whole, so the text is counted as the page draws it."""
    script = (
        "import json, sys, time\n"
        f"from tests.test_reader_limits import {maker}\n"
        "from ingest.readers import ReaderError, read_pdf\n"
        f"raw = {maker}()\n"
        "started = time.monotonic()\n"
        "try:\n    read_pdf(raw); outcome = 'read'\n"
        "except ReaderError as error:\n    outcome = str(error)\n"
        "print(json.dumps({'size': len(raw), 'outcome': outcome, 'seconds': time.monotonic() - started,"
        # VmHWM: this process's peak memory (ru_maxrss would carry over the parent's across exec)
        " 'rss_mb': int(open('/proc/self/status').read().split('VmHWM:')[1].split()[0]) / 1024}))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["size"] < 20_000
    assert report["outcome"].startswith("too much text: it would make more than 2000 passages"), report
    assert report["seconds"] < 90 and report["rss_mb"] < 600, report


def test_a_pdf_within_the_limits_still_reads():
    text = read_pdf(_pdf(3, b"BT /F1 10 Tf 72 720 Td (Dongguan future industries) Tj ET")).text
    assert text.count("Dongguan future industries") == 3


# --- every format: the passage limit -------------------------------------------------------------------


def _docx_text(text: str) -> bytes:
    document = docx.Document()
    document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def test_a_file_that_would_make_too_many_passages_is_skipped_with_a_clear_message(tmp_path):
    settings = make_settings(tmp_path, max_passages_per_file=5, chunk_chars=100)  # 500 characters a file
    corpus = settings.corpus_dir
    corpus.mkdir()
    long_text = "东莞加快培育未来产业集群。" * 60  # 780 characters
    (corpus / "long.txt").write_text(long_text, encoding="utf-8")
    (corpus / "long.md").write_text(long_text, encoding="utf-8")
    (corpus / "long.html").write_text(f"<html><body><article><p>{long_text}</p></article></body></html>", encoding="utf-8")
    (corpus / "long.docx").write_bytes(_docx_text(long_text))
    (corpus / "short.txt").write_text("东莞加快培育未来产业集群，规模达到百亿元。", encoding="utf-8")
    summary = sync(settings, IndexStore(settings, load_embedder(settings)), [corpus])
    reasons = {Path(s.path).name: s.reason for s in summary.skipped}
    message = "too much text: it would make more than 5 passages (GUANWEN_MAX_PASSAGES_PER_FILE); split the file"
    assert reasons == {name: message for name in ("long.txt", "long.md", "long.html", "long.docx")}
    assert summary.added == 1


def test_the_limits_come_from_the_settings(tmp_path):
    limits = ReadLimits.from_settings(make_settings(tmp_path, max_expanded_mb=3, max_passages_per_file=7, chunk_chars=200))
    assert (limits.expanded_bytes, limits.text_chars) == (3_000_000, 1400)
    with pytest.raises(ReaderError, match="expands to more than 3 MB"):
        read_docx(docx_bomb(4_000_000), limits)


# --- UTF-16 and UTF-32 text ------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32"])
def test_unicode_text_with_a_byte_order_mark_is_read(encoding):
    """Windows Notepad's "Unicode" is UTF-16 with a byte-order mark; it was refused as binary."""
    text = "东莞加快培育未来产业集群。"
    raw = text.encode(encoding)
    if encoding in ("utf-16-le", "utf-16-be"):
        raw = ("\ufeff" + text).encode(encoding)
    assert decode_text(raw) == text


def test_utf16_without_a_byte_order_mark_is_refused_saying_so():
    with pytest.raises(ReaderError, match="UTF-16 text needs its byte-order mark"):
        decode_text("2024年东莞GDP增长5.2%。".encode("utf-16-le"))
