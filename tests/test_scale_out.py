"""More than one app process in front of one Chroma server (docs/deployment.md).

- Same machine: two app processes share the Chroma server and one storage folder (manifest and
  BM25 files); both answer alike, and both see a re-ingest at their next question.
- Another machine: an app process with its own storage folder, which ingest's host fills with
  ``python -m index.publish``; until a publish it answers from the snapshot it has, afterwards
  from the new one, without a restart.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import httpx
import pytest

from tests.chroma_server import ChromaServer, start_apps
from tests.conftest import MAIN_QUESTION, SEED_ARTICLE, RunningApp, clean_env, run_python, says_main_fact

pytestmark = pytest.mark.slow

NEW_ARTICLE = "# 虎门\n\n虎门镇今年新建了一座量子计算实验室，投资约五亿元。\n"
NEW_QUESTION = "虎门镇新建的量子计算实验室投资多少？"


def env_for(storage: Path, corpus: Path, chroma: ChromaServer) -> dict[str, str]:
    return clean_env(
        GUANWEN_STORAGE_DIR=str(storage), GUANWEN_CORPUS_DIR=str(corpus), GUANWEN_EMBED_MODEL="fake", **chroma.env()
    )


def ask(url: str, question: str = MAIN_QUESTION) -> dict:
    response = httpx.post(url + "/api/ask", json={"question": question}, timeout=60)
    assert response.status_code == 200, response.text
    return response.json()


def top_doc(url: str, mode: str) -> str | None:
    response = httpx.post(url + "/api/search", json={"question": "虎门镇量子计算实验室", "mode": mode}, timeout=60)
    assert response.status_code == 200, response.text
    passages = response.json()["passages"]
    return passages[0]["doc_id"] if passages else None


def cited(answer: dict) -> list[tuple[str, str, str]]:
    return [(c["doc_id"], c["text"], c["quote"]) for c in answer["citations"]]


def test_app_processes_share_a_chroma_server_and_see_each_ingest(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(SEED_ARTICLE, corpus)
    chroma = ChromaServer(tmp_path / "chroma-data", tmp_path / "chroma.log")
    apps: list[RunningApp] = []
    try:
        ingest_env = env_for(tmp_path / "storage", corpus, chroma)
        first = run_python(["-m", "ingest", "--json"], ingest_env)
        assert first.returncode == 0, first.stderr
        # Host B: its own storage folder, filled by a publish from host A.
        remote_storage = tmp_path / "host-b" / "storage"
        published = run_python(["-m", "index.publish", str(remote_storage)], ingest_env)
        assert published.returncode == 0, published.stderr
        assert not (remote_storage / "chroma").exists()
        # Two processes on host A, on ingest's own storage folder, and one on host B.
        apps = start_apps(
            (ingest_env, tmp_path / "a1.log"),
            (ingest_env, tmp_path / "a2.log"),
            (env_for(remote_storage, corpus, chroma), tmp_path / "b.log"),
        )
        remote = apps[2]

        answers = [ask(app.url) for app in apps]
        assert says_main_fact(answers[0]["answer"]) and answers[0]["citations"]
        for other in answers[1:]:
            assert (other["answer"], cited(other)) == (answers[0]["answer"], cited(answers[0]))

        (corpus / "humen.md").write_text(NEW_ARTICLE, encoding="utf-8")
        again = run_python(["-m", "ingest", "--json"], ingest_env)
        assert again.returncode == 0, again.stderr
        assert json.loads(again.stdout)["added"] == 1

        for app in apps[:2]:  # same storage: the next question sees the new manifest generation
            assert httpx.get(app.url + "/healthz", timeout=30).json()["documents"] == 2
            assert top_doc(app.url, "bm25") == top_doc(app.url, "dense") == "humen.md"
            assert ask(app.url, NEW_QUESTION)["citations"][0]["doc_id"] == "humen.md"
        # Host B before the publish: its manifest does not list the new chunks, so the new
        # vectors it gets back from Chroma are left out rather than cited without a source.
        assert httpx.get(remote.url + "/healthz", timeout=30).json()["documents"] == 1
        assert "humen.md" not in (top_doc(remote.url, "bm25"), top_doc(remote.url, "dense"))

        published = run_python(["-m", "index.publish", str(remote_storage)], ingest_env)
        assert published.returncode == 0, published.stderr
        assert httpx.get(remote.url + "/healthz", timeout=30).json()["documents"] == 2
        assert top_doc(remote.url, "bm25") == top_doc(remote.url, "dense") == "humen.md"
        answers = [ask(app.url, NEW_QUESTION) for app in apps]
        for other in answers[1:]:
            assert cited(other) == cited(answers[0]) and other["citations"][0]["doc_id"] == "humen.md"
    finally:
        for app in apps:
            app.stop()
        chroma.stop()


def test_publish_refuses_its_own_storage_and_an_empty_one(tmp_path):
    env = clean_env(GUANWEN_STORAGE_DIR=str(tmp_path / "storage"), GUANWEN_EMBED_MODEL="fake")
    same = run_python(["-m", "index.publish", str(tmp_path / "storage")], env)
    assert same.returncode == 2 and "storage folder itself" in same.stderr
    empty = run_python(["-m", "index.publish", str(tmp_path / "dest")], env)
    assert empty.returncode == 1 and "run ingest first" in empty.stderr and "Traceback" not in empty.stderr
