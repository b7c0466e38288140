"""Property-based tests (hypothesis) over the API's input schema, against the whole app in
process with the fake embedder: whatever body arrives — random JSON values, bodies shaped like the
schema with random types, strings full of control characters and lone surrogates, raw bytes — the
answer is a 2xx in the documented shape or a 4xx with an ``error`` message; never a 5xx, never a
traceback.

CI runs a fixed set of examples (``derandomize``), so a run's verdict does not change from one
run to the next; to search harder: ``HYPOTHESIS_PROFILE=explore pytest tests/test_input_properties.py``.
"""

from __future__ import annotations

import json
import os

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tests.test_bad_input import in_process_client

settings.register_profile(
    "ci", max_examples=60, deadline=None, derandomize=True, database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "explore", max_examples=1500, deadline=None, derandomize=False,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    with in_process_client(tmp_path_factory) as test_client:
        yield test_client


# Any character at all: control and format characters, lone surrogates, the astral planes.
ANY_CHAR = st.characters(exclude_categories=())
QUESTIONS = st.sampled_from(["东莞计划培育几个规模超百亿元的未来产业集群？", "散裂中子源", "What is Dongguan planning?", "那北京呢？", ""])
CONTROLS = st.text(st.sampled_from("\x00\x07\x1b\x7f\u0085\u200b\u202e\ufeff\ud800\t\n"), max_size=3)
NASTY_TEXT = st.one_of(
    st.text(ANY_CHAR, max_size=40),
    st.text(st.sampled_from("\x00\x07\x1b\x7f\u0085\u200b\u202e\ufeff\ud800\udfff \t\n东莞集群？[1]<>&\"'\\"), max_size=30),
    QUESTIONS,
    st.tuples(QUESTIONS, CONTROLS, st.integers(0, 20)).map(lambda t: t[0][: t[2]] + t[1] + t[0][t[2] :]),  # a question, controls inside
    st.text(st.sampled_from("东莞 x"), min_size=1990, max_size=2010),  # either side of the 2,000 limit
)
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True), NASTY_TEXT,
)
JSON_VALUES = st.recursive(
    SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(NASTY_TEXT, inner, max_size=4)), max_leaves=12
)


def shaped(required: dict[str, st.SearchStrategy], optional: dict[str, st.SearchStrategy]) -> st.SearchStrategy[dict]:
    """Objects near the schema: half the time well-formed (the required fields present, values of
    the right type, though nasty), else each field present or not, of the right type or any type,
    and now and then an unknown field."""
    well_formed = st.fixed_dictionaries(required, optional=optional)
    anything = st.fixed_dictionaries(
        {}, optional={name: st.one_of(strategy, JSON_VALUES) for name, strategy in (required | optional).items()} | {"extra": JSON_VALUES}
    )
    return st.one_of(well_formed, anything)


TURN = st.fixed_dictionaries({"role": st.sampled_from(["user", "assistant"]), "content": NASTY_TEXT})
ODD_TURN = st.fixed_dictionaries({"role": st.sampled_from(["system", "bot"]), "content": NASTY_TEXT})
TURNS = st.one_of(
    st.lists(TURN, max_size=6), st.lists(TURN, max_size=6), st.lists(st.one_of(TURN, ODD_TURN, JSON_VALUES), max_size=6),
    st.lists(TURN, min_size=49, max_size=52),  # either side of the 50-turn limit
)
MODES = st.sampled_from(["bm25", "dense", "hybrid", "hybrid", "magic", "BM25", ""])
ASK = shaped({"question": NASTY_TEXT}, {"history": TURNS, "mode": MODES})
SEARCH = shaped({"question": NASTY_TEXT}, {"mode": MODES, "k": st.integers(min_value=-5, max_value=60) | st.integers()})
CITATION = st.fixed_dictionaries({"id": st.integers(-1, 5), "doc_id": NASTY_TEXT}, optional={"text": NASTY_TEXT, "quote": NASTY_TEXT})
FEEDBACK = shaped(
    {"question": NASTY_TEXT, "answer": NASTY_TEXT, "rating": st.sampled_from(["up", "down", "down", "meh"])},
    {
        "comment": NASTY_TEXT, "wrong_source": st.booleans(), "citations": st.lists(CITATION, max_size=3),
        "query": NASTY_TEXT, "refused": st.booleans(), "channel": st.sampled_from(["ui", "embed", "api"]) | NASTY_TEXT,
    },
)
PART = st.fixed_dictionaries({"type": st.sampled_from(["text", "text", "image_url", "audio"])}, optional={"text": NASTY_TEXT})
TEXT_PARTS = st.lists(st.fixed_dictionaries({"type": st.just("text"), "text": NASTY_TEXT}), min_size=1, max_size=2)
CONTENT = st.one_of(NASTY_TEXT, NASTY_TEXT, TEXT_PARTS, st.lists(PART, max_size=3), JSON_VALUES)
MESSAGE = st.fixed_dictionaries(
    {"role": st.sampled_from(["user", "assistant", "system", "developer", "tool", "wizard"])}, optional={"content": CONTENT}
)
GOOD_MESSAGE = st.fixed_dictionaries(
    {"role": st.sampled_from(["user", "assistant", "system"]), "content": st.one_of(NASTY_TEXT, TEXT_PARTS)}
)
LAST = st.fixed_dictionaries({"role": st.just("user"), "content": st.one_of(NASTY_TEXT, NASTY_TEXT, TEXT_PARTS, CONTENT)})
CONVERSATION = st.tuples(st.lists(GOOD_MESSAGE, max_size=4) | st.lists(MESSAGE, max_size=4), LAST).map(lambda t: t[0] + [t[1]])
CHAT = shaped(
    {
        "model": st.one_of(st.just("guanwen"), st.just("guanwen"), st.just("guanwen"), st.just("gpt-4o"), NASTY_TEXT),
        "messages": CONVERSATION,
    },
    {
        "stream": st.booleans(),
        "n": st.sampled_from([1, 1, 2, 0, -1]),
        "stream_options": st.fixed_dictionaries({}, optional={"include_usage": st.booleans()}),
        "temperature": st.floats(allow_nan=False),
    },
)


def encoded(values: st.SearchStrategy) -> st.SearchStrategy[bytes]:
    """JSON text (lone surrogates as \\ud800 escapes, NaN as NaN), now and then raw bytes instead."""
    return st.one_of(
        values.map(lambda v: json.dumps(v).encode()),
        values.map(lambda v: json.dumps(v).encode()),
        values.map(lambda v: json.dumps(v).encode()),
        values.map(lambda v: json.dumps(v).encode()),
        st.binary(max_size=64),
        JSON_VALUES.map(lambda v: json.dumps(v).encode()),
    )


def check(response, openai: bool = False) -> dict | list | None:
    """The property: a 2xx, or a 4xx with an error message; never a 5xx or a traceback."""
    assert response.status_code < 500, (response.status_code, response.text[:500])
    event(f"HTTP {response.status_code}")  # --hypothesis-show-statistics: how many got through to an answer
    assert "Traceback" not in response.text
    if response.status_code >= 400:
        error = response.json()["error"]
        message = error["message"] if openai else error
        assert isinstance(message, str) and message.strip()
        if openai:
            assert error["type"] == "invalid_request_error"
        return None
    assert 200 <= response.status_code < 300
    if response.headers["content-type"].startswith("text/event-stream"):
        return sse(response.text)
    return response.json()


def sse(text: str) -> list[tuple[str | None, object]]:
    events, kind = [], None
    for line in text.splitlines():
        if line.startswith("event: "):
            kind = line[7:]
        elif line.startswith("data: "):
            data = line[6:]
            events.append((kind, data if data == "[DONE]" else json.loads(data)))
    return events


def assert_answer(body: dict) -> None:
    from web.schemas import AskResponse

    answer = AskResponse.model_validate(body)
    assert answer.answer.strip()
    assert answer.refused or answer.citations


@given(body=encoded(ASK))
def test_ask(client, body):
    if (answer := check(client.post("/api/ask", content=body, headers={"Content-Type": "application/json"}))) is not None:
        assert_answer(answer)


@given(body=encoded(ASK))
def test_ask_stream(client, body):
    events = check(client.post("/api/ask/stream", content=body, headers={"Content-Type": "application/json"}))
    if events is not None:
        assert events[0][0] == "query" and events[-1][0] == "answer"
        assert_answer(events[-1][1])


@given(body=encoded(SEARCH))
def test_search(client, body):
    from web.schemas import SearchResponse

    if (result := check(client.post("/api/search", content=body, headers={"Content-Type": "application/json"}))) is not None:
        search = SearchResponse.model_validate(result)
        assert 1 <= search.k <= 50 and len(search.passages) <= search.k and search.question.strip()


@given(body=encoded(FEEDBACK))
def test_feedback(client, body):
    response = client.post("/api/feedback", content=body, headers={"Content-Type": "application/json"})
    if (stored := check(response)) is not None:
        assert response.status_code == 201 and stored["stored"] is True and len(stored["feedback_id"]) == 12


@given(body=encoded(CHAT))
def test_chat_completions(client, body):
    result = check(client.post("/v1/chat/completions", content=body, headers={"Content-Type": "application/json"}), openai=True)
    if result is None:
        return
    if isinstance(result, list):  # streamed
        assert result[-1][1] == "[DONE]"
        chunks = [data for _, data in result[:-1]]
        assert all("error" not in c for c in chunks)
        finals = [c for c in chunks if c["choices"] and c["choices"][0]["finish_reason"] == "stop"]
        assert len(finals) == 1 and isinstance(finals[0]["references"], list)  # then at most a usage chunk
    else:
        assert result["object"] == "chat.completion" and result["choices"][0]["message"]["content"].strip()
        assert isinstance(result["references"], list) and isinstance(result["refused"], bool)


@given(question=st.text(ANY_CHAR, max_size=60))
def test_any_string_as_a_question(client, question):
    """Every string, surrogates and controls included, on every question-taking endpoint."""
    body = json.dumps({"question": question}).encode()
    for path in ("/api/ask", "/api/search"):
        check(client.post(path, content=body, headers={"Content-Type": "application/json"}))
    chat = json.dumps({"model": "guanwen", "messages": [{"role": "user", "content": question}]}).encode()
    check(client.post("/v1/chat/completions", content=chat, headers={"Content-Type": "application/json"}), openai=True)
