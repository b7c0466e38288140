"""Near-duplicate articles are indexed once and listed in the summary."""

from index.embedding import load_embedder
from index.store import IndexStore
from ingest.dedup import signature, similarity
from ingest.sync import sync
from tests.conftest import SEED_ARTICLE


def run(settings):
    return sync(settings, IndexStore(settings, load_embedder(settings)), [settings.corpus_dir])


def reposted(text: str) -> str:
    """The seed article as another site re-posts it: other header, punctuation, a trailing label."""
    body = text.replace("作者:郑康喜", "来源：南方财经").replace(",", "，").replace("。", "。 ")
    return body.replace("春节期间", "今年春节期间") + "\n热门跟贴\n"


def test_signature_similarity_separates_copies_from_other_articles():
    seed = SEED_ARTICLE.read_text(encoding="utf-8")
    assert similarity(signature(seed), signature(reposted(seed))) > 0.85
    other = "滨海湾新区今年将建设三个新的产业园区，重点引进新能源汽车零部件企业。" * 20
    assert similarity(signature(seed), signature(other)) < 0.2


def test_the_same_article_saved_twice_is_indexed_once(fake_settings):
    corpus = fake_settings.corpus_dir
    (corpus / "copy-of-article.txt").write_bytes(SEED_ARTICLE.read_bytes())
    summary = run(fake_settings)
    assert summary.documents == 1 and summary.added == 1
    # Files are taken in document-id order: the first copy is kept, the later one listed.
    assert [(d.path.rsplit("/", 1)[-1], d.duplicate_of) for d in summary.duplicates] == [
        ("dongguan-future-industries.txt", "copy-of-article.txt")
    ]


def test_a_repost_with_trivial_differences_is_a_near_duplicate(fake_settings):
    run(fake_settings)
    (fake_settings.corpus_dir / "repost.md").write_text(reposted(SEED_ARTICLE.read_text(encoding="utf-8")), encoding="utf-8")
    summary = run(fake_settings)
    assert summary.added == 0 and summary.documents == 1
    assert summary.duplicates[0].duplicate_of == "dongguan-future-industries.txt"
    assert summary.duplicates[0].path.endswith("repost.md")


def test_a_different_article_is_not_a_duplicate(fake_settings):
    (fake_settings.corpus_dir / "other.md").write_text(
        "# 滨海湾\n\n滨海湾新区今年将建设三个新的产业园区，重点引进新能源汽车零部件企业。", encoding="utf-8"
    )
    summary = run(fake_settings)
    assert summary.documents == 2 and summary.duplicates == []


def test_when_the_original_goes_the_copy_is_indexed(fake_settings):
    corpus = fake_settings.corpus_dir
    (corpus / "zz-copy.txt").write_bytes(SEED_ARTICLE.read_bytes())
    first = run(fake_settings)
    assert first.documents == 1 and first.duplicates[0].path.endswith("zz-copy.txt")
    (corpus / SEED_ARTICLE.name).unlink()
    second = run(fake_settings)
    assert (second.removed, second.added, second.documents, second.duplicates) == (1, 1, 1, [])


def test_a_previously_indexed_file_now_over_the_size_limit_keeps_its_index(fake_settings, tmp_path):
    run(fake_settings)
    tight = fake_settings.model_copy(update={"max_file_mb": 0.001})
    summary = run(tight)
    assert summary.removed == 0 and summary.documents == 1 and "limit" in summary.skipped[0].reason
