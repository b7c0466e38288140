"""What the mounted Gradio app exposes: no file outside what the page needs (the code, the index,
the feedback, the credentials, system files), no share link, no Gradio API opened by auth being off."""

import http.client
import json

import httpx
import pytest

from tests.conftest import MAIN_QUESTION, REPO, SEED_ARTICLE, RunningApp, clean_env, run_python

pytestmark = pytest.mark.slow


def raw_get(url: str, path: str) -> tuple[int, bytes]:
    """GET exactly this path: no client-side normalisation of '..' or encoded characters."""
    host, port = url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    connection.putrequest("GET", path, skip_accept_encoding=True)
    connection.endheaders()
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response.status, body


def test_gradio_serves_no_file_it_should_not(tmp_path):
    storage = tmp_path / "storage"
    env = clean_env(GUANWEN_STORAGE_DIR=str(storage), GUANWEN_CORPUS_DIR=str(SEED_ARTICLE.parent), GUANWEN_EMBED_MODEL="fake")
    assert run_python(["-m", "ingest", "--json"], env).returncode == 0
    app = RunningApp(env, tmp_path / "app.log")
    try:
        secret = "feedback-secret-4711"
        posted = httpx.post(app.url + "/api/feedback", json={"question": MAIN_QUESTION, "answer": "a", "rating": "up", "comment": secret}, timeout=30)
        assert posted.status_code == 201
        targets = {
            "/etc/passwd": b"root:",
            str(REPO / "settings.py"): b"class Settings",
            "settings.py": b"class Settings",
            str(storage / "feedback.jsonl"): secret.encode(),
            str(storage / "manifest.sqlite3"): b"SQLite format",
            str(SEED_ARTICLE): SEED_ARTICLE.read_bytes()[:60],
        }
        tried = 0
        for target, marker in targets.items():
            for prefix in ("/gradio_api/file=", "/file=", "/gradio_api/file=/tmp/gradio/../..", "/static/../", "/assets/../../"):
                for path in (prefix + target, prefix + target.replace("/", "%2F")):
                    status, body = raw_get(app.url, path)
                    tried += 1
                    assert marker not in body, (path, status)
        assert tried == len(targets) * 10
        config = httpx.get(app.url + "/config", timeout=30).json()
        assert not config.get("share_url")  # no public share tunnel
        assert "gradio.live" not in (tmp_path / "app.log").read_text()
    finally:
        app.stop()
    print(json.dumps({"file paths tried": tried}))
