"""Ingest embeds and writes changed documents in batches across documents, crash-safely."""

from __future__ import annotations

import math

import pytest

from index import vector_store
from index.embedding import load_embedder
from index.store import IndexStore
from ingest import sync as sync_module
from ingest.sync import sync
from tests.conftest import make_settings
from tests.corpus_factory import write_corpus


@pytest.fixture
def many(tmp_path):
    write_corpus(tmp_path / "corpus", documents=30)
    return make_settings(tmp_path)


def counting(store: IndexStore) -> dict[str, list[int]]:
    """Wrap the embedder and the writers; record how many texts / documents each call got."""
    calls: dict[str, list[int]] = {"embed": [], "write": [], "manifest": []}
    embed, write, manifest = store.embedder.embed_passages, store.write_documents, store.manifest.replace_documents
    object.__setattr__(store.embedder, "embed_passages", lambda texts: calls["embed"].append(len(texts)) or embed(texts))
    store.write_documents = lambda batch: calls["write"].append(len(batch)) or write(batch)
    store.manifest.replace_documents = lambda batch, *rest: calls["manifest"].append(len(batch)) or manifest(batch, *rest)
    return calls


def distinct_sentences(store: IndexStore) -> int:
    """Sentences and clauses as the documents hold them: one two overlapping chunks share counts once."""
    chunks = store.manifest.all_chunks()
    stored = store.manifest.sentence_vectors([c.chunk_id for c in chunks])
    spans = {(c.doc_id, c.start + a, c.start + b) for c in chunks for a, b in stored[c.chunk_id].spans}
    return len(spans | {(c.doc_id, c.start + a, c.start + b) for c in chunks for _, a, b in stored[c.chunk_id].clauses})


def test_documents_are_embedded_and_written_in_batches(many, monkeypatch):
    monkeypatch.setattr(sync_module, "INGEST_BATCH_CHUNKS", 40)
    store = IndexStore(many, load_embedder(many))
    calls = counting(store)
    summary = sync(many, store, [many.corpus_dir])
    assert summary.added == 30
    # Every batch but the last reaches the threshold, so there are about chunks / 40 of them.
    assert len(calls["embed"]) == len(calls["write"]) == len(calls["manifest"]) <= math.ceil(summary.chunks / 40) + 1
    assert len(calls["write"]) < 30 and sum(calls["write"]) == 30
    assert sum(calls["embed"]) == distinct_sentences(store) > summary.chunks  # each sentence and clause embedded once
    assert all(n >= 40 for n in calls["embed"][:-1])
    assert vector_store.all_ids(store.collection) == store.manifest.chunk_ids()


def test_batched_vectors_are_the_per_document_ones(many, tmp_path, monkeypatch):
    monkeypatch.setattr(sync_module, "INGEST_BATCH_CHUNKS", 1)  # one document per batch
    single = make_settings(tmp_path, storage_dir=tmp_path / "single")
    sync(single, IndexStore(single, load_embedder(single)), [single.corpus_dir])
    monkeypatch.setattr(sync_module, "INGEST_BATCH_CHUNKS", 10_000)  # the whole corpus in one batch
    batched = IndexStore(many, load_embedder(many))
    sync(many, batched, [many.corpus_dir])
    one = IndexStore(single, load_embedder(single)).collection.get(include=["embeddings", "metadatas"])
    all_ = batched.collection.get(include=["embeddings", "metadatas"])
    by_id = dict(zip(all_["ids"], zip(all_["embeddings"], all_["metadatas"])))
    assert set(one["ids"]) == set(by_id)
    for chunk_id, vector, metadata in zip(one["ids"], one["embeddings"], one["metadatas"]):
        assert list(vector) == pytest.approx(list(by_id[chunk_id][0])) and metadata == by_id[chunk_id][1]


def test_a_crash_between_vectors_and_manifest_is_repaired(many, monkeypatch):
    """The second batch's vectors are written, then its manifest transaction fails: the next sync
    indexes exactly what a clean one does."""
    monkeypatch.setattr(sync_module, "INGEST_BATCH_CHUNKS", 40)
    store = IndexStore(many, load_embedder(many))
    manifest_write = store.manifest.replace_documents
    written = []

    def crash_on_second(batch, sentences):
        if written:
            raise KeyboardInterrupt("killed")
        written.append(len(batch))
        manifest_write(batch, sentences)

    store.manifest.replace_documents = crash_on_second
    with pytest.raises(KeyboardInterrupt):
        sync(many, store, [many.corpus_dir])
    fresh = IndexStore(many, load_embedder(many))
    assert vector_store.all_ids(fresh.collection) > fresh.manifest.chunk_ids()  # orphan vectors of batch 2
    summary = sync(many, fresh, [many.corpus_dir])
    assert summary.added == 30 - written[0] and summary.unchanged == written[0]
    assert vector_store.all_ids(fresh.collection) == fresh.manifest.chunk_ids()
    assert summary.chunks == len(fresh.manifest.chunk_ids())
