"""The hostile-model matrix (tests/hostile_scenarios.py): a careless or hostile model, played by
the stand-in, against the app as it runs (python app.py, the bundled e5 model, a real Chroma), the
bundled article and two planted ones. Each scenario is checked on what the official finally
receives: /api/ask, the final event of /api/ask/stream, /v1/chat/completions (plain and streamed)
and the chat UI in Chromium."""

from __future__ import annotations

import json
import shutil

import httpx
import pytest

from tests.conftest import OUTPUT_DIR, SEED_ARTICLE, RunningApp, clean_env, run_python
from tests.hostile_scenarios import PLANTED_FILES, SCENARIOS, Scenario, content_problems, problems
from tests.openai_standin import StandInLLM
from tests.test_api_http import read_sse

pytestmark = pytest.mark.slow

HTTP_SCENARIOS = [s for s in SCENARIOS if not s.stream_only]


@pytest.fixture(scope="module")
def hostile_model_app(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile-model")
    corpus = folder / "corpus"
    corpus.mkdir()
    shutil.copy(SEED_ARTICLE, corpus / SEED_ARTICLE.name)
    for name, text in PLANTED_FILES.items():
        (corpus / name).write_text(text, encoding="utf-8")
    with StandInLLM() as standin:
        env = clean_env(
            GUANWEN_STORAGE_DIR=str(folder / "storage"), GUANWEN_CORPUS_DIR=str(corpus), OPENAI_API_KEY="test-key",
            OPENAI_BASE_URL=standin.base_url, GUANWEN_LLM_MODEL="standin", GUANWEN_LLM_TIMEOUT_S="10",
            GUANWEN_RATE_LIMIT_PER_MINUTE="0",  # some 250 questions from one address in a few minutes
        )
        ingest = run_python(["-m", "ingest", "--json"], env)
        assert ingest.returncode == 0, ingest.stderr
        app = RunningApp(env, folder / "app.log")
        yield app.url, standin
        app.stop()


def _asked(standin: StandInLLM, final: dict | None = None) -> None:
    asked = [r["messages"][-1]["content"][:80] for r in standin.requests]
    assert any("passage-" in r["messages"][-1]["content"] for r in standin.requests), ("the model was never asked", asked, final)


def _openai(url: str, question: str, stream: bool) -> dict:
    """/v1/chat/completions, in the /api/ask shape: the content and guanwen's extension fields."""
    body = {"model": "guanwen", "stream": stream, "messages": [{"role": "user", "content": question}]}
    response = httpx.post(url + "/v1/chat/completions", json=body, timeout=120)
    assert response.status_code == 200, response.text
    if stream:
        assert response.text.rstrip().endswith("data: [DONE]")
        chunks = [json.loads(line[6:]) for line in response.text.splitlines() if line.startswith("data: {")]
        content = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])
        final = next(c for c in chunks if c["choices"] and c["choices"][0]["finish_reason"] == "stop")
    else:
        final = response.json()
        content = final["choices"][0]["message"]["content"]
    return {"answer": content, "refused": final["refused"], "citations": final["references"], "mode": final["mode"],
            "notice": final["notice"], "verification": final["verification"]}


@pytest.mark.parametrize("scenario", HTTP_SCENARIOS, ids=[s.name for s in HTTP_SCENARIOS])
def test_what_the_official_receives_over_api_ask_and_v1(hostile_model_app, scenario: Scenario):
    url, standin = hostile_model_app
    standin.respond_with(scenario.reply_to)
    asked = httpx.post(url + "/api/ask", json={"question": scenario.question}, timeout=120)
    assert asked.status_code == 200, asked.text
    _asked(standin)
    found = {"/api/ask": problems(scenario, asked.json())}
    for stream in (False, True):
        found[f"/v1 stream={stream}"] = problems(scenario, _openai(url, scenario.question, stream))
    assert not any(found.values()), found


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_what_the_official_receives_over_api_ask_stream(hostile_model_app, scenario: Scenario):
    url, standin = hostile_model_app
    standin.respond_with(scenario.reply_to)
    with httpx.stream("POST", url + "/api/ask/stream", json={"question": scenario.question}, timeout=120) as response:
        assert response.status_code == 200, response.read()
        events = read_sse(response)
    kind, final = events[-1]
    _asked(standin, final)
    assert kind == "answer", events[-3:]
    assert not problems(scenario, final), (problems(scenario, final), final["answer"])


def _chat_answer(page) -> dict:
    """The last answer in the chat as the reader sees it: the answer's own text (without the sources
    under it), the notice, and the highlighted quotes."""
    return page.evaluate(
        """() => {
            const blocks = document.querySelectorAll('#gw-chat .gw-answer-block');
            const block = blocks[blocks.length - 1].cloneNode(true);
            const notice = block.querySelector('.gw-notice');
            const quotes = [...block.querySelectorAll('.gw-sources mark')].map(m => m.innerText);
            const cites = block.querySelectorAll('.gw-sources .gw-source').length;
            for (const part of block.querySelectorAll('.gw-sources, .gw-query, .gw-notice, .gw-verification')) part.remove();
            return {answer: block.innerText, notice: notice ? notice.innerText : '', quotes, cites};
        }"""
    )


@pytest.mark.browser
def test_what_the_official_sees_in_the_chat(hostile_model_app, chromium):
    url, standin = hostile_model_app
    page = chromium.new_page(viewport={"width": 1200, "height": 900})
    failures = {}
    for number, scenario in enumerate(SCENARIOS):
        standin.respond_with(scenario.reply_to)
        page.goto(url + "/", wait_until="load")  # a new conversation: no scenario is another's follow-up
        page.locator("#gw-question textarea").fill(scenario.question)
        page.locator("#gw-send").click()
        page.locator("#gw-chat .gw-answer-block .gw-sources").last.wait_for(timeout=120_000)
        shown = _chat_answer(page)
        # The chat shows no verification report: what the reader sees is checked, the answer, its
        # quotes, and a notice exactly when the offline answer stood in or the stream was cut.
        found = content_problems(scenario, shown["answer"], shown["quotes"])
        if scenario.outcome == "fallback" and not shown["notice"]:
            found.append("no notice that the offline answer stood in")
        if scenario.outcome == "kept" and shown["notice"]:
            found.append(f"a notice on an answer kept as written: {shown['notice']}")
        if found:
            failures[scenario.name] = (found, shown["answer"][:120])
        if number == 0:
            OUTPUT_DIR.mkdir(exist_ok=True)
            page.screenshot(path=str(OUTPUT_DIR / "hostile-model-chat.png"), full_page=True)
    page.close()
    assert not failures, failures
