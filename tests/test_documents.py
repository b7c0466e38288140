from pathlib import Path

import pytest

from ingest.documents import DocumentError, decode_text, parse_text, read_document
from tests.conftest import SEED_ARTICLE


def seed():
    return read_document(SEED_ARTICLE, SEED_ARTICLE.name)


def test_seed_article_header_lines_become_metadata():
    doc = seed()
    assert doc.metadata == {"author": "郑康喜", "editors": "吴蓉 江佩佩", "image_source": "东莞日报"}
    assert "作者" not in doc.text and "郑康喜" not in doc.text


def test_seed_article_has_a_title_and_no_page_furniture():
    doc = seed()
    # The article states no title: it is derived from the opening sentence.
    assert doc.title == "春节期间,横空出世的Sora让国内AI行业一石激起千层浪"
    assert "热门跟贴" not in doc.text
    assert doc.text.startswith("春节期间")


def test_no_chunk_of_the_seed_article_holds_page_furniture_or_headers(fake_store):
    chunks = fake_store.manifest.all_chunks()
    assert chunks and not any("热门跟贴" in c.text or "作者:" in c.text or "图源" in c.text for c in chunks)
    assert {c.section for c in chunks} == {"", "加快培育1-2个超百亿元未来产业集群", "如何从突破颠覆性技术走向产线?"}


def test_numbered_section_markers_become_sections():
    doc = seed()
    assert [s.title for s in doc.sections] == ["加快培育1-2个超百亿元未来产业集群", "如何从突破颠覆性技术走向产线?"]
    first = doc.sections[0]
    assert doc.text[first.start :].startswith(first.title)
    assert doc.section_at(0) == ""
    assert doc.section_at(doc.text.index("中国散裂中子源打靶")) == "如何从突破颠覆性技术走向产线?"


def test_markdown_heading_and_front_matter_give_the_title():
    doc = parse_text("---\ntitle: 标题甲\nsource: 东莞日报\n---\n正文第一句。", doc_id="a.md", path="a.md", content_hash="x")
    assert doc.title == "标题甲" and doc.metadata == {"source": "东莞日报"}
    doc = parse_text("# 松山湖的故事\n\n正文。", doc_id="b.md", path="b.md", content_hash="x")
    assert doc.title == "松山湖的故事" and doc.text == "正文。"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "gbk"])
def test_chinese_text_is_decoded_in_common_encodings(encoding):
    text = "东莞松山湖高新区发布未来产业规划。"
    assert decode_text(text.encode(encoding)) == text


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "big5"])
def test_traditional_chinese_is_decoded_not_read_as_gb18030(encoding):
    text = "東莞松山湖高新區發布未來產業規劃，加快培育人工智慧產業。"
    assert decode_text(text.encode(encoding)) == text


def test_binary_and_empty_files_are_refused_with_a_reason(tmp_path: Path):
    binary = tmp_path / "x.txt"
    binary.write_bytes(b"\x00\x01\x02binary")
    with pytest.raises(DocumentError, match="binary"):
        read_document(binary, "x.txt")
    empty = tmp_path / "e.txt"
    empty.write_text("  \n", encoding="utf-8")
    with pytest.raises(DocumentError, match="no text"):
        read_document(empty, "e.txt")
    zero = tmp_path / "z.txt"
    zero.write_bytes(b"")
    with pytest.raises(DocumentError, match="empty file"):
        read_document(zero, "z.txt")


def test_full_width_colon_header_lines_and_a_source_published_line():
    doc = parse_text(
        "作者：郑康喜\n来源：东莞日报 发布时间：2024-03-12\n正文。", doc_id="c.txt", path="c.txt", content_hash="x"
    )
    assert doc.metadata == {"author": "郑康喜", "source": "东莞日报", "published": "2024-03-12"}
    assert doc.text == "正文。"
