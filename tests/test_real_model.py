"""The real bundled model and a real Chroma store, through the command line."""

import json

import pytest

from tests.conftest import MAIN_QUESTION, MODEL_CACHE, clean_env, run_python, says_main_fact

pytestmark = pytest.mark.slow


def test_second_ingest_reports_nothing_added_or_updated(real_storage):
    result = run_python(["-m", "ingest", "--json"], clean_env(GUANWEN_STORAGE_DIR=str(real_storage)))
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert (summary["added"], summary["updated"], summary["unchanged"]) == (0, 0, 1)


def test_ask_json_answers_the_main_question_with_a_citation(real_storage):
    result = run_python(["app.py", "ask", MAIN_QUESTION, "--json"], clean_env(GUANWEN_STORAGE_DIR=str(real_storage)))
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert says_main_fact(answer["answer"]) and not answer["refused"]
    citation = answer["citations"][0]
    assert set(citation) >= {"id", "doc_id", "title", "text", "quote"}
    assert citation["quote"] in citation["text"] and citation["doc_id"] == "dongguan-future-industries.txt"


def test_dense_retrieval_uses_the_real_model(real_storage):
    from index.embedding import load_embedder
    from index.retrieval import Searcher
    from index.store import IndexStore
    from settings import Settings

    settings = Settings(_env_file=None, storage_dir=real_storage, model_cache_dir=MODEL_CACHE)
    store = IndexStore(settings, load_embedder(settings))
    assert store.embedder.dimension == 384
    hits = Searcher(store, bm25_weight=0, dense_weight=1).search("Sora AI", "dense", 3)
    assert len(hits) == 3 and hits[0].dense_score > hits[-1].dense_score
    assert all(h.bm25_rank is None for h in hits)


def test_ask_rejects_an_empty_question_without_a_traceback(real_storage):
    result = run_python(["app.py", "ask", "   "], clean_env(GUANWEN_STORAGE_DIR=str(real_storage)))
    assert result.returncode == 2 and "empty" in result.stderr and "Traceback" not in result.stderr


def test_querying_with_another_model_is_refused_with_a_reingest_hint(real_storage):
    result = run_python(
        ["app.py", "ask", "东莞"], clean_env(GUANWEN_STORAGE_DIR=str(real_storage), GUANWEN_EMBED_MODEL="fake")
    )
    assert result.returncode == 1 and "Re-ingest" in result.stderr and "Traceback" not in result.stderr
