"""The app in LLM mode, over real HTTP, with the stand-in endpoint: streaming, verification, fallback."""

import httpx
import pytest

from tests.conftest import MAIN_QUESTION, RunningApp, SEED_ARTICLE, run_python, says_main_fact
from tests.openai_standin import Reply, StandInLLM
from tests.test_api_http import read_sse
from tests.test_llm_mode import passage_number

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def llm_app(tmp_path_factory):
    folder = tmp_path_factory.mktemp("llm-app")
    with StandInLLM() as standin:
        env = standin.app_env(folder / "storage", SEED_ARTICLE.parent, GUANWEN_LLM_TIMEOUT_S="2")
        assert run_python(["-m", "ingest", "--json"], env).returncode == 0
        app = RunningApp(env, folder / "app.log")
        yield app.url, standin
        app.stop()


def test_streamed_tokens_then_a_verified_answer(llm_app):
    url, standin = llm_app
    standin.respond_with(
        lambda r: Reply(f"东莞计划加快培育1-2个规模超百亿元的未来产业集群[{passage_number(r, '1-2个规模超百亿元')}]。再建30个集群[12]。")  # [12]: no passage retrieved has that number
    )
    with httpx.stream("POST", url + "/api/ask/stream", json={"question": MAIN_QUESTION}, timeout=60) as response:
        events = read_sse(response)
    tokens = "".join(data["text"] for kind, data in events if kind == "token")
    assert "30个" in tokens
    final = events[-1][1]
    assert events[-1][0] == "answer" and final["mode"] == "llm"
    assert "30个" not in final["answer"] and says_main_fact(final["answer"])
    assert final["verification"]["citations_removed"] == 1 and final["verification"]["sentences_dropped"] == 1


def test_endpoint_down_gives_the_extractive_answer_with_a_notice(llm_app):
    url, standin = llm_app
    standin.script(Reply(status=503))
    body = httpx.post(url + "/api/ask", json={"question": MAIN_QUESTION}, timeout=60).json()
    assert body["notice"] and says_main_fact(body["answer"]) and body["mode"] == "extractive"
    standin.script(Reply("太慢[1]。", delay_s=5))
    body = httpx.post(url + "/api/ask", json={"question": MAIN_QUESTION}, timeout=60).json()
    assert body["notice"] and says_main_fact(body["answer"])
