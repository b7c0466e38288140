"""/embed inside an iframe of a host page on another loopback port, and the origin policy
(GUANWEN_ALLOWED_ORIGINS: CORS and frame-ancestors), over real HTTP and in Chromium."""

import json
import time

import httpx
import pytest

from tests.conftest import MAIN_QUESTION, OUTPUT_DIR, SEED_ARTICLE, HostSite, RunningApp, clean_env, run_python, says_main_fact

pytestmark = pytest.mark.slow


def iframe(app_url: str) -> str:
    return f"<iframe id='guanwen' src='{app_url}/embed' width='420' height='640' title='莞问'></iframe>"


@pytest.fixture(scope="module")
def embed_setup(tmp_path_factory):
    folder = tmp_path_factory.mktemp("embed-app")
    allowed, other = HostSite(iframe), HostSite(iframe)
    env = clean_env(
        GUANWEN_STORAGE_DIR=str(folder / "storage"),
        GUANWEN_CORPUS_DIR=str(SEED_ARTICLE.parent),
        GUANWEN_EMBED_MODEL="fake",
        GUANWEN_ALLOWED_ORIGINS=allowed.url,
    )
    result = run_python(["-m", "ingest", "--json"], env)
    assert result.returncode == 0, result.stderr
    app = RunningApp(env, folder / "app.log")
    allowed.app_url = other.app_url = app.url
    yield app.url, allowed, other
    allowed.stop()
    other.stop()
    app.stop()


# --- over HTTP ----------------------------------------------------------------------------------


def test_frame_ancestors_names_self_and_the_allowed_origins(embed_setup):
    url, allowed, _ = embed_setup
    for path in ("/embed", "/", "/api/documents"):
        headers = httpx.get(url + path, timeout=60).headers
        assert headers["content-security-policy"] == f"frame-ancestors 'self' {allowed.url}"
        assert "x-frame-options" not in headers  # it cannot name the allowed site; old browsers would refuse it


def test_cors_allows_only_the_configured_origin(embed_setup):
    url, allowed, other = embed_setup
    for path, body in (("/api/ask", {"question": MAIN_QUESTION}), ("/v1/chat/completions", {"model": "guanwen", "messages": [{"role": "user", "content": MAIN_QUESTION}]})):
        ok = httpx.post(url + path, json=body, headers={"Origin": allowed.url}, timeout=120)
        assert ok.status_code == 200 and ok.headers["access-control-allow-origin"] == allowed.url
        for origin in (other.url, "null", "http://evil.example"):
            refused = httpx.post(url + path, json=body, headers={"Origin": origin}, timeout=120)
            assert "access-control-allow-origin" not in refused.headers
            preflight = httpx.options(
                url + path,
                headers={"Origin": origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"},
                timeout=30,
            )
            assert preflight.status_code == 400 and "access-control-allow-origin" not in preflight.headers
        preflight = httpx.options(
            url + path,
            headers={"Origin": allowed.url, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"},
            timeout=30,
        )
        assert preflight.status_code == 200 and preflight.headers["access-control-allow-origin"] == allowed.url


def test_default_is_same_origin_only(server):
    response = httpx.post(server + "/api/ask", json={"question": MAIN_QUESTION}, headers={"Origin": "http://127.0.0.1:9"}, timeout=120)
    assert response.status_code == 200 and "access-control-allow-origin" not in response.headers
    assert httpx.get(server + "/embed", timeout=30).headers["content-security-policy"] == "frame-ancestors 'self'"
    # Beside it, for browsers that predate frame-ancestors: the same rule in X-Frame-Options.
    for path in ("/embed", "/", "/api/documents", "/login", "/healthz"):
        assert httpx.get(server + path, timeout=30).headers["x-frame-options"] == "SAMEORIGIN", path


# --- in the browser -----------------------------------------------------------------------------


def test_embedded_widget_answers_with_a_working_citation(embed_setup, chromium):
    url, allowed, _ = embed_setup
    page = chromium.new_page(viewport={"width": 900, "height": 800})
    page.goto(allowed.url + "/", wait_until="load")
    frame = page.frame_locator("#guanwen")
    frame.locator("#gw-question").fill(MAIN_QUESTION)
    frame.locator("#gw-send").click()
    answer = frame.locator(".gw-bot .gw-answer").first
    answer.wait_for(timeout=120_000)
    answer_text = answer.inner_text()
    assert says_main_fact(answer_text)
    source = frame.locator(".gw-source").first
    assert source.evaluate("e => e.open") is False
    frame.locator(".gw-cite").first.click()
    assert source.evaluate("e => e.open") is True
    quote = source.locator("mark").inner_text()  # the quoted sentence, highlighted in its passage
    assert quote and quote[:12] in answer_text
    assert "[1]" in source.locator("summary").inner_text()
    OUTPUT_DIR.mkdir(exist_ok=True)
    page.screenshot(path=str(OUTPUT_DIR / "embed-allowed.png"), full_page=True)
    # A new conversation clears the widget.
    frame.locator("#gw-new").click()
    assert frame.locator(".gw-msg").count() == 0
    # The host page's own script may call the API (CORS allows its origin).
    answer = page.evaluate(
        "u => fetch(u + '/api/ask', {method: 'POST', headers: {'Content-Type': 'application/json'},"
        " body: JSON.stringify({question: '东莞计划培育几个规模超百亿元的未来产业集群？'})})"
        ".then(r => r.json()).then(b => b.answer).catch(e => 'blocked: ' + e)",
        url,
    )
    assert says_main_fact(answer)
    page.close()


def test_widget_text_is_inserted_as_text_not_html(embed_setup, chromium):
    url, allowed, _ = embed_setup
    page = chromium.new_page()
    page.goto(url + "/embed", wait_until="load")
    page.locator("#gw-question").fill("<img src=x onerror=alert(1)>东莞<b>计划</b>")
    page.locator("#gw-send").click()
    page.locator(".gw-bot .gw-answer, .gw-bot.gw-error").first.wait_for(timeout=120_000)
    assert page.locator(".gw-msg img, .gw-msg b").count() == 0
    assert "<img src=x onerror=alert(1)>" in page.locator(".gw-user").first.inner_text()
    page.close()


def test_widget_shows_errors_as_a_message(embed_setup, chromium):
    url, _, _ = embed_setup
    page = chromium.new_page()
    page.goto(url + "/embed", wait_until="load")
    page.locator("#gw-question").fill("东" * 2001)  # over the limit: maxlength keeps 2000, so type past it via JS
    page.evaluate("document.getElementById('gw-question').removeAttribute('maxlength')")
    page.locator("#gw-question").fill("东" * 2001)
    page.locator("#gw-send").click()
    error = page.locator(".gw-bot.gw-error")
    error.wait_for(timeout=60_000)
    assert "422" in error.inner_text() and "longer than 2000" in error.inner_text()
    page.close()


def test_a_site_not_allowed_cannot_frame_the_widget(embed_setup, chromium):
    url, _, other = embed_setup
    page = chromium.new_page(viewport={"width": 900, "height": 800})
    messages = []
    page.on("console", lambda message: messages.append(message.text))
    page.goto(other.url + "/", wait_until="load")
    frame = next(f for f in page.frames if f != page.main_frame)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not any("frame-ancestors" in m for m in messages):
        page.wait_for_timeout(200)
    assert any("frame-ancestors" in m and "blocked" in m for m in messages), messages
    assert frame.locator("#gw-question").count() == 0
    assert not frame.url.startswith(url)
    # Nor may its scripts read the API's answers.
    result = page.evaluate(
        "u => fetch(u + '/api/ask', {method: 'POST', headers: {'Content-Type': 'application/json'},"
        " body: JSON.stringify({question: '东莞'})}).then(r => 'read').catch(e => 'blocked')",
        url,
    )
    assert result == "blocked"
    page.screenshot(path=str(OUTPUT_DIR / "embed-refused.png"), full_page=True)
    page.close()


def test_feedback_from_the_widget_is_stored(embed_setup, chromium):
    url, allowed, _ = embed_setup
    comment = f"嵌入页反馈 {time.time_ns()}"
    page = chromium.new_page(viewport={"width": 900, "height": 800})
    page.goto(allowed.url + "/", wait_until="load")
    frame = page.frame_locator("#guanwen")
    frame.locator("#gw-question").fill(MAIN_QUESTION)
    frame.locator("#gw-send").click()
    frame.locator(".gw-rate-down").first.click(timeout=120_000)
    frame.locator(".gw-rate-wrong").first.check()
    frame.locator(".gw-rate-comment").first.fill(comment)
    frame.locator(".gw-rate-send").first.click()
    frame.get_by_text("反馈已保存").wait_for(timeout=60_000)
    page.close()
    rows = [json.loads(line) for line in httpx.get(url + "/api/feedback/export", timeout=30).text.splitlines()]
    row = next(r for r in rows if r["comment"] == comment)
    assert row["rating"] == "down" and row["wrong_source"] is True and row["channel"] == "embed"
    assert row["question"] == MAIN_QUESTION and row["citations"] and row["expected"] == []
