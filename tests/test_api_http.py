"""The HTTP API over real HTTP against ``python app.py`` (real model, real Chroma)."""

import json

import httpx
import pytest

from tests.conftest import MAIN_QUESTION, says_main_fact

pytestmark = pytest.mark.slow


def test_healthz_counts_the_index(server):
    body = httpx.get(server + "/healthz").json()
    assert body == {"status": "ok", "documents": 1, "chunks": body["chunks"], "problems": []} and body["chunks"] > 5


def test_ask_returns_answer_and_citations(server):
    response = httpx.post(server + "/api/ask", json={"question": MAIN_QUESTION}, timeout=60)
    assert response.status_code == 200
    body = response.json()
    assert says_main_fact(body["answer"]) and body["refused"] is False
    assert body["citations"][0]["id"] == 1 and body["citations"][0]["quote"] in body["citations"][0]["text"]


def test_ask_accepts_history(server):
    history = [{"role": "user", "content": "你好"}, {"role": "assistant", "content": "你好，请提问。"}]
    response = httpx.post(server + "/api/ask", json={"question": MAIN_QUESTION, "history": history}, timeout=60)
    assert response.status_code == 200 and says_main_fact(response.json()["answer"])


def test_unanswerable_question_is_refused(server):
    body = httpx.post(server + "/api/ask", json={"question": "明天北京的天气怎么样？"}, timeout=60).json()
    assert body["refused"] is True and body["answer"] == "资料中没有找到相关信息。" and body["citations"] == []


@pytest.mark.parametrize(
    "payload, message",
    [
        ({"question": ""}, "must not be empty"),
        ({"question": "   "}, "must not be empty"),
        ({}, "'question' is required"),
        ({"question": 42}, "'question'"),
        ({"question": ["a"]}, "'question'"),
        ({"question": "东莞", "colour": "red"}, "'colour' is not a known field"),
        ({"question": "东莞", "history": [{"role": "system", "content": "x"}]}, "history"),
        ({"question": "东莞", "history": "none"}, "history"),
        ({"question": "东" * 2001}, "longer than 2000"),
    ],
)
def test_bad_input_gets_a_clear_422(server, payload, message):
    response = httpx.post(server + "/api/ask", json=payload, timeout=30)
    assert response.status_code == 422
    assert message in response.json()["error"]


def test_malformed_json_gets_a_clear_4xx(server):
    response = httpx.post(
        server + "/api/ask", content=b'{"question": ', headers={"Content-Type": "application/json"}, timeout=30
    )
    assert 400 <= response.status_code < 500 and "not valid JSON" in response.json()["error"]


def test_search_returns_ranked_passages_with_per_retriever_scores(server):
    body = httpx.post(server + "/api/search", json={"question": MAIN_QUESTION, "mode": "hybrid", "k": 3}, timeout=60).json()
    assert body["mode"] == "hybrid" and len(body["passages"]) == 3
    first = body["passages"][0]
    assert first["rank"] == 1 and first["fused"]["rank"] == 1
    assert first["bm25"]["rank"] is not None and first["bm25"]["score"] > 0
    assert {"chunk_id", "doc_id", "title", "text", "dense"} <= set(first)


def test_search_mode_switch(server):
    bm25 = httpx.post(server + "/api/search", json={"question": MAIN_QUESTION, "mode": "bm25"}, timeout=60).json()
    assert all(p["dense"]["rank"] is None and p["fused"]["rank"] is None for p in bm25["passages"])
    dense = httpx.post(server + "/api/search", json={"question": MAIN_QUESTION, "mode": "dense"}, timeout=60).json()
    assert all(p["bm25"]["rank"] is None and p["dense"]["score"] is not None for p in dense["passages"])


@pytest.mark.parametrize(
    "payload, message",
    [({"question": "东莞", "k": 0}, "'k'"), ({"question": "东莞", "k": 500}, "'k'"), ({"question": "东莞", "mode": "magic"}, "'mode'")],
)
def test_search_bad_input(server, payload, message):
    response = httpx.post(server + "/api/search", json=payload, timeout=30)
    assert response.status_code == 422 and message in response.json()["error"]


def test_ask_mode_is_selectable_per_request(server):
    body = httpx.post(server + "/api/ask", json={"question": MAIN_QUESTION, "mode": "bm25"}, timeout=60).json()
    assert says_main_fact(body["answer"])


def read_sse(response) -> list[tuple[str, dict]]:
    events, kind = [], None
    for line in response.iter_lines():
        if line.startswith("event: "):
            kind = line[len("event: "):]
        elif line.startswith("data: "):
            events.append((kind, json.loads(line[len("data: "):])))
    return events


def test_ask_stream_sends_query_tokens_and_the_verified_answer(server):
    with httpx.stream("POST", server + "/api/ask/stream", json={"question": MAIN_QUESTION}, timeout=60) as response:
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/event-stream")
        events = read_sse(response)
    kinds = [k for k, _ in events]
    assert kinds[0] == "query" and kinds[-1] == "answer" and "token" in kinds
    final = events[-1][1]
    assert says_main_fact(final["answer"]) and final["verification"]["passed"] and final["citations"][0]["quote"]
    plain = httpx.post(server + "/api/ask", json={"question": MAIN_QUESTION}, timeout=60).json()
    assert final == plain, "the same answer on both channels"


def test_ask_stream_rejects_bad_input_before_streaming(server):
    response = httpx.post(server + "/api/ask/stream", json={"question": " "}, timeout=30)
    assert response.status_code == 422 and "must not be empty" in response.json()["error"]


def test_follow_up_over_http(server):
    history = [
        {"role": "user", "content": "2022年东莞R&D研发投入占GDP比重是多少？"},
        {"role": "assistant", "content": "…4.1%…[1]"},
    ]
    body = httpx.post(server + "/api/ask", json={"question": "那北京呢？", "history": history}, timeout=60).json()
    assert body["query"] == "2022年北京R&D研发投入占GDP比重是多少？" and body["refused"] is True
