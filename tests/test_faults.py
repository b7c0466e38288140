"""Faults a real deployment meets, each with real processes: the Chroma server stopped and started
again under a running app, storage on a full or a read-only disk, and the app killed and restarted.

Every verdict is a state (a status code, an answer, a file's contents) observed after the fault
or the repair has fully happened, never a race against a clock. The disk faults mount a real
tmpfs (a full disk) and a read-only bind mount, so they need root; elsewhere they are skipped.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
from pathlib import Path

import httpx
import pytest

from answer.pipeline import VECTORS_DOWN_NOTICE
from tests.chroma_server import ChromaServer, start_apps
from tests.conftest import MAIN_QUESTION, SEED_ARTICLE, RunningApp, clean_env, run_python, says_main_fact
from tests.corpus_factory import write_corpus
from web.i18n import t as tr

pytestmark = pytest.mark.slow

SEED_ID = SEED_ARTICLE.name


def fake_env(storage: Path, corpus: Path, **extra: str) -> dict[str, str]:
    return clean_env(
        GUANWEN_STORAGE_DIR=str(storage), GUANWEN_CORPUS_DIR=str(corpus), GUANWEN_EMBED_MODEL="fake", **extra
    )


def ingest(env: dict[str, str]) -> subprocess.CompletedProcess:
    return run_python(["-m", "ingest", "--json"], env)


def ask(url: str, **body) -> httpx.Response:
    return httpx.post(url + "/api/ask", json={"question": MAIN_QUESTION, **body}, timeout=60)


def chat(url: str, question: str = MAIN_QUESTION) -> str:
    """What the Gradio chat shows as the answer: the chat's own event over Gradio's HTTP API
    (gradio_client would hold a heartbeat stream open and slow the app's shutdown)."""
    # The handler's inputs: question, chat messages, conversation turns, feedback records, language.
    started = httpx.post(url + "/gradio_api/call/respond", json={"data": [question, [], [], {}, "zh"]}, timeout=60)
    assert started.status_code == 200, started.text
    events = httpx.get(url + f"/gradio_api/call/respond/{started.json()['event_id']}", timeout=60).text
    assert "event: complete" in events, events[-500:]
    final = events.split("event: complete", 1)[1].split("data:", 1)[1].strip().splitlines()[0]
    messages = json.loads(final)[0]
    content = messages[-1]["content"]
    return content if isinstance(content, str) else "".join(part.get("text", "") for part in content)


def openai(url: str, stream: bool) -> httpx.Response:
    body = {"model": "guanwen", "messages": [{"role": "user", "content": MAIN_QUESTION}], "stream": stream}
    return httpx.post(url + "/v1/chat/completions", json=body, timeout=60)


def cited(answer: dict) -> list[tuple[str, str]]:
    return [(c["doc_id"], c["quote"]) for c in answer["citations"]]


@pytest.fixture
def corpus(tmp_path) -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir()
    shutil.copy(SEED_ARTICLE, folder)
    return folder


def stop_all(apps: list[RunningApp]) -> None:
    for app in apps:
        app.stop()


# --- the Chroma server stops under a running app, and comes back ---------------------------------


def test_chroma_server_stopped_then_restarted_under_running_apps(tmp_path, corpus):
    """Two apps on one Chroma server: one with the BM25 fallback (the default), one without.
    Stopped server: the strict app answers 503 on every channel, the lenient one answers from
    BM25 with a notice; both report "degraded". Server started again: both recover, no restart."""
    chroma = ChromaServer(tmp_path / "chroma-data", tmp_path / "chroma.log")
    apps: list[RunningApp] = []
    try:
        env = fake_env(tmp_path / "storage", corpus, **chroma.env())
        assert ingest(env).returncode == 0
        app_env = {**env, "GUANWEN_CHROMA_TIMEOUT_S": "5"}  # for the hung server at the end
        apps = start_apps(
            (app_env, tmp_path / "lenient.log"), ({**app_env, "GUANWEN_BM25_FALLBACK": "false"}, tmp_path / "strict.log")
        )
        lenient, strict = apps
        before = ask(lenient.url).json()
        assert says_main_fact(before["answer"]) and before["notice"] is None
        counts = httpx.get(lenient.url + "/healthz", timeout=30).json()

        chroma.stop()

        for path, body in [
            ("/api/ask", {"question": MAIN_QUESTION}),
            ("/api/ask/stream", {"question": MAIN_QUESTION}),
            ("/api/search", {"question": MAIN_QUESTION}),
        ]:
            response = httpx.post(strict.url + path, json=body, timeout=60)
            assert response.status_code == 503, (path, response.text)
            assert response.headers["content-type"].startswith("application/json"), path
            assert response.headers.get("retry-after")
            message = response.json()["error"]
            assert f"Chroma server at 127.0.0.1:{chroma.port}" in message and "cannot be reached" in message, message
        for stream in (False, True):
            response = openai(strict.url, stream)
            assert response.status_code == 503, response.text
            error = response.json()["error"]
            assert error["type"] == "server_error" and error["code"] == "vector_store_unavailable"
            assert "Chroma server" in error["message"]
        assert chat(strict.url) == tr("vectors_down", "zh")

        for app in apps:
            health = httpx.get(app.url + "/healthz", timeout=30)
            assert health.status_code == 503
            report = health.json()
            assert report["status"] == "degraded" and "Chroma server" in report["error"]
            assert (report["documents"], report["chunks"]) == (counts["documents"], counts["chunks"])

        degraded = ask(lenient.url)
        assert degraded.status_code == 200
        answer = degraded.json()
        assert answer["notice"] == VECTORS_DOWN_NOTICE
        assert says_main_fact(answer["answer"]) and answer["citations"][0]["doc_id"] == SEED_ID
        streamed = httpx.post(lenient.url + "/api/ask/stream", json={"question": MAIN_QUESTION}, timeout=60)
        assert streamed.status_code == 200 and VECTORS_DOWN_NOTICE in streamed.text
        completion = openai(lenient.url, stream=False)
        assert completion.status_code == 200 and says_main_fact(completion.json()["choices"][0]["message"]["content"])
        shown = chat(lenient.url)
        assert VECTORS_DOWN_NOTICE in shown and says_main_fact(shown)
        # Asked for the vectors explicitly: no fallback can stand in.
        assert ask(lenient.url, mode="dense").status_code == 503
        assert httpx.post(lenient.url + "/api/search", json={"question": MAIN_QUESTION}, timeout=60).status_code == 503

        chroma.start()  # same data folder, same port

        for app in apps:
            health = httpx.get(app.url + "/healthz", timeout=30)
            assert health.status_code == 200 and health.json()["status"] == "ok"
            after = ask(app.url).json()
            assert after["notice"] is None
            assert (after["answer"], cited(after)) == (before["answer"], cited(before))
            hits = httpx.post(app.url + "/api/search", json={"question": MAIN_QUESTION, "mode": "dense"}, timeout=60)
            assert hits.status_code == 200 and hits.json()["passages"]
        assert says_main_fact(chat(strict.url))

        # A hung server (SIGSTOP: the kernel still accepts connections, nothing answers) counts
        # as unreachable once GUANWEN_CHROMA_TIMEOUT_S has passed: no question waits forever.
        chroma.process.send_signal(signal.SIGSTOP)
        try:
            response = ask(strict.url)
            assert response.status_code == 503 and "cannot be reached" in response.json()["error"], response.text
            hung = ask(lenient.url).json()
            assert hung["notice"] == VECTORS_DOWN_NOTICE and says_main_fact(hung["answer"])
        finally:
            chroma.process.send_signal(signal.SIGCONT)
        assert ask(strict.url).json()["notice"] is None
    finally:
        stop_all(apps)
        chroma.stop()


# --- storage on a full disk ----------------------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path):
    """A real 16 MB tmpfs: filling it gives the ENOSPC a full disk gives."""
    mount = tmp_path / "disk"
    mount.mkdir()
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(mount)], capture_output=True, text=True)
    if result.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {result.stderr.strip()}")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], capture_output=True)


def fill(disk: Path, leave_bytes: int = 0) -> Path:
    """Fill the file system until only ``leave_bytes`` are free."""
    filler = disk / f"filler-{len(list(disk.glob('filler-*')))}"
    stats = os.statvfs(disk)
    size = max(0, stats.f_bavail * stats.f_frsize - leave_bytes)
    with open(filler, "wb") as handle:
        try:
            for _ in range(size // 65536 + 1):
                handle.write(b"\0" * min(65536, size))
                size -= 65536
                if size <= 0:
                    break
            handle.flush()
        except OSError:
            pass  # full: what we wanted
    if leave_bytes == 0:  # and not a byte more: tmpfs may hold back a partial page
        try:
            with open(filler, "ab") as handle:
                while True:
                    handle.write(b"\0" * 4096)
                    handle.flush()
        except OSError:
            pass
    return filler


def test_full_disk_ingest_fails_clearly_and_the_index_still_serves(tmp_path, corpus, small_disk):
    from tests.test_ingest_processes import index_state

    storage = small_disk / "storage"
    env = fake_env(storage, corpus)
    assert ingest(env).returncode == 0
    app = RunningApp(env, tmp_path / "app.log")
    try:
        before = ask(app.url).json()
        assert says_main_fact(before["answer"])
        write_corpus(tmp_path / "more", documents=60, seed=3)
        for path in (tmp_path / "more").iterdir():
            shutil.copy(path, corpus / f"more-{path.name}")

        fill(small_disk, leave_bytes=200 * 1024)  # room to start, not to finish
        failed = ingest(env)
        assert failed.returncode == 1, failed.stdout
        assert failed.stderr.startswith("ingest: ") and "Traceback" not in failed.stderr
        assert "is full" in failed.stderr and "run ingest again" in failed.stderr, failed.stderr
        assert failed.stdout == ""

        fill(small_disk)  # not one byte left
        response = ask(app.url)
        assert response.status_code == 200
        answer = response.json()
        assert says_main_fact(answer["answer"]) and answer["citations"][0]["doc_id"] == SEED_ID
        assert httpx.get(app.url + "/healthz", timeout=30).status_code == 200
        feedback = httpx.post(
            app.url + "/api/feedback", json={"question": MAIN_QUESTION, "answer": "…", "rating": "up"}, timeout=30
        )
        assert feedback.status_code == 503 and "cannot write its storage" in feedback.json()["error"]
        # A new process cannot open the embedded Chroma store on a full disk (Chroma writes as it
        # opens): it says so plainly. (In server mode it answers; see the read-only test.)
        cli = run_python(["app.py", "ask", MAIN_QUESTION], env)
        if cli.returncode == 0:
            assert says_main_fact(cli.stdout)
        else:
            assert cli.returncode == 1 and cli.stderr.startswith("guanwen: ") and "Traceback" not in cli.stderr
            assert "disk is full" in cli.stderr, cli.stderr

        for filler in small_disk.glob("filler-*"):
            filler.unlink()
        repaired = ingest(env)
        assert repaired.returncode == 0, repaired.stderr
        total = json.loads(repaired.stdout)["documents"]
        assert total == 61
        state = index_state(storage)
        assert state["manifest"] == state["chroma"] == state["lexical"] and state["lexical_generation_ok"]
        assert httpx.get(app.url + "/healthz", timeout=30).json()["documents"] == total
        assert httpx.post(
            app.url + "/api/feedback", json={"question": MAIN_QUESTION, "answer": "…", "rating": "up"}, timeout=30
        ).status_code == 201
    finally:
        app.stop()


def test_feedback_on_a_full_disk_is_stored_whole_or_refused_and_stays_readable(tmp_path, corpus, small_disk):
    """With 300 KB left, posts used to get 201 while the file ended in half a record (os.write's
    short count unchecked), after which reading feedback failed for good (UnicodeDecodeError) and
    the next record was glued onto the torn one."""
    storage = small_disk / "storage"
    env = fake_env(storage, corpus, GUANWEN_FEEDBACK_KB_PER_HOUR="1000000", GUANWEN_RATE_LIMIT_PER_MINUTE="0")
    assert ingest(env).returncode == 0
    app = RunningApp(env, tmp_path / "app.log")
    try:
        fill(small_disk, leave_bytes=300 * 1024)
        stored, refused = [], None
        for number in range(400):  # about 2 KB each: the disk is full long before the end
            body = {"question": MAIN_QUESTION, "answer": "…", "rating": "down", "comment": f"第{number}条。" + "东" * 600}
            response = httpx.post(app.url + "/api/feedback", json=body, timeout=30)
            if response.status_code != 201:
                refused = response
                break
            stored.append(response.json()["feedback_id"])
        assert refused is not None and len(stored) > 10, len(stored)
        assert refused.status_code == 503 and "cannot write its storage" in refused.json()["error"]
        # Whole records, exactly the ones the clients were told were stored.
        raw = (storage / "feedback.jsonl").read_bytes()
        assert raw.endswith(b"\n")
        assert [json.loads(line.decode("utf-8"))["feedback_id"] for line in raw.splitlines()] == stored
        # /healthz says what an operator must fix, in words that name no server path.
        health = httpx.get(app.url + "/healthz", timeout=30)
        assert health.status_code == 200 and health.json()["status"] == "degraded"
        assert any("is full" in p for p in health.json()["problems"]) and str(small_disk) not in health.text

        for filler in small_disk.glob("filler-*"):
            filler.unlink()
        assert [r["id"] for r in map(json.loads, export(app.url).splitlines())] == [f"fb-{i}" for i in stored]
        assert len(httpx.get(app.url + "/api/feedback", timeout=30).json()) == len(stored)
        after = httpx.post(app.url + "/api/feedback", json={"question": MAIN_QUESTION, "answer": "…", "rating": "up"}, timeout=30)
        assert after.status_code == 201
        assert len(export(app.url).splitlines()) == len(stored) + 1
        assert httpx.get(app.url + "/healthz", timeout=30).json()["status"] == "ok"
    finally:
        app.stop()


# --- storage on a read-only disk -----------------------------------------------------------------


@pytest.fixture
def read_only_view(tmp_path):
    """``(writable, read_only)``: one folder, and a read-only bind mount of it."""
    writable, view = tmp_path / "rw", tmp_path / "ro"
    writable.mkdir()
    view.mkdir()
    result = subprocess.run(["mount", "--bind", str(writable), str(view)], capture_output=True, text=True)
    if result.returncode != 0:
        pytest.skip(f"cannot bind-mount here (needs root): {result.stderr.strip()}")
    try:
        subprocess.run(["mount", "-o", "remount,bind,ro", str(view)], check=True, capture_output=True)
        yield writable, view
    finally:
        subprocess.run(["umount", "-l", str(view)], capture_output=True)


def test_read_only_storage_refuses_ingest_clearly_and_still_answers(tmp_path, corpus, read_only_view):
    """App hosts in server mode with the storage folder mounted read-only: the app and the CLI
    answer from it, an ingest against it fails with a clear message and changes nothing."""
    writable, view = read_only_view
    chroma = ChromaServer(tmp_path / "chroma-data", tmp_path / "chroma.log")
    app = None
    try:
        assert ingest(fake_env(writable / "storage", corpus, **chroma.env())).returncode == 0
        env = fake_env(view / "storage", corpus, **chroma.env())
        app = RunningApp(env, tmp_path / "app.log")
        before = ask(app.url).json()
        assert says_main_fact(before["answer"]) and before["notice"] is None

        (corpus / "humen.md").write_text("# 虎门\n\n虎门镇今年新建了一座量子计算实验室，投资约五亿元。\n", encoding="utf-8")
        failed = ingest(env)
        assert failed.returncode == 1 and failed.stdout == ""
        assert failed.stderr.startswith("ingest: ") and "Traceback" not in failed.stderr
        assert "read-only file system" in failed.stderr, failed.stderr

        after = ask(app.url).json()
        assert (after["answer"], cited(after)) == (before["answer"], cited(before))
        assert httpx.get(app.url + "/healthz", timeout=30).json()["documents"] == 1
        cli = run_python(["app.py", "ask", MAIN_QUESTION, "--json"], env)
        assert cli.returncode == 0, cli.stderr
        assert json.loads(cli.stdout)["answer"] == before["answer"]
        feedback = httpx.post(
            app.url + "/api/feedback", json={"question": MAIN_QUESTION, "answer": "…", "rating": "down"}, timeout=30
        )
        assert feedback.status_code == 503 and "Read-only file system" in feedback.json()["error"]
    finally:
        if app is not None:
            app.stop()
        chroma.stop()


# --- a restart loses nothing -----------------------------------------------------------------------


def export(url: str) -> str:
    response = httpx.get(url + "/api/feedback/export", timeout=30)
    assert response.status_code == 200
    return response.text


def post_feedback(url: str, rating: str, comment: str) -> None:
    answer = ask(url).json()
    body = {
        "question": MAIN_QUESTION,
        "answer": answer["answer"],
        "rating": rating,
        "comment": comment,
        "citations": answer["citations"],
        "query": answer["query"],
    }
    assert httpx.post(url + "/api/feedback", json=body, timeout=30).status_code == 201


def test_restart_and_kill_9_lose_no_feedback_and_no_index_state(tmp_path, corpus):
    env = fake_env(tmp_path / "storage", corpus)
    assert ingest(env).returncode == 0
    app = RunningApp(env, tmp_path / "app-1.log")
    try:
        post_feedback(app.url, "up", "准确")
        post_feedback(app.url, "down", "来源不全")
        feedback, answer = export(app.url), ask(app.url).json()
        health = httpx.get(app.url + "/healthz", timeout=30).json()
        assert len(feedback.splitlines()) == 2
    finally:
        app.stop()  # SIGTERM: a normal shutdown

    app = RunningApp(env, tmp_path / "app-2.log")
    try:
        assert export(app.url) == feedback
        assert ask(app.url).json() == answer
        assert httpx.get(app.url + "/healthz", timeout=30).json() == health
        # An ingest while it runs, after it has answered (and so loaded the vectors): the new
        # article is found on both sides at once, and must still be there after the kill.
        (corpus / "humen.md").write_text(NEW_ARTICLE, encoding="utf-8")
        assert ingest(env).returncode == 0
        assert [top_doc(app.url, mode) for mode in ("bm25", "dense")] == ["humen.md", "humen.md"]
        health = httpx.get(app.url + "/healthz", timeout=30).json()
        assert health["documents"] == 2
        answer = ask(app.url).json()
        post_feedback(app.url, "down", "kill -9 之前的最后一条")
        feedback = export(app.url)
        assert len(feedback.splitlines()) == 3
    finally:
        app.process.kill()  # SIGKILL: no shutdown at all, the moment the response was sent
        app.stop()

    app = RunningApp(env, tmp_path / "app-3.log")
    try:
        assert export(app.url) == feedback
        assert ask(app.url).json() == answer
        assert httpx.get(app.url + "/healthz", timeout=30).json() == health
        assert [top_doc(app.url, mode) for mode in ("bm25", "dense")] == ["humen.md", "humen.md"]
    finally:
        app.stop()


NEW_ARTICLE = "# 虎门\n\n虎门镇今年新建了一座量子计算实验室，投资约五亿元。\n"


def top_doc(url: str, mode: str) -> str | None:
    response = httpx.post(url + "/api/search", json={"question": "虎门镇量子计算实验室", "mode": mode}, timeout=60)
    assert response.status_code == 200, response.text
    passages = response.json()["passages"]
    return passages[0]["doc_id"] if passages else None
