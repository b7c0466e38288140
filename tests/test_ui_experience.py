"""What an official sees, in Chromium on the real app (the bundled corpus and model, auth off): the
first screen of a phone, the retrieval lab on a phone, the API reference with every off-host request
blocked, feedback saved at the click, Gradio's strings in Chinese, titles from the sidecar, the
English page's examples answered. Screenshots land in test-output/."""

from __future__ import annotations

import json
import re
import time
import unicodedata
from pathlib import Path

import httpx
import pytest

from ingest.metadata import parse, sidecar_for
from tests.conftest import MAIN_QUESTION, OUTPUT_DIR, REPO, SEED_ARTICLE
from web.i18n import STRINGS, t

CLUSTERS = re.compile(r"1[-—–]2个")  # the article writes it both ways; the answer may quote either sentence
PHONE = {"viewport": {"width": 375, "height": 800}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
SEED_TITLE = parse(sidecar_for(SEED_ARTICLE).read_bytes())["title"]
# Gradio's own English strings as they showed in the Chinese page before (issue 15), and more of its labels.
GRADIO_ENGLISH = ["Drop File Here", "Click to Upload", "Use via API", "Copy message", "Like", "Dislike", "Liked",
                  "Disliked", "chatbot conversation", "Clear", "Fullscreen", "Copy table data", "common.", "bot's message",
                  "user's message", "File upload", "Loading"]


def shot(page, name: str, full_page: bool = True) -> None:
    OUTPUT_DIR.mkdir(exist_ok=True)
    page.screenshot(path=str(OUTPUT_DIR / name), full_page=full_page)


def ask(page, question: str = MAIN_QUESTION):
    page.locator("#gw-question textarea").fill(question)
    page.locator("#gw-send").click()
    chat = page.locator("#gw-chat")
    chat.locator(".gw-answer-block .gw-source").last.wait_for(timeout=120_000)
    return chat


def box(locator) -> dict:
    return locator.bounding_box()


def line_count(locator) -> int:
    """How many lines the element's text takes."""
    return locator.evaluate(
        "e => { const r = document.createRange(); r.selectNodeContents(e); const tops = new Set();"
        " for (const rect of r.getClientRects()) if (rect.width > 1) tops.add(Math.round(rect.top)); return tops.size; }"
    )


def labels_and_texts(page) -> str:
    """Every visible text, aria-label, title and placeholder of the page, one per line."""
    return page.evaluate(
        """() => { const out = [];
        const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT); let n;
        while ((n = walker.nextNode())) { const e = n.parentElement; const t = n.textContent.trim();
          if (!t || !e || e.closest('script, style')) continue;
          const s = getComputedStyle(e); if (s.display !== 'none' && s.visibility !== 'hidden') out.push(t); }
        document.querySelectorAll('[aria-label], [title], [placeholder]').forEach(e =>
          ['aria-label', 'title', 'placeholder'].forEach(a => { const v = e.getAttribute(a); if (v) out.push(v); }));
        return out.join('\\n'); }"""
    )


def wait_for_locale(page, code: str) -> None:
    page.wait_for_function("code => document.documentElement.lang === code", arg=code, timeout=30_000)


# --- a phone ---------------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.browser
def test_on_a_phone_the_first_screen_holds_the_title_the_switch_and_the_question_box(server, chromium):
    page = chromium.new_page(**PHONE)
    page.goto(server + "/", wait_until="load")
    page.locator("#gw-question textarea").wait_for(timeout=60_000)
    wait_for_locale(page, "zh-CN")
    shot(page, "phone-first-screen.png", full_page=False)
    title = page.locator(".gw-title")
    assert title.inner_text() == t("app_title") and line_count(title) <= 2
    header, switch = box(page.locator("#gw-top")), box(page.locator("#gw-lang"))
    assert header["height"] <= 110, header  # half the first screen was title and language box before
    assert switch["height"] <= 40 and switch["width"] <= 150 and switch["x"] + switch["width"] <= 375, switch
    for element in ("#gw-question textarea", "#gw-send"):
        where = box(page.locator(element))
        assert where["y"] >= 0 and where["y"] + where["height"] <= 800, (element, where)  # on the first screen
        assert where["x"] >= 0 and where["x"] + where["width"] <= 375, (element, where)
    assert page.locator("#gw-send").inner_text().strip() == "提问" and line_count(page.locator("#gw-send")) == 1
    assert page.evaluate("document.documentElement.scrollWidth") <= 375  # nothing forces sideways scrolling

    chat = ask(page)
    shot(page, "phone-answer.png", full_page=False)
    answer = chat.locator(".gw-answer-block").last
    assert CLUSTERS.search(answer.inner_text())
    source = answer.locator(".gw-source").first
    where = box(source)
    assert where["x"] >= 0 and where["x"] + where["width"] <= 375
    assert float(source.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")) >= 12  # readable
    assert SEED_TITLE in source.inner_text()
    # The question box stays on the screen under the answer.
    where = box(page.locator("#gw-question textarea"))
    assert where["y"] + where["height"] <= 800
    page.close()


@pytest.mark.slow
@pytest.mark.browser
def test_on_a_phone_the_retrieval_lab_shows_the_passage(server, chromium):
    page = chromium.new_page(**PHONE)
    page.goto(server + "/", wait_until="load")
    page.get_by_role("tab", name="检索实验室").click()
    page.locator("#gw-lab-question textarea").fill(MAIN_QUESTION)
    page.locator("#gw-lab-search").click()
    page.wait_for_function("() => document.querySelector('#gw-lab-results').innerText.includes('规模超百亿元')", timeout=120_000)
    results = page.locator("#gw-lab-results")
    results.scroll_into_view_if_needed()
    assert results.locator("thead th").nth(1).inner_text().strip() == "段落"
    # Gradio's table draws the rows in view as .virtual-row > .body-cell.
    passage = results.locator(".virtual-row .body-cell", has_text="规模超百亿元").first
    passage.wait_for(timeout=30_000)
    column = "cell => [...cell.parentElement.children].filter(c => c.classList.contains('body-cell')).indexOf(cell)"
    assert passage.evaluate(column) == 1  # the passage is the second column, beside the rank
    where = box(passage)
    assert where["x"] >= 0 and where["x"] + where["width"] <= 375, where  # the whole passage column in view
    assert where["height"] < 800 and len(passage.inner_text()) > 100  # readable rows, not one character per line
    text = passage.evaluate("e => { const r = document.createRange(); r.selectNodeContents(e); return r.getBoundingClientRect().right; }")
    assert text <= 375
    shot(page, "phone-retrieval-lab.png", full_page=False)
    page.close()


# --- the API reference, offline ---------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.browser
def test_the_api_reference_works_with_every_off_host_request_blocked(server, chromium):
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    blocked, served = [], []

    def route(request_route):
        url = request_route.request.url
        if url.startswith(server + "/"):
            served.append(url)
            request_route.continue_()
        else:  # as on a machine without internet
            blocked.append(url)
            request_route.abort()

    context.route("**/*", route)
    page = context.new_page()
    page.goto(server + "/docs", wait_until="networkidle")
    page.locator(".opblock-summary-path", has_text="/api/ask").first.wait_for(timeout=60_000)
    assert page.locator(".swagger-ui .info .title").inner_text().startswith("guanwen")
    page.locator(".opblock-summary-path", has_text="/api/ask").first.click()  # an operation opens, with its schema
    page.locator(".opblock-body").first.wait_for(timeout=30_000)
    shot(page, "docs-offline.png", full_page=False)
    assert any(u.endswith("/docs/assets/swagger-ui-bundle.js") for u in served)
    page.goto(server + "/redoc", wait_until="networkidle")
    page.get_by_text("Ask Stream").first.wait_for(timeout=60_000)
    shot(page, "redoc-offline.png", full_page=False)
    assert blocked == [], blocked  # the CSP keeps ReDoc from even asking for its vendor's logo
    context.close()
    assert httpx.get(server + "/docs/assets/settings.py", timeout=30).status_code == 404  # only its four files
    policy = httpx.get(server + "/docs", timeout=30).headers["content-security-policy"]
    assert "default-src 'self'" in policy and "frame-ancestors 'self'" in policy


# --- feedback ------------------------------------------------------------------------------------------


def _records(storage: Path) -> list[dict]:
    from web.feedback import FeedbackStore

    return FeedbackStore(storage / "feedback.jsonl").records()


def _wait(condition, timeout: float = 30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError("not saved in time")


@pytest.mark.slow
@pytest.mark.browser
def test_feedback_is_saved_at_the_click_and_the_comment_joins_it(server, real_storage, chromium):
    page = chromium.new_page(viewport={"width": 1200, "height": 1000})
    page.goto(server + "/", wait_until="load")
    wait_for_locale(page, "zh-CN")
    before = {r["feedback_id"] for r in _records(real_storage)}
    chat = ask(page)
    chat.get_by_label("踩").last.click()  # Gradio's thumb, labelled in Chinese
    status = page.locator("#gw-feedback-status")
    status.get_by_text("评价已保存").wait_for(timeout=30_000)
    assert "第 1 条回答" in status.inner_text() and MAIN_QUESTION[:20] in status.inner_text()
    # Saved by the click itself, before any comment or button.
    mine = _wait(lambda: [r for r in _records(real_storage) if r["feedback_id"] not in before])
    assert len(mine) == 1 and mine[0]["rating"] == "down" and mine[0]["comment"] == "" and mine[0]["channel"] == "ui"
    assert mine[0]["question"] == MAIN_QUESTION and CLUSTERS.search(mine[0]["answer"])
    feedback_id = mine[0]["feedback_id"]

    comment = "引用的段落不对（测试）"
    page.locator("#gw-wrong-source input").check()
    page.locator("#gw-comment textarea").fill(comment)
    page.locator("#gw-feedback-send").click()
    status.get_by_text("补充说明已保存").wait_for(timeout=30_000)
    shot(page, "feedback-saved-on-click.png")
    record = next(r for r in _records(real_storage) if r["feedback_id"] == feedback_id)
    assert record["comment"] == comment and record["wrong_source"] is True and record["rating"] == "down"
    assert len([r for r in _records(real_storage) if r["feedback_id"] not in before]) == 1  # the same record, completed
    export = [json.loads(line) for line in httpx.get(server + "/api/feedback/export", timeout=30).text.splitlines()]
    assert [r["comment"] for r in export if r["id"] == f"fb-{feedback_id}"] == [comment]

    # A new question closes the confirmation: it belonged to the first answer.
    ask(page, "中国散裂中子源打靶束流功率达到多少？")
    page.locator("#gw-feedback").first.wait_for(state="hidden", timeout=30_000)
    assert not status.get_by_text("评价已保存").is_visible()
    chat.get_by_label("赞").last.click()
    status.get_by_text("第 2 条回答").wait_for(timeout=30_000)
    assert "有帮助" in status.inner_text() and "没有帮助" not in status.inner_text()
    second = _wait(lambda: [r for r in _records(real_storage) if r["feedback_id"] not in before | {feedback_id}])
    assert second[0]["rating"] == "up" and "散裂中子源" in second[0]["question"]
    # The thumb clicked again takes the rating back.
    chat.get_by_label("已赞").last.click()
    status.get_by_text("已撤回").wait_for(timeout=30_000)
    _wait(lambda: all(r["feedback_id"] != second[0]["feedback_id"] for r in _records(real_storage)))
    page.close()


# --- Chinese throughout, and English when asked -----------------------------------------------------------


@pytest.mark.slow
@pytest.mark.browser
def test_the_chinese_page_is_chinese_throughout_gradio_included(server, chromium):
    page = chromium.new_page(viewport={"width": 1200, "height": 1000})
    page.goto(server + "/", wait_until="load")
    wait_for_locale(page, "zh-CN")
    ask(page)
    page.wait_for_timeout(500)
    seen = labels_and_texts(page)
    page.get_by_role("tab", name="检索实验室").click()
    page.locator("#gw-lab-search").wait_for()
    seen += "\n" + labels_and_texts(page)
    page.get_by_role("tab", name="文档").click()
    page.locator("#gw-upload").wait_for(timeout=30_000)  # this machine's own browser is an administrator
    seen += "\n" + labels_and_texts(page)
    shot(page, "documents-chinese.png")
    lines = seen.splitlines()
    for english in GRADIO_ENGLISH:
        assert not [line for line in lines if english in line], english
    assert "将文件拖放到此处" in seen and "点击上传" in seen  # Gradio's own strings, in its Chinese
    # Screen readers hear the answer's words, not its HTML.
    label = page.evaluate("() => [...document.querySelectorAll('[aria-label]')].map(e => e.getAttribute('aria-label')).find(l => l.startsWith('回答：'))")
    assert label and "<" not in label and CLUSTERS.search(label)

    page.locator("#gw-lang").get_by_text("English", exact=True).click()
    wait_for_locale(page, "en")
    page.get_by_role("tab", name="Documents").wait_for(timeout=30_000)
    page.locator("#gw-upload").get_by_text("Drop File Here").wait_for(timeout=30_000)  # Gradio's English again
    page.locator("#gw-lang").get_by_text("中文", exact=True).click()
    wait_for_locale(page, "zh-CN")
    page.locator("#gw-upload").get_by_text("将文件拖放到此处").wait_for(timeout=30_000)
    page.close()


@pytest.mark.slow
def test_the_english_examples_are_answered_offline(server):
    for question in STRINGS["examples"]["en"]:
        answer = httpx.post(server + "/api/ask", json={"question": question}, timeout=120).json()
        assert not answer["refused"] and answer["citations"], question


@pytest.mark.slow
@pytest.mark.browser
def test_the_english_page_offers_english_examples(server, chromium):
    page = chromium.new_page(viewport={"width": 1200, "height": 1000})
    page.goto(server + "/?lang=en", wait_until="load")
    wait_for_locale(page, "en")
    example = STRINGS["examples"]["en"][1]
    page.get_by_text(example).click()
    page.locator("#gw-send").click()
    answer = page.locator("#gw-chat .gw-answer-block").last
    answer.locator(".gw-sources").wait_for(timeout=120_000)
    assert "4.1%" in answer.inner_text() and answer.locator(".gw-sources > strong").first.inner_text() == "Sources"
    shot(page, "chat-english-example.png")
    page.close()


# --- what the code and files promise ---------------------------------------------------------------------


def _emoji(text: str) -> list[str]:
    return [c for c in text if ord(c) >= 0x1F000 or unicodedata.category(c) == "So" and ord(c) >= 0x2600]


def test_the_ui_draws_no_emoji_that_needs_an_emoji_font():
    texts = [json.dumps(STRINGS, ensure_ascii=False)]
    texts += [p.read_text(encoding="utf-8") for p in (REPO / "web").rglob("*") if p.suffix in (".html", ".js", ".css")]
    assert [c for text in texts for c in _emoji(text)] == []


def test_no_label_or_button_promises_a_time():
    assert not re.search(r"分钟|minute", json.dumps(STRINGS, ensure_ascii=False))
