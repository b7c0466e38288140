"""The chat UI's Gradio routes under guanwen's own rules (web/gradio_guard.py, web/uploads.py), over
real HTTP against ``python app.py`` (auth on, and off), and in Chromium: no event can make the
server read a path it did not hand out (/dev/zero froze the whole server before), uploads are for
administrators, bounded, cleaned and rate-limited, bad input gets a clean 4xx, monitoring is for
administrators, and the browser keeps no run history."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import MAIN_QUESTION, REPO, SEED_ARTICLE, RunningApp, clean_env, log_in, run_python, says_main_fact

pytestmark = pytest.mark.slow

PASSWORDS = {"wang": "wang-password-1", "sun": "sun-password-22", "li": "li-password-333", "zhou": "zhou-password-4444"}
ROLES = {"wang": "admin", "sun": "admin", "li": "user", "zhou": "admin"}
ARTICLE = "东莞储能产业园\n\n东莞市计划建设新型储能产业园，总投资五十亿元，预计2027年建成投产。\n".encode("utf-8")
LICENSE = Path(sys.base_prefix) / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "LICENSE.txt"
SERVER_PATH_MARKERS = ("/tmp/", "/work/", "/root/", "/usr/", str(REPO))


def _app(folder: Path, auth: bool, **extra: str) -> RunningApp:
    corpus = folder / "corpus"
    corpus.mkdir()
    shutil.copy(SEED_ARTICLE, corpus / SEED_ARTICLE.name)
    env = clean_env(
        GUANWEN_STORAGE_DIR=str(folder / "storage"), GUANWEN_CORPUS_DIR=str(corpus), GUANWEN_EMBED_MODEL="fake",
        GUANWEN_UPLOAD_DIR=str(folder / "uploads"), **extra,
    )
    if auth:
        credentials = folder / "auth.json"
        for name, role in ROLES.items():
            subprocess.run(
                [sys.executable, "-m", "web.auth", "--file", str(credentials), "add-user", name, "--role", role, "--password-stdin"],
                input=PASSWORDS[name] + "\n", cwd=REPO, capture_output=True, text=True, check=True, env=env,
            )
        env["GUANWEN_AUTH_FILE"] = str(credentials)
    assert run_python(["-m", "ingest", "--json"], env).returncode == 0
    return RunningApp(env, folder / "app.log")


@pytest.fixture(scope="module")
def guarded(tmp_path_factory):
    """Auth on; 1 MB of upload space, uploads expire after 4 s; bursts of 100 requests a client."""
    folder = tmp_path_factory.mktemp("guarded")
    app = _app(folder, auth=True, GUANWEN_UPLOAD_SPACE_MB="1", GUANWEN_UPLOAD_TTL_S="4",
               GUANWEN_RATE_LIMIT_PER_MINUTE="300", GUANWEN_RATE_LIMIT_BURST="100")
    clients = {}
    for name in PASSWORDS:
        client = httpx.Client(base_url=app.url, timeout=30)
        assert log_in(client, name, PASSWORDS[name]).status_code == 303
        clients[name] = client
    yield app, clients, folder
    for client in clients.values():
        client.close()
    app.stop()


@pytest.fixture(scope="module")
def open_app(tmp_path_factory):
    """Auth off: this machine is an administrator."""
    folder = tmp_path_factory.mktemp("open")
    app = _app(folder, auth=False)
    client = httpx.Client(base_url=app.url, timeout=30)
    yield app, client, folder
    client.close()
    app.stop()


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / 100  # utime + stime, in clock ticks of 1/100 s


def _upload_fn(client: httpx.Client) -> int:
    config = client.get("/config").json()
    return next(d["id"] for d in config["dependencies"] if d.get("api_name") == "upload_documents")


def _files_under(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()]


def _events_naming(path: str, fn_index: int) -> list[tuple[str, dict]]:
    """The same file named to the upload event on every route Gradio offers, with and without
    Gradio's file marker, and tucked away in the event data."""
    file = {"path": path, "meta": {"_type": "gradio.FileData"}}
    bare = {"path": path}
    return [
        ("/gradio_api/queue/join", {"data": [[file], "", "", "", "zh"], "fn_index": fn_index, "trigger_id": 44, "session_hash": "zerotest01"}),
        ("/gradio_api/run/upload_documents", {"data": [[file], "", "", "", "zh"]}),
        ("/gradio_api/run/upload_documents", {"data": [[bare], "", "", "", "zh"]}),
        ("/gradio_api/api/upload_documents", {"data": [[bare], "", "", "", "zh"]}),
        ("/gradio_api/call/upload_documents", {"data": [[file], "", "", "", "zh"]}),
        ("/gradio_api/call/v2/upload_documents", {"files": [file], "title": "", "published": "", "source": "", "lang": "zh"}),
        ("/gradio_api/run/lab_search", {"data": [[file], "", "", "", "zh"], "fn_index": fn_index}),  # the index wins over the name
        ("/gradio_api/run/upload_documents", {"data": [[{**file, "url": "http://127.0.0.1:1/x"}], "", "", "", "zh"]}),
        ("/gradio_api/run/upload_documents", {"data": [None, "", "", "", "zh"], "event_data": {"value": file}}),
    ]


@pytest.mark.parametrize("setup", ["auth on, an administrator", "auth on, a user", "auth off, this machine"])
def test_an_event_naming_dev_zero_is_refused_at_once_and_the_server_keeps_answering(setup, request):
    """The freeze: one request naming /dev/zero made the server read and hash it on the event
    loop, before any role check: /healthz and /api/ask stopped, SIGTERM was ignored."""
    if setup.startswith("auth off"):
        app, client, _ = request.getfixturevalue("open_app")
    else:
        app, clients, _ = request.getfixturevalue("guarded")
        client = clients["wang" if "administrator" in setup else "li"]
    fn_index = _upload_fn(client)
    before = _cpu_seconds(app.process.pid)
    for path, body in _events_naming("/dev/zero", fn_index):
        started = time.monotonic()
        response = client.post(path, json=body, timeout=10)
        assert response.status_code == 403, (path, response.status_code, response.text)
        assert time.monotonic() - started < 5
        assert "uploaded through this page" in response.json()["error"] or "may not use" in response.json()["error"]
    health = httpx.get(app.url + "/healthz", timeout=5)
    assert health.status_code == 200
    answer = client.post("/api/ask", json={"question": MAIN_QUESTION}, timeout=30)
    assert answer.status_code == 200 and says_main_fact(answer.json()["answer"])
    time.sleep(2)
    assert _cpu_seconds(app.process.pid) - before < 5  # not spinning on /dev/zero in the background
    assert httpx.get(app.url + "/healthz", timeout=5).status_code == 200


def test_no_event_pulls_a_server_file_into_the_corpus_or_gradios_folder(guarded):
    app, clients, folder = guarded
    wang, li = clients["wang"], clients["li"]
    fn_index = _upload_fn(wang)
    assert LICENSE.is_file()
    secrets = [str(LICENSE), str(folder / "storage" / "sessions.sqlite3"), str(folder / "auth.json"), "/etc/passwd",
               str(folder / "uploads" / ".." / "auth.json"), "gw-upload-not-a-handle-of-yours"]
    for client in (wang, li):
        for secret in secrets:
            for path, body in _events_naming(secret, fn_index):
                response = client.post(path, json=body)
                assert response.status_code == 403, (secret, path, response.text)
    assert sorted(p.name for p in (folder / "corpus").iterdir()) == [SEED_ARTICLE.name]
    search = wang.post("/api/search", json={"question": "PYTHON SOFTWARE FOUNDATION LICENSE VERSION 2", "mode": "bm25"}).json()
    assert all(p["doc_id"] == SEED_ARTICLE.name for p in search["passages"])
    # Nothing was copied into the upload folder either, not even as a plain user.
    sessions = (folder / "storage" / "sessions.sqlite3").read_bytes()[:200]
    for copied in _files_under(folder / "uploads"):
        assert copied.read_bytes()[:200] not in (LICENSE.read_bytes()[:200], sessions)
    # Another administrator's upload is theirs alone.
    sun = clients["sun"]
    [handle] = sun.post("/gradio_api/upload", files={"files": ("储能.txt", ARTICLE, "text/plain")}).json()
    stolen = wang.post("/gradio_api/run/upload_documents", json={"data": [[{"path": handle, "meta": {"_type": "gradio.FileData"}}], "", "", "", "zh"]})
    assert stolen.status_code == 403
    assert sorted(p.name for p in (folder / "corpus").iterdir()) == [SEED_ARTICLE.name]


def test_uploads_are_for_administrators_answer_handles_and_are_deleted_after_use_or_expiry(guarded):
    app, clients, folder = guarded
    wang, li = clients["wang"], clients["li"]
    uploads = folder / "uploads"
    mine = "一位普通用户的上传。".encode("utf-8")
    refused = li.post("/gradio_api/upload", files={"files": ("user.txt", mine, "text/plain")})
    assert refused.status_code == 403 and not [p for p in _files_under(uploads) if p.read_bytes() == mine]

    response = wang.post("/gradio_api/upload", files={"files": ("储能.txt", ARTICLE, "text/plain")})
    assert response.status_code == 200, response.text
    [handle] = response.json()
    assert handle.startswith("gw-upload-") and not any(marker in response.text for marker in SERVER_PATH_MARKERS)
    assert any(p.read_bytes() == ARTICLE for p in _files_under(uploads))
    used = wang.post("/gradio_api/run/upload_documents", json={"data": [[{"path": handle, "meta": {"_type": "gradio.FileData"}}], "", "", "", "zh"]})
    assert used.status_code == 200 and "已添加：储能.txt" in used.json()["data"][0], used.text
    assert not any(marker in used.text for marker in SERVER_PATH_MARKERS)
    assert not any(p.read_bytes() == ARTICLE for p in _files_under(uploads))  # deleted once used
    again = wang.post("/gradio_api/run/upload_documents", json={"data": [[{"path": handle, "meta": {"_type": "gradio.FileData"}}], "", "", "", "zh"]})
    assert again.status_code == 403  # a handle is good for one upload

    unused = "东莞未用的上传。".encode("utf-8") * 10
    assert wang.post("/gradio_api/upload", files={"files": ("unused.txt", unused, "text/plain")}).status_code == 200
    assert any(p.read_bytes() == unused for p in _files_under(uploads))
    deadline = time.monotonic() + 30
    while any(p.read_bytes() == unused for p in _files_under(uploads)) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not any(p.read_bytes() == unused for p in _files_under(uploads))  # expired after 4 s, swept
    wang.delete("/api/admin/documents/储能.txt")


def test_uploads_are_bounded_by_the_upload_space(guarded):
    app, clients, folder = guarded
    wang = clients["wang"]
    big = b"x" * 600_000
    first = wang.post("/gradio_api/upload", files={"files": ("a.txt", big, "text/plain")})
    assert first.status_code == 200
    second = wang.post("/gradio_api/upload", files={"files": ("b.txt", big + b"y", "text/plain")})
    assert second.status_code == 507 and "space for uploads is full" in second.json()["error"]
    assert sum(p.stat().st_size for p in _files_under(folder / "uploads")) <= 1_000_000
    deadline = time.monotonic() + 30  # the first expires (4 s): room again
    while time.monotonic() < deadline:
        retry = wang.post("/gradio_api/upload", files={"files": ("b.txt", big + b"y", "text/plain")})
        if retry.status_code == 200:
            break
        time.sleep(1)
    assert retry.status_code == 200


def test_gradio_uploads_have_the_apis_rate_limit(guarded):
    app, clients, _ = guarded
    zhou = clients["zhou"]
    statuses = [zhou.post("/gradio_api/upload", files={"files": (f"{i}.txt", b"x", "text/plain")}).status_code for i in range(130)]
    assert 429 in statuses and statuses.index(429) <= 110, statuses
    limited = zhou.post("/gradio_api/upload", files={"files": ("x.txt", b"x", "text/plain")})
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1


BAD_EVENTS = [
    ("data not a list", "/gradio_api/run/lab_search", {"data": "东莞"}),
    ("too few inputs", "/gradio_api/run/lab_search", {"data": [1, 2, 3]}),
    ("too many inputs", "/gradio_api/run/lab_search", {"data": ["q", "hybrid", 5, "zh", "extra", 1]}),
    ("k an object", "/gradio_api/run/lab_search", {"data": ["东莞", "hybrid", {"a": 1}, "zh"]}),
    ("k a string", "/gradio_api/run/lab_search", {"data": ["东莞", "hybrid", "5", "zh"]}),
    ("unknown mode", "/gradio_api/run/lab_search", {"data": ["东莞", "fuzzy", 5, "zh"]}),
    ("question a list", "/gradio_api/run/lab_search", {"data": [["东莞"], "hybrid", 5, "zh"]}),
    ("language a number", "/gradio_api/run/documents", {"data": [7]}),
    ("chat history not a list", "/gradio_api/run/respond", {"data": [MAIN_QUESTION, "not a list", None, None, "zh"]}),
    ("chat message without a role", "/gradio_api/run/respond", {"data": [MAIN_QUESTION, [{"content": "x"}], None, None, "zh"]}),
    ("unknown event name", "/gradio_api/run/no_such_event", {"data": []}),
    ("unknown event index", "/gradio_api/queue/join", {"data": [], "fn_index": 10_000, "session_hash": "s1"}),
    ("event index a string", "/gradio_api/run/lab_search", {"data": [], "fn_index": "1"}),
    ("event index a boolean", "/gradio_api/run/lab_search", {"data": [], "fn_index": True}),
    ("no event index", "/gradio_api/queue/join", {"data": [], "session_hash": "s1"}),
    ("batched", "/gradio_api/run/lab_search", {"data": [["东莞"], ["hybrid"], [5], ["zh"]], "batched": True}),
    ("a list body", "/gradio_api/run/lab_search", [1, 2]),
    ("not JSON", "/gradio_api/run/lab_search", b"{not json"),
    ("not UTF-8", "/gradio_api/run/lab_search", b'{"data": ["\xff"]}'),
    ("question too long", "/gradio_api/run/lab_search", {"data": ["东" * 3000, "hybrid", 5, "zh"]}),
    ("a stream route", "/gradio_api/stream/abc", {}),
    ("a recording route", "/gradio_api/process_recording", {}),
    ("the code editor", "/gradio_api/vibe-edit", {"prompt": "x"}),
]


@pytest.mark.parametrize("case, path, body", BAD_EVENTS, ids=[c[0] for c in BAD_EVENTS])
def test_bad_input_to_gradio_events_gets_a_clean_4xx(open_app, case, path, body):
    _, client, _ = open_app
    if isinstance(body, bytes):
        response = client.post(path, content=body, headers={"Content-Type": "application/json"})
    else:
        response = client.post(path, json=body)
    assert 400 <= response.status_code < 500, (response.status_code, response.text)
    message = response.json()["error"]
    assert isinstance(message, str) and message
    for repr_marker in ("Traceback", "<class", "object at 0x", "Error(", "{'", "\\n  File"):
        assert repr_marker not in response.text, response.text
    assert not any(marker in response.text for marker in SERVER_PATH_MARKERS), response.text
    assert httpx.get(client.base_url.join("/healthz"), timeout=5).status_code == 200


def test_monitoring_is_for_administrators(guarded):
    app, clients, _ = guarded
    for path in ("/monitoring", "/monitoring/summary", "/monitoring/some-key"):
        refused = clients["li"].get(path)
        assert refused.status_code == 403 and "may not use this endpoint" in refused.json()["error"], path
    summary = clients["wang"].get("/monitoring/summary")  # per-event call counts, administrators' included
    assert summary.status_code == 200, summary.text


@pytest.mark.browser
def test_the_browser_keeps_no_run_history(open_app, chromium):
    """Gradio's run history kept one user's questions in the browser (localStorage) and at
    /gradio_api/runs for the next user of that browser to read."""
    app, client, _ = open_app
    assert client.get("/gradio_api/runs").status_code == 404
    context = chromium.new_context()
    try:
        page = context.new_page()
        page.goto(app.url + "/", wait_until="load")
        page.fill("#gw-question textarea", MAIN_QUESTION)
        page.click("#gw-send")
        page.wait_for_selector("#gw-chat .gw-answer-block", timeout=60_000)
        page.wait_for_timeout(1000)
        keys = page.evaluate("() => Object.keys(window.localStorage)")
        assert not [k for k in keys if "run-history" in k], keys
        assert MAIN_QUESTION not in json.dumps(page.evaluate("() => ({...window.localStorage})"), ensure_ascii=False)
        assert page.locator("a.run-history").count() == 0
    finally:
        context.close()


def test_gradios_own_check_of_event_paths_is_on_in_the_mounted_app(tmp_path):
    """The second line behind the guard: Gradio skips its check of the files an event names in an
    app it did not launch itself; app.py turns it on."""
    from gradio import processing_utils
    from gradio.context import LocalContext
    from starlette.routing import Mount

    import app as composition
    from tests.conftest import make_settings

    (tmp_path / "corpus").mkdir()
    shutil.copy(SEED_ARTICLE, tmp_path / "corpus" / SEED_ARTICLE.name)
    settings = make_settings(tmp_path, upload_dir=tmp_path / "uploads")
    api = composition.create_app(settings)
    blocks = next(r.app.get_blocks() for r in api.routes if isinstance(r, Mount))
    token = LocalContext.blocks.set(blocks)
    try:
        for path in ("/dev/zero", str(LICENSE)):
            with pytest.raises(processing_utils.InvalidPathError, match="not uploaded by a user"):
                processing_utils._check_allowed(path, check_in_upload_folder=True)
    finally:
        LocalContext.blocks.reset(token)
