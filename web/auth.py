"""Who is asking: users with hashed passwords, API and widget tokens, login sessions, roles.

Auth is off until ``GUANWEN_AUTH_FILE`` names a credentials file (docs/security.md). Then:

- people log in at ``/login`` (a username and password checked against a scrypt hash; the form
  carries a one-time token and must come from this site, web/csrf.py) and get an HttpOnly session
  cookie (SameSite=Lax, so other sites' pages cannot use it) naming a session kept on the server
  (web/sessions.py), which logging out, a password change or removing the user ends;
- programs send ``Authorization: Bearer <token>``; tokens are random and stored only as SHA-256;
- the embed widget gets a ``widget`` token in its snippet (``/embed?token=…``) and sends it as a
  Bearer header on its own requests, so it never depends on third-party cookies;
- roles: ``admin`` (everything, including document management and the feedback export),
  ``user`` (the chat, the lab, the API, their own feedback), ``widget`` (only what /embed calls).

With auth off, requests from this machine (loopback) act as ``admin`` and any other client as
``user`` named by its address: a server opened to the network without auth can answer questions
but cannot change the corpus, and one address cannot read another's feedback.

The credentials file is JSON (read and written by web/credentials.py, with the hashes and tokens),
edited with ``python -m web.auth`` (see ``--help``)::

    {"users":  [{"name": "wang", "password": "scrypt$16384$8$1$<salt>$<hash>", "role": "admin"}],
     "tokens": [{"name": "portal", "sha256": "<hex>", "role": "widget"}]}
"""

from __future__ import annotations

import argparse
import getpass
import ipaddress
import json
import secrets
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Mapping

from settings import load_settings

from web.credentials import (
    ROLES,
    Credentials,
    Role,
    hash_password,
    load_file,
    new_token,
    save_file,
    token_digest,
    verify_password,
)
from web.sessions import SessionStore, password_fingerprint
from web.throttle import LoginThrottle

SESSION_COOKIE = "guanwen_session"


@dataclass(frozen=True)
class Identity:
    name: str
    role: Role
    via: Literal["local", "session", "token"]
    address: str = ""  # the client's address (behind a trusted proxy: the one it forwarded)
    session: str = ""  # with a session cookie: the session's id, hashed (web/sessions.py)

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def client_key(self) -> str:
        """Who a per-client limit (requests, feedback) counts. A user or an API token is one
        client wherever it comes from; a widget token is public (it is in its host page's source),
        so each visitor's address counts apart; without auth, the address is all there is."""
        if self.via == "local":
            return f"client:{self.address}"
        if self.role == "widget":
            return f"token:{self.name}@{self.address}"
        return f"{self.via}:{self.name}"

    @property
    def upload_key(self) -> str:
        """Whose uploads a Gradio file input may name: this login session's, this token's from
        this address, or this address's (web/uploads.py)."""
        return f"{self.client_key}/{self.session}" if self.session else f"{self.client_key}@{self.address}"


# Putting it together


class Authenticator:
    def __init__(self, credentials: Credentials | None, sessions: SessionStore | None, throttle: LoginThrottle):
        self.credentials = credentials
        self.sessions = sessions
        self.throttle = throttle
        # A check against an unknown name costs the same as against a known one (no user enumeration).
        self._dummy_hash = hash_password(secrets.token_hex(8)) if credentials else ""

    @classmethod
    def from_settings(cls, settings: Any) -> "Authenticator":
        throttle = LoginThrottle(settings.login_max_failures, settings.login_window_s, settings.login_lockout_s)
        if settings.auth_file is None:
            return cls(None, None, throttle)
        credentials = Credentials.load(settings.auth_file)
        return cls(credentials, SessionStore(settings.sessions_path, settings.session_hours * 3600), throttle)

    @property
    def enabled(self) -> bool:
        return self.credentials is not None

    def identify(
        self, headers: Mapping[str, str], cookies: Mapping[str, str], client_host: str | None, token: str | None = None
    ) -> Identity | None:
        """The caller, from a Bearer header, a session cookie or a widget token (in that order);
        None when auth is on and none of them is valid. With auth off: "local" (an administrator)
        on this machine, else an ordinary user named by its address."""
        address = client_host or "?"
        if self.credentials is None:
            if _is_loopback(client_host):
                return Identity("local", "admin", "local", address)
            return Identity(f"address:{address}", "user", "local", address)
        scheme, _, value = (headers.get("authorization") or "").partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            token = value.strip()
        if token:
            found = self.credentials.tokens.get(token_digest(token))
            return Identity(found[0], found[1], "token", address) if found else None
        cookie = cookies.get(SESSION_COOKIE)
        session = self.sessions.find(cookie) if cookie and self.sessions else None
        user = self.credentials.users.get(session.name) if session else None
        # A session opened with a password that has since changed is over, whatever its expiry.
        if session and user and session.password == password_fingerprint(user[0]):
            return Identity(session.name, user[1], "session", address, session.id_sha256[:32])
        return None

    def login(self, name: str, password: str) -> str | None:
        """A new session's cookie value for the right password, else None."""
        assert self.credentials is not None and self.sessions is not None
        stored = self.credentials.users.get(name)
        ok = verify_password(password, stored[0] if stored else self._dummy_hash)
        return self.sessions.open(name, stored[0]) if ok and stored else None

    def logout(self, cookie: str | None) -> None:
        if cookie and self.sessions:
            self.sessions.revoke(cookie)


def identity_of(request: Any) -> Identity | None:
    """The identity the auth middleware put on a request (a Starlette or a Gradio request)."""
    # A gr.Request wraps the Starlette request (and turns dict attributes into copies): unwrap it.
    inner = vars(request).get("request") if hasattr(request, "__dict__") else None
    scope = getattr(inner if inner is not None else request, "scope", None)
    return (scope or {}).get("state", {}).get("guanwen_identity")


def _is_loopback(host: str | None) -> bool:
    try:
        return host is not None and ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "testclient"  # Starlette's TestClient


# The command line: python -m web.auth


def _end_sessions(name: str) -> str:
    """End ``name``'s sessions in the storage folder's session table (a new password or a removed
    user must not leave old logins working); the running server also refuses them by itself."""
    settings = load_settings()
    if not settings.sessions_path.exists():
        return ""  # no server has opened a session with this storage folder
    try:
        ended = SessionStore(settings.sessions_path, settings.session_hours * 3600).revoke_user(name)
    except Exception as error:  # sqlite3.Error, OSError: say so, the file change still stands
        return f" (could not end the sessions in {settings.sessions_path}: {error}; restart the server)"
    return f"; {ended} of their sessions ended" if ended else ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m web.auth", description="Manage guanwen's users and tokens.")
    parser.add_argument("--file", type=Path, default=None, help="credentials file (default: $GUANWEN_AUTH_FILE)")
    commands = parser.add_subparsers(dest="command", required=True)
    add_user = commands.add_parser("add-user", help="add or update a user (asks for the password)")
    add_user.add_argument("name")
    add_user.add_argument("--role", choices=["admin", "user"], default="user")
    add_user.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    add_token = commands.add_parser("add-token", help="create a token and print it once")
    add_token.add_argument("name")
    add_token.add_argument("--role", choices=ROLES, default="user", help="widget tokens only work for /embed")
    remove = commands.add_parser("remove", help="remove a user or every token of that name")
    remove.add_argument("name")
    commands.add_parser("list", help="list users and tokens (never the secrets)")
    args = parser.parse_args(argv)

    path = args.file or load_settings().auth_file
    if path is None:
        print("web.auth: say which file: --file PATH or GUANWEN_AUTH_FILE", file=sys.stderr)
        return 2
    try:
        data = load_file(path)
    except (OSError, json.JSONDecodeError) as error:
        print(f"web.auth: cannot read {path}: {error}", file=sys.stderr)
        return 1

    if args.command == "add-user":
        password = sys.stdin.readline().rstrip("\n") if args.password_stdin else getpass.getpass(f"password for {args.name}: ")
        if len(password) < 8:
            print("web.auth: the password must have at least 8 characters", file=sys.stderr)
            return 2
        data["users"] = [u for u in data["users"] if u.get("name") != args.name]
        data["users"].append({"name": args.name, "password": hash_password(password), "role": args.role})
        save_file(path, data)
        print(f"user {args.name} ({args.role}) saved in {path}{_end_sessions(args.name)}")
    elif args.command == "add-token":
        token = new_token()
        data["tokens"].append({"name": args.name, "sha256": token_digest(token), "role": args.role})
        save_file(path, data)
        print(token)
        print(f"token {args.name} ({args.role}) saved in {path}; it is shown only this once", file=sys.stderr)
    elif args.command == "remove":
        before = len(data["users"]) + len(data["tokens"])
        data["users"] = [u for u in data["users"] if u.get("name") != args.name]
        data["tokens"] = [t for t in data["tokens"] if t.get("name") != args.name]
        if len(data["users"]) + len(data["tokens"]) == before:
            print(f"web.auth: no user or token named {args.name}", file=sys.stderr)
            return 1
        save_file(path, data)
        print(f"removed {args.name}{_end_sessions(args.name)}")
    else:
        for user in data["users"]:
            print(f"user  {user.get('name')}  {user.get('role', 'user')}")
        for token in data["tokens"]:
            print(f"token {token.get('name')}  {token.get('role', 'user')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
