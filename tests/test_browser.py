"""A real browser (Debian's Chromium through Playwright) asks the main question in the UI."""

import pytest

from tests.conftest import MAIN_QUESTION, OUTPUT_DIR, says_main_fact

pytestmark = [pytest.mark.slow, pytest.mark.browser]


def test_asking_in_the_browser_shows_the_answer_and_its_source(server, chromium):
    page = chromium.new_page(viewport={"width": 1200, "height": 1000})
    page.goto(server + "/", wait_until="load")
    page.locator("#gw-question textarea").fill(MAIN_QUESTION)
    page.locator("#gw-send").click()
    chat = page.locator("#gw-chat")
    chat.get_by_text("1-2个", exact=False).first.wait_for(timeout=60_000)
    source = chat.locator(".gw-source").first
    source.wait_for()
    assert "[1]" in source.inner_text()
    highlighted = chat.locator(".gw-source mark").all_inner_texts()
    assert any(says_main_fact(quote) for quote in highlighted)
    OUTPUT_DIR.mkdir(exist_ok=True)
    page.screenshot(path=str(OUTPUT_DIR / "chat.png"), full_page=True)
    page.close()


def test_a_follow_up_in_the_browser_shows_what_was_searched(server, chromium):
    page = chromium.new_page(viewport={"width": 1200, "height": 1000})
    page.goto(server + "/", wait_until="load")
    ask = page.locator("#gw-question textarea")
    ask.fill("2022年东莞R&D研发投入占GDP比重是多少？")
    page.locator("#gw-send").click()
    chat = page.locator("#gw-chat")
    chat.get_by_text("4.1%", exact=False).first.wait_for(timeout=60_000)
    ask.fill("那北京呢？")
    page.locator("#gw-send").click()
    chat.locator(".gw-query").first.wait_for(timeout=60_000)
    assert "2022年北京R&D研发投入占GDP比重是多少？" in chat.locator(".gw-query").first.inner_text()
    chat.get_by_text("资料中没有找到相关信息", exact=False).first.wait_for(timeout=60_000)
    page.screenshot(path=str(OUTPUT_DIR / "follow-up.png"), full_page=True)
    page.close()
