"""The manifest's per-thread read connection, and dense retrieval straight from Chroma."""

from __future__ import annotations

import shutil
import sqlite3
import threading

import numpy as np
import pytest

from index.manifest import ChunkRecord, DocumentRecord, Manifest, SentenceVectors
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


def unit(*values):
    vector = np.asarray(values, dtype=np.float32)
    return vector / np.linalg.norm(vector)


def test_a_sentence_is_as_close_as_its_own_cosine_averaged_with_its_closest_clauses():
    query = unit(1, 0, 0)
    sentences = SentenceVectors(
        ((0, 10), (10, 20)), np.stack([unit(1, 1, 0), unit(0, 1, 0)]),
        ((0, 0, 5), (0, 5, 10)), np.stack([unit(1, 0, 0), unit(0, 0, 1)]),
    )
    own = float(unit(1, 1, 0) @ query)
    assert sentences.similarities(query) == pytest.approx([(own + 1.0) / 2, 0.0], abs=1e-6)
    # A clause further from the question than its sentence does not lower the sentence.
    farther = SentenceVectors(((0, 10),), np.stack([unit(1, 1, 0)]), ((0, 0, 5),), np.stack([unit(0, 0, 1)]))
    assert farther.similarities(query) == pytest.approx([own], abs=1e-6)


def test_sentence_and_clause_vectors_are_stored_and_read_back(fake_store):
    chunks = fake_store.manifest.all_chunks()
    stored = fake_store.manifest.sentence_vectors([c.chunk_id for c in chunks])
    with_clauses = [stored[c.chunk_id] for c in chunks if stored[c.chunk_id].clauses]
    assert with_clauses  # the seed article has long sentences
    for chunk in chunks:
        vectors = stored[chunk.chunk_id]
        assert [row for row, _, _ in vectors.clauses] == sorted(row for row, _, _ in vectors.clauses)
        for row, start, end in vectors.clauses:
            sentence_start, sentence_end = vectors.spans[row]
            assert sentence_start <= start < end <= sentence_end
        layout, blob = vectors.encode()
        again = SentenceVectors.decode(layout, blob)
        assert again.spans == vectors.spans and again.clauses == vectors.clauses
        assert np.allclose(again.vectors, vectors.vectors, atol=1e-3)
        if vectors.clauses:
            clause = fake_store.embedder.embed_passages([chunk.text[vectors.clauses[0][1] : vectors.clauses[0][2]]])[0]
            assert np.allclose(again.clause_vectors[0], clause, atol=2e-3)


def test_sentence_vectors_stored_before_clauses_read_as_sentences_alone():
    vectors = np.stack([unit(1, 0, 0), unit(0, 1, 0)])
    legacy = SentenceVectors.decode("[[0, 5], [5, 9]]", vectors.astype("<f2").tobytes())
    assert legacy.spans == ((0, 5), (5, 9)) and legacy.clauses == ()
    assert legacy.similarities(unit(1, 0, 0)) == pytest.approx([1.0, 0.0], abs=1e-3)


def test_decoded_sentence_vectors_are_read_anew_after_a_change_by_another_connection(manifest, tmp_path):
    def stored(doc_id, vector):
        record, chunks = document(doc_id)
        return [(record, chunks)], {chunks[0].chunk_id: SentenceVectors(((0, 6),), np.stack([vector]))}

    manifest.replace_documents(*stored("a.txt", unit(1, 0, 0)))
    chunk_id = "a.txt#0:abc"
    first = manifest.sentence_vectors([chunk_id])[chunk_id]
    assert manifest.sentence_vectors([chunk_id])[chunk_id] is first  # kept, not decoded again
    Manifest(tmp_path / "manifest.sqlite3").replace_documents(*stored("a.txt", unit(0, 1, 0)))  # another process
    again = manifest.sentence_vectors([chunk_id])[chunk_id]
    assert again.vectors[0] == pytest.approx(unit(0, 1, 0), abs=1e-3)
