"""Who counts as one client (``Identity.client_key``, web/auth.py), over real HTTP: every visitor of a
site embedding the widget shares its public token, so each visitor's address counts apart for the
rate limit and the feedback budget; with auth off, every address is its own user, with its own
feedback. Other loopback addresses (127.0.0.2 …) stand for other visitors; with auth off, remote
addresses arrive as a reverse proxy on this machine forwards them (X-Forwarded-For)."""

from __future__ import annotations

import subprocess
import sys

import httpx
import pytest

from tests.conftest import MAIN_QUESTION, REPO, SEED_ARTICLE, RunningApp, clean_env, run_python

pytestmark = pytest.mark.slow


def visitor(url: str, address: str, **options) -> httpx.Client:
    return httpx.Client(base_url=url, timeout=60, transport=httpx.HTTPTransport(local_address=address), **options)


@pytest.fixture(scope="module")
def widget_app(tmp_path_factory):
    """Auth on with a widget token; 6 requests a minute per client in bursts of 4; feedback: 8 KiB
    a record, 16 KiB an hour per client."""
    folder = tmp_path_factory.mktemp("widget-app")
    credentials = folder / "auth.json"
    token = subprocess.run(
        [sys.executable, "-m", "web.auth", "--file", str(credentials), "add-token", "city-portal", "--role", "widget"],
        cwd=REPO, capture_output=True, text=True, check=True,
    ).stdout.strip()
    env = clean_env(
        GUANWEN_STORAGE_DIR=str(folder / "storage"), GUANWEN_CORPUS_DIR=str(SEED_ARTICLE.parent), GUANWEN_EMBED_MODEL="fake",
        GUANWEN_AUTH_FILE=str(credentials), GUANWEN_RATE_LIMIT_PER_MINUTE="6", GUANWEN_RATE_LIMIT_BURST="4",
        GUANWEN_MAX_FEEDBACK_KB="8", GUANWEN_FEEDBACK_KB_PER_HOUR="16",
    )
    assert run_python(["-m", "ingest", "--json"], env).returncode == 0
    app = RunningApp(env, folder / "app.log")
    yield app.url, {"Authorization": f"Bearer {token}"}, folder
    app.stop()


def test_one_widget_visitor_flooding_leaves_the_others_their_limit(widget_app):
    url, widget, _ = widget_app
    with visitor(url, "127.0.0.1", headers=widget) as flooder, visitor(url, "127.0.0.2", headers=widget) as other:
        statuses = [flooder.post("/api/ask", json={"question": MAIN_QUESTION}).status_code for _ in range(6)]
        assert statuses[-1] == 429 and statuses[0] == 200, statuses
        answer = other.post("/api/ask", json={"question": MAIN_QUESTION})
        assert answer.status_code == 200 and "1-2个" in answer.json()["answer"]


def test_feedback_through_the_widget_is_capped_per_record_and_per_visitor(widget_app):
    url, widget, folder = widget_app
    record = {"question": MAIN_QUESTION, "answer": "…", "rating": "down"}
    with visitor(url, "127.0.0.3", headers=widget) as flooder, visitor(url, "127.0.0.4", headers=widget) as other:
        big = flooder.post("/api/feedback", json={**record, "answer": "东" * 3000})
        assert big.status_code == 413 and "larger than 8 KiB" in big.json()["error"]
        responses = [flooder.post("/api/feedback", json={**record, "answer": "东" * 2000}) for _ in range(3)]
        assert [r.status_code for r in responses] == [201, 201, 429]  # two 6 KiB records fit in 16 KiB an hour
        refused = responses[-1]
        assert "too much feedback" in refused.json()["error"] and int(refused.headers["retry-after"]) >= 1
        assert other.post("/api/feedback", json={**record, "answer": "东" * 2000}).status_code == 201
    assert (folder / "storage" / "feedback.jsonl").stat().st_size < 24 * 1024


@pytest.fixture(scope="module")
def open_app(tmp_path_factory):
    folder = tmp_path_factory.mktemp("open-app")
    env = clean_env(
        GUANWEN_STORAGE_DIR=str(folder / "storage"), GUANWEN_CORPUS_DIR=str(SEED_ARTICLE.parent), GUANWEN_EMBED_MODEL="fake",
    )
    assert run_python(["-m", "ingest", "--json"], env).returncode == 0
    app = RunningApp(env, folder / "app.log")
    yield app.url
    app.stop()


def test_without_auth_one_address_cannot_read_anothers_feedback(open_app):
    """Every network client used to be the same user, "local": one address read another's comments."""
    url = open_app
    first, second = ({"X-Forwarded-For": address} for address in ("203.0.113.7", "198.51.100.9"))
    body = {"question": MAIN_QUESTION, "answer": "…", "rating": "down", "comment": "only mine: 203.0.113.7"}
    assert httpx.post(url + "/api/feedback", json=body, headers=first, timeout=30).status_code == 201
    assert httpx.get(url + "/api/me", headers=first, timeout=30).json() == {"auth": False, "name": "address:203.0.113.7", "role": "user"}
    assert [r["comment"] for r in httpx.get(url + "/api/feedback", headers=first, timeout=30).json()] == [body["comment"]]
    assert httpx.get(url + "/api/feedback", headers=second, timeout=30).json() == []
    assert httpx.get(url + "/api/feedback/export", headers=second, timeout=30).status_code == 403
    exported = httpx.get(url + "/api/feedback/export", timeout=30)  # this machine administers
    assert exported.status_code == 200 and body["comment"] in exported.text
