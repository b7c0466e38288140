"""Pieces of issue 15 without servers: feedback replaced and withdrawn by id, the upload form's
metadata, the header and the API reference's pages, the credentials file kept out of git, and a
`make setup` that says what it is doing."""

import subprocess

import pytest

from tests.conftest import REPO
from web.feedback import FeedbackStore
from web.inputs import stated_metadata
from web.pages import SignedIn, api_docs_page, signed_in, ui_header
from web.schemas import FeedbackRequest


def test_a_rating_is_replaced_by_its_comment_and_a_withdrawn_one_drops_out(tmp_path):
    store = FeedbackStore(tmp_path / "feedback.jsonl")
    first = store.add(FeedbackRequest(question="甲？", answer="a", rating="down"), "wang")
    other = store.add(FeedbackRequest(question="乙？", answer="b", rating="up"), "wang")
    store.add(FeedbackRequest(question="甲？", answer="a", rating="down", comment="来源不对", wrong_source=True), "wang",
              feedback_id=first["feedback_id"])
    records = store.records()
    assert [r["question"] for r in records] == ["甲？", "乙？"]  # replaced in place, not added
    assert records[0]["comment"] == "来源不对" and records[0]["wrong_source"] and records[0]["created"] == first["created"]
    store.withdraw(other["feedback_id"], "wang")
    assert [r["feedback_id"] for r in store.records()] == [first["feedback_id"]]
    assert len((tmp_path / "feedback.jsonl").read_text(encoding="utf-8").splitlines()) == 4  # append-only


@pytest.mark.parametrize(
    "title, date, source, count, stated, problem",
    [
        ("", "", "", 1, None, None),
        ("东莞：规划（2024—2026）", "2024年3月5日", "东莞日报（转载）", 1,
         {"title": "东莞：规划（2024—2026）", "published": "2024-03-05", "source": "东莞日报（转载）"}, None),
        ("", "2024/3", "", 2, {"published": "2024-03"}, None),
        ("", " 2024 ", "", 1, {"published": "2024"}, None),
        ("标题", "", "", 2, None, "meta_title_many"),
        ("", "三月五日", "", 1, None, "meta_bad_date"),
        ("", "2024-03-05-01", "", 1, None, "meta_bad_date"),
        ("长" * 301, "", "", 1, None, "meta_bad_value"),
        ("", "", "东莞\n日报", 1, None, "meta_bad_value"),
    ],
)
def test_the_upload_forms_metadata(title, date, source, count, stated, problem):
    found, trouble = stated_metadata(title, date, source, count)
    assert found == stated and (trouble[0] if trouble else None) == problem


def test_the_header_says_who_is_signed_in_and_links_the_logout_and_the_api_reference():
    from web.auth import Identity

    page = ui_header("zh", SignedIn("王<b>", "admin"))
    assert "已登录：王&lt;b&gt;（管理员）" in page and 'href="logout"' in page and 'href="docs"' in page
    assert "<b>" not in page
    assert "Signed in as wang (administrator)" in ui_header("en", SignedIn("wang", "admin"))
    assert "logout" not in ui_header("zh", None)  # auth off: nobody to sign out
    assert signed_in(Identity("wang", "admin", "session"), True) == SignedIn("wang", "admin")
    assert signed_in(Identity("local", "admin", "local"), False) is None
    assert signed_in(Identity("portal", "user", "token"), True) is None  # a program, not a person


def test_the_api_reference_pages_load_only_local_files():
    for kind in ("swagger", "redoc"):
        page = api_docs_page(kind, "zh", None)
        assert "http://" not in page and "https://" not in page and "//cdn" not in page
        assert "docs/assets/" in page and 'data-openapi="openapi.json"' in page


def test_the_credentials_file_is_kept_out_of_git():
    result = subprocess.run(["git", "check-ignore", "auth.json", "storage/auth.json"], cwd=REPO, capture_output=True, text=True)
    if result.returncode == 128:
        pytest.skip("not a git checkout")
    assert result.stdout.split() == ["auth.json", "storage/auth.json"]


def test_make_setup_says_what_it_is_doing_and_how_long_it_takes():
    result = subprocess.run(["make", "-n", "-B", "setup"], cwd=REPO, capture_output=True, text=True)
    said = [line for line in result.stdout.splitlines() if line.startswith("echo")]
    assert len(said) >= 3 and any("about 6 minutes" in line for line in said), result.stdout
    assert any("torch" in line for line in said) and said[-1].endswith('done"')
