"""The main page in Chromium: clickable citations, sources with their article details, the retrieval
lab and the documents tab; and the feedback and documents APIs over HTTP. (A phone's screen and
feedback saved at the click: tests/test_ui_experience.py.)"""

import json

import httpx
import pytest

from tests.conftest import MAIN_QUESTION, OUTPUT_DIR, says_main_fact

pytestmark = pytest.mark.slow


def ask(page, question: str):
    page.locator("#gw-question textarea").fill(question)
    page.locator("#gw-send").click()
    chat = page.locator("#gw-chat")
    chat.locator(".gw-source").first.wait_for(timeout=120_000)
    return chat


@pytest.mark.browser
def test_citation_marker_reveals_its_source(server, chromium):
    page = chromium.new_page(viewport={"width": 1200, "height": 900})
    page.goto(server + "/", wait_until="load")
    chat = ask(page, MAIN_QUESTION)
    marker = chat.locator("a.gw-cite").first
    target = marker.get_attribute("href")
    assert target.startswith("#gw-s-")
    source = chat.locator(target)
    assert "作者 郑康喜" in source.inner_text()  # the article's details from the manifest
    marker.click()
    page.locator(f"{target}.gw-focus").wait_for(timeout=30_000)
    assert page.url.rstrip("/") == server  # handled in the page, not a navigation
    assert source.evaluate("e => { const r = e.getBoundingClientRect(); return r.bottom > 0 && r.top < innerHeight; }")
    OUTPUT_DIR.mkdir(exist_ok=True)
    page.screenshot(path=str(OUTPUT_DIR / "chat-citation.png"), full_page=True)
    page.close()


@pytest.mark.browser
def test_retrieval_lab_shows_scores_and_the_documents_tab_lists_articles(server, chromium):
    page = chromium.new_page(viewport={"width": 1300, "height": 1000})
    page.goto(server + "/", wait_until="load")
    page.get_by_role("tab", name="检索实验室").click()
    page.locator("#gw-lab-question textarea").fill(MAIN_QUESTION)
    page.locator("#gw-lab-search").click()
    page.wait_for_function(
        "() => document.querySelector('#gw-lab-results').innerText.includes('规模超百亿元')", timeout=120_000
    )
    text = page.locator("#gw-lab-results").inner_text()
    assert "BM25 分数" in text and "融合排名" in text
    page.screenshot(path=str(OUTPUT_DIR / "retrieval-lab.png"), full_page=True)
    page.get_by_role("tab", name="文档").click()
    page.wait_for_function("() => document.querySelector('#gw-documents').innerText.includes('dongguan-future-industries.txt')", timeout=60_000)
    assert "郑康喜" in page.locator("#gw-documents").inner_text()
    page.close()


def test_feedback_api_stores_and_exports(server, real_storage):
    citation = httpx.post(server + "/api/ask", json={"question": MAIN_QUESTION}, timeout=120).json()["citations"][0]
    body = {"question": "测试问题？", "answer": "测试回答[1]", "rating": "up", "citations": [citation], "channel": "api"}
    response = httpx.post(server + "/api/feedback", json=body, timeout=30)
    assert response.status_code == 201 and response.json()["stored"] is True
    feedback_id = response.json()["feedback_id"]
    lines = (real_storage / "feedback.jsonl").read_text(encoding="utf-8").splitlines()
    assert any(json.loads(line)["feedback_id"] == feedback_id for line in lines)
    rows = [json.loads(line) for line in httpx.get(server + "/api/feedback/export", timeout=30).text.splitlines()]
    row = next(r for r in rows if r["id"] == f"fb-{feedback_id}")
    assert row["question"] == "测试问题？" and row["rating"] == "up" and row["citations"][0]["doc_id"] == citation["doc_id"]


@pytest.mark.parametrize(
    "payload, message",
    [
        ({"question": "x", "answer": "y", "rating": "meh"}, "'rating'"),
        ({"question": " ", "answer": "y", "rating": "down"}, "must not be empty"),
        ({"answer": "y", "rating": "down"}, "'question' is required"),
        ({"question": "x", "answer": "y", "rating": "down", "stars": 5}, "'stars' is not a known field"),
    ],
)
def test_feedback_api_rejects_bad_input(server, payload, message):
    response = httpx.post(server + "/api/feedback", json=payload, timeout=30)
    assert response.status_code == 422 and message in response.json()["error"]


def test_documents_api_lists_the_indexed_articles(server):
    documents = httpx.get(server + "/api/documents", timeout=30).json()
    assert len(documents) == 1
    assert documents[0]["doc_id"] == "dongguan-future-industries.txt" and documents[0]["chunks"] > 5
    assert documents[0]["author"] == "郑康喜" and {"title", "published", "source"} <= set(documents[0])
