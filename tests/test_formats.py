"""Formats, encodings, cleaning and bad input: every fixture file is made here, in tmp_path.

PDFs are written with reportlab (a dev dependency) in its built-in STSong-Light CID font, so the
Chinese text needs no font file; DOCX files with python-docx; HTML pages as strings.
"""

from __future__ import annotations

import io
import json
import os
import zipfile
from pathlib import Path

import docx
import pytest
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from index.embedding import load_embedder
from index.store import IndexStore
from ingest import readers
from ingest.__main__ import main as ingest_main
from index.text import split_sentences
from ingest.documents import SUPPORTED_SUFFIXES, DocumentError, decode_text, parse_text, read_document
from ingest.sync import discover, sync
from tests.conftest import SEED_ARTICLE, make_settings

TRADITIONAL = "東莞松山湖高新區發布未來產業規劃，加快培育人工智慧產業。"
SIMPLIFIED = "东莞松山湖高新区发布未来产业规划，加快培育人工智能产业。"
TRADITIONAL_ARTICLE = (
    "作者：鄭康喜\n"
    "東莞松山湖高新區發布未來產業規劃，加快培育人工智慧產業。\n"
    "中國散裂中子源打靶束流功率達到160kW並實現穩定供束運行，超過設計指標60%。\n"
    "（圖為松山湖高新區。受訪者供圖）\n"
)
SIMPLIFIED_ARTICLE = (
    "作者：郑康喜\n"
    "东莞松山湖高新区发布未来产业规划，加快培育人工智能产业。\n"
    "2022年东莞R&D研发投入占GDP比重4.1%，排名全国第6、全省第2。\n"
    "（图为松山湖高新区。受访者供图）\n"
)


def doc_of(text: str, **kwargs):
    return parse_text(text, doc_id="a.txt", path="a.txt", content_hash="h", **kwargs)


def sentences(text: str) -> list[str]:
    return [text[s.start : s.end] for s in split_sentences(text)]


# -- encodings ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("encoding", "text"),
    [
        ("utf-8", SIMPLIFIED),
        ("utf-8-sig", SIMPLIFIED),
        ("utf-8", TRADITIONAL),
        ("gbk", SIMPLIFIED),
        ("gb18030", SIMPLIFIED),
        ("gb18030", TRADITIONAL),
        ("big5", TRADITIONAL),
        ("cp950", TRADITIONAL),
    ],
)
def test_text_round_trips_exactly_in_each_encoding(encoding, text):
    assert decode_text(text.encode(encoding)) == text


def test_big5_is_not_read_as_gb18030_mojibake():
    raw = TRADITIONAL.encode("big5")
    raw.decode("gb18030")  # the trap: GB18030 accepts these bytes too ...
    assert raw.decode("gb18030") != TRADITIONAL  # ... and makes nonsense of them
    assert decode_text(raw) == TRADITIONAL


@pytest.mark.parametrize(
    ("encoding", "article"),
    [("utf-8", SIMPLIFIED_ARTICLE), ("utf-8-sig", SIMPLIFIED_ARTICLE), ("gbk", SIMPLIFIED_ARTICLE),
     ("gb18030", SIMPLIFIED_ARTICLE), ("big5", TRADITIONAL_ARTICLE)],
)
def test_text_files_in_each_encoding_become_the_same_document(tmp_path, encoding, article):
    path = tmp_path / f"article-{encoding}.txt"
    path.write_bytes(article.encode(encoding))
    doc = read_document(path, path.name)
    body = article.split("\n", 1)[1].strip()
    assert doc.text == body
    assert doc.metadata["author"] == article.split("：", 1)[1].split("\n", 1)[0]


def test_binary_content_named_txt_is_refused_with_a_reason(tmp_path):
    with_nul = tmp_path / "image.txt"
    with_nul.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    with pytest.raises(DocumentError, match="binary"):
        read_document(with_nul, "image.txt")
    no_nul = tmp_path / "noise.txt"
    no_nul.write_bytes(bytes([0x80, 0xFF, 0x81, 0xFE, 0x90, 0x7F, 0xC0, 0x01]) * 64)
    with pytest.raises(DocumentError, match="not text|binary|decode"):
        read_document(no_nul, "noise.txt")


# -- HTML ---------------------------------------------------------------------------------------

BODY = [
    "2024年东莞通过政府“一号文”，首次以官方文件，明确表示要发展量子计算在内的九大未来产业，加快培育1-2个规模超百亿元的未来产业集群。",
    "广东省社科院原院长王珺在接受南方财经全媒体记者采访时表示，未来产业首先需要变革生产的组织方式和生产的技术方式。",
    "(图为松山湖高新区。受访者供图)",
    "相关数据显示，2022年东莞人工智能产业规模以上企业营业收入约996亿元，已具备一定产业基础。",
]
SECTION_HEADING = "如何从突破颠覆性技术走向产线"
SECTION_BODY = [
    "3月4日，中国散裂中子源打靶束流功率达到160kW并实现稳定供束运行，超过设计指标60%。",
    "自2018年投入运行以来，中国散裂中子源已总共完成课题1000余项，是东莞科技创新的重要支撑平台。",
]
PAGE_NOISE = ["国内新闻", "体育频道", "火热认筹", "优惠券", "分享到", "相关推荐", "低空经济", "热门跟贴", "网友甲", "房价", "版权所有"]


def news_page(charset: str = "utf-8", *, og_title: bool = True, meta: bool = True, body_class: str = "post_body") -> str:
    paragraphs = "".join(f"<p>{p}</p>" for p in BODY)
    section = f"<h2>{SECTION_HEADING}</h2>" + "".join(f"<p>{p}</p>" for p in SECTION_BODY)
    head_meta = (
        '<meta name="author" content="郑康喜">'
        '<meta property="article:published_time" content="2024-03-12T08:30:00+08:00">'
        '<meta property="og:site_name" content="南方财经">'
        if meta
        else ""
    )
    og = '<meta property="og:title" content="东莞布局九大未来产业">' if og_title else ""
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="{charset}">
<title>东莞布局九大未来产业_网易新闻</title>{og}{head_meta}</head>
<body>
<div class="N-nav"><a href="/">首页</a> <a href="/news">国内新闻</a> <a href="/world">国际频道</a>
 <a href="/sports">体育频道</a> <a href="/money">财经频道</a> <a href="/tech">科技频道</a></div>
<div class="ad_box" id="js-ad-top"><a href="https://ad.example/1">松山湖楼盘火热认筹中，点击领取优惠券</a></div>
<div class="post_main">
<h1 class="post_title">东莞布局九大未来产业</h1>
<div class="{body_class}">{paragraphs}{section}</div>
<div class="post_share">分享到：<a href="#">微信</a> <a href="#">微博</a> <a href="#">QQ空间</a></div>
<div class="post_related"><h3>相关推荐</h3><ul>
<li><a href="/r1">深圳发布低空经济产业规划</a></li><li><a href="/r2">广州加快建设人工智能产业高地</a></li>
<li><a href="/r3">佛山制造业转型升级调查</a></li></ul></div>
</div>
<div class="tie-area" id="tie"><div class="tie-title">热门跟贴</div>
<div class="tie-item">网友甲：东莞加油，期待量子计算产业早日落地！</div>
<div class="tie-item">网友乙：房价什么时候能降下来？</div></div>
<div class="N-footer">网易公司版权所有 ©1997-2024 京ICP证000000号</div>
</body></html>"""


def write(path: Path, data: bytes | str) -> Path:
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return path


def test_html_article_body_without_navigation_ads_share_related_or_comments(tmp_path):
    doc = read_document(write(tmp_path / "page.html", news_page()), "page.html")
    for paragraph in BODY + SECTION_BODY:
        assert paragraph in doc.text.split("\n")
    for noise in PAGE_NOISE:
        assert noise not in doc.text, noise
    assert doc.title == "东莞布局九大未来产业"
    assert not doc.text.startswith("东莞布局九大未来产业")  # the <h1> is the title, not a paragraph
    assert doc.metadata == {"author": "郑康喜", "published": "2024-03-12", "source": "南方财经"}


def test_html_heading_starts_a_section(tmp_path):
    # Headings survive where trafilatura recognises the article container (here by its class);
    # on a page where it does not, it keeps the paragraphs and drops headings.
    doc = read_document(write(tmp_path / "page.htm", news_page(body_class="article-content")), "page.htm")
    assert [s.title for s in doc.sections] == [SECTION_HEADING]
    assert doc.section_at(doc.text.index("中国散裂中子源")) == SECTION_HEADING
    assert doc.section_at(0) == ""


def test_html_title_falls_back_to_the_title_element_without_the_site_name(tmp_path):
    doc = read_document(write(tmp_path / "page.html", news_page(og_title=False, meta=False)), "page.html")
    assert doc.title == "东莞布局九大未来产业"
    assert "author" not in doc.metadata and "published" not in doc.metadata


def test_html_in_a_declared_legacy_encoding(tmp_path):
    page = news_page(charset="gb2312").encode("gb18030")
    doc = read_document(write(tmp_path / "gbk.html", page), "gbk.html")
    assert BODY[0] in doc.text and doc.title == "东莞布局九大未来产业"
    big5 = (
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=big5">'
        f"<title>東莞產業</title></head><body><article><p>{TRADITIONAL}</p>"
        "<p>中國散裂中子源打靶束流功率達到160kW並實現穩定供束運行，超過設計指標60%。</p></article></body></html>"
    ).encode("big5")
    doc = read_document(write(tmp_path / "big5.html", big5), "big5.html")
    assert doc.text.split("\n")[0] == TRADITIONAL


def test_html_page_without_an_article_is_refused(tmp_path):
    path = write(tmp_path / "blank.html", "<html><head><title>空</title></head><body><div></div></body></html>")
    with pytest.raises(DocumentError, match="no article text|no text"):
        read_document(path, "blank.html")


# -- PDF ----------------------------------------------------------------------------------------


def make_pdf(pages: list[list[str]], *, title: str = "", author: str = "", page_numbers: bool = True) -> bytes:
    """A PDF whose pages hold ``pages`` lines, in reportlab's STSong-Light (no font file needed)."""
    if "STSong-Light" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, invariant=1)
    if title:
        pdf.setTitle(title)
    if author:
        pdf.setAuthor(author)
    for number, lines in enumerate(pages, start=1):
        pdf.setFont("STSong-Light", 12)
        y = 780
        for line in lines:
            pdf.drawString(60, y, line)
            y -= 18
        if page_numbers:
            pdf.drawString(300, 30, str(number))
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


PDF_PAGES = [
    [
        "东莞松山湖高新区发布未来产业规划，加快培育人工智能、量子信息",
        "等未来产业，打造超百亿元的未来产业集群。",
        "2022年东莞研发投入占GDP比重4.1%，排名全国第6。",
    ],
    [
        "如何从突破颠覆性技术走向产线",
        "3月4日，中国散裂中子源打靶束流功率达到160kW并实现稳定供束运行。",
    ],
]


def test_pdf_text_title_and_author(tmp_path):
    raw = make_pdf(PDF_PAGES, title="东莞未来产业规划", author="郑康喜")
    doc = read_document(write(tmp_path / "plan.pdf", raw), "plan.pdf")
    assert doc.title == "东莞未来产业规划" and doc.metadata == {"author": "郑康喜"}
    assert doc.text.split("\n") == [
        # the line the PDF wrapped at the margin is one paragraph again
        "东莞松山湖高新区发布未来产业规划，加快培育人工智能、量子信息等未来产业，打造超百亿元的未来产业集群。",
        "2022年东莞研发投入占GDP比重4.1%，排名全国第6。",
        "如何从突破颠覆性技术走向产线",
        "3月4日，中国散裂中子源打靶束流功率达到160kW并实现稳定供束运行。",
    ]  # and the page numbers 1 and 2 are gone


def test_pdf_without_a_title_gets_one_from_its_text(tmp_path):
    doc = read_document(write(tmp_path / "untitled.pdf", make_pdf(PDF_PAGES[1:])), "untitled.pdf")
    assert doc.title == "如何从突破颠覆性技术走向产线"


def test_pdf_running_head_repeated_on_every_page_is_dropped(tmp_path):
    pages = [["东莞日报 · 未来产业专题", f"第{n}部分：东莞加快培育未来产业集群的第{n}项举措。"] for n in range(1, 4)]
    doc = read_document(write(tmp_path / "paper.pdf", make_pdf(pages)), "paper.pdf")
    assert "东莞日报 · 未来产业专题" not in doc.text
    assert doc.text.count("项举措") == 3


def test_pdf_of_scanned_images_is_refused(tmp_path):
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer)
    pdf.rect(50, 50, 200, 200, fill=1)
    pdf.showPage()
    pdf.save()
    with pytest.raises(DocumentError, match="no text"):
        read_document(write(tmp_path / "scan.pdf", buffer.getvalue()), "scan.pdf")


def test_password_protected_pdf_is_refused(tmp_path):
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, encrypt="secret")
    pdf.drawString(72, 700, "Secret plan.")
    pdf.showPage()
    pdf.save()
    with pytest.raises(DocumentError, match="encrypted"):
        read_document(write(tmp_path / "locked.pdf", buffer.getvalue()), "locked.pdf")


# -- DOCX ---------------------------------------------------------------------------------------


def make_docx(*, core_title: str = "", author: str = "", heading_title: str = "东莞布局九大未来产业") -> bytes:
    document = docx.Document()
    if core_title:
        document.core_properties.title = core_title
    if author:
        document.core_properties.author = author
    if heading_title:
        document.add_heading(heading_title, level=1)
    document.add_paragraph(BODY[0])
    document.add_paragraph(BODY[2])
    document.add_heading(SECTION_HEADING, level=2)
    document.add_paragraph(SECTION_BODY[0])
    table = document.add_table(rows=2, cols=2)
    for row, values in zip(table.rows, [("指标", "数值"), ("研发投入占GDP比重", "4.1%")], strict=True):
        for cell, value in zip(row.cells, values, strict=True):
            cell.text = value
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_docx_title_from_the_first_heading_and_sections_from_headings(tmp_path):
    doc = read_document(write(tmp_path / "a.docx", make_docx()), "a.docx")
    assert doc.title == "东莞布局九大未来产业"
    assert doc.text.split("\n") == [BODY[0], BODY[2], SECTION_HEADING, SECTION_BODY[0], "指标 | 数值", "研发投入占GDP比重 | 4.1%"]
    assert [s.title for s in doc.sections] == [SECTION_HEADING]
    assert doc.metadata == {}  # python-docx's template author is not the article's


def test_docx_title_and_author_from_core_properties(tmp_path):
    raw = make_docx(core_title="东莞未来产业规划", author="郑康喜", heading_title="")
    doc = read_document(write(tmp_path / "b.docx", raw), "b.docx")
    assert doc.title == "东莞未来产业规划" and doc.metadata == {"author": "郑康喜"}
    assert doc.text.startswith(BODY[0])


# -- cleaning -----------------------------------------------------------------------------------


@pytest.mark.parametrize("colon", [":", "："])
def test_header_lines_with_ascii_or_full_width_colons_become_metadata(colon):
    text = (
        f"作者{colon}郑康喜\n编辑{colon}吴蓉 江佩佩\n图源{colon}东莞日报\n"
        f"来源{colon}南方财经\n发布时间{colon}2024-03-12 08:30\n正文第一句。"
    )
    doc = doc_of(text)
    assert doc.metadata == {
        "author": "郑康喜",
        "editors": "吴蓉 江佩佩",
        "image_source": "东莞日报",
        "source": "南方财经",
        "published": "2024-03-12 08:30",
    }
    assert doc.text == "正文第一句。"


@pytest.mark.parametrize(
    "line",
    [
        "来源：南方财经　发布时间：2024-03-12 08:30",
        "来源: 南方财经 | 发布时间: 2024-03-12 08:30",
        "发布时间：2024-03-12 08:30 来源：南方财经",
        "2024-03-12 08:30 来源：南方财经",
    ],
)
def test_a_source_and_published_line_and_the_title_line_above_it(line):
    doc = doc_of(f"东莞布局九大未来产业\n{line}\n正文第一句。")
    assert doc.metadata == {"source": "南方财经", "published": "2024-03-12 08:30"}
    assert doc.title == "东莞布局九大未来产业" and doc.text == "正文第一句。"


def test_a_sentence_that_starts_like_a_header_stays_text():
    long_value = "时间：2024年3月，东莞市政府印发了推动未来产业发展的一号文件，提出加快培育一至两个规模超百亿元的未来产业集群。"
    doc = doc_of(f"正文第一句。\n{long_value}")
    assert long_value in doc.text and "published" not in doc.metadata


def test_image_caption_stays_its_own_paragraph():
    text = "松山湖定位东莞人工智能原始创新高地。\n(图为松山湖高新区。受访者供图)\n广东松狐科技有限公司是一家人工智能企业。"
    doc = doc_of(text)
    assert doc.text.split("\n") == text.split("\n")
    spans = sentences(doc.text)
    assert "松山湖定位东莞人工智能原始创新高地。" in spans
    assert "广东松狐科技有限公司是一家人工智能企业。" in spans
    # no sentence runs across the caption's line
    assert not any("高地。" in s and "图为" in s for s in spans)
    assert not any("供图)" in s and "广东" in s for s in spans)


def test_chunker_keeps_a_bracketed_caption_line_as_one_sentence():
    for caption in ("(图为松山湖高新区。受访者供图)", "（图为松山湖高新区。受访者供图）"):
        text = f"松山湖定位东莞人工智能原始创新高地。\n{caption}\n广东松狐科技有限公司是一家人工智能企业。"
        assert sentences(doc_of(text).text)[1] == caption


def test_comment_section_share_lines_and_reading_lists_are_removed():
    text = "\n".join(
        [
            "东莞发布未来产业规划，加快培育人工智能产业。",
            "分享到：微信 微博 QQ空间",
            "松山湖已形成完整的人工智能产业链。",
            "推荐阅读",
            "深圳发布低空经济产业规划",
            "广州加快建设人工智能产业高地",
            "返回搜狐，查看更多",
            "（责任编辑：王某）",
            "热门跟贴",
            "网友甲：东莞加油，期待量子计算产业早日落地！",
            "网友乙：房价什么时候能降下来？",
        ]
    )
    doc = doc_of(text)
    assert doc.text == "东莞发布未来产业规划，加快培育人工智能产业。\n松山湖已形成完整的人工智能产业链。"
    assert doc.metadata == {"editors": "王某"}


def test_trailing_editor_and_comment_label_without_a_reading_list():
    doc = doc_of("正文第一句。\n正文第二句。\n责任编辑：吴蓉\n热门跟贴(123)\n网友：说得好")
    assert doc.text == "正文第一句。\n正文第二句。" and doc.metadata == {"editors": "吴蓉"}


def test_a_reading_label_in_the_middle_of_an_article_drops_only_the_label():
    long = "东莞早在2018年便明确将新一代人工智能产业列为东莞十大重点发展产业之一，而后多次提到发展量子信息和新概念材料等未来产业。"
    doc = doc_of(f"正文第一句。\n相关阅读\n{long}")
    assert doc.text == f"正文第一句。\n{long}"


def test_boilerplate_lines_repeated_many_times_are_removed():
    lines = []
    for n in range(1, 5):
        lines += [f"第{n}段正文，东莞加快培育未来产业。", "关注东莞日报，获取更多资讯"]
    doc = doc_of("\n".join(lines))
    assert "关注东莞日报" not in doc.text
    assert doc.text.count("东莞加快培育未来产业") == 4
    # twice is not "many times": a line that appears twice stays
    doc = doc_of("甲。\n乙重复一次。\n丙。\n乙重复一次。")
    assert doc.text.count("乙重复一次。") == 2


@pytest.mark.parametrize(
    "text",
    ["。。\n正文。", "……", "！？\n\n。", "作者：某\n。"],
)
def test_title_is_never_empty(text):
    doc = doc_of(text)
    assert doc.title.strip()


def test_seed_article_cleaning_is_unchanged():
    doc = read_document(SEED_ARTICLE, SEED_ARTICLE.name)
    assert doc.metadata == {"author": "郑康喜", "editors": "吴蓉 江佩佩", "image_source": "东莞日报"}
    assert "(图为松山湖高新区。受访者供图)" in doc.text.split("\n")
    assert doc.text.endswith("需要东莞在接下来的实践中给出答案。")


# -- dispatch -------------------------------------------------------------------------------------


def test_every_supported_suffix_has_a_reader_and_is_discovered(tmp_path):
    assert set(SUPPORTED_SUFFIXES) == {".txt", ".md", ".html", ".htm", ".pdf", ".docx"}
    assert set(readers.READERS) == set(SUPPORTED_SUFFIXES)
    for suffix in SUPPORTED_SUFFIXES:
        (tmp_path / f"a{suffix.upper()}").write_bytes(b"x")
    found, skipped, _ = discover([tmp_path], max_bytes=1_000_000)
    assert len(found) == len(SUPPORTED_SUFFIXES) and skipped == []
    with pytest.raises(readers.ReaderError, match="unsupported"):
        readers.read(".pptx", b"x")


# -- bad input, end to end --------------------------------------------------------------------------


def open_store(settings):
    return IndexStore(settings, load_embedder(settings), rebuild_on_model_change=True)


def corrupt_docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<w:document>broken")  # no [Content_Types].xml
    return buffer.getvalue()


def test_every_bad_file_is_skipped_with_its_reason_and_the_good_ones_ingested(fake_settings):
    corpus = fake_settings.corpus_dir
    write(corpus / "page.html", news_page())
    write(corpus / "plan.pdf", make_pdf(PDF_PAGES, title="东莞未来产业规划"))
    write(corpus / "report.docx", make_docx())
    write(corpus / "big5.txt", TRADITIONAL_ARTICLE.encode("big5"))
    write(corpus / "empty.txt", b"")
    write(corpus / "image.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x01")
    write(corpus / "broken.pdf", b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R")
    write(corpus / "notreally.pdf", "这不是PDF文件。")
    write(corpus / "broken.docx", corrupt_docx())
    write(corpus / "truncated.docx", make_docx()[:500])
    write(corpus / "slides.pptx", b"PK\x03\x04")
    write(corpus / "noext", "正文。")

    summary = sync(fake_settings, open_store(fake_settings), [corpus])
    reasons = {Path(s.path).name: s.reason for s in summary.skipped}
    assert set(reasons) == {
        "empty.txt", "image.txt", "broken.pdf", "notreally.pdf", "broken.docx", "truncated.docx", "slides.pptx", "noext",
    }
    assert "empty" in reasons["empty.txt"]
    assert "binary" in reasons["image.txt"]
    assert "corrupt PDF" in reasons["broken.pdf"]
    assert "not a PDF" in reasons["notreally.pdf"]
    assert "DOCX" in reasons["broken.docx"] and "DOCX" in reasons["truncated.docx"]
    assert "unsupported file type .pptx" in reasons["slides.pptx"]
    assert "unsupported file type (none)" in reasons["noext"]
    for reason in reasons.values():
        assert "Traceback" not in reason and len(reason) < 200
    assert summary.added == 5 and summary.documents == 5  # seed article + html, pdf, docx, big5 txt
    titles = {r.doc_id: r.title for r in open_store(fake_settings).manifest.documents().values()}
    assert titles["page.html"] == "东莞布局九大未来产业" and titles["plan.pdf"] == "东莞未来产业规划"


def test_file_over_the_size_limit_is_skipped_and_small_ones_ingested(tmp_path, corpus_dir):
    write(corpus_dir / "small.md", "# 短讯\n\n松山湖发布新政。")
    write(corpus_dir / "big.html", news_page())
    settings = make_settings(tmp_path, max_file_mb=0.001)  # 1,000 bytes
    summary = sync(settings, open_store(settings), [corpus_dir])
    reasons = {Path(s.path).name: s.reason for s in summary.skipped}
    assert set(reasons) == {"dongguan-future-industries.txt", "big.html"}
    assert all("limit" in reason for reason in reasons.values())
    assert summary.added == 1 and summary.documents == 1


def test_unreadable_file_is_skipped(fake_settings):
    locked = write(fake_settings.corpus_dir / "locked.txt", "正文。")
    locked.chmod(0)
    try:
        if os.access(locked, os.R_OK):
            pytest.skip(
                "this process can read a chmod-000 file (it runs as root, or with CAP_DAC_OVERRIDE), "
                "so permission denied cannot happen here; the simulated test below covers that path"
            )
        summary = sync(fake_settings, open_store(fake_settings), [fake_settings.corpus_dir])
    finally:
        locked.chmod(0o644)
    reasons = {Path(s.path).name: s.reason for s in summary.skipped}
    assert reasons == {"locked.txt": "cannot read file: Permission denied"} and summary.added == 1


def test_permission_denied_is_a_reason_not_a_traceback(fake_settings, monkeypatch):
    locked = write(fake_settings.corpus_dir / "locked.txt", "正文。")
    real_read_bytes = Path.read_bytes

    def read_bytes(self):
        if self.name == "locked.txt":
            raise PermissionError(13, "Permission denied", str(self))
        return real_read_bytes(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    with pytest.raises(DocumentError, match="cannot read file: Permission denied"):
        read_document(locked, "locked.txt")
    summary = sync(fake_settings, open_store(fake_settings), [fake_settings.corpus_dir])
    reasons = {Path(s.path).name: s.reason for s in summary.skipped}
    assert reasons == {"locked.txt": "cannot read file: Permission denied"} and summary.added == 1


def test_an_unexpected_reader_failure_becomes_a_skip_reason(fake_settings, monkeypatch):
    def explode(raw: bytes, limits=None):
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setitem(readers.READERS, ".html", explode)
    write(fake_settings.corpus_dir / "deep.html", "<html><body><p>x</p></body></html>")
    summary = sync(fake_settings, open_store(fake_settings), [fake_settings.corpus_dir])
    reasons = {Path(s.path).name: s.reason for s in summary.skipped}
    assert reasons == {"deep.html": "cannot read this .html file (RecursionError)"}
    assert summary.added == 1


def test_sync_never_lets_a_reading_error_escape(fake_settings, monkeypatch):
    import ingest.sync

    def broken(path, doc_id, raw=None, limits=None, stated=None):
        raise RuntimeError("boom")

    monkeypatch.setattr(ingest.sync, "read_document", broken)
    summary = sync(fake_settings, open_store(fake_settings), [fake_settings.corpus_dir])
    assert summary.added == 0 and len(summary.skipped) == 1
    assert "RuntimeError" in summary.skipped[0].reason and "boom" in summary.skipped[0].reason


def test_cli_json_lists_skipped_files_with_path_and_reason(fake_settings, monkeypatch, capsys):
    write(fake_settings.corpus_dir / "broken.pdf", b"%PDF-1.7\ngarbage")
    write(fake_settings.corpus_dir / "page.html", news_page())
    monkeypatch.setenv("GUANWEN_STORAGE_DIR", str(fake_settings.storage_dir))
    monkeypatch.setenv("GUANWEN_EMBED_MODEL", "fake")
    assert ingest_main([str(fake_settings.corpus_dir), "--json"]) == 0
    captured = capsys.readouterr()
    out = json.loads(captured.out)
    assert out["added"] == 2 and out["documents"] == 2
    assert [Path(s["path"]).name for s in out["skipped"]] == ["broken.pdf"]
    assert set(out["skipped"][0]) == {"path", "reason"} and "corrupt PDF" in out["skipped"][0]["reason"]
    assert "Traceback" not in captured.err
