"""Embedding backends: the setting, the backend recorded in the index, and (slow) the ONNX export
of the bundled model checked against torch's vectors."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from tests.conftest import REPO, clean_env, make_settings
from index import vector_store
from index.embedding import (
    EmbeddingModelError,
    HashingEmbedding,
    ONNX_FILES,
    load_embedder,
    load_onnx,
    onnx_export_folder,
)
from index.store import IndexStore
from ingest.sync import sync
from settings import Settings

TEXTS = [
    "东莞计划培育几个规模超百亿元的未来产业集群？",
    "中国散裂中子源打靶束流功率达到多少？" * 20,  # long enough to be truncated at 256 tokens
    "Dongguan R&D spending reached 4.1% of GDP in 2022.",
    "",
]


def test_backend_setting_accepts_the_three_backends_only(monkeypatch, tmp_path):
    for name in ("torch", "onnx", "onnx-int8"):
        monkeypatch.setenv("GUANWEN_EMBED_BACKEND", name)
        assert Settings(_env_file=None).embed_backend == name
    monkeypatch.setenv("GUANWEN_EMBED_BACKEND", "tensorrt")
    with pytest.raises(ValueError, match="embed_backend"):
        Settings(_env_file=None)


def test_model_cache_defaults_to_the_storage_dir_or_the_setting(tmp_path):
    assert make_settings(tmp_path).onnx_cache_dir == tmp_path / "storage" / "models"
    assert make_settings(tmp_path, model_cache_dir=tmp_path / "m").onnx_cache_dir == tmp_path / "m"


def test_export_folder_is_per_model_id(tmp_path):
    a = onnx_export_folder(tmp_path, "bundled:all-MiniLM-L6-v2")
    b = onnx_export_folder(tmp_path, "/models/bge-small-zh")
    assert a.parent == tmp_path and a != b and a == onnx_export_folder(tmp_path, "bundled:all-MiniLM-L6-v2")


def test_the_collection_records_the_backend_and_refuses_another(fake_settings):
    client = vector_store.open_client(fake_settings)
    made = vector_store.open_collection(client, "coll", "m", lambda: 8, create=True, backend="onnx-int8")
    assert made.metadata["embed_backend"] == "onnx-int8"
    assert vector_store.open_collection(client, "coll", "m", lambda: 8, create=False, backend="onnx-int8") is not None
    with pytest.raises(vector_store.ModelMismatchError, match="backend 'onnx-int8'.*GUANWEN_EMBED_BACKEND.*Re-ingest"):
        vector_store.open_collection(client, "coll", "m", lambda: 8, create=False, backend="torch")


def test_an_index_from_before_backends_counts_as_torch(fake_settings):
    client = vector_store.open_client(fake_settings)
    client.create_collection("old", metadata={"embed_model": "m", "embed_dim": 8}, embedding_function=None)
    assert vector_store.open_collection(client, "old", "m", lambda: 8, create=False, backend="torch") is not None
    with pytest.raises(vector_store.ModelMismatchError, match="backend 'torch'"):
        vector_store.open_collection(client, "old", "m", lambda: 8, create=False, backend="onnx-int8")


class _OtherBackend(HashingEmbedding):
    backend: str = "onnx"


def test_a_backend_change_is_refused_at_query_time_and_rebuilt_by_ingest(fake_settings):
    sync(fake_settings, IndexStore(fake_settings, HashingEmbedding()), [fake_settings.corpus_dir])
    with pytest.raises(vector_store.ModelMismatchError, match="Re-ingest"):
        IndexStore(fake_settings, _OtherBackend())
    rebuilt = IndexStore(fake_settings, _OtherBackend(), rebuild_on_model_change=True)
    assert rebuilt.model_changed and rebuilt.counts() == (0, 0)
    summary = sync(fake_settings, rebuilt, [fake_settings.corpus_dir])
    assert summary.added == 1 and rebuilt.collection.metadata["embed_backend"] == "onnx"


def test_a_failed_export_says_how_to_run_on_torch(tmp_path):
    def broken_model():
        raise RuntimeError("no weights here")

    with pytest.raises(EmbeddingModelError, match="GUANWEN_EMBED_BACKEND=torch"):
        load_onnx(tmp_path / "export", "onnx-int8", broken_model)
    assert not (tmp_path / "export").exists()


# --- the real bundled model -------------------------------------------------------------------


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """The bundled model on each backend, the ONNX ones exported once into one cache."""
    cache = tmp_path_factory.mktemp("models")
    embedders = {}
    for name in ("torch", "onnx", "onnx-int8"):
        settings = Settings(_env_file=None, embed_model="bundled", embed_backend=name, model_cache_dir=cache)
        embedders[name] = load_embedder(settings)
    vectors = {name: np.asarray(e.get_text_embedding_batch(TEXTS)) for name, e in embedders.items()}
    return cache, embedders, vectors


@pytest.mark.slow
def test_onnx_export_gives_torch_vectors(exported):
    _, embedders, vectors = exported
    assert embedders["onnx"].dimension == embedders["torch"].dimension == vectors["onnx"].shape[1]
    cosine = (vectors["onnx"] * vectors["torch"]).sum(axis=1)
    assert cosine.min() > 0.9999, cosine  # the same graph and tokenizer: only float rounding differs


@pytest.mark.slow
def test_int8_vectors_are_close_to_torch_and_normalised(exported):
    _, _, vectors = exported
    assert np.allclose(np.linalg.norm(vectors["onnx-int8"], axis=1), 1.0, atol=1e-4)
    cosine = (vectors["onnx-int8"] * vectors["torch"]).sum(axis=1)
    assert cosine.min() > 0.95, cosine
    assert not np.allclose(vectors["onnx-int8"], vectors["torch"], atol=1e-4)  # really quantised


@pytest.mark.slow
def test_query_embedding_is_the_text_encoded_alone(exported):
    _, embedders, vectors = exported
    embedder = embedders["onnx-int8"]
    query = np.asarray(embedder.get_query_embedding(TEXTS[0]))
    alone = np.asarray(embedder.get_text_embedding_batch(TEXTS[:1]))[0]
    assert np.allclose(query, alone, atol=1e-6)
    # Dynamic quantisation scales activations per batch, so a text's int8 vector moves a little
    # with the texts beside it (docs/performance.md); it stays that close.
    assert float(query @ vectors["onnx-int8"][0]) > 0.97


@pytest.mark.slow
def test_a_question_runs_on_one_thread_and_a_batch_on_every_core(exported):
    _, embedders, _ = exported
    encoder = embedders["onnx-int8"].model()
    alone = encoder.encode(TEXTS[0])
    twice = encoder.encode([TEXTS[0], TEXTS[0]])  # the same text twice: the same int8 scales
    threads = {key: session.get_session_options().intra_op_num_threads for key, session in encoder._sessions.items()}
    assert threads == {1: 1, None: 0}  # 0: onnxruntime's default, one thread per core
    assert np.allclose(alone, twice[0], atol=1e-5) and np.allclose(twice[0], twice[1])


@pytest.mark.slow
def test_export_is_reused_and_needs_neither_torch_nor_the_network(exported):
    cache, embedders, _ = exported
    folder = onnx_export_folder(cache, embedders["onnx"].model_name)
    stamps = {f: (folder / f).stat().st_mtime_ns for f in ONNX_FILES.values()}
    code = (
        "import json, sys, numpy as np; from settings import Settings; from index.embedding import load_embedder;"
        f"e = load_embedder(Settings(_env_file=None, embed_model='bundled', embed_backend='onnx-int8', model_cache_dir={str(cache)!r}));"
        "v = e.get_query_embedding('东莞'); print(json.dumps({'torch': 'torch' in sys.modules, 'n': len(v)}))"
    )
    env = clean_env(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", PYTHONPATH=str(REPO))
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {"torch": False, "n": embedders["onnx"].dimension}
    assert {f: (folder / f).stat().st_mtime_ns for f in ONNX_FILES.values()} == stamps


@pytest.mark.slow
def test_an_incomplete_export_is_made_again(exported, tmp_path):
    _, embedders, vectors = exported
    settings = Settings(_env_file=None, embed_model="bundled", embed_backend="onnx", model_cache_dir=tmp_path)
    folder = onnx_export_folder(tmp_path, embedders["onnx"].model_name)
    folder.mkdir()
    (folder / "model.onnx").write_bytes(b"half a file")  # killed mid-export: no export.json
    again = np.asarray(load_embedder(settings).get_text_embedding_batch(TEXTS))
    assert np.allclose(again, vectors["onnx"], atol=1e-5)
    assert (folder / "export.json").exists()
