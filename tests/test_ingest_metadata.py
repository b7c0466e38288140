"""Titles and metadata an official recognises: sidecar metadata files (ingest/metadata.py), where
each title came from, header values with their brackets intact, and the bundled article's own
sidecar (its text unchanged). Fake embedder, real Chroma and SQLite."""

import hashlib
import json
import shutil

import pytest

from index.embedding import load_embedder
from index.store import IndexStore
from ingest import metadata
from ingest.documents import header_fields, parse_text, read_document
from ingest.sync import sync
from tests.conftest import SEED_ARTICLE

SEED_SIDECAR = metadata.sidecar_for(SEED_ARTICLE)


def open_store(settings):
    return IndexStore(settings, load_embedder(settings), rebuild_on_model_change=True)


def documents(settings):
    return open_store(settings).manifest.documents()


@pytest.mark.parametrize(
    "line, value",
    [
        ("来源：测试稿（新用户体验测试用）", "测试稿（新用户体验测试用）"),
        ("来源:东莞日报(记者站)", "东莞日报(记者站)"),
        ("（来源：东莞日报（转载））", "东莞日报（转载）"),
        ("【来源：东莞日报】", "东莞日报"),
        ("来源：《东莞日报》", "《东莞日报》"),
    ],
)
def test_header_values_keep_their_brackets_and_punctuation(line, value):
    assert header_fields(line) == [("来源", "source", value)]


def test_a_line_wholly_in_brackets_loses_only_that_pair():
    assert header_fields("（责任编辑：王某）") == [("责任编辑", "editors", "王某")]
    assert header_fields("（图源：甲）（责任编辑：乙）") is None  # two pairs: prose, not one header


def test_an_uploaded_source_line_keeps_its_closing_bracket():
    doc = parse_text("测试文章\n来源：测试稿（新用户体验测试用）\n东莞发布新政策。", doc_id="t.txt", path="t.txt", content_hash="x")
    assert doc.metadata == {"source": "测试稿（新用户体验测试用）"} and doc.title == "测试文章"


def test_the_title_says_where_it_came_from(tmp_path):
    def origin(text, **kwargs):
        return parse_text(text, doc_id="a.txt", path="a.txt", content_hash="x", **kwargs).title_from

    assert origin("---\ntitle: 甲\n---\n正文。") == "front matter"
    assert origin("正文。", title="乙") == "file properties"
    assert origin("标题行\n作者：郑康喜\n正文。") == "title line"
    assert origin("# 标题\n\n正文。") == "heading"
    assert origin("开头一句话。第二句。") == "opening sentence"
    assert origin("---\ntitle: 甲\n---\n正文。", stated={"title": "丙"}) == "metadata file"


def test_a_sidecar_overrides_what_the_article_says_and_keeps_every_character(tmp_path):
    article = tmp_path / "plan.txt"
    article.write_text("标题行\n来源：南方财经\n作者：郑康喜\n东莞发布未来产业规划。", encoding="utf-8")
    stated = {"title": "东莞：未来产业（2024—2026）规划【全文】", "source": "东莞市人民政府（办公室）", "published": "2024-03-12"}
    doc = read_document(article, "plan.txt", stated=stated)
    assert doc.title == stated["title"] and doc.title_from == "metadata file"
    assert doc.metadata == {"source": "东莞市人民政府（办公室）", "author": "郑康喜", "published": "2024-03-12"}


@pytest.mark.parametrize(
    "raw, reason",
    [
        (b'{"title": "x"', "not valid JSON"),
        (b'["x"]', "one JSON object"),
        (b'{"title": 3}', "must be a string"),
        (b'{"Title": "x"}', "plain lower-case name"),
        (b'{"title": "a\\nb"}', "line breaks"),
        ("{}".encode("utf-16"), "not UTF-8"),
    ],
)
def test_a_sidecar_that_cannot_be_used_says_why(raw, reason):
    with pytest.raises(metadata.MetadataError, match=reason):
        metadata.parse(raw)


def test_sidecar_round_trip_and_date_alias():
    values = {"title": "标题（一）：副题", "published": "2024-03", "source": "", "author": "郑康喜"}
    assert metadata.parse(metadata.dump(values)) == {"title": "标题（一）：副题", "published": "2024-03", "author": "郑康喜"}
    assert metadata.parse(b'{"date": "2024-03-12"}') == {"published": "2024-03-12"}


def test_ingest_reads_sidecars_reindexes_on_change_and_lists_bad_ones(fake_settings):
    corpus = fake_settings.corpus_dir
    sidecar = metadata.sidecar_for(corpus / SEED_ARTICLE.name)
    sidecar.write_bytes(metadata.dump({"title": "东莞布局未来产业（测试）", "published": "2024-03-12", "source": "东莞日报"}))
    (corpus / "gone.txt.meta.json").write_text("{}", encoding="utf-8")
    summary = sync(fake_settings, open_store(fake_settings), [corpus])
    assert summary.added == 1 and summary.documents == 1  # the sidecars are no articles
    assert [(s.path.rsplit("/", 1)[-1], s.reason) for s in summary.skipped] == [
        ("gone.txt.meta.json", "metadata file for gone.txt, which is not in the folder")
    ]
    record = documents(fake_settings)[SEED_ARTICLE.name]
    assert record.title == "东莞布局未来产业（测试）"
    assert record.metadata["published"] == "2024-03-12" and record.metadata["source"] == "东莞日报"
    assert record.metadata["author"] == "郑康喜" and record.metadata["title_from"] == "metadata file"

    assert sync(fake_settings, open_store(fake_settings), [corpus]).unchanged == 1
    sidecar.write_text('{"title": "新标题"}', encoding="utf-8")  # a changed sidecar re-indexes its article
    assert sync(fake_settings, open_store(fake_settings), [corpus]).updated == 1
    assert documents(fake_settings)[SEED_ARTICLE.name].title == "新标题"

    sidecar.write_text('{"title": ', encoding="utf-8")  # broken: the article stays, without it
    summary = sync(fake_settings, open_store(fake_settings), [corpus])
    assert summary.updated == 1
    assert any(s.path.endswith(sidecar.name) and "not valid JSON" in s.reason for s in summary.skipped)
    assert documents(fake_settings)[SEED_ARTICLE.name].metadata["title_from"] == "opening sentence"


def test_the_bundled_article_has_a_title_and_date_and_its_text_is_unchanged(fake_settings):
    stated = metadata.parse(SEED_SIDECAR.read_bytes())
    assert stated["title"] and stated["published"].startswith("2024") and stated["source"]
    # The article's bytes are those it has always had: its title lives beside it, not in it.
    assert hashlib.sha256(SEED_ARTICLE.read_bytes()).hexdigest() == "4385bb32278ed29f2a824fdfa78109b9b5b760e86d216bc9ae96c0afd66951ea"
    shutil.copy(SEED_SIDECAR, fake_settings.corpus_dir / SEED_SIDECAR.name)
    sync(fake_settings, open_store(fake_settings), [fake_settings.corpus_dir])
    record = documents(fake_settings)[SEED_ARTICLE.name]
    assert record.title == stated["title"] and record.metadata["published"] == stated["published"]
    assert json.loads(SEED_SIDECAR.read_text(encoding="utf-8"))["title"] == record.title

