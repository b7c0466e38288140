"""web/limits.py: request body size, per-client rate limits (429 + Retry-After) and the answer
slots with their bounded queue (503 "busy"), in process and over real HTTP."""

import http.client
import json
import shutil
import threading
import time

import httpx
import pytest

from tests.conftest import MAIN_QUESTION, RunningApp, SEED_ARTICLE, run_python, says_main_fact
from tests.openai_standin import Reply, StandInLLM
from web.limits import TokenBuckets


def test_a_bucket_allows_its_burst_then_the_rate():
    buckets = TokenBuckets(per_minute=60, burst=3)
    assert [buckets.take("a", now=0) for _ in range(3)] == [0, 0, 0]
    assert buckets.take("a", now=0) == pytest.approx(1.0)  # one a second
    assert buckets.take("b", now=0) == 0  # another client has its own bucket
    assert buckets.take("a", now=1.0) == 0
    assert buckets.take("a", now=1.0) > 0
    assert [buckets.take("a", now=100) for _ in range(3)] == [0, 0, 0]  # refilled, but only to the burst
    assert buckets.take("a", now=100) > 0


def test_the_bucket_table_stays_bounded():
    buckets = TokenBuckets(per_minute=60, burst=1, max_keys=10)
    for i in range(1000):
        buckets.take(f"client:{i}", now=0)
    assert len(buckets._buckets) <= 10


@pytest.fixture(scope="module")
def limited_app(tmp_path_factory):
    """One answer at a time, no queue, 6 requests a minute per client with bursts of 4, 8 KiB bodies."""
    folder = tmp_path_factory.mktemp("limited-app")
    corpus = folder / "corpus"  # a copy: the upload test adds an article to it
    corpus.mkdir()
    shutil.copy(SEED_ARTICLE, corpus / SEED_ARTICLE.name)
    with StandInLLM() as standin:
        env = standin.app_env(
            folder / "storage",
            corpus,
            GUANWEN_LLM_TIMEOUT_S="20",
            GUANWEN_MAX_CONCURRENT_ANSWERS="1",
            GUANWEN_MAX_QUEUED_ANSWERS="0",
            GUANWEN_RATE_LIMIT_PER_MINUTE="6",
            GUANWEN_RATE_LIMIT_BURST="4",
            GUANWEN_MAX_BODY_KB="8",
            GUANWEN_MAX_PASSAGES_PER_FILE="10000",  # the 2 MB upload below is one long article
        )
        assert run_python(["-m", "ingest", "--json"], env).returncode == 0
        app = RunningApp(env, folder / "app.log")
        yield app.url, standin
        app.stop()


@pytest.mark.slow
def test_a_full_house_answers_busy_and_the_next_client_gets_through(limited_app):
    url, standin = limited_app
    release, arrived = threading.Event(), threading.Event()

    def held(request):
        arrived.set()
        release.wait(30)
        return Reply("东莞计划培育1-2个规模超百亿元的未来产业集群[1]。")

    standin.respond_with(held)
    results = {}
    def first():
        results["first"] = httpx.post(url + "/api/ask", json={"question": MAIN_QUESTION}, timeout=60)

    worker = threading.Thread(target=first)
    worker.start()
    assert arrived.wait(30), "the first question never reached the LLM"
    try:
        busy = httpx.post(url + "/v1/chat/completions", json={"model": "guanwen", "messages": [{"role": "user", "content": MAIN_QUESTION}]}, timeout=30)
        assert busy.status_code == 503 and busy.headers["retry-after"] == "5"
        assert busy.json()["error"]["code"] == "busy"
        busy_api = httpx.post(url + "/api/ask/stream", json={"question": MAIN_QUESTION}, timeout=30)
        assert busy_api.status_code == 503 and busy_api.json()["error"].startswith("busy")
        assert httpx.get(url + "/healthz", timeout=30).status_code == 200  # not an answer: never queued
    finally:
        release.set()
        worker.join(60)
    assert results["first"].status_code == 200 and says_main_fact(results["first"].json()["answer"])


@pytest.mark.slow
def test_too_many_requests_get_429_with_retry_after(limited_app):
    url, standin = limited_app
    standin.respond_with(lambda r: Reply("东莞计划培育1-2个规模超百亿元的未来产业集群[1]。"))
    statuses = []
    for _ in range(8):
        response = httpx.post(url + "/api/search", json={"question": MAIN_QUESTION}, timeout=30)
        statuses.append(response.status_code)
        if response.status_code == 429:
            break
    assert statuses[-1] == 429, statuses  # a burst of 4 (part of it spent by the test above), then 429
    assert int(response.headers["retry-after"]) >= 1 and "too many requests" in response.json()["error"]
    v1 = httpx.get(url + "/v1/models", timeout=30)
    assert v1.status_code == 429 and v1.json()["error"]["code"] == "rate_limited"
    assert httpx.get(url + "/healthz", timeout=30).status_code == 200  # health checks are never limited


@pytest.mark.slow
def test_oversized_bodies_get_413_before_any_handler(limited_app):
    url, _ = limited_app
    big = {"question": "东" * 5000}  # 15 KB of UTF-8, over the 8 KiB limit
    response = httpx.post(url + "/api/feedback", json={**big, "answer": "a", "rating": "up"}, timeout=30)
    assert response.status_code == 413 and "larger than 8 KiB" in response.json()["error"]

    def chunked():  # no Content-Length: counted while read
        for _ in range(20):
            yield b'{"question": "' + b"x" * 1000
    response = httpx.post(url + "/login", content=chunked(), timeout=30)
    assert response.status_code == 413


def test_an_endless_generated_answer_is_cut_at_the_answer_limit(fake_store):
    from tests.test_llm_mode import llm_answerer

    with StandInLLM() as standin:
        standin.respond_with(lambda r: Reply("东莞计划培育1-2个规模超百亿元的未来产业集群[1]。" + "啊" * 20_000))
        answerer = llm_answerer(fake_store, standin, max_answer_chars=500)
        streamed = "".join(e.text for e in answerer.ask_stream(MAIN_QUESTION, []) if e.kind == "token")
        whole = answerer.ask(MAIN_QUESTION)
    assert len(streamed) == 500
    assert len(whole.answer) <= 500 and says_main_fact(whole.answer)


@pytest.mark.slow
def test_uploads_have_their_own_larger_limit_and_must_declare_it(limited_app):
    url, _ = limited_app
    # 2 MB: far over the 8 KiB body limit, within the upload limit; it reaches the handler, which
    # (auth off, loopback = administrator) stores the article or says why not: never a 413.
    article = "东莞新型储能产业规划。".encode() * 200_000
    for _ in range(3):  # the other tests here may have spent this client's rate: wait as told, like any client
        response = httpx.post(url + "/api/admin/documents", files={"files": ("储能.txt", article, "text/plain")}, timeout=120)
        if response.status_code != 429:
            break
        time.sleep(int(response.headers["retry-after"]))
    assert response.status_code == 200 and response.json()["added"] == ["储能.txt"], response.text
    response = httpx.post(url + "/gradio_api/upload", content=iter([b"x" * 1000]), timeout=30)  # no Content-Length
    assert response.status_code == 411 and "Content-Length" in response.json()["error"]
    # Declares 200 MB and sends nothing: refused on the declaration, before any byte is read.
    host, port = url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    connection.putrequest("POST", "/gradio_api/upload")
    connection.putheader("Content-Length", str(200_000_000))
    connection.endheaders()
    response = connection.getresponse()
    assert response.status == 413 and "larger than 100 MB" in json.loads(response.read())["error"]
    connection.close()
