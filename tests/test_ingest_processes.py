"""Ingest as separate processes: killed with SIGKILL, run twice at once, and against a Chroma server."""

from __future__ import annotations

import fcntl
import json
import random
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from index import vector_store
from index.embedding import HashingEmbedding
from index.lexical import BM25Index
from index.store import IndexStore
from settings import Settings
from tests.conftest import MAIN_QUESTION, REPO, clean_env, free_port, run_python, says_main_fact
from tests.corpus_factory import write_corpus

pytestmark = pytest.mark.slow


def ingest_env(storage: Path, corpus: Path, **extra: str) -> dict[str, str]:
    return clean_env(GUANWEN_STORAGE_DIR=str(storage), GUANWEN_CORPUS_DIR=str(corpus), GUANWEN_EMBED_MODEL="fake", **extra)


def start_ingest(storage: Path, corpus: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "ingest", "--json"],
        cwd=REPO,
        env=ingest_env(storage, corpus),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_until_locked(process: subprocess.Popen, lock: Path, timeout: float = 120) -> bool:
    """True once ``process`` holds the ingest lock (its real work has begun)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        if lock.exists():
            with open(lock, "a+") as handle:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    fcntl.flock(handle, fcntl.LOCK_UN)
                except BlockingIOError:
                    return True
        time.sleep(0.02)
    return False


def index_state(storage: Path) -> dict:
    """Everything that must agree after an ingest: manifest, Chroma and BM25 ids."""
    settings = Settings(_env_file=None, storage_dir=storage, embed_model="fake")
    store = IndexStore(settings, HashingEmbedding())
    manifest_ids = store.manifest.chunk_ids()
    chroma = vector_store.all_ids(store.collection)
    lexical = BM25Index.load(settings.lexical_dir)
    return {
        "documents": store.counts()[0],
        "manifest": manifest_ids,
        "chroma": chroma,
        "chroma_count": store.collection.count(),
        "lexical": set(lexical.chunk_ids) if lexical else None,
        "lexical_generation_ok": lexical is not None and lexical.generation == store.manifest.generation,
    }


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    return write_corpus(tmp_path_factory.mktemp("synthetic") / "corpus", documents=80)


@pytest.fixture(scope="module")
def clean_reference(corpus, tmp_path_factory) -> tuple[dict, float]:
    """The index a clean ingest builds, and how long its locked (working) part takes."""
    storage = tmp_path_factory.mktemp("clean") / "storage"
    process = start_ingest(storage, corpus)
    assert wait_until_locked(process, storage / "ingest.lock")
    started = time.monotonic()
    out, err = process.communicate(timeout=300)
    working = time.monotonic() - started
    assert process.returncode == 0, err
    assert json.loads(out)["documents"] == 80
    return index_state(storage), working


def kill_at_random_moment(storage: Path, corpus: Path, working: float, rng: random.Random) -> bool:
    """Start an ingest, SIGKILL it at a random moment of its work; True if it was still running."""
    process = start_ingest(storage, corpus)
    if wait_until_locked(process, storage / "ingest.lock"):
        # Within the first 80% of a clean ingest's working time, so the kill lands mid-work even
        # when this run goes faster than the reference did.
        time.sleep(rng.uniform(0, 0.8 * working))
    still_running = process.poll() is None
    if still_running:
        process.send_signal(signal.SIGKILL)
    process.wait()
    return still_running


def assert_same_index(state: dict, reference: dict) -> None:
    assert state["manifest"] == reference["manifest"]
    assert state["chroma"] == reference["manifest"] and state["chroma_count"] == len(reference["manifest"])
    assert state["lexical"] == reference["manifest"] and state["lexical_generation_ok"]
    assert state["documents"] == reference["documents"]


def test_ingest_killed_at_random_moments_recovers_to_a_clean_index(corpus, clean_reference, tmp_path):
    """Ten first ingests, each SIGKILLed at a random moment, then a normal ingest: a clean index."""
    reference, working = clean_reference
    rng = random.Random(2024)
    killed_midway = 0
    for trial in range(10):
        storage = tmp_path / f"storage-{trial}"
        killed_midway += kill_at_random_moment(storage, corpus, working, rng)
        result = run_python(["-m", "ingest", "--json"], ingest_env(storage, corpus))
        assert result.returncode == 0, result.stderr
        assert_same_index(index_state(storage), reference)
    assert killed_midway >= 6, "the kills should land while ingest works"


def test_ingest_killed_while_updating_recovers(corpus, clean_reference, tmp_path):
    """A re-ingest with changed, deleted and new articles, killed three times, then completed."""
    reference, working = clean_reference
    storage = tmp_path / "storage"
    assert run_python(["-m", "ingest", "--json"], ingest_env(storage, corpus)).returncode == 0
    changed = tmp_path / "changed"
    shutil.copytree(corpus, changed)
    files = sorted(changed.iterdir())
    for path in files[:30]:
        path.write_text(path.read_text(encoding="utf-8") + "\n新增一段关于低空经济的说明。\n", encoding="utf-8")
    for path in files[30:50]:
        path.unlink()
    write_corpus(tmp_path / "more", documents=20, seed=99)
    for path in (tmp_path / "more").iterdir():
        shutil.copy(path, changed / f"new-{path.name}")
    clean = tmp_path / "clean-changed"
    assert run_python(["-m", "ingest", "--json"], ingest_env(clean, changed)).returncode == 0
    rng = random.Random(7)
    killed = sum(kill_at_random_moment(storage, changed, working, rng) for _ in range(3))
    result = run_python(["-m", "ingest", "--json"], ingest_env(storage, changed))
    assert result.returncode == 0, result.stderr
    assert_same_index(index_state(storage), index_state(clean))
    assert killed >= 1


def test_a_second_ingest_while_one_runs_exits_with_a_clear_message(corpus, clean_reference, tmp_path):
    reference, _ = clean_reference
    storage = tmp_path / "storage"
    first = start_ingest(storage, corpus)
    assert wait_until_locked(first, storage / "ingest.lock"), "the first ingest should hold the lock while it works"
    # Paused while the second one runs: a batched ingest of 80 small files can finish before a
    # second Python process has even started.
    first.send_signal(signal.SIGSTOP)
    try:
        second = run_python(["-m", "ingest", "--json"], ingest_env(storage, corpus))
    finally:
        first.send_signal(signal.SIGCONT)
    assert second.returncode == 1 and "already running" in second.stderr and second.stdout == ""
    assert "Traceback" not in second.stderr
    out, err = first.communicate(timeout=300)
    assert first.returncode == 0, err
    state = index_state(storage)
    assert state["manifest"] == reference["manifest"] == state["chroma"]


@pytest.fixture
def chroma_server(tmp_path):
    port = free_port()
    binary = Path(sys.executable).with_name("chroma")
    data = tmp_path / "chroma-server"
    log = open(tmp_path / "chroma.log", "w")
    process = subprocess.Popen(
        [str(binary), "run", "--path", str(data), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1):
                break
        except OSError:
            time.sleep(0.3)
    else:
        process.kill()
        pytest.fail("chroma run did not start: " + (tmp_path / "chroma.log").read_text())
    yield port, data
    process.terminate()
    process.wait(timeout=20)
    log.close()


def test_server_mode_ingests_and_answers_through_a_chroma_server(chroma_server, tmp_path):
    port, data = chroma_server
    storage = tmp_path / "storage"
    env = clean_env(
        GUANWEN_STORAGE_DIR=str(storage),
        GUANWEN_CHROMA_HOST="127.0.0.1",
        GUANWEN_CHROMA_PORT=str(port),
        GUANWEN_EMBED_MODEL="fake",
    )
    first = run_python(["-m", "ingest", "--json"], env)
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["added"] == 1
    again = json.loads(run_python(["-m", "ingest", "--json"], env).stdout)
    assert (again["added"], again["updated"]) == (0, 0)
    assert not (storage / "chroma").exists(), "vectors belong in the server, not the embedded store"
    assert any(data.iterdir())

    answer = run_python(["app.py", "ask", MAIN_QUESTION, "--json"], env)
    assert answer.returncode == 0, answer.stderr
    assert says_main_fact(json.loads(answer.stdout)["answer"])

    import chromadb

    client = chromadb.HttpClient(host="127.0.0.1", port=port)
    assert client.get_collection("guanwen").count() == again["chunks"]


def test_server_mode_with_no_server_is_a_clear_error(tmp_path):
    env = clean_env(
        GUANWEN_STORAGE_DIR=str(tmp_path / "s"),
        GUANWEN_CHROMA_HOST="127.0.0.1",
        GUANWEN_CHROMA_PORT=str(free_port()),
        GUANWEN_EMBED_MODEL="fake",
    )
    result = run_python(["-m", "ingest", "--json"], env)
    assert result.returncode == 1 and "Chroma server" in result.stderr and "Traceback" not in result.stderr


def test_a_running_app_answers_from_an_ingest_made_while_it_runs(tmp_path):
    from tests.conftest import RunningApp, SEED_ARTICLE
    import httpx

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(SEED_ARTICLE, corpus)
    env = ingest_env(tmp_path / "storage", corpus)
    assert run_python(["-m", "ingest", "--json"], env).returncode == 0
    app = RunningApp(env, tmp_path / "app.log")
    try:
        (corpus / "humen.md").write_text("# 虎门\n\n虎门镇今年新建了一座量子计算实验室，投资约五亿元。\n", encoding="utf-8")
        assert run_python(["-m", "ingest", "--json"], env).returncode == 0
        assert httpx.get(app.url + "/healthz").json()["documents"] == 2
        for mode in ("bm25", "dense"):
            hits = httpx.post(app.url + "/api/search", json={"question": "虎门镇量子计算实验室", "mode": mode}).json()
            assert hits["passages"][0]["doc_id"] == "humen.md", mode
        (corpus / "humen.md").unlink()
        assert run_python(["-m", "ingest", "--json"], env).returncode == 0
        hits = httpx.post(app.url + "/api/search", json={"question": "虎门镇量子计算实验室", "mode": "dense", "k": 50}).json()
        assert all(p["doc_id"] != "humen.md" for p in hits["passages"])
    finally:
        app.stop()
