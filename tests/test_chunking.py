from index.text import split_clauses, split_sentences
from ingest.chunking import chunk_document
from ingest.documents import parse_text, read_document
from tests.conftest import SEED_ARTICLE


def sentences(text):
    return [text[s.start : s.end] for s in split_sentences(text)]


def test_sentences_end_at_chinese_and_ascii_terminators():
    assert sentences("第一句。第二句！第三句？Fourth one. 第五句") == ["第一句。", "第二句！", "第三句？", "Fourth one.", "第五句"]


def test_half_width_comma_and_decimal_point_do_not_end_a_sentence():
    text = "2022年东莞R&D研发投入占GDP比重4.1%,排名全国第6、全省第2。"
    assert sentences(text) == [text]


def test_closing_quote_stays_with_its_sentence():
    assert sentences("他说：“要加大投入。”随后离开。") == ["他说：“要加大投入。”", "随后离开。"]


def test_paragraph_break_ends_a_sentence():
    assert sentences("标题\n正文一句。") == ["标题", "正文一句。"]


def clauses(sentence):
    return [sentence[a:b] for a, b in split_clauses(sentence, 0, len(sentence))]


def test_a_long_sentence_is_cut_into_clauses_after_commas_and_colons():
    assert clauses("不久后,东莞印发了两份规划文件,每年拿出3亿元资金,瞄准前20强开展精准招商。") == [
        "不久后,东莞印发了两份规划文件,", "每年拿出3亿元资金,", "瞄准前20强开展精准招商。",
    ]  # 「不久后,」 is too short to stand alone and joins the clause after it
    assert clauses("他表示：要加大量子科技领域人才培育引进力度，走出一条特色之路。") == [
        "他表示：要加大量子科技领域人才培育引进力度，", "走出一条特色之路。",
    ]


def test_a_sentence_of_one_clause_and_a_figure_with_a_comma_are_not_cut():
    assert clauses("东莞R&D研发投入占GDP比重4.1%。") == []
    assert clauses("营业收入约1,000亿元,增长5%。") == []  # the short tail joins the one clause there is
    text = "序言。营业收入约1,000亿元,同比增长百分之五左右。"
    assert [text[a:b] for a, b in split_clauses(text, 3, len(text))] == ["营业收入约1,000亿元,", "同比增长百分之五左右。"]


def test_chunk_text_equals_document_text_at_its_offsets():
    doc = read_document(SEED_ARTICLE, SEED_ARTICLE.name)
    chunks = chunk_document(doc, chunk_chars=300, overlap_sentences=1)
    assert len(chunks) > 5
    for chunk in chunks:
        assert doc.text[chunk.start : chunk.end] == chunk.text


def test_chunks_respect_size_sections_and_cover_every_sentence():
    doc = read_document(SEED_ARTICLE, SEED_ARTICLE.name)
    chunks = chunk_document(doc, chunk_chars=200, overlap_sentences=1)
    longest_sentence = max(s.end - s.start for s in split_sentences(doc.text))
    for chunk in chunks:
        assert len(chunk.text) <= max(200, longest_sentence)
        assert doc.section_at(chunk.start) == doc.section_at(chunk.end - 1) == chunk.section
    covered = set()
    for chunk in chunks:
        covered.update(range(chunk.start, chunk.end))
    for span in split_sentences(doc.text):
        assert span.start in covered


def test_chunk_ids_are_stable_and_overlap_repeats_a_sentence():
    doc = parse_text("一。二。三。四。五。六。", doc_id="d.txt", path="d.txt", content_hash="h")
    first = chunk_document(doc, chunk_chars=50, overlap_sentences=1)
    assert [c.chunk_id for c in first] == [c.chunk_id for c in chunk_document(doc, 50, 1)]
    small = chunk_document(doc, chunk_chars=4, overlap_sentences=1)
    assert [c.text for c in small] == ["一。二。", "二。三。", "三。四。", "四。五。", "五。六。"]
