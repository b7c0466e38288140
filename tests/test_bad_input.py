"""Bad input over every channel gets a clear 4xx (OpenAI's error shape on /v1) or a clear CLI
message, never a 5xx, a traceback or a silent success; and the server keeps answering.

The HTTP cases run against the whole app in process (fake embedder, real Chroma and SQLite), so
they are fast; ``slow`` ones repeat the nastiest bodies over real HTTP against ``python app.py``,
run the command-line tools, and drive the chat page in Chromium. The limits are in docs/api.md,
"Limits"; the case lists below are what docs/security.md counts.
"""

from __future__ import annotations

import json
import subprocess
import sys

import httpx
import pytest

from tests.conftest import MAIN_QUESTION, OUTPUT_DIR, REPO, SEED_ARTICLE, RunningApp, clean_env, make_settings, run_python, says_main_fact

JSON = {"Content-Type": "application/json"}


def build_app(settings):
    """The whole app (API, OpenAI API, feedback, UI mount and whatever middleware app.py adds) on
    ``settings``, with the per-client rate limit off: these tests send hundreds of requests from
    one client on purpose."""
    import app
    from settings import Settings

    if "rate_limit_per_minute" in Settings.model_fields:
        settings = settings.model_copy(update={"rate_limit_per_minute": 0})
    return app.create_app(settings)


def in_process_client(tmp_path_factory):
    from fastapi.testclient import TestClient

    from index.embedding import load_embedder
    from index.store import IndexStore
    from ingest.sync import sync

    folder = tmp_path_factory.mktemp("bad-input")
    (folder / "corpus").mkdir()
    (folder / "corpus" / SEED_ARTICLE.name).write_bytes(SEED_ARTICLE.read_bytes())
    settings = make_settings(folder)
    store = IndexStore(settings, load_embedder(settings))
    sync(settings, store, [settings.corpus_dir])
    return TestClient(build_app(settings), raise_server_exceptions=False)


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    with in_process_client(tmp_path_factory) as test_client:
        yield test_client


def post(client, path: str, body):
    """``body`` is a JSON-able value, or bytes sent as they are (with Content-Type: application/json)."""
    if isinstance(body, bytes):
        return client.post(path, content=body, headers=JSON)
    return client.post(path, json=body)


def assert_plain_error(response, status: int, message: str):
    assert response.status_code == status, (response.status_code, response.text[:500])
    error = response.json()["error"]
    assert isinstance(error, str) and message in error, error
    assert "Traceback" not in response.text


def assert_openai_error(response, status: int, message: str):
    assert response.status_code == status, (response.status_code, response.text[:500])
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error" and message in error["message"], error
    assert "Traceback" not in response.text


TURN = {"role": "user", "content": "东莞的未来产业有哪些？"}

# (case, body, status, what the error says) — the same list for /api/ask and /api/ask/stream.
ASK_CASES = [
    ("empty question", {"question": ""}, 422, "must not be empty"),
    ("white space only", {"question": "  \t\n\u3000 "}, 422, "must not be empty"),
    ("invisible characters only", {"question": "\u200b\u200b\ufeff\u3000"}, 422, "must not be empty"),
    ("control characters only", {"question": "\x00\x01\x07\x1b\x7f"}, 422, "must not be empty"),
    ("100,000-character question", {"question": "东" * 100_000}, 422, "longer than 2000 characters"),
    ("2,001 characters", {"question": "东" * 2001}, 422, "longer than 2000 characters"),
    ("invalid UTF-8 bytes", b'{"question": "\xff\xfe\xe4\xb8"}', 400, "not valid UTF-8 JSON"),
    ("lone surrogate", b'{"question": "\\ud800"}', 422, "lone surrogate"),
    ("lone low surrogate", b'{"question": "\xe4\xb8\x9c\\udfff"}', 422, "lone surrogate"),
    (
        "lone surrogate in history",
        b'{"question": "x", "history": [{"role": "user", "content": "\\udbff"}]}',
        422,
        "'history.0.content': contains invalid Unicode",
    ),
    ("lone surrogate as a field name", b'{"\\ud800": 1, "question": "x"}', 422, "invalid Unicode"),
    ("malformed JSON", b'{"question": ', 422, "not valid JSON"),
    ("trailing garbage", b'{"question": "x"} {}', 422, "not valid JSON"),
    ("JSON nested 100,000 deep", b"[" * 100_000, 400, "nested too deeply"),
    ("a 5,000-digit number", b'{"question": "x", "mode": ' + b"7" * 5000 + b"}", 400, "too many digits"),
    ("UTF-16 JSON", '{"question": "东莞"}'.encode("utf-16"), 400, "not valid UTF-8 JSON"),
    ("UTF-16 JSON without a byte-order mark", '{"question": "东莞"}'.encode("utf-16-le"), 400, "not valid UTF-8 JSON"),
    ("UTF-32 JSON", '{"question": "东莞"}'.encode("utf-32"), 400, "not valid UTF-8 JSON"),
    ("empty body", b"", 422, "the request body is empty"),
    ("a list, not an object", b"[]", 422, "must be a JSON object"),
    ("a string, not an object", b'"question"', 422, "must be a JSON object"),
    ("null body", b"null", 422, "must be a JSON object"),
    ("missing question", {}, 422, "'question' is required"),
    ("question a number", {"question": 42}, 422, "'question'"),
    ("question null", {"question": None}, 422, "'question'"),
    ("question a list", {"question": ["东莞"]}, 422, "'question'"),
    ("question an object", {"question": {"text": "东莞"}}, 422, "'question'"),
    ("unknown field", {"question": "东莞", "colour": "red"}, 422, "'colour' is not a known field"),
    ("k on /ask", {"question": "东莞", "k": 5}, 422, "'k' is not a known field"),
    ("5,000 history turns", {"question": "东莞", "history": [TURN] * 5000}, 422, "more than 50 turns"),
    ("51 history turns", {"question": "东莞", "history": [TURN] * 51}, 422, "more than 50 turns"),
    ("history a string", {"question": "东莞", "history": "none"}, 422, "history"),
    ("history turn a string", {"question": "东莞", "history": ["你好"]}, 422, "history.0"),
    ("history role system", {"question": "东莞", "history": [{"role": "system", "content": "x"}]}, 422, "history.0.role"),
    ("history turn without content", {"question": "东莞", "history": [{"role": "user"}]}, 422, "'history.0.content' is required"),
    ("history turn with extra field", {"question": "东莞", "history": [{**TURN, "name": "x"}]}, 422, "'history.0.name' is not a known field"),
    (
        "history turn of 8,001 characters",
        {"question": "东莞", "history": [{"role": "assistant", "content": "答" * 8001}]},
        422,
        "at most 8000 characters",
    ),
    ("unknown mode", {"question": "东莞", "mode": "magic"}, 422, "'mode'"),
    ("mode a number", {"question": "东莞", "mode": 1}, 422, "'mode'"),
    ("mode upper case", {"question": "东莞", "mode": "BM25"}, 422, "'mode'"),
]

SEARCH_CASES = [
    ("empty question", {"question": " "}, 422, "must not be empty"),
    ("invisible characters only", {"question": "\u200b\u2060"}, 422, "must not be empty"),
    ("100,000-character question", {"question": "x" * 100_000}, 422, "longer than 2000 characters"),
    ("invalid UTF-8 bytes", b'{"question": "\xc3\x28"}', 400, "not valid UTF-8 JSON"),
    ("lone surrogate", b'{"question": "\\udc00abc"}', 422, "lone surrogate"),
    ("malformed JSON", b"{question: 1}", 422, "not valid JSON"),
    ("k of 0", {"question": "东莞", "k": 0}, 422, "'k': Input should be greater than or equal to 1"),
    ("negative k", {"question": "东莞", "k": -3}, 422, "'k': Input should be greater than or equal to 1"),
    ("k of 51", {"question": "东莞", "k": 51}, 422, "'k': Input should be less than or equal to 50"),
    ("huge k", {"question": "东莞", "k": 10**30}, 422, "'k'"),
    ("k a float", {"question": "东莞", "k": 1.5}, 422, "'k': Input should be a valid integer"),
    ("k a string", {"question": "东莞", "k": "5"}, 422, "'k': Input should be a valid integer"),
    ("k a boolean", {"question": "东莞", "k": True}, 422, "'k': Input should be a valid integer"),
    ("k NaN", b'{"question": "x", "k": NaN}', 422, "'k'"),
    ("unknown mode", {"question": "东莞", "mode": "semantic"}, 422, "'mode'"),
    ("history on /search", {"question": "东莞", "history": []}, 422, "'history' is not a known field"),
]

FEEDBACK = {"question": MAIN_QUESTION, "answer": "…1-2个…[1]", "rating": "down"}
FEEDBACK_CASES = [
    ("empty question", {**FEEDBACK, "question": "  "}, 422, "must not be empty"),
    ("control characters only", {**FEEDBACK, "question": "\x00\x1b"}, 422, "must not be empty"),
    ("100,000-character question", {**FEEDBACK, "question": "东" * 100_000}, 422, "longer than 2000 characters"),
    ("answer of 8,001 characters", {**FEEDBACK, "answer": "答" * 8001}, 422, "'answer': String should have at most 8000"),
    ("comment of 4,001 characters", {**FEEDBACK, "comment": "评" * 4001}, 422, "'comment': String should have at most 4000"),
    ("51 citations", {**FEEDBACK, "citations": [{"id": 1, "doc_id": "d"}] * 51}, 422, "'citations'"),
    ("citation id a string", {**FEEDBACK, "citations": [{"id": "1", "doc_id": "d"}]}, 422, "'citations.0.id'"),
    ("citation without doc_id", {**FEEDBACK, "citations": [{"id": 1}]}, 422, "'citations.0.doc_id' is required"),
    ("unknown rating", {**FEEDBACK, "rating": "meh"}, 422, "'rating'"),
    ("wrong_source a string", {**FEEDBACK, "wrong_source": "yes"}, 422, "'wrong_source'"),
    ("refused a string", {**FEEDBACK, "refused": "no"}, 422, "'refused'"),
    ("channel of 21 characters", {**FEEDBACK, "channel": "c" * 21}, 422, "'channel'"),
    ("unknown field", {**FEEDBACK, "stars": 5}, 422, "'stars' is not a known field"),
    ("missing rating", {"question": "x", "answer": "y"}, 422, "'rating' is required"),
    ("lone surrogate in the answer", json.dumps({**FEEDBACK, "answer": "\ud800"}).encode(), 422, "'answer': contains invalid Unicode"),
    (
        "lone surrogate in a citation",
        json.dumps({**FEEDBACK, "citations": [{"id": 1, "doc_id": "\udfff"}]}).encode(),
        422,
        "'citations.0.doc_id': contains invalid Unicode",
    ),
    ("invalid UTF-8 bytes", b'{"question": "\xff", "answer": "a", "rating": "up"}', 400, "not valid UTF-8 JSON"),
    ("malformed JSON", b'{"question": "x", "answer": "y", "rating": "up",}', 422, "not valid JSON"),
    ("a list, not an object", b"[1, 2]", 422, "must be a JSON object"),
]


def chat(content, **extra):
    return {"model": "guanwen", "messages": [{"role": "user", "content": content}], **extra}


OPENAI_CASES = [
    ("empty question", chat(""), 400, "The last user message is empty"),
    ("white space only", chat(" \n\t "), 400, "The last user message is empty"),
    ("invisible characters only", chat("\u200b\ufeff"), 400, "The last user message is empty"),
    ("control characters only", chat("\x00\x08\x1b"), 400, "The last user message is empty"),
    ("100,000-character question", chat("东" * 100_000), 400, "longer than 2000 characters"),
    ("invalid UTF-8 bytes", b'{"model": "guanwen", "messages": [{"role": "user", "content": "\xff"}]}', 400, "not valid UTF-8 JSON"),
    ("lone surrogate", b'{"model": "guanwen", "messages": [{"role": "user", "content": "\\ud800"}]}', 400, "lone surrogate"),
    (
        "lone surrogate, streaming",
        b'{"model": "guanwen", "stream": true, "messages": [{"role": "user", "content": "\\ud800"}]}',
        400,
        "lone surrogate",
    ),
    ("lone surrogate in the model name", b'{"model": "\\ud83d", "messages": []}', 400, "'model': contains invalid Unicode"),
    ("malformed JSON", b'{"model": "guanwen",', 400, "not valid JSON"),
    ("empty body", b"", 400, "The request body is empty"),
    ("a list, not an object", b"[]", 400, "must be a JSON object"),
    ("no model", {"messages": [TURN]}, 400, "'model' is required"),
    ("model a number", {"model": 5, "messages": [TURN]}, 400, "'model'"),
    ("unknown model", {"model": "gpt-4o", "messages": [TURN]}, 404, "does not exist"),
    ("no messages", {"model": "guanwen", "messages": []}, 400, "at least one message"),
    ("messages a string", {"model": "guanwen", "messages": "hi"}, 400, "'messages'"),
    ("unknown role", {"model": "guanwen", "messages": [{"role": "wizard", "content": "x"}]}, 400, "'messages.0.role'"),
    ("content a number", chat(123), 400, "'messages.0.content': Input should be a valid string, or a valid list"),
    ("text part without text", chat([{"type": "text"}]), 400, "a text part needs 'text'"),
    ("image part", chat([{"type": "image_url", "image_url": {"url": "http://203.0.113.9/x.png"}}]), 400, "only text parts"),
    ("last message the assistant's", {"model": "guanwen", "messages": [{"role": "assistant", "content": "东莞"}]}, 400, "last message"),
    ("5,000 earlier turns", {"model": "guanwen", "messages": [TURN] * 5000 + [{"role": "user", "content": "东莞"}]}, 400, "more than 50 earlier turns"),
    (
        "earlier message of 8,001 characters",
        {"model": "guanwen", "messages": [{"role": "user", "content": "问" * 8001}, {"role": "user", "content": "东莞"}]},
        400,
        "An earlier message is longer than 8000 characters",
    ),
    ("n of 2", chat("东莞", n=2), 400, "n=1"),
    ("stream a string", chat("东莞", stream="yes"), 400, "'stream'"),
    ("stream_options a string", chat("东莞", stream_options="x"), 400, "'stream_options'"),
]


@pytest.mark.parametrize("path", ["/api/ask", "/api/ask/stream"])
@pytest.mark.parametrize("case, body, status, message", ASK_CASES, ids=[c[0] for c in ASK_CASES])
def test_ask_refuses_bad_input_with_a_clear_4xx(client, path, case, body, status, message):
    assert_plain_error(post(client, path, body), status, message)


@pytest.mark.parametrize("case, body, status, message", SEARCH_CASES, ids=[c[0] for c in SEARCH_CASES])
def test_search_refuses_bad_input_with_a_clear_4xx(client, case, body, status, message):
    assert_plain_error(post(client, "/api/search", body), status, message)


@pytest.mark.parametrize("case, body, status, message", FEEDBACK_CASES, ids=[c[0] for c in FEEDBACK_CASES])
def test_feedback_refuses_bad_input_with_a_clear_4xx(client, case, body, status, message):
    assert_plain_error(post(client, "/api/feedback", body), status, message)


@pytest.mark.parametrize("case, body, status, message", OPENAI_CASES, ids=[c[0] for c in OPENAI_CASES])
def test_openai_refuses_bad_input_with_an_openai_error(client, case, body, status, message):
    assert_openai_error(post(client, "/v1/chat/completions", body), status, message)


def test_control_characters_are_removed_not_refused(client):
    """The documented choice: invisible control and format characters are dropped; the words stay."""
    noisy = "东莞\x00计划培育\u200b几个\x1b规模超百亿元的\u202e未来产业集群？\x07"
    body = client.post("/api/ask", json={"question": noisy}).json()
    assert body["query"] == MAIN_QUESTION and says_main_fact(body["answer"])
    search = client.post("/api/search", json={"question": noisy, "k": 1}).json()
    assert search["question"] == MAIN_QUESTION
    completion = client.post("/v1/chat/completions", json=chat(noisy)).json()
    assert completion["query"] == MAIN_QUESTION
    history = [{"role": "user", "content": "2022年东莞R&D研发投入\x00占GDP比重是多少？"}, {"role": "assistant", "content": "4.1%[1]\x1b"}]
    follow_up = client.post("/api/ask", json={"question": "那北京呢？\x00", "history": history}).json()
    assert follow_up["query"] == "2022年北京R&D研发投入占GDP比重是多少？"


def test_what_the_limits_allow_is_answered(client):
    """The edges of the limits are inside them: 2,000 characters, 50 turns of 8,000, k of 1 and 50."""
    at_limit = client.post("/api/ask", json={"question": MAIN_QUESTION + "东" * (2000 - len(MAIN_QUESTION))})
    assert at_limit.status_code == 200
    # 50 turns of 8,000 characters; ASCII, so the body stays under the 1 MiB body limit
    history = [{"role": "user" if i % 2 == 0 else "assistant", "content": "a" * 8000} for i in range(50)]
    assert client.post("/api/ask", json={"question": MAIN_QUESTION, "history": history}).status_code == 200
    for k in (1, 50):
        assert client.post("/api/search", json={"question": "散裂中子源", "k": k}).status_code == 200
    ignored = chat(MAIN_QUESTION, temperature=0.3, max_tokens=5, user="x", mode="magic")  # OpenAI ignores unknown fields
    assert client.post("/v1/chat/completions", json=ignored).status_code == 200


def test_errors_outside_the_handlers_keep_the_error_shape(client):
    response = client.post("/api/ask", content=b'{"question": "x"}', headers={"Content-Type": "text/plain"})
    assert_plain_error(response, 422, "Content-Type: application/json")
    assert_plain_error(client.get("/api/feedback/export", params={"rating": "meh"}), 422, "'query.rating'")


def test_the_app_keeps_answering_after_every_bad_request(client):
    for path, cases in (("/api/ask", ASK_CASES), ("/api/search", SEARCH_CASES), ("/v1/chat/completions", OPENAI_CASES)):
        for _, body, status, _ in cases:
            assert post(client, path, body).status_code == status
    answer = client.post("/api/ask", json={"question": MAIN_QUESTION}).json()
    assert says_main_fact(answer["answer"]) and answer["verification"]["passed"]


# --- over real HTTP, the command line and the browser ------------------------------------------


@pytest.fixture(scope="module")
def running_app(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bad-input-app")
    env = clean_env(
        GUANWEN_STORAGE_DIR=str(folder / "storage"),
        GUANWEN_CORPUS_DIR=str(SEED_ARTICLE.parent),
        GUANWEN_EMBED_MODEL="fake",
    )
    result = run_python(["-m", "ingest", "--json"], env)
    assert result.returncode == 0, result.stderr
    app = RunningApp(env, folder / "app.log")
    yield app
    app.stop()


@pytest.mark.slow
def test_the_server_survives_hostile_bodies_and_keeps_answering(running_app):
    url = running_app.url
    bodies = [
        ("/api/ask", b'{"question": "\xff\xfe"}', 400),
        ("/api/ask/stream", b'{"question": "\\ud800"}', 422),
        ("/api/search", b"[" * 100_000, 400),
        ("/api/feedback", json.dumps({**FEEDBACK, "answer": "\udfff"}).encode(), 422),
        ("/v1/chat/completions", b'{"model": "guanwen", "stream": true, "messages": [{"role": "user", "content": "\\ud800"}]}', 400),
        ("/api/ask", json.dumps({"question": "东" * 100_000}).encode(), 422),
        ("/api/ask", json.dumps({"question": "东莞", "history": [TURN] * 5000}).encode(), 422),
    ]
    with httpx.Client(base_url=url, timeout=60) as http:
        for path, body, status in bodies:
            response = http.post(path, content=body, headers=JSON)
            assert response.status_code == status, (path, response.text[:300])
            assert "error" in response.json() and "Traceback" not in response.text
        answer = http.post("/api/ask", json={"question": MAIN_QUESTION}).json()
        assert says_main_fact(answer["answer"])
    assert running_app.process.poll() is None
    assert "Traceback" not in running_app.log_path.read_text(encoding="utf-8", errors="replace")


def run_cli(args: list[bytes], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable.encode(), *args], cwd=REPO, env=env, capture_output=True, timeout=120)


# (case, arguments after `python`, what stderr says)
CLI_CASES = [
    ("ask: empty question", [b"app.py", b"ask", b""], "the question is empty"),
    ("ask: white space only", [b"app.py", b"ask", b" \t\n\xe3\x80\x80"], "the question is empty"),
    ("ask: control characters only", [b"app.py", b"ask", b"\x01\x07\x1b"], "the question is empty"),
    ("ask: 100,000 characters", [b"app.py", b"ask", b"x" * 100_000], "longer than 2000 characters"),
    ("ask: invalid UTF-8", [b"app.py", b"ask", b"\xff\xfe\xe4"], "not valid|invalid Unicode"),
    ("ask: no question", [b"app.py", b"ask"], "the following arguments are required: question"),
    ("ask: unknown option", [b"app.py", b"ask", b"--colour", b"x"], "unrecognized arguments"),
    ("ask: unknown command", [b"app.py", b"answer", b"x"], "invalid choice"),
    ("ingest: empty path", [b"-m", b"ingest", b""], "an empty path was given"),
    ("ingest: a device", [b"-m", b"ingest", b"/dev/null"], "neither a folder nor a regular file"),
    ("ingest: missing path", [b"-m", b"ingest", b"/nonexistent/guanwen-corpus"], "not found"),
    ("ingest: invalid UTF-8 path", [b"-m", b"ingest", b"corpus/\xff.txt"], "not valid UTF-8"),
    ("ingest: unknown option", [b"-m", b"ingest", b"--fast"], "unrecognized arguments"),
]


@pytest.mark.slow
@pytest.mark.parametrize("case, args, message", CLI_CASES, ids=[c[0] for c in CLI_CASES])
def test_the_command_line_says_what_is_wrong(tmp_path, case, args, message):
    import re

    env = clean_env(GUANWEN_STORAGE_DIR=str(tmp_path / "storage"), GUANWEN_EMBED_MODEL="fake")
    result = run_cli(args, env)
    stderr = result.stderr.decode("utf-8", "replace")
    assert result.returncode != 0, stderr
    assert re.search(message, stderr), stderr
    assert "Traceback" not in stderr and result.stdout == b""
    assert not (tmp_path / "storage" / "manifest.sqlite3").exists()  # nothing was indexed


@pytest.mark.slow
def test_ingest_skips_a_file_whose_name_is_not_utf8(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / SEED_ARTICLE.name).write_bytes(SEED_ARTICLE.read_bytes())
    with open(bytes(corpus) + b"/bad-\xff.txt", "wb") as f:
        f.write(SEED_ARTICLE.read_bytes()[:2000])
    env = clean_env(GUANWEN_STORAGE_DIR=str(tmp_path / "storage"), GUANWEN_EMBED_MODEL="fake", GUANWEN_CORPUS_DIR=str(corpus))
    result = run_cli([b"-m", b"ingest", b"--json"], env)
    assert result.returncode == 0, result.stderr.decode("utf-8", "replace")
    summary = json.loads(result.stdout)
    assert summary["documents"] == 1
    assert [s["reason"] for s in summary["skipped"]] == ["the file name is not valid UTF-8; rename the file"]


@pytest.mark.slow
@pytest.mark.browser
def test_the_chat_says_what_is_wrong_with_a_question(running_app, chromium):
    page = chromium.new_page(viewport={"width": 1200, "height": 900})
    page.goto(running_app.url + "/", wait_until="load")
    box = page.locator("#gw-question textarea")
    chat = page.locator("#gw-chat")
    for typed, said in (("   ", "请先输入问题"), ("东" * 2500, "问题太长（2500 字），请精简到 2000 字以内再提问"), ("\x00\x1b", "请先输入问题")):
        box.fill(typed)
        page.locator("#gw-send").click()
        chat.get_by_text(said).last.wait_for(timeout=60_000)
        assert box.input_value() == typed  # kept, to be corrected rather than typed again
    assert page.locator(".toast-body, [data-testid='toast-body']").count() == 0  # no error toast
    box.fill(MAIN_QUESTION)
    page.locator("#gw-send").click()
    chat.locator(".gw-source").first.wait_for(timeout=120_000)
    assert says_main_fact(chat.inner_text())
    OUTPUT_DIR.mkdir(exist_ok=True)
    page.screenshot(path=str(OUTPUT_DIR / "bad-input-chat.png"), full_page=True)
    page.close()
