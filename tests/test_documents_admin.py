"""Document management (web/corpus_admin.py): upload, re-index and delete through the ingest code,
for administrators only — unit tests on a fake-embedder index, then a real app with auth on over
HTTP (/api/admin/*) and in Chromium (the Documents tab), on a temporary copy of the corpus."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from ingest.sync import ingest_lock
from tests.conftest import OUTPUT_DIR, REPO, SEED_ARTICLE, RunningApp, clean_env, log_in, run_python
from web.auth import Identity
from web.corpus_admin import CorpusAdmin, Upload, name_problem

ADMIN = Identity("wang", "admin", "session")
USER = Identity("li", "user", "session")
NEW_NAME = "松山湖氮化镓.txt"
NEW_ARTICLE = (
    "松山湖材料实验室氮化镓量产\n\n"
    "东莞市松山湖材料实验室研发的新型氮化镓材料已于2024年实现量产，年产值达到三十亿元。"
    "该实验室计划在2026年前建成第二条氮化镓生产线。\n"
)
NEW_QUESTION = "松山湖材料实验室的氮化镓材料年产值达到多少？"
NEW_TITLE = "松山湖材料实验室：氮化镓量产（2024）"
NEW_SOURCE = "测试稿（新用户体验测试用）"


def _file(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / "uploads" / name
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return path


# --- the shared implementation ------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, code",
    [
        ("plan.txt", None),
        ("东莞 规划（2024）.pdf", None),
        ("../escape.txt", "name_path"),
        ("sub/plan.txt", "name_path"),
        ("..\\escape.txt", "name_path"),
        ("..", "name_path"),
        (".hidden.txt", "name_hidden"),
        ("", "name_empty"),
        ("   ", "name_empty"),
        ("bad\x00name.txt", "name_chars"),
        ("new\nline.txt", "name_chars"),
        (" plan.txt", "name_chars"),
        ("长" * 70 + ".txt", "name_long"),  # 214 bytes in UTF-8
    ],
)
def test_only_plain_file_names_are_accepted(name, code):
    assert name_problem(name) == code


def test_uploads_are_limited_by_ingest_and_by_the_upload_limit_whichever_is_lower():
    from types import SimpleNamespace

    from web.corpus_admin import upload_limit_bytes

    assert upload_limit_bytes(SimpleNamespace(max_file_mb=0.05, max_upload_mb=100)) == 50_000
    # 20 MB files, but upload requests of at most 1 MB: the page must not offer what the server refuses.
    assert upload_limit_bytes(SimpleNamespace(max_file_mb=20, max_upload_mb=1)) == 1_000_000 - 8 * 1024
    assert upload_limit_bytes(SimpleNamespace(max_file_mb=20, max_upload_mb=100)) == 20_000_000


def test_an_upload_is_indexed_and_found_at_once(fake_settings, fake_store, tmp_path):
    admin = CorpusAdmin(fake_settings, fake_store)
    generation = fake_store.manifest.generation
    report = admin.upload(ADMIN, [Upload(NEW_NAME, _file(tmp_path, NEW_NAME, NEW_ARTICLE))])
    assert report.error == "" and report.added == [NEW_NAME] and report.rejected == []
    assert (fake_settings.corpus_dir / NEW_NAME).read_text(encoding="utf-8") == NEW_ARTICLE
    assert report.documents == 2 and NEW_NAME in fake_store.manifest.documents()
    # The app's store sees the new generation: BM25 finds the article without a restart.
    assert fake_store.manifest.generation > generation
    from index.text import Tokenizer

    tokenize = Tokenizer().tokenize

    top = fake_store.lexical().top(tokenize(NEW_QUESTION), 1)
    assert top and top[0][0].startswith(NEW_NAME + "#")
    assert "Added: " + NEW_NAME in report.message("en") and "已添加：" + NEW_NAME in report.message("zh")
    # The same bytes again: nothing re-indexed, and the report says so.
    again = admin.upload(ADMIN, [Upload(NEW_NAME, _file(tmp_path, NEW_NAME, NEW_ARTICLE))])
    assert again.unchanged == [NEW_NAME] and not again.changed


def test_non_admins_change_nothing(fake_settings, fake_store, tmp_path):
    admin = CorpusAdmin(fake_settings, fake_store)
    before = sorted(p.name for p in fake_settings.corpus_dir.iterdir())
    for identity in (USER, Identity("portal", "widget", "token"), None):
        for report in (
            admin.upload(identity, [Upload(NEW_NAME, _file(tmp_path, NEW_NAME, NEW_ARTICLE))]),
            admin.reindex(identity),
            admin.delete(identity, SEED_ARTICLE.name),
        ):
            assert report.error == "forbidden"
            assert report.message("zh") == "只有管理员可以管理文档。"
    assert sorted(p.name for p in fake_settings.corpus_dir.iterdir()) == before
    assert list(fake_store.manifest.documents()) == [SEED_ARTICLE.name]


def test_bad_uploads_are_refused_with_their_reason_and_nothing_is_written(fake_settings, fake_store, tmp_path):
    small = fake_settings.model_copy(update={"max_file_mb": 0.001})  # 1,000 bytes
    admin = CorpusAdmin(small, fake_store)
    good = _file(tmp_path, "ok.txt", NEW_ARTICLE)
    report = admin.upload(
        ADMIN,
        [
            Upload("../../escape.txt", good),
            Upload(".hidden.txt", good),
            Upload("slides.pptx", good),
            Upload("big.txt", _file(tmp_path, "big.txt", "东莞" * 1000)),
        ],
    )
    reasons = {p.name: p.text("en") for p in report.rejected}
    assert reasons == {
        "../../escape.txt": "the file name must not contain a path (/, \\ or ..)",
        ".hidden.txt": "hidden files (names starting with '.') are not accepted",
        "slides.pptx": "unsupported format .pptx (supported: .txt, .md, .html, .htm, .pdf, .docx)",
        "big.txt": "the file is too big (0.006 MB; the limit is 0.001 MB)",
    }
    assert not report.changed
    assert sorted(p.name for p in fake_settings.corpus_dir.iterdir()) == [SEED_ARTICLE.name]
    assert not (tmp_path / "escape.txt").exists() and not (fake_settings.corpus_dir.parent / "escape.txt").exists()
    assert "不接受以“.”开头的隐藏文件" in report.message("zh")


def test_look_alike_names_are_flagged(fake_settings, fake_store, tmp_path):
    """A Cyrillic "і" in place of the Latin one was accepted beside the real file, which readers
    could not tell apart in the Documents tab or a citation."""
    admin = CorpusAdmin(fake_settings, fake_store)
    article = _file(tmp_path, "plan.txt", NEW_ARTICLE)
    assert admin.upload(ADMIN, [Upload("ABC.txt", article)]).added == ["ABC.txt"]
    cyrillic_i = SEED_ARTICLE.name.replace("industries", "\u0456ndustries")
    report = admin.upload(ADMIN, [Upload(cyrillic_i, article), Upload("АВС.txt", article), Upload("ＡＢＣ.txt", article),
                                  Upload("abc.txt", article)])
    reasons = {p.name: p.text("en") for p in report.rejected}
    assert reasons == {
        cyrillic_i: "the name mixes Latin letters with look-alike Cyrillic or Greek ones; rename it",
        "АВС.txt": "the name looks the same as “ABC.txt” but is written with other characters; rename it",
        "ＡＢＣ.txt": "the name looks the same as “ABC.txt” but is written with other characters; rename it",
        "abc.txt": "the name looks the same as “ABC.txt” but is written with other characters; rename it",
    }
    assert not report.changed and sorted(p.name for p in fake_settings.corpus_dir.iterdir()) == sorted([SEED_ARTICLE.name, "ABC.txt"])
    assert name_problem("东莞 规划（2024）.pdf") is None and name_problem("Москва.txt") is None  # one script a name is fine


def test_reports_name_no_server_folder(fake_settings, fake_store, tmp_path, monkeypatch):
    admin = CorpusAdmin(fake_settings, fake_store)
    (fake_settings.corpus_dir / "sub").mkdir()
    (fake_settings.corpus_dir / "sub" / "x.pdf").write_bytes(b"not a pdf at all")
    body = json.dumps(admin.reindex(ADMIN).as_dict(), ensure_ascii=False)
    assert "sub/x.pdf" in body and str(tmp_path) not in body

    def full(*args):  # what a full disk says, with the file it was writing
        raise OSError(28, "No space left on device", str(fake_settings.corpus_dir / ".gw-upload-1a2b"))

    monkeypatch.setattr("web.corpus_admin.sync_holding_lock", full)
    report = admin.upload(ADMIN, [Upload(NEW_NAME, _file(tmp_path, NEW_NAME, NEW_ARTICLE))])
    body = json.dumps(report.as_dict(), ensure_ascii=False)
    assert report.error == "failed" and "No space left on device" in body and str(tmp_path) not in body, body


def test_an_unreadable_replacement_keeps_the_version_that_worked(fake_settings, fake_store, tmp_path):
    admin = CorpusAdmin(fake_settings, fake_store)
    admin.upload(ADMIN, [Upload(NEW_NAME, _file(tmp_path, NEW_NAME, NEW_ARTICLE))])
    chunks_before = fake_store.manifest.documents()[NEW_NAME].chunk_count
    report = admin.upload(ADMIN, [Upload(NEW_NAME, _file(tmp_path, "empty.txt", ""))])
    assert [p.name for p in report.rejected] == [NEW_NAME]
    assert report.rejected[0].text("en") == "cannot be indexed (empty file: no text); the previous version is kept"
    assert (fake_settings.corpus_dir / NEW_NAME).read_text(encoding="utf-8") == NEW_ARTICLE
    assert fake_store.manifest.documents()[NEW_NAME].chunk_count == chunks_before
    assert not report.changed and report.unchanged == []
    assert not any(p.name.startswith(".") for p in fake_settings.corpus_dir.iterdir())  # no staging left


def test_a_near_duplicate_upload_is_not_kept(fake_settings, fake_store, tmp_path):
    admin = CorpusAdmin(fake_settings, fake_store)
    copy = _file(tmp_path, "copy.txt", SEED_ARTICLE.read_bytes())
    report = admin.upload(ADMIN, [Upload("copy.txt", copy)])
    assert [(p.name, p.text("en")) for p in report.rejected] == [
        ("copy.txt", f"nearly the same as {SEED_ARTICLE.name}, which is already indexed")
    ]
    assert not (fake_settings.corpus_dir / "copy.txt").exists()
    assert list(fake_store.manifest.documents()) == [SEED_ARTICLE.name]


def test_delete_removes_the_file_and_the_index_entry(fake_settings, fake_store, tmp_path):
    admin = CorpusAdmin(fake_settings, fake_store)
    admin.upload(ADMIN, [Upload(NEW_NAME, _file(tmp_path, NEW_NAME, NEW_ARTICLE))])
    report = admin.delete(ADMIN, NEW_NAME)
    assert report.removed == [NEW_NAME] and report.documents == 1
    assert not (fake_settings.corpus_dir / NEW_NAME).exists()
    assert NEW_NAME not in fake_store.manifest.documents()
    assert admin.delete(ADMIN, NEW_NAME).error == "not_found"
    outside = fake_settings.corpus_dir.parent / "outside.txt"
    outside.write_text("keep me", encoding="utf-8")
    for doc_id in ("../outside.txt", "/etc/passwd", "a/../../outside.txt", ".hidden"):
        assert admin.delete(ADMIN, doc_id).error == "bad_doc_id"
    assert outside.exists()


def test_another_running_ingest_means_nothing_is_saved(fake_settings, fake_store, tmp_path):
    admin = CorpusAdmin(fake_settings, fake_store)
    with ingest_lock(fake_settings.storage_dir):  # as if `python -m ingest` were running
        report = admin.upload(ADMIN, [Upload(NEW_NAME, _file(tmp_path, NEW_NAME, NEW_ARTICLE))])
        assert admin.reindex(ADMIN).error == "busy"
        assert admin.delete(ADMIN, SEED_ARTICLE.name).error == "busy"
    assert report.error == "busy" and "No file was saved" in report.message("en")
    assert not (fake_settings.corpus_dir / NEW_NAME).exists()
    assert (fake_settings.corpus_dir / SEED_ARTICLE.name).exists()


def test_reindex_picks_up_files_dropped_into_the_corpus(fake_settings, fake_store):
    (fake_settings.corpus_dir / NEW_NAME).write_text(NEW_ARTICLE, encoding="utf-8")
    (fake_settings.corpus_dir / "notes.rtf").write_text("{\\rtf1}", encoding="utf-8")
    report = CorpusAdmin(fake_settings, fake_store).reindex(ADMIN)
    assert report.added == [NEW_NAME]
    assert report.skipped == [{"path": "notes.rtf", "reason": "unsupported file type .rtf"}]


# --- a real app with auth on --------------------------------------------------------------------

PASSWORDS = {"wang": "wang-password-1", "li": "li-password-22"}


def _web_auth(path: Path, *args: str, stdin: str | None = None) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "web.auth", "--file", str(path), *args],
        input=stdin, cwd=REPO, capture_output=True, text=True, check=True,
    )
    return result.stdout.strip()


@pytest.fixture(scope="module")
def admin_app(tmp_path_factory):
    folder = tmp_path_factory.mktemp("admin-app")
    corpus = folder / "corpus"  # a copy: the app deletes and adds files in it
    corpus.mkdir()
    shutil.copy(SEED_ARTICLE, corpus / SEED_ARTICLE.name)
    credentials = folder / "auth.json"
    for name, role in (("wang", "admin"), ("li", "user")):
        _web_auth(credentials, "add-user", name, "--role", role, "--password-stdin", stdin=PASSWORDS[name] + "\n")
    tokens = {role: _web_auth(credentials, "add-token", f"{role}-token", "--role", role) for role in ("admin", "user")}
    env = clean_env(
        GUANWEN_STORAGE_DIR=str(folder / "storage"),
        GUANWEN_CORPUS_DIR=str(corpus),
        GUANWEN_EMBED_MODEL="fake",
        GUANWEN_AUTH_FILE=str(credentials),
        GUANWEN_MAX_FILE_MB="0.05",  # 50 kB: small enough to test with, larger than the seed article
    )
    assert run_python(["-m", "ingest", "--json"], env).returncode == 0
    app = RunningApp(env, folder / "app.log")
    yield app.url, tokens, corpus
    app.stop()


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _cited(url: str, token: str, question: str) -> list[str]:
    answer = httpx.post(url + "/api/ask", json={"question": question}, headers=_bearer(token), timeout=120).json()
    return [c["doc_id"] for c in answer["citations"]]


@pytest.mark.slow
def test_admin_endpoints_refuse_anonymous_and_non_admin_callers(admin_app):
    url, tokens, corpus = admin_app
    upload = {"files": ("x.txt", NEW_ARTICLE.encode("utf-8"), "text/plain")}
    calls = [
        ("POST", "/api/admin/documents", {"files": upload}),
        ("DELETE", f"/api/admin/documents/{SEED_ARTICLE.name}", {}),
        ("POST", "/api/admin/reindex", {}),
    ]
    for method, path, extra in calls:
        anonymous = httpx.request(method, url + path, timeout=60, **extra)
        assert anonymous.status_code == 401, (path, anonymous.text)
        user = httpx.request(method, url + path, headers=_bearer(tokens["user"]), timeout=60, **extra)
        assert user.status_code == 403 and "may not use this endpoint" in user.json()["error"], (path, user.text)
    with httpx.Client(base_url=url, timeout=60) as li:  # a logged-in user, session cookie
        assert log_in(li, "li", PASSWORDS["li"]).status_code == 303
        assert li.post("/api/admin/reindex").status_code == 403
    assert sorted(p.name for p in corpus.iterdir()) == [SEED_ARTICLE.name]


@pytest.mark.slow
def test_admin_uploads_over_http_then_deletes(admin_app):
    url, tokens, corpus = admin_app
    headers = _bearer(tokens["admin"])
    name = "api-上传.md"
    article = "# 东莞水乡新城规划\n\n东莞水乡新城规划面积达到42平方公里，2024年完成投资一百二十亿元，预计2030年建成。\n"
    response = httpx.post(
        url + "/api/admin/documents", headers=headers, timeout=120,
        files=[("files", (name, article.encode("utf-8"), "text/markdown")), ("files", (".env", b"X=1", "text/plain"))],
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["added"] == [name] and body["error"] is None
    assert body["rejected"] == [{"name": ".env", "reason": "hidden files (names starting with '.') are not accepted"}]
    assert f"Added: {name}" in body["message"]
    assert name in [d["doc_id"] for d in httpx.get(url + "/api/documents", headers=headers, timeout=30).json()]
    assert name in _cited(url, tokens["user"], "东莞水乡新城规划面积是多少？")

    bad = httpx.post(url + "/api/admin/documents", headers=headers, timeout=60,
                     files={"files": ("../../etc/cron.txt", b"x", "text/plain")})
    assert bad.status_code == 422 and "must not contain a path" in bad.json()["error"]
    big = httpx.post(url + "/api/admin/documents", headers=headers, timeout=60,
                     files={"files": ("big.txt", ("东莞" * 10_000).encode("utf-8"), "text/plain")})
    assert big.status_code == 413 and "the limit is 0.05 MB" in big.json()["error"]

    # RFC 5987's filename*= without filename= (RFC 7578 forbids it in forms): a clear message.
    star = httpx.post(
        url + "/api/admin/documents", timeout=60,
        headers={**headers, "Content-Type": "multipart/form-data; boundary=gw"},
        content=b'--gw\r\nContent-Disposition: form-data; name="files"; filename*=UTF-8\'\'%E5%82%A8.txt\r\n\r\nx\r\n--gw--\r\n',
    )
    assert star.status_code == 422 and "filename*= alone is not allowed" in star.json()["error"]
    assert "<class" not in star.text and "UploadFile" not in star.text

    deleted = httpx.delete(url + f"/api/admin/documents/{name}", headers=headers, timeout=120)
    assert deleted.status_code == 200 and deleted.json()["removed"] == [name]
    assert name not in _cited(url, tokens["user"], "东莞水乡新城规划面积是多少？")
    assert httpx.delete(url + f"/api/admin/documents/{name}", headers=headers, timeout=60).status_code == 404
    assert httpx.delete(url + "/api/admin/documents/..%2F..%2Fauth.json", headers=headers, timeout=60).status_code == 422
    reindex = httpx.post(url + "/api/admin/reindex", headers=headers, timeout=120)
    assert reindex.status_code == 200 and reindex.json()["documents"] == 1
    assert sorted(p.name for p in corpus.iterdir()) == [SEED_ARTICLE.name]


@contextmanager
def _logged_in(chromium, url: str, name: str, width: int = 1200):
    context = chromium.new_context(viewport={"width": width, "height": 1100})
    page = context.new_page()
    page.goto(url + "/", wait_until="load")
    page.fill("#gw-username", name)
    page.fill("#gw-password", PASSWORDS[name])
    page.click("#gw-login")
    page.wait_for_selector("#gw-question textarea", timeout=60_000)
    try:
        yield page
    finally:
        context.close()


def _wait_until_uploaded(page, name: str) -> None:
    """The file is listed in the upload box (Gradio shows its stem and suffix apart)."""
    page.wait_for_function(
        "name => document.querySelector('#gw-upload').innerText.replace(/\\s/g, '').includes(name)", arg=name, timeout=60_000
    )


def _ask(page, question: str) -> str:
    page.get_by_role("tab", name="问答").click()
    page.locator("#gw-question textarea").fill(question)
    page.locator("#gw-send").click()
    message = page.locator("#gw-chat .gw-answer-block").last
    message.wait_for(timeout=120_000)
    return message.inner_text()


@pytest.mark.slow
@pytest.mark.browser
def test_admin_uploads_an_article_in_chromium_and_the_chat_answers_from_it(admin_app, chromium, tmp_path):
    url, tokens, corpus = admin_app
    article = _file(tmp_path, NEW_NAME, NEW_ARTICLE)
    OUTPUT_DIR.mkdir(exist_ok=True)
    with _logged_in(chromium, url, "wang") as page:
        page.get_by_role("tab", name="文档").click()
        page.locator("#gw-admin-only").wait_for(state="hidden", timeout=30_000)
        page.locator("#gw-upload input[type=file]").set_input_files(str(article))
        _wait_until_uploaded(page, NEW_NAME)
        # The title, date and source an official gives are kept exactly, brackets and all.
        page.locator("#gw-upload-title textarea").fill(NEW_TITLE)
        page.locator("#gw-upload-date textarea").fill("2024年3月5日")
        page.locator("#gw-upload-source textarea").fill(NEW_SOURCE)
        page.locator("#gw-upload-send").click()
        status = page.locator("#gw-admin-status")
        status.get_by_text(f"已添加：{NEW_NAME}").wait_for(timeout=120_000)
        assert "索引中现有 2 篇文章" in status.inner_text()
        page.wait_for_function(
            "name => document.querySelector('#gw-documents').innerText.includes(name)", arg=NEW_NAME, timeout=30_000
        )
        listed = page.locator("#gw-documents").inner_text()
        assert NEW_TITLE in listed and "2024-03-05" in listed and NEW_SOURCE in listed
        assert json.loads((corpus / f"{NEW_NAME}.meta.json").read_text(encoding="utf-8")) == {
            "title": NEW_TITLE, "published": "2024-03-05", "source": NEW_SOURCE
        }
        assert page.locator("#gw-upload-title textarea").input_value() == ""  # the form is emptied for the next one
        page.screenshot(path=str(OUTPUT_DIR / "documents-uploaded.png"), full_page=True)

        answer = _ask(page, NEW_QUESTION)
        assert "三十亿元" in answer and NEW_TITLE in answer and NEW_SOURCE in answer  # quoted, with its title and source
        page.screenshot(path=str(OUTPUT_DIR / "documents-answer-from-upload.png"), full_page=True)

        # Unsafe and oversized files get a message, not a traceback, and are not saved.
        page.get_by_role("tab", name="文档").click()
        hidden = {"name": ".secret.txt", "mimeType": "text/plain", "buffer": NEW_ARTICLE.encode("utf-8")}
        page.locator("#gw-upload input[type=file]").set_input_files([hidden])
        _wait_until_uploaded(page, ".secret.txt")
        page.locator("#gw-upload-send").click()
        status.get_by_text("不接受以“.”开头的隐藏文件").wait_for(timeout=60_000)
        big = {"name": "big.txt", "mimeType": "text/plain", "buffer": ("东莞" * 10_000).encode("utf-8")}
        page.locator("#gw-upload input[type=file]").set_input_files([big])
        # Gradio refuses it before it is sent (mount_gradio_app's max_file_size is GUANWEN_MAX_FILE_MB).
        page.get_by_text('exceed the maximum allowed size of 48.8 Kb: "big.txt"').wait_for(timeout=30_000)
        page.screenshot(path=str(OUTPUT_DIR / "documents-too-big.png"), full_page=True)
        assert sorted(p.name for p in corpus.iterdir()) == sorted([SEED_ARTICLE.name, NEW_NAME, f"{NEW_NAME}.meta.json"])

        # Delete: first it says what goes and asks; cancelling deletes nothing.
        page.reload(wait_until="load")
        page.get_by_role("tab", name="文档").click()
        page.locator("#gw-delete-choice input").click()
        page.get_by_role("option", name=f"{NEW_TITLE} ({NEW_NAME})").click()
        page.locator("#gw-delete").click()
        what = page.locator("#gw-delete-what")
        what.get_by_text("确认删除").wait_for(timeout=30_000)
        said = what.inner_text()
        assert NEW_TITLE in said and f"「{NEW_NAME}」" in said and f"「{NEW_NAME}.meta.json」" in said
        assert "1 个段落" in said and "无法撤销" in said
        page.screenshot(path=str(OUTPUT_DIR / "documents-delete-confirmation.png"), full_page=True)
        page.locator("#gw-delete-no").click()
        status.get_by_text("已取消，没有删除任何文件").wait_for(timeout=30_000)
        assert (corpus / NEW_NAME).exists() and page.locator("#gw-delete-confirm").is_hidden()
        # Then, confirmed: gone from the list, the folder and the answers.
        page.locator("#gw-delete").click()
        page.locator("#gw-delete-yes").click()
        status.get_by_text(f"已从索引中删除：{NEW_NAME}").wait_for(timeout=120_000)
        page.wait_for_function(
            "name => !document.querySelector('#gw-documents').innerText.includes(name)", arg=NEW_NAME, timeout=30_000
        )
        page.screenshot(path=str(OUTPUT_DIR / "documents-deleted.png"), full_page=True)
        assert not (corpus / NEW_NAME).exists() and not (corpus / f"{NEW_NAME}.meta.json").exists()
        answer = _ask(page, NEW_QUESTION)
        assert NEW_TITLE not in answer
    assert NEW_NAME not in _cited(url, tokens["admin"], NEW_QUESTION)


@pytest.mark.slow
@pytest.mark.browser
def test_a_user_sees_no_document_controls_and_the_server_refuses_them(admin_app, chromium):
    url, _, corpus = admin_app
    with _logged_in(chromium, url, "li") as page:
        page.get_by_role("tab", name="文档").click()
        note = page.locator("#gw-admin-only")
        note.wait_for(timeout=30_000)
        assert "仅限管理员" in note.inner_text()
        page.wait_for_function("() => document.querySelector('#gw-documents').innerText.includes('dongguan')", timeout=30_000)
        assert page.locator("#gw-upload").count() == 0 and page.locator("#gw-delete").count() == 0
        page.screenshot(path=str(OUTPUT_DIR / "documents-user.png"), full_page=True)
        # The hidden controls' endpoints, called with this user's own session: refused before
        # Gradio reads a thing (web/gradio_guard.py; its upload route is for administrators only,
        # web/access.py), and the handlers would refuse them again (CorpusAdmin checks the role).
        results = page.evaluate(
            """async () => {
                const call = async (name, data) => {
                    const start = await fetch(`/gradio_api/call/${name}`, {method: "POST",
                        headers: {"Content-Type": "application/json"}, body: JSON.stringify({data})});
                    return [start.status, await start.json()];
                };
                const form = new FormData();
                form.append("files", new Blob(["东莞新文章。"], {type: "text/plain"}), "user-upload.txt");
                const upload = await fetch("/gradio_api/upload", {method: "POST", body: form});
                const file = {path: "/etc/hostname", orig_name: "user-upload.txt", meta: {_type: "gradio.FileData"}};
                return {
                    send: [upload.status, await upload.json()],
                    upload: await call("upload_documents", [[file], "", "", "", "zh"]),
                    reindex: await call("reindex_documents", ["en"]),
                    delete: await call("delete_document", ["dongguan-future-industries.txt", "zh"]),
                };
            }"""
        )
    assert {name: status for name, (status, _) in results.items()} == {"send": 403, "upload": 403, "reindex": 403, "delete": 403}, results
    assert all("may not use this endpoint" in body["error"] for _, body in results.values()), results
    assert sorted(p.name for p in corpus.iterdir()) == [SEED_ARTICLE.name]


@pytest.mark.slow
@pytest.mark.browser
def test_who_is_signed_in_and_the_logout_link_are_on_every_page(admin_app, chromium):
    url, _, _ = admin_app
    with _logged_in(chromium, url, "wang", width=375) as page:  # a phone: the bar still fits
        page.locator("#gw-user").wait_for(timeout=30_000)
        for tab in ("问答", "检索实验室", "文档"):
            page.get_by_role("tab", name=tab).click()
            assert page.locator("#gw-user").inner_text().startswith("已登录：wang（管理员）"), tab
            logout = page.locator("#gw-logout")
            assert logout.is_visible() and logout.inner_text() == "退出登录"
            where = logout.bounding_box()
            assert where["x"] + where["width"] <= 375 and where["y"] < 800, (tab, where)
        page.screenshot(path=str(OUTPUT_DIR / "signed-in-phone.png"))
        page.goto(url + "/docs", wait_until="load")  # the API reference too
        assert page.locator("#gw-user").inner_text().startswith("已登录：wang（管理员）")
        page.screenshot(path=str(OUTPUT_DIR / "signed-in-docs.png"))
        page.locator("#gw-logout").click()
        page.wait_for_selector("#gw-username", timeout=30_000)
        assert page.url.endswith("/login")
        page.goto(url + "/", wait_until="load")  # signed out: the chat asks for a login again
        page.wait_for_selector("#gw-username", timeout=30_000)
    with _logged_in(chromium, url, "li") as page:
        page.locator("#gw-user").get_by_text("已登录：li（用户）").wait_for(timeout=30_000)
        page.locator("#gw-lang").get_by_text("English", exact=True).click()
        page.locator("#gw-user").get_by_text("Signed in as li (user)").wait_for(timeout=30_000)
        assert page.locator("#gw-logout").inner_text() == "Sign out"
