"""Ingest mirrors the corpus folder (fake embedder, real Chroma, real SQLite)."""

import json

import pytest

from index.embedding import load_embedder
from index.store import IndexStore
from index import vector_store
from ingest.__main__ import main as ingest_main
from ingest.sync import IngestError, ingest_lock, sync
from tests.conftest import make_settings


def open_store(settings):
    return IndexStore(settings, load_embedder(settings), rebuild_on_model_change=True)


def chroma_ids(store):
    return vector_store.all_ids(store.collection)


def test_second_ingest_of_the_same_files_changes_nothing(fake_settings):
    store = open_store(fake_settings)
    first = sync(fake_settings, store, [fake_settings.corpus_dir])
    assert (first.added, first.updated, first.documents) == (1, 0, 1)
    ids = chroma_ids(store)
    second = sync(fake_settings, open_store(fake_settings), [fake_settings.corpus_dir])
    assert (second.added, second.updated, second.removed, second.unchanged) == (0, 0, 0, 1)
    assert chroma_ids(store) == ids == store.manifest.chunk_ids()
    assert second.chunks == first.chunks == len(ids)


def test_changed_and_deleted_files_are_reindexed_and_removed(fake_settings):
    corpus = fake_settings.corpus_dir
    (corpus / "extra.md").write_text("# 滨海湾新区\n\n滨海湾新区发布新的产业政策。", encoding="utf-8")
    store = open_store(fake_settings)
    assert sync(fake_settings, store, [corpus]).added == 2

    (corpus / "extra.md").write_text("# 滨海湾新区\n\n滨海湾新区发布第二版产业政策。", encoding="utf-8")
    summary = sync(fake_settings, store, [corpus])
    assert (summary.updated, summary.unchanged) == (1, 1)
    texts = [c.text for c in store.manifest.all_chunks() if c.doc_id == "extra.md"]
    assert any("第二版" in t for t in texts) and not any("新的产业政策" in t for t in texts)

    (corpus / "extra.md").unlink()
    summary = sync(fake_settings, store, [corpus])
    assert (summary.removed, summary.documents) == (1, 1)
    assert chroma_ids(store) == store.manifest.chunk_ids()
    assert all(not i.startswith("extra.md#") for i in chroma_ids(store))
    assert all(not i.startswith("extra.md#") for i in store.lexical().chunk_ids)


def test_bad_files_are_skipped_with_reasons_and_the_rest_indexed(fake_settings):
    corpus = fake_settings.corpus_dir
    (corpus / "empty.txt").write_text("", encoding="utf-8")
    (corpus / "binary.txt").write_bytes(b"\x00\x01\x02\x03")
    (corpus / "slides.pptx").write_bytes(b"PK\x03\x04")
    summary = sync(fake_settings, open_store(fake_settings), [corpus])
    reasons = {s.path.rsplit("/", 1)[-1]: s.reason for s in summary.skipped}
    assert set(reasons) == {"empty.txt", "binary.txt", "slides.pptx"}
    assert "binary" in reasons["binary.txt"] and "unsupported" in reasons["slides.pptx"]
    assert summary.documents == 1 and summary.added == 1


def test_files_over_the_size_limit_are_skipped(tmp_path, corpus_dir):
    settings = make_settings(tmp_path, max_file_mb=0.001)
    summary = sync(settings, open_store(settings), [corpus_dir])
    assert summary.documents == 0 and "limit" in summary.skipped[0].reason


def test_interrupted_write_is_repaired_by_the_next_ingest(fake_settings):
    store = open_store(fake_settings)
    sync(fake_settings, store, [fake_settings.corpus_dir])
    clean_ids = chroma_ids(store)
    # A crash after vectors were written but before the manifest row: stray vectors remain.
    embedding = store.embedder.get_text_embedding("残留")
    vector_store.upsert_chunks(store.collection, store.client, ["ghost.txt#0:abc"], [embedding], ["残留"], [{"doc_id": "ghost.txt"}])
    # And a document whose vectors went missing.
    some_doc_ids = [i for i in clean_ids][:2]
    vector_store.delete_ids(store.collection, store.client, some_doc_ids)
    summary = sync(fake_settings, open_store(fake_settings), [fake_settings.corpus_dir])
    assert summary.updated == 1
    assert chroma_ids(store) == clean_ids == store.manifest.chunk_ids()


def test_a_second_ingest_at_the_same_time_is_refused(fake_settings):
    with ingest_lock(fake_settings.storage_dir):
        with pytest.raises(IngestError, match="already running"):
            sync(fake_settings, open_store(fake_settings), [fake_settings.corpus_dir])


def test_cli_prints_one_json_object(fake_settings, monkeypatch, capsys):
    monkeypatch.setenv("GUANWEN_STORAGE_DIR", str(fake_settings.storage_dir))
    monkeypatch.setenv("GUANWEN_EMBED_MODEL", "fake")
    assert ingest_main([str(fake_settings.corpus_dir), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {"documents", "chunks", "added", "updated", "removed", "unchanged", "skipped", "duplicates"}
    assert out["added"] == 1


def test_cli_missing_folder_is_one_line_error(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("GUANWEN_STORAGE_DIR", str(tmp_path / "s"))
    monkeypatch.setenv("GUANWEN_EMBED_MODEL", "fake")
    assert ingest_main([str(tmp_path / "nowhere")]) == 1
    err = capsys.readouterr().err
    assert err.strip().count("\n") == 0 and "not found" in err and "Traceback" not in err


def test_model_change_at_query_time_is_refused_and_ingest_rebuilds(fake_settings):
    sync(fake_settings, open_store(fake_settings), [fake_settings.corpus_dir])
    other = fake_settings.model_copy(update={"embed_model": "fake"})
    from index.embedding import HashingEmbedding

    with pytest.raises(vector_store.ModelMismatchError, match="Re-ingest"):
        IndexStore(other, HashingEmbedding(dim=128))
    rebuilt = IndexStore(other, HashingEmbedding(dim=128), rebuild_on_model_change=True)
    assert rebuilt.model_changed and rebuilt.counts() == (0, 0)


def test_changing_the_chunk_size_reindexes_every_document(fake_settings):
    store = open_store(fake_settings)
    before = sync(fake_settings, store, [fake_settings.corpus_dir]).chunks
    smaller = fake_settings.model_copy(update={"chunk_chars": 120})
    summary = sync(smaller, open_store(smaller), [smaller.corpus_dir])
    assert summary.updated == 1 and summary.chunks > before
    assert chroma_ids(store) == store.manifest.chunk_ids()
