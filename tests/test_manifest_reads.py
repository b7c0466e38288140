"""The manifest's per-thread read connection, and dense retrieval straight from Chroma."""

from __future__ import annotations

import shutil
import sqlite3
import threading

import numpy as np
import pytest

from index.manifest import ChunkRecord, DocumentRecord, Manifest
from index.retrieval import Searcher


def document(doc_id: str, text: str = "东莞未来产业") -> tuple[DocumentRecord, list[ChunkRecord]]:
    chunk = ChunkRecord(f"{doc_id}#0:abc", doc_id, 0, text, 0, len(text), "", ("东莞", "未来", "产业"))
    return DocumentRecord(doc_id, doc_id, "hash", doc_id, {}, 1), [chunk]


@pytest.fixture
def manifest(tmp_path):
    return Manifest(tmp_path / "manifest.sqlite3")


@pytest.fixture
def opened(manifest, monkeypatch):
    """Counts the read connections the manifest opens."""
    calls = []
    real = manifest._open_reader
    monkeypatch.setattr(manifest, "_open_reader", lambda: calls.append(1) or real())
    return calls


def test_a_thread_reads_through_one_connection(manifest, opened):
    manifest.replace_documents([document("a.txt")])
    for _ in range(3):
        manifest.generation, manifest.counts(), manifest.chunks_by_id(["a.txt#0:abc"]), manifest.documents_by_id(["a.txt"])
    assert len(opened) == 1


def test_each_thread_has_its_own_connection(manifest, opened):
    manifest.counts()
    errors = []

    def read():
        try:
            assert manifest.counts() == (0, 0)
        except Exception as error:  # surfaced below: an exception in a thread is not a failure
            errors.append(error)

    threads = [threading.Thread(target=read) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors and len(opened) == 4


def test_generation_follows_writes_of_other_connections(manifest, tmp_path):
    assert manifest.generation == 0
    manifest.replace_documents([document("a.txt")])
    assert manifest.generation == 1 and manifest.counts() == (1, 1)
    other = Manifest(tmp_path / "manifest.sqlite3")  # as another process would
    other.remove_document("a.txt")
    assert manifest.generation == 2 and manifest.counts() == (0, 0)
    with sqlite3.connect(tmp_path / "manifest.sqlite3") as db:  # a write the manifest did not make
        db.execute("UPDATE meta SET value = '41' WHERE key = 'generation'")
    assert manifest.generation == 41


def test_a_manifest_replaced_by_rename_is_read_anew(manifest, tmp_path):
    manifest.replace_documents([document("a.txt")])
    assert manifest.generation == 1
    staged = tmp_path / "published.sqlite3"
    other = Manifest(staged)
    for name in ("x.txt", "y.txt", "z.txt"):
        other.replace_documents([document(name)])
    shutil.move(staged, tmp_path / "manifest.sqlite3")  # what index.publish does with os.replace
    assert manifest.generation == 3 and set(manifest.documents()) == {"x.txt", "y.txt", "z.txt"}


def test_dense_scores_are_cosine_similarities_of_the_stored_vectors(fake_store):
    question = "东莞计划培育几个规模超百亿元的未来产业集群？"
    query = np.asarray(fake_store.embedder.get_query_embedding(question))
    hits = Searcher(fake_store, bm25_weight=0, dense_weight=1).dense_hits(query, 5)
    stored = fake_store.collection.get(include=["embeddings"])
    vectors = dict(zip(stored["ids"], np.asarray(stored["embeddings"])))
    exact = sorted(vectors, key=lambda chunk_id: -float(vectors[chunk_id] @ query))[:5]
    assert [chunk_id for chunk_id, _ in hits] == exact
    for chunk_id, score in hits:
        assert score == pytest.approx(float(vectors[chunk_id] @ query), abs=1e-4)
