"""The 中文/English switch: one string table (web/i18n.py) in both languages, the answer's fixed
strings in the chosen one, and in Chromium the page relabelled by the switch and by /?lang=en."""

from __future__ import annotations

import re
import shutil
import time

import pytest

from answer.models import Answer, Citation, Verification
from tests.conftest import MAIN_QUESTION, OUTPUT_DIR, SEED_ARTICLE, RunningApp, clean_env, run_python
from web.i18n import STRINGS, language, t
from web.ui.rendering import question_problem, render_answer


def _fields(text: str) -> set[str]:
    return set(re.findall(r"{(\w+)}", text))


@pytest.mark.parametrize("key", sorted(STRINGS))
def test_every_string_exists_in_both_languages_with_the_same_fields(key):
    zh, en = STRINGS[key]["zh"], STRINGS[key]["en"]
    assert type(zh) is type(en) and zh and en
    if isinstance(zh, list):
        assert len(zh) == len(en)
    else:
        assert _fields(zh) == _fields(en)


def test_the_language_comes_from_a_code_or_a_query_parameter():
    assert [language(v) for v in ("en", "EN", "en-US", "en_GB", "zh", "zh-CN", "", None, "fr", 3)] == [
        "en", "en", "en", "en", "zh", "zh", "zh", "zh", "zh", "zh"
    ]
    assert t("question_too_long", "en", length=2001, limit=2000) == (
        "The question is too long (2001 characters); shorten it to at most 2000 and ask again."
    )
    assert t("sources", "fr") == "来源"  # an unknown language falls back to Chinese


def _answer(refused: bool) -> Answer:
    passage = Citation(id=1, doc_id="d.txt", title="标题", text="前文。引文。", quote="引文。")
    if refused:
        return Answer(answer="资料中没有找到相关信息。", refused=True, related=[passage], query="北京的呢")
    return Answer(
        answer="引文。[1]", refused=False, citations=[passage], query="改写后的问题",
        verification=Verification(passed=False, citations_checked=2, citations_removed=1),
    )


def test_an_answer_is_rendered_with_english_fixed_strings():
    details = {"d.txt": {"published": "2024-03-05", "source": "东莞日报", "author": "郑康喜"}}
    english = render_answer(_answer(False), "那北京呢？", details, turn=1, lang="en")
    assert "Searched: 改写后的问题" in english and "<strong>Sources</strong>" in english
    assert "Removed 1 statement(s) that could not be verified in the articles." in english
    assert "by 郑康喜" in english
    assert not re.search(r"检索：|来源|已删去|作者", english)
    refusal = render_answer(_answer(True), "q", details, lang="en")
    assert "Related passages (not enough to answer the question)" in refusal and "相关段落" not in refusal
    # Chinese stays the default, and the answer text itself is never translated.
    chinese = render_answer(_answer(False), "那北京呢？", details, turn=1)
    assert "检索：改写后的问题" in chinese and "<strong>来源</strong>" in chinese and "作者 郑康喜" in chinese
    assert "引文。" in english and "资料中没有找到相关信息" in refusal


def test_messages_about_the_question_follow_the_language():
    assert question_problem("  ", 10, "en") == "Please type a question first."
    assert question_problem("东" * 11, 10) == "问题太长（11 字），请精简到 10 字以内再提问。"


# --- in Chromium ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    folder = tmp_path_factory.mktemp("language-app")
    corpus = folder / "corpus"
    corpus.mkdir()
    shutil.copy(SEED_ARTICLE, corpus / SEED_ARTICLE.name)
    env = clean_env(
        GUANWEN_STORAGE_DIR=str(folder / "storage"), GUANWEN_CORPUS_DIR=str(corpus), GUANWEN_EMBED_MODEL="fake"
    )
    assert run_python(["-m", "ingest", "--json"], env).returncode == 0
    app = RunningApp(env, folder / "app.log")
    yield app.url
    app.stop()


def _labels(page) -> dict[str, str]:
    return {
        "send": page.locator("#gw-send").inner_text().strip(),
        "new": page.locator("#gw-new").inner_text().strip(),
        "placeholder": page.locator("#gw-question textarea").get_attribute("placeholder"),
        "chat": page.locator("#gw-chat").inner_text(),
        "tabs": " ".join(page.get_by_role("tab").all_inner_texts()),
    }


def _wait_for_button(page, label: str) -> None:
    page.wait_for_function(
        "label => document.querySelector('#gw-send')?.textContent.trim() === label", arg=label, timeout=60_000
    )


def _all_english(labels: dict[str, str]) -> bool:
    return labels["new"] == "New conversation" and "Chat" in labels["tabs"] and labels["chat"].startswith("Conversation")


def _labels_once(page, settled, timeout_s: float = 30) -> dict[str, str]:
    """The labels once ``settled`` holds for them (or as they are at the timeout, for the asserts to
    show): Gradio redraws the tabs and the conversation after the button, so one read raced on CI."""
    deadline = time.monotonic() + timeout_s
    labels = _labels(page)
    while not settled(labels) and time.monotonic() < deadline:
        page.wait_for_timeout(200)
        labels = _labels(page)
    return labels


@pytest.mark.slow
@pytest.mark.browser
def test_the_switch_turns_the_page_and_the_answers_into_english_and_back(app_url, chromium):
    page = chromium.new_page(viewport={"width": 1200, "height": 1100})
    page.goto(app_url + "/", wait_until="load")
    page.locator("#gw-question textarea").wait_for(timeout=60_000)
    chinese = _labels(page)
    assert chinese["send"] == "提问" and chinese["new"] == "新对话" and "问答" in chinese["tabs"]
    assert page.get_by_text("示例问题", exact=True).is_visible()

    page.locator("#gw-lang").get_by_text("English", exact=True).click()
    _wait_for_button(page, "Ask")
    english = _labels_once(page, _all_english)
    assert english["new"] == "New conversation" and english["placeholder"].startswith("Ask a question")
    assert english["tabs"].split() == ["Chat", "Retrieval", "lab", "Documents"]
    assert english["chat"].startswith("Conversation")
    # Offline too, the English page offers English questions (they are answered: tests/test_ui_experience.py).
    assert page.get_by_text(STRINGS["examples"]["en"][1]).is_visible()

    page.locator("#gw-question textarea").fill("2022年东莞R&D研发投入占GDP比重是多少？")
    page.locator("#gw-send").click()
    answer = page.locator("#gw-chat .gw-answer-block").last
    answer.locator(".gw-sources").wait_for(timeout=120_000)
    assert "4.1%" in answer.inner_text()
    assert answer.locator(".gw-sources > strong").first.inner_text() == "Sources"
    page.locator("#gw-question textarea").fill("那北京呢？")  # a follow-up shows what was searched
    page.locator("#gw-send").click()
    query = page.locator("#gw-chat .gw-query").last
    query.wait_for(timeout=120_000)
    assert query.inner_text().startswith("Searched: ") and "北京" in query.inner_text()
    page.locator("#gw-chat .gw-answer-block").nth(1).wait_for(timeout=60_000)
    assert "来源" not in page.locator("#gw-chat").inner_text() and "检索：" not in page.locator("#gw-chat").inner_text()
    empty = page.locator("#gw-question textarea")
    empty.fill("   ")
    page.locator("#gw-send").click()
    page.locator("#gw-chat").get_by_text("Please type a question first.").wait_for(timeout=30_000)
    OUTPUT_DIR.mkdir(exist_ok=True)
    page.screenshot(path=str(OUTPUT_DIR / "chat-english.png"), full_page=True)

    page.get_by_role("tab", name="Retrieval lab").click()
    page.locator("#gw-lab-question textarea").fill(MAIN_QUESTION)
    page.locator("#gw-lab-search").click()
    page.wait_for_function("() => document.querySelector('#gw-lab-results').innerText.includes('规模超百亿元')", timeout=120_000)
    assert "BM25 score" in page.locator("#gw-lab-results").inner_text()
    page.get_by_role("tab", name="Documents").click()
    page.wait_for_function("() => document.querySelector('#gw-documents').innerText.includes('Passages')", timeout=30_000)

    page.locator("#gw-lang").get_by_text("中文", exact=True).click()
    _wait_for_button(page, "提问")
    assert _labels_once(page, lambda labels: labels["tabs"] == chinese["tabs"])["tabs"] == chinese["tabs"]
    assert "BM25 分数" in page.locator("#gw-lab-results").inner_text()  # the table keeps its rows, relabelled
    assert "规模超百亿元" in page.locator("#gw-lab-results").inner_text()
    page.close()


@pytest.mark.slow
@pytest.mark.browser
def test_lang_en_in_the_address_opens_the_page_in_english(app_url, chromium):
    page = chromium.new_page(viewport={"width": 1200, "height": 900})
    page.goto(app_url + "/?lang=en", wait_until="load")
    _wait_for_button(page, "Ask")
    assert page.locator("#gw-lang input[value='en']").is_checked()
    assert page.get_by_role("tab", name="Documents").is_visible()
    page.screenshot(path=str(OUTPUT_DIR / "chat-lang-en.png"), full_page=True)
    page.close()
