"""Auth (web/auth.py, web/access.py, web/sessions.py, web/csrf.py): hashing, sessions, lockout and
roles in process; then a real app with a credentials file over HTTP (401s, logins, forged logins,
logouts that end sessions, tokens, per-user feedback) and in Chromium."""

import json
import subprocess
import sys
from contextlib import contextmanager

import httpx
import pytest

from tests.conftest import MAIN_QUESTION, OUTPUT_DIR, REPO, SEED_ARTICLE, HostSite, RunningApp, clean_env, log_in, run_python, says_main_fact
from web.access import allowed
from web.auth import Authenticator, Identity, LoginThrottle, main as auth_cli
from web.credentials import AuthConfigError, Credentials, hash_password, token_digest, verify_password
from web.csrf import same_origin
from web.sessions import SessionStore

# --- in process ---------------------------------------------------------------------------------


def test_passwords_are_salted_scrypt_hashes_that_verify():
    first, second = hash_password("correct horse"), hash_password("correct horse")
    assert first.startswith("scrypt$") and first != second  # salted
    assert "correct horse" not in first
    assert verify_password("correct horse", first) and verify_password("correct horse", second)
    assert not verify_password("correct horsE", first)
    assert not verify_password("x", "scrypt$garbage") and not verify_password("x", "plain-text-password")


def test_session_cookies_cannot_be_forged_or_outlive_their_expiry(tmp_path):
    store = SessionStore(tmp_path / "sessions.sqlite3", lifetime_s=60)
    cookie = store.open("wang", "scrypt$hash-1", now=1000)
    assert len(cookie) >= 43  # 256 random bits: nothing to forge, only to guess
    assert store.find(cookie, now=1030).name == "wang"
    assert store.find(cookie, now=1061) is None  # expired
    assert store.find(cookie[:-1] + ("A" if cookie[-1] != "A" else "B"), now=1030) is None
    assert store.find("", now=1030) is None and store.find("x" * 10_000, now=1030) is None
    assert cookie not in (tmp_path / "sessions.sqlite3").read_bytes().decode("latin-1")  # only its hash is kept


def test_sessions_end_at_logout_at_a_password_change_and_when_the_user_goes(tmp_path):
    """Revocable sessions: logout deletes the session on the server, a new password or a removed
    user makes old cookies worthless — also for a server restarted with the edited file."""
    auth_file = tmp_path / "auth.json"
    auth_file.write_text(json.dumps({"users": [{"name": "li", "password": hash_password("old-password"), "role": "user"}]}))
    settings = __import__("tests.conftest", fromlist=["make_settings"]).make_settings(tmp_path, auth_file=auth_file)
    auth = Authenticator.from_settings(settings)
    identify = lambda cookie, a=None: (a or auth).identify({}, {"guanwen_session": cookie}, "10.0.0.1")
    first, second = auth.login("li", "old-password"), auth.login("li", "old-password")
    assert auth.login("li", "wrong") is None
    assert identify(first).name == "li" and identify(first).session != identify(second).session
    auth.logout(first)
    assert identify(first) is None and identify(second).name == "li"  # one session ended, not the other
    # The password is changed by hand in the file and the server restarted: the old session is over.
    auth_file.write_text(json.dumps({"users": [{"name": "li", "password": hash_password("new-password"), "role": "user"}]}))
    restarted = Authenticator.from_settings(settings)
    assert identify(second, restarted) is None
    assert identify(restarted.login("li", "new-password"), restarted).name == "li"
    # The command line ends a user's sessions itself when it changes the password or removes them.
    cookie = restarted.login("li", "new-password")
    assert restarted.sessions.revoke_user("li") >= 1 and identify(cookie, restarted) is None


def test_a_cross_site_request_is_told_apart_from_a_same_site_one():
    assert same_origin({"host": "gw.example:7860", "origin": "http://gw.example:7860"})
    assert same_origin({"host": "gw.example:7860"})  # curl and scripts send no Origin
    assert same_origin({"host": "gw.example", "referer": "https://gw.example/login?next=/"})
    assert not same_origin({"host": "gw.example:7860", "origin": "http://evil.example"})
    assert not same_origin({"host": "gw.example:7860", "origin": "null"})  # a sandboxed frame, a file
    assert not same_origin({"host": "gw.example", "referer": "https://evil.example/page"})
    assert not same_origin({"host": "gw.example", "origin": "http://gw.example.evil.example"})


def test_failed_logins_lock_the_user_and_then_the_address():
    throttle = LoginThrottle(max_failures=3, window_s=60, lockout_s=120)
    keys = throttle.keys("wang", "10.0.0.1")
    for t in range(2):
        throttle.failed(keys, now=t)
    assert throttle.retry_after(keys, now=2) <= 0
    throttle.failed(keys, now=3)
    assert throttle.retry_after(keys, now=4) == pytest.approx(119)
    assert throttle.retry_after(throttle.keys("li", "10.0.0.2"), now=4) <= 0  # others are not affected
    # Someone else guessing wang's password does not lock wang out where wang logs in from.
    assert throttle.retry_after(throttle.keys("wang", "10.0.0.7"), now=4) <= 0
    assert throttle.retry_after(keys, now=124) <= 0  # the lockout ends
    # Failures spread over many names from one address lock the address at 4x the user limit.
    for t in range(12):
        throttle.failed(throttle.keys(f"guess{t}", "10.0.0.9"), now=200 + t)
    assert throttle.retry_after(throttle.keys("anyone", "10.0.0.9"), now=213) > 0
    # A name guessed at from many addresses is locked only after twenty times the limit.
    spread = LoginThrottle(max_failures=3, window_s=600, lockout_s=120)
    for t in range(59):
        spread.failed(spread.keys("wang", f"10.1.0.{t}"), now=t)
    assert spread.retry_after(spread.keys("wang", "10.2.0.1"), now=60) <= 0
    spread.failed(spread.keys("wang", "10.1.1.1"), now=60)
    assert spread.retry_after(spread.keys("wang", "10.2.0.1"), now=61) > 0
    # Old failures leave the window.
    fresh = LoginThrottle(max_failures=3, window_s=10, lockout_s=120)
    for t in (0, 20, 40):
        fresh.failed(fresh.keys("wang", "a"), now=t)
    assert fresh.retry_after(fresh.keys("wang", "a"), now=41) <= 0


def test_roles_decide_which_paths_open():
    widget, user, admin = (Identity("w", "widget", "token"), Identity("u", "user", "session"), Identity("a", "admin", "session"))
    for method, path in [("GET", "/embed"), ("POST", "/api/ask"), ("POST", "/api/ask/stream"), ("POST", "/api/feedback")]:
        assert allowed(widget, method, path)
    for method, path in [("POST", "/api/search"), ("POST", "/v1/chat/completions"), ("GET", "/"), ("GET", "/api/feedback"),
                         ("GET", "/api/feedback/export"), ("POST", "/api/admin/reindex")]:
        assert not allowed(widget, method, path)
    assert allowed(user, "POST", "/api/search") and allowed(user, "GET", "/")
    assert not allowed(user, "GET", "/api/feedback/export") and not allowed(user, "POST", "/api/admin/reindex")
    assert allowed(admin, "GET", "/api/feedback/export") and allowed(admin, "POST", "/api/admin/reindex")


@pytest.mark.parametrize(
    "content, message",
    [
        (None, "does not exist"),
        ("{not json", "not readable JSON"),
        ("[]", "JSON object"),
        ('{"users": [{"name": "a", "password": "plain"}]}', "scrypt"),
        ('{"users": [], "tokens": [{"name": "t", "sha256": "short"}]}', "sha256"),
        ('{"tokens": [{"name": "t", "sha256": "' + "0" * 64 + '", "role": "root"}]}', "role 'root'"),
        ('{"users": [], "tokens": []}', "nobody could log in"),
    ],
)
def test_a_bad_credentials_file_is_refused_with_what_to_fix(tmp_path, content, message):
    path = tmp_path / "auth.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(AuthConfigError, match=message):
        Credentials.load(path)


def test_the_cli_writes_hashes_never_secrets(tmp_path, monkeypatch, capsys):
    path = tmp_path / "auth.json"
    monkeypatch.setattr("sys.stdin", __import__("io").StringIO("a-long-password\n"))
    assert auth_cli(["--file", str(path), "add-user", "wang", "--role", "admin", "--password-stdin"]) == 0
    assert auth_cli(["--file", str(path), "add-token", "portal", "--role", "widget"]) == 0
    token = capsys.readouterr().out.strip().splitlines()[-1]
    text = path.read_text(encoding="utf-8")
    assert "a-long-password" not in text and token not in text
    credentials = Credentials.load(path)
    assert credentials.users["wang"][1] == "admin" and verify_password("a-long-password", credentials.users["wang"][0])
    assert credentials.tokens[token_digest(token)] == ("portal", "widget")
    assert (path.stat().st_mode & 0o077) == 0  # not readable by other accounts
    monkeypatch.setattr("sys.stdin", __import__("io").StringIO("short\n"))
    assert auth_cli(["--file", str(path), "add-user", "li", "--password-stdin"]) == 2
    assert "at least 8" in capsys.readouterr().err
    assert auth_cli(["--file", str(path), "remove", "nobody"]) == 1
    assert auth_cli(["--file", str(path), "remove", "portal"]) == 0
    assert Credentials.load(path).tokens == {}


# --- a real app with auth on --------------------------------------------------------------------

PASSWORDS = {"wang": "wang-password-1", "li": "li-password-22", "zhao": "zhao-password-333", "qian": "qian-password-4444"}


def _add_user(path, name, role):
    result = subprocess.run(
        [sys.executable, "-m", "web.auth", "--file", str(path), "add-user", name, "--role", role, "--password-stdin"],
        input=PASSWORDS[name] + "\n", cwd=REPO, capture_output=True, text=True, check=True,
    )
    return result


def _add_token(path, name, role) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "web.auth", "--file", str(path), "add-token", name, "--role", role],
        cwd=REPO, capture_output=True, text=True, check=True,
    )
    return result.stdout.strip()


@pytest.fixture(scope="module")
def auth_app(tmp_path_factory):
    folder = tmp_path_factory.mktemp("auth-app")
    credentials = folder / "auth.json"
    _add_user(credentials, "wang", "admin")
    _add_user(credentials, "li", "user")
    _add_user(credentials, "zhao", "user")  # the one the lockout test locks out
    _add_user(credentials, "qian", "user")  # the one whose password is changed
    tokens = {role: _add_token(credentials, f"{role}-token", role) for role in ("user", "widget")}
    env = clean_env(
        GUANWEN_STORAGE_DIR=str(folder / "storage"),
        GUANWEN_CORPUS_DIR=str(SEED_ARTICLE.parent),
        GUANWEN_EMBED_MODEL="fake",
        GUANWEN_AUTH_FILE=str(credentials),
        GUANWEN_LOGIN_MAX_FAILURES="3",
    )
    assert run_python(["-m", "ingest", "--json"], env).returncode == 0
    app = RunningApp(env, folder / "app.log")
    yield app.url, tokens, folder
    app.stop()


@contextmanager
def login(url: str, name: str, **client_options):
    with httpx.Client(base_url=url, timeout=60, **client_options) as client:
        response = log_in(client, name, PASSWORDS[name])
        assert response.status_code == 303 and response.headers["location"] == "/", response.text
        yield client


def from_address(address: str) -> dict:
    """httpx options for a client connecting from another loopback address (127.0.0.2 …)."""
    return {"transport": httpx.HTTPTransport(local_address=address)}


PROTECTED = [
    ("GET", "/", None),
    ("GET", "/embed", None),
    ("GET", "/docs", None),
    ("GET", "/openapi.json", None),
    ("GET", "/config", None),
    ("GET", "/gradio_api/info", None),
    ("GET", "/api/me", None),
    ("GET", "/api/documents", None),
    ("GET", "/api/feedback", None),
    ("GET", "/api/feedback/export", None),
    ("POST", "/api/ask", {"question": MAIN_QUESTION}),
    ("POST", "/api/ask/stream", {"question": MAIN_QUESTION}),
    ("POST", "/api/search", {"question": MAIN_QUESTION}),
    ("POST", "/api/feedback", {"question": "q", "answer": "a", "rating": "up"}),
    ("POST", "/api/admin/reindex", {}),
    ("GET", "/v1/models", None),
    ("POST", "/v1/chat/completions", {"model": "guanwen", "messages": [{"role": "user", "content": MAIN_QUESTION}]}),
]


@pytest.mark.slow
def test_every_protected_page_and_endpoint_needs_credentials(auth_app):
    url, tokens, _ = auth_app
    for method, path, body in PROTECTED:
        response = httpx.request(method, url + path, json=body, timeout=30)
        assert response.status_code == 401, (path, response.status_code)
        if path.startswith("/v1/"):
            assert response.json()["error"]["code"] == "invalid_api_key"
        elif path != "/":
            assert "authentication required" in response.json()["error"] and response.headers["www-authenticate"]
        # A wrong token is no better than none.
        wrong = httpx.request(method, url + path, json=body, headers={"Authorization": "Bearer gw_wrong"}, timeout=30)
        assert wrong.status_code == 401, path
    # A browser asking for the page gets the login form, with the 401 status.
    page = httpx.get(url + "/", headers={"Accept": "text/html"}, timeout=30)
    assert page.status_code == 401 and 'name="password"' in page.text
    health = httpx.get(url + "/healthz", timeout=30)
    assert health.status_code == 200 and health.json()["status"] == "ok"


def _attempt(url: str, name: str, password: str, **client_options) -> httpx.Response:
    with httpx.Client(base_url=url, timeout=30, **client_options) as client:
        return log_in(client, name, password)


@pytest.mark.slow
def test_login_gives_a_session_and_wrong_passwords_are_locked_out(auth_app):
    url, _, _ = auth_app
    with login(url, "li") as li:
        cookie = li.cookies.jar
        assert any(c.name == "guanwen_session" and c.has_nonstandard_attr("HttpOnly") for c in cookie)
        assert li.get("/api/me").json() == {"auth": True, "name": "li", "role": "user"}
        assert li.get("/", headers={"Accept": "text/html"}).status_code == 200
        assert li.post("/api/ask", json={"question": MAIN_QUESTION}).json()["citations"]
        # A redirect target on another site is never followed after login.
        evil = log_in(li, "li", PASSWORDS["li"], next_path="//evil.example/x")
        assert evil.status_code == 303 and evil.headers["location"] == "/"
        assert li.post("/logout").status_code == 303
        assert li.get("/api/me").status_code == 401  # the cookie is gone
    wrong = _attempt(url, "zhao", "nope")
    assert wrong.status_code == 401 and "Wrong username or password" in wrong.text
    unknown = _attempt(url, "nobody", "nope")
    assert unknown.status_code == 401 and unknown.text.replace(*_tokens(unknown.text, wrong.text)) == wrong.text  # no hint that the name exists
    for _ in range(2):
        _attempt(url, "zhao", "nope")
    locked = _attempt(url, "zhao", PASSWORDS["zhao"])
    assert locked.status_code == 429 and int(locked.headers["retry-after"]) > 0  # even the right password waits
    assert "Too many failed logins" in locked.text
    # Whoever guessed, from their address, locked only themselves out: zhao logs in from elsewhere.
    elsewhere = _attempt(url, "zhao", PASSWORDS["zhao"], **from_address("127.0.0.2"))
    assert elsewhere.status_code == 303, elsewhere.text


def _tokens(first: str, second: str) -> tuple[str, str]:
    """The anti-forgery tokens of two login pages (fresh for each page, so never the same)."""
    import re

    pattern = r'name="csrf" value="([^"]+)"'
    return re.search(pattern, first).group(1), re.search(pattern, second).group(1)


@pytest.mark.slow
def test_logout_ends_the_session_on_the_server(auth_app):
    """A copy of the cookie (a shared computer, a stolen cookie) is worthless once its owner logs out."""
    url, _, _ = auth_app
    with login(url, "li") as li:
        copied = li.cookies["guanwen_session"]
        other = httpx.Client(base_url=url, timeout=30, cookies={"guanwen_session": copied})
        assert other.get("/api/me").json()["name"] == "li"
        assert li.post("/logout").status_code == 303
        assert other.get("/api/me").status_code == 401
        assert other.post("/api/feedback", json={"question": "q", "answer": "a", "rating": "up"}).status_code == 401
        other.close()


@pytest.mark.slow
def test_a_password_change_ends_the_users_sessions(auth_app):
    url, _, folder = auth_app
    with login(url, "qian") as qian:
        assert qian.get("/api/me").json()["name"] == "qian"
        changed = subprocess.run(
            [sys.executable, "-m", "web.auth", "--file", str(folder / "auth.json"), "add-user", "qian", "--password-stdin"],
            input="a-new-password-4\n", cwd=REPO, capture_output=True, text=True, check=True,
            env=clean_env(GUANWEN_STORAGE_DIR=str(folder / "storage")),
        )
        assert "sessions ended" in changed.stdout, changed.stdout
        assert qian.get("/api/me").status_code == 401  # without waiting for a restart


@pytest.mark.slow
def test_a_login_form_posted_from_another_site_is_refused(auth_app):
    url, _, _ = auth_app
    own = url.removeprefix("http://")
    # No token: a form another site built.
    bare = httpx.post(url + "/login", data={"username": "li", "password": PASSWORDS["li"]}, timeout=30)
    assert bare.status_code == 403 and "guanwen_session" not in bare.headers.get("set-cookie", "")
    with httpx.Client(base_url=url, timeout=30) as client:

        def form() -> dict:  # a fresh login page: its token, and its cookie in the client (each refusal renews both)
            token = client.get("/login").text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
            return {"username": "wang", "password": PASSWORDS["wang"], "csrf": token}

        # A token, but the browser says the form was on another site's page.
        for origin in ("http://evil.example", "null"):
            forged = client.post("/login", data=form(), headers={"Origin": origin})
            assert forged.status_code == 403 and "guanwen_session" not in forged.headers.get("set-cookie", "")
        assert client.post("/login", data=form(), headers={"Referer": "http://evil.example/page"}).status_code == 403
        # The cookie without the field, or the field without the cookie, is no better.
        data = form()
        assert client.post("/login", data={**data, "csrf": "x" + data["csrf"]}).status_code == 403
        assert httpx.post(url + "/login", data=form(), timeout=30).status_code == 403
        assert client.post("/login", data=form(), headers={"Origin": f"http://{own}"}).status_code == 303
        # Logging out needs this site too: another site's page cannot log the visitor out.
        assert client.post("/logout", headers={"Origin": "http://evil.example"}).status_code == 403
        assert client.get("/logout", headers={"Referer": "http://evil.example/page"}).status_code == 403
        assert client.get("/logout", headers={"Sec-Fetch-Site": "cross-site"}).status_code == 403
        assert client.get("/api/me").json()["name"] == "wang"
        # Nor can it make the browser post anything else with the session cookie.
        feedback = {"question": MAIN_QUESTION, "answer": "a", "rating": "down"}
        assert client.post("/api/feedback", json=feedback, headers={"Origin": "http://evil.example"}).status_code == 403
        assert client.post("/api/feedback", json=feedback, headers={"Origin": f"http://{own}"}).status_code == 201


@pytest.mark.slow
@pytest.mark.browser
def test_another_sites_page_cannot_log_a_visitor_in_as_someone_else(auth_app, chromium):
    """Login CSRF, as a browser does it: a page elsewhere auto-submits a form with the attacker's
    name and password; the visitor must not end up logged in (as the attacker)."""
    url, _, _ = auth_app
    form = (
        "<form id='f' method='post' action='{app}/login'><input name='username' value='li'>"
        f"<input name='password' value='{PASSWORDS['li']}'><input name='next' value='/api/me'></form>"
        "<script>document.getElementById('f').submit()</script>"
    )
    site = HostSite(lambda app_url: form.format(app=app_url))
    site.app_url = url
    context = chromium.new_context()
    try:
        page = context.new_page()
        # The visitor opened guanwen's login page before (so its anti-forgery cookie is in the browser).
        page.goto(url + "/login", wait_until="load")
        with page.expect_navigation(url=f"{url}/login*", timeout=30_000):
            page.goto(site.url, wait_until="load")
        assert "guanwen_session" not in {c["name"] for c in context.cookies()}
        assert httpx.get(url + "/api/me", cookies={c["name"]: c["value"] for c in context.cookies()}, timeout=30).status_code == 401
    finally:
        context.close()
        site.stop()


@pytest.mark.slow
def test_tokens_open_the_api_and_a_widget_token_only_the_widget(auth_app):
    from openai import AuthenticationError, OpenAI, PermissionDeniedError

    url, tokens, _ = auth_app
    client = OpenAI(base_url=url + "/v1", api_key=tokens["user"])
    reply = client.chat.completions.create(model="guanwen", messages=[{"role": "user", "content": MAIN_QUESTION}])
    assert says_main_fact(reply.choices[0].message.content)
    with pytest.raises(AuthenticationError):
        OpenAI(base_url=url + "/v1", api_key="gw_wrong").models.list()
    with pytest.raises(PermissionDeniedError):
        OpenAI(base_url=url + "/v1", api_key=tokens["widget"]).models.list()

    widget = {"Authorization": f"Bearer {tokens['widget']}"}
    assert httpx.get(url + "/embed", params={"token": tokens["widget"]}, timeout=30).status_code == 200
    assert httpx.get(url + "/embed", params={"token": "gw_wrong"}, timeout=30).status_code == 401
    answer = httpx.post(url + "/api/ask", json={"question": MAIN_QUESTION}, headers=widget, timeout=60)
    assert answer.status_code == 200 and answer.json()["citations"]
    for method, path in [("POST", "/api/search"), ("GET", "/api/feedback"), ("GET", "/api/feedback/export"), ("GET", "/")]:
        response = httpx.request(method, url + path, json={"question": "q"}, headers=widget, timeout=30)
        assert response.status_code == 403, path
    # A token in the address opens nothing but the embed page.
    assert httpx.get(url + "/api/documents", params={"token": tokens["widget"]}, timeout=30).status_code == 401


@pytest.mark.slow
def test_one_user_cannot_read_another_users_feedback(auth_app):
    url, tokens, folder = auth_app
    feedback = {"question": MAIN_QUESTION, "answer": "a", "rating": "down"}
    with login(url, "li") as li, login(url, "wang") as wang:
        assert li.post("/api/feedback", json={**feedback, "comment": "li's private note"}).status_code == 201
        assert wang.post("/api/feedback", json={**feedback, "comment": "wang's note"}).status_code == 201
        token_user = {"Authorization": f"Bearer {tokens['user']}"}
        assert httpx.post(url + "/api/feedback", json={**feedback, "comment": "token note"}, headers=token_user, timeout=30).status_code == 201
        mine = li.get("/api/feedback").json()
        assert [r["comment"] for r in mine] == ["li's private note"] and mine[0]["user"] == "li"
        assert [r["comment"] for r in httpx.get(url + "/api/feedback", headers=token_user, timeout=30).json()] == ["token note"]
        assert li.get("/api/feedback/export").status_code == 403
        exported = [json.loads(line) for line in wang.get("/api/feedback/export").text.splitlines()]
        assert {"li's private note", "wang's note", "token note"} <= {r["comment"] for r in exported}


@pytest.mark.slow
@pytest.mark.browser
def test_logging_in_in_chromium_then_asking_and_rating(auth_app, chromium):
    url, tokens, folder = auth_app
    context = chromium.new_context()
    page = context.new_page()
    page.goto(url + "/", wait_until="load")
    page.fill("#gw-username", "li")
    page.fill("#gw-password", PASSWORDS["li"])
    page.click("#gw-login")
    page.wait_for_selector("#gw-question textarea", timeout=60_000)
    page.fill("#gw-question textarea", MAIN_QUESTION)
    page.click("#gw-send")
    page.wait_for_selector("#gw-chat .gw-source mark", timeout=60_000)
    page.screenshot(path=str(OUTPUT_DIR / "auth-chat.png"), full_page=True)
    # Feedback from the UI is stored under the logged-in user's name.
    page.locator("#gw-chat button[aria-label='踩']").last.click()  # saved at the click; the comment joins it
    page.wait_for_selector("#gw-feedback-status:has-text('评价已保存')", timeout=30_000)
    page.fill("#gw-comment textarea", "ui note from li")
    page.click("#gw-feedback-send")
    page.wait_for_selector("#gw-feedback-status:has-text('补充说明已保存')", timeout=30_000)
    rows = [json.loads(line) for line in (folder / "storage" / "feedback.jsonl").read_text(encoding="utf-8").splitlines()]
    assert next(r for r in rows if r["comment"] == "ui note from li")["user"] == "li"
    context.close()


@pytest.mark.slow
@pytest.mark.browser
def test_the_widget_works_with_its_token_and_no_cookies(auth_app, chromium):
    url, tokens, _ = auth_app
    context = chromium.new_context()
    page = context.new_page()
    page.goto(f"{url}/embed?token={tokens['widget']}", wait_until="load")
    page.fill("#gw-question", MAIN_QUESTION)
    page.click("#gw-send")
    page.wait_for_selector(".gw-bot .gw-cite", timeout=60_000)
    assert says_main_fact(page.inner_text(".gw-bot .gw-answer"))
    assert context.cookies() == []  # nothing depended on a cookie
    context.close()
