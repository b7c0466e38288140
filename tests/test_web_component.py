"""Gradio's <gradio-app> web component on a host page of another loopback port, in Chromium: where it
works (auth off, the host's origin allowed, the loader from guanwen's own /gradio.js) and where it
does not (an origin not allowed; auth on). docs/embedding.md documents what these tests show."""

from __future__ import annotations

import shutil
import subprocess
import sys

import httpx
import pytest

from tests.conftest import MAIN_QUESTION, OUTPUT_DIR, REPO, SEED_ARTICLE, HostSite, RunningApp, clean_env, run_python, says_main_fact

pytestmark = pytest.mark.slow

# The snippet docs/embedding.md gives, with the app's address filled in.
SNIPPET = """<script type="module" src="{app}/gradio.js"></script>
<gradio-app src="{app}/"></gradio-app>"""


def snippet(app_url: str) -> str:
    return SNIPPET.format(app=app_url)


def _start(folder, host: HostSite, **extra: str) -> RunningApp:
    corpus = folder / "corpus"
    corpus.mkdir()
    shutil.copy(SEED_ARTICLE, corpus / SEED_ARTICLE.name)
    env = clean_env(
        GUANWEN_STORAGE_DIR=str(folder / "storage"), GUANWEN_CORPUS_DIR=str(corpus), GUANWEN_EMBED_MODEL="fake",
        GUANWEN_ALLOWED_ORIGINS=host.url, **extra,
    )
    assert run_python(["-m", "ingest", "--json"], env).returncode == 0
    app = RunningApp(env, folder / "app.log")
    host.app_url = app.url
    return app


@pytest.fixture(scope="module")
def open_app(tmp_path_factory):
    allowed, other = HostSite(snippet), HostSite(snippet)
    app = _start(tmp_path_factory.mktemp("wc-open"), allowed)
    other.app_url = app.url
    yield app.url, allowed, other
    for server in (allowed, other, app):
        server.stop()


@pytest.mark.browser
def test_the_web_component_answers_on_an_allowed_host(open_app, chromium):
    url, allowed, _ = open_app
    loader = httpx.get(url + "/gradio.js", headers={"Origin": allowed.url}, timeout=30)
    assert loader.status_code == 200 and loader.headers["content-type"].startswith("text/javascript")
    assert loader.headers["access-control-allow-origin"] == allowed.url  # a module script is fetched with CORS
    page = chromium.new_page(viewport={"width": 1100, "height": 1100})
    page.goto(allowed.url + "/", wait_until="load")
    app = page.locator("gradio-app")
    app.locator("#gw-question textarea").fill(MAIN_QUESTION)
    app.locator("#gw-send").click()
    source = app.locator("#gw-chat .gw-source").first
    source.wait_for(timeout=120_000)
    assert says_main_fact(app.locator("#gw-chat").inner_text()) and source.locator("mark").count() == 1
    # The [n] markers work too: the web component adds the app's head (the click handler) to the host page.
    marker = app.locator("a.gw-cite").first
    marker.click()
    app.locator(f"{marker.get_attribute('href')}.gw-focus").wait_for(timeout=30_000)
    assert page.url.rstrip("/") == allowed.url  # handled in the page, not a navigation
    OUTPUT_DIR.mkdir(exist_ok=True)
    page.screenshot(path=str(OUTPUT_DIR / "web-component.png"), full_page=True)
    page.close()


@pytest.mark.browser
def test_the_web_component_stays_empty_on_a_host_not_allowed(open_app, chromium):
    url, _, other = open_app
    page = chromium.new_page()
    messages = []
    page.on("console", lambda message: messages.append(message.text))
    page.goto(other.url + "/", wait_until="load")
    page.wait_for_timeout(5000)
    assert page.locator("gradio-app #gw-question").count() == 0
    assert any("CORS policy" in m for m in messages), messages
    page.close()


def test_with_auth_on_the_web_component_cannot_load(tmp_path):
    host = HostSite(snippet)
    credentials = tmp_path / "auth.json"
    subprocess.run(
        [sys.executable, "-m", "web.auth", "--file", str(credentials), "add-user", "wang", "--role", "admin", "--password-stdin"],
        input="wang-password-1\n", cwd=REPO, capture_output=True, text=True, check=True,
    )
    app = _start(tmp_path, host, GUANWEN_AUTH_FILE=str(credentials))
    try:
        # A host page's module script carries no guanwen cookie and no token: 401, so nothing renders.
        for path in ("/gradio.js", "/config", "/gradio_api/info"):
            assert httpx.get(app.url + path, headers={"Origin": host.url}, timeout=30).status_code == 401, path
    finally:
        app.stop()
        host.stop()
