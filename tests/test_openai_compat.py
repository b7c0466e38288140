"""The OpenAI-compatible endpoint over real HTTP, through the official ``openai`` client."""

import httpx
import openai
import pytest
from openai import OpenAI

from tests.conftest import MAIN_QUESTION, says_main_fact

pytestmark = pytest.mark.slow

REFUSED = "明天北京的天气怎么样？"


@pytest.fixture(scope="module")
def client(server):
    return OpenAI(base_url=server + "/v1", api_key="x", timeout=120, max_retries=0)


def test_models_lists_guanwen(client):
    assert [m.id for m in client.models.list()] == ["guanwen"]


def test_completion_answers_with_references_like_api_ask(client, server):
    completion = client.chat.completions.create(model="guanwen", messages=[{"role": "user", "content": MAIN_QUESTION}])
    content = completion.choices[0].message.content
    assert says_main_fact(content) and completion.choices[0].finish_reason == "stop"
    extra = completion.model_extra
    assert extra["refused"] is False and extra["verification"]["passed"] is True
    plain = httpx.post(server + "/api/ask", json={"question": MAIN_QUESTION}, timeout=120).json()
    assert content == plain["answer"] and extra["references"] == plain["citations"] and extra["query"] == plain["query"]
    assert extra["references"][0]["quote"] in extra["references"][0]["text"]


def test_refusal_is_a_refusal(client):
    completion = client.chat.completions.create(
        model="guanwen", messages=[{"role": "system", "content": "Be helpful."}, {"role": "user", "content": REFUSED}]
    )
    assert completion.choices[0].message.content == "资料中没有找到相关信息。"
    assert completion.model_extra["refused"] is True and completion.model_extra["references"] == []


def test_streaming_sends_the_verified_answer_and_references_last(client, server):
    stream = client.chat.completions.create(
        model="guanwen", messages=[{"role": "user", "content": MAIN_QUESTION}], stream=True
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    plain = httpx.post(server + "/api/ask", json={"question": MAIN_QUESTION}, timeout=120).json()
    assert text == plain["answer"]
    last = chunks[-1]
    assert last.choices[0].finish_reason == "stop"
    assert last.model_extra["references"] == plain["citations"] and last.model_extra["refused"] is False
    assert chunks[0].choices[0].delta.role == "assistant"


def test_streaming_refusal(client):
    stream = client.chat.completions.create(model="guanwen", messages=[{"role": "user", "content": REFUSED}], stream=True)
    chunks = list(stream)
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "资料中没有找到相关信息。"
    assert chunks[-1].model_extra["refused"] is True and chunks[-1].model_extra["references"] == []


def test_earlier_messages_are_the_history(client):
    completion = client.chat.completions.create(
        model="guanwen",
        messages=[
            {"role": "user", "content": "2022年东莞R&D研发投入占GDP比重是多少？"},
            {"role": "assistant", "content": "…4.1%…[1]"},
            {"role": "user", "content": [{"type": "text", "text": "那北京呢？"}]},
        ],
    )
    assert completion.model_extra["query"] == "2022年北京R&D研发投入占GDP比重是多少？"
    assert completion.model_extra["refused"] is True


@pytest.mark.parametrize(
    "kwargs, status, message",
    [
        ({"model": "gpt-4o", "messages": [{"role": "user", "content": "东莞"}]}, 404, "does not exist"),
        ({"model": "guanwen", "messages": []}, 400, "at least one message"),
        ({"model": "guanwen", "messages": [{"role": "user", "content": "  "}]}, 400, "empty"),
        ({"model": "guanwen", "messages": [{"role": "assistant", "content": "东莞"}]}, 400, "last message"),
        ({"model": "guanwen", "messages": [{"role": "user", "content": "东" * 2001}]}, 400, "longer than 2000"),
        ({"model": "guanwen", "messages": [{"role": "user", "content": "东莞"}], "n": 2}, 400, "n=1"),
        (
            {"model": "guanwen", "messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]}]},
            400,
            "only text parts",
        ),
    ],
)
def test_bad_input_gets_an_openai_error(client, kwargs, status, message):
    with pytest.raises(openai.APIStatusError) as caught:
        client.chat.completions.create(**kwargs)
    assert caught.value.status_code == status
    error = caught.value.body
    assert message in error["message"] and error["type"] == "invalid_request_error"


@pytest.mark.parametrize(
    "body, message",
    [
        (b'{"model": "guanwen",', "not valid JSON"),
        (b'{"model": "guanwen"}', "'messages' is required"),
        (b'{"model": "guanwen", "messages": [{"role": "wizard", "content": "x"}]}', "role"),
    ],
)
def test_malformed_requests_get_an_openai_error(server, body, message):
    response = httpx.post(
        server + "/v1/chat/completions", content=body, headers={"Content-Type": "application/json"}, timeout=30
    )
    assert response.status_code == 400
    assert message in response.json()["error"]["message"]
