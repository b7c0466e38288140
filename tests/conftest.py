"""Shared fixtures: isolated settings per test, a fake-embedder index, and (slow) the real app.

Every test gets its own storage dir and a clean environment, so a developer's .env or API key
never changes what the tests see.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from settings import Settings

REPO = Path(__file__).resolve().parent.parent
SEED_ARTICLE = REPO / "corpus" / "dongguan-future-industries.txt"
OUTPUT_DIR = REPO / "test-output"
# One export of each real model for every test (and for `make run`, which uses the same folder):
# an export takes the best part of a minute, and it is the same file whichever test makes it.
MODEL_CACHE = REPO / "storage" / "models"
MAIN_QUESTION = "东莞计划培育几个规模超百亿元的未来产业集群？"


def says_main_fact(text: str) -> bool:
    """Does ``text`` give MAIN_QUESTION's answer? The article says it twice, as 1-2个 and as 1—2个."""
    return "1-2个" in text.replace("—", "-").replace("–", "-")


def clean_env(**extra: str) -> dict[str, str]:
    """The process environment without guanwen or OpenAI settings, plus the shared model cache
    and ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GUANWEN_", "OPENAI_"))}
    env["GUANWEN_MODEL_CACHE_DIR"] = str(MODEL_CACHE)
    env.update(extra)
    return env


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch, tmp_path):
    for key in list(os.environ):
        if key.startswith(("GUANWEN_", "OPENAI_")):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)  # no stray .env from the repo or the developer


@pytest.fixture
def corpus_dir(tmp_path) -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir()
    shutil.copy(SEED_ARTICLE, folder / SEED_ARTICLE.name)
    return folder


def make_settings(tmp_path: Path, **overrides) -> Settings:
    # The hashing embedder's vectors carry little meaning: its tests rank mostly by BM25, as the
    # fusion weights measured for an embedder that knows no Chinese do, and read the five passages
    # they were written for (the default eight was measured on e5: further down, the hashing
    # cosines are noise, and the evidence's similarity gap is taken against the best of them).
    values = {
        "corpus_dir": tmp_path / "corpus", "storage_dir": tmp_path / "storage", "embed_model": "fake",
        "bm25_weight": 0.9, "dense_weight": 0.1, "sentence_weight": 0.0, "top_k": 5,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)


@pytest.fixture
def fake_settings(tmp_path, corpus_dir) -> Settings:
    return make_settings(tmp_path)


@pytest.fixture
def fake_store(fake_settings):
    """The seed article ingested with the deterministic fake embedder."""
    from index.embedding import load_embedder
    from index.store import IndexStore
    from ingest.sync import sync

    store = IndexStore(fake_settings, load_embedder(fake_settings))
    sync(fake_settings, store, [fake_settings.corpus_dir])
    return store


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_python(args: list[str], env: dict[str, str], timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout
    )


@pytest.fixture(scope="session")
def real_storage(tmp_path_factory) -> Path:
    """The bundled corpus ingested once with the real bundled model and a real Chroma."""
    storage = tmp_path_factory.mktemp("real") / "storage"
    result = run_python(["-m", "ingest", "--json"], clean_env(GUANWEN_STORAGE_DIR=str(storage)))
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["documents"] == 1 and summary["chunks"] > 5
    return storage


class RunningApp:
    """``python app.py`` on a free port, over real HTTP."""

    def __init__(self, env: dict[str, str], log_path: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self._log = open(log_path, "w")
        env = {**env, "GUANWEN_PORT": str(self.port)}
        self.process = subprocess.Popen(
            [sys.executable, "app.py"], cwd=REPO, env=env, stdout=self._log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"app.py exited: {log_path.read_text()}")
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.5)
        self.stop()
        raise RuntimeError("app.py did not answer /healthz within 180 s")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self._log.close()


@pytest.fixture(scope="session")
def server(real_storage):
    """The app on the real bundled model and the bundled corpus; yields its base URL."""
    app = RunningApp(clean_env(GUANWEN_STORAGE_DIR=str(real_storage)), real_storage.parent / "server.log")
    yield app.url
    app.stop()


def log_in(client, name: str, password: str, next_path: str = "/"):
    """Log an ``httpx.Client`` in as a browser does: the login form first (its anti-forgery token
    and cookie, web/csrf.py), then the form posted back. Returns the POST's response."""
    form = client.get("/login", params={"next": next_path}, headers={"Accept": "text/html"})
    token = re.search(r'name="csrf" value="([^"]+)"', form.text)
    data = {"username": name, "password": password, "next": next_path}
    return client.post("/login", data={**data, "csrf": token.group(1)} if token else data)


CHROMIUM_PATH = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def chromium():
    """Debian's Chromium through Playwright, one per test module."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM_PATH, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


class HostSite:
    """Another site: a page on its own loopback port whose body is ``body(app_url)``. It binds its
    port at once (so the app cannot take it); ``app_url`` is set once the app runs."""

    def __init__(self, body):
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.app_url = ""
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                page = (
                    "<!doctype html><html><head><meta charset='utf-8'><title>host</title></head><body>"
                    f"<h1>A host site</h1>{body(site.app_url)}</body></html>"
                ).encode("utf-8")
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(page)))
                self.end_headers()
                self.wfile.write(page)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
