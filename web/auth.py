"""Who is asking: users with hashed passwords, API and widget tokens, login sessions, roles.

Auth is off until ``GUANWEN_AUTH_FILE`` names a credentials file (docs/security.md). Then:

- people log in at ``/login`` (a username and password checked against a scrypt hash) and get a
  signed, HttpOnly session cookie (SameSite=Lax, so other sites' pages cannot use it);
- programs send ``Authorization: Bearer <token>``; tokens are random and stored only as SHA-256;
- the embed widget gets a ``widget`` token in its snippet (``/embed?token=…``) and sends it as a
  Bearer header on its own requests, so it never depends on third-party cookies;
- roles: ``admin`` (everything, including document management and the feedback export),
  ``user`` (the chat, the lab, the API, their own feedback), ``widget`` (only what /embed calls).

With auth off, requests from this machine (loopback) act as ``admin`` and any other client as
``user``: a server opened to the network without auth can answer questions but cannot change the
corpus or read the feedback.

The credentials file is JSON (read and written by web/credentials.py, with the hashes, tokens and
session cookies), edited with ``python -m web.auth`` (see ``--help``)::

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
import threading
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Mapping

from settings import load_settings

from web.credentials import (
    ROLES,
    Credentials,
    Role,
    SessionSigner,
    hash_password,
    load_file,
    new_token,
    save_file,
    session_secret,
    token_digest,
    verify_password,
)

SESSION_COOKIE = "guanwen_session"


@dataclass(frozen=True)
class Identity:
    name: str
    role: Role
    via: Literal["local", "session", "token"]

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


# Login throttling


class LoginThrottle:
    """After ``max_failures`` failed logins within ``window_s`` for one username (or four times
    as many from one client address, which may be shared by a whole office), further attempts for
    it are refused for ``lockout_s``, whatever the password."""

    ADDRESS_FACTOR = 4

    def __init__(self, max_failures: int, window_s: float, lockout_s: float):
        self.max_failures, self.window_s, self.lockout_s = max_failures, window_s, lockout_s
        self._failures: dict[str, deque[float]] = {}
        self._locked_until: dict[str, float] = {}
        self._lock = threading.Lock()

    @staticmethod
    def keys(name: str, address: str) -> list[str]:
        return [f"user:{name}", f"client:{address}"]

    def retry_after(self, keys: list[str], now: float | None = None) -> float:
        now = time.monotonic() if now is None else now
        with self._lock:
            return max((self._locked_until.get(k, 0.0) - now for k in keys), default=0.0)

    def failed(self, keys: list[str], now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        with self._lock:
            for key in keys:
                limit = self.max_failures * (self.ADDRESS_FACTOR if key.startswith("client:") else 1)
                times = self._failures.setdefault(key, deque())
                times.append(now)
                while times and times[0] < now - self.window_s:
                    times.popleft()
                if len(times) >= limit:
                    self._locked_until[key] = now + self.lockout_s
                    times.clear()

    def succeeded(self, keys: list[str]) -> None:
        with self._lock:
            for key in keys:
                self._failures.pop(key, None)


# Putting it together


class Authenticator:
    def __init__(self, credentials: Credentials | None, signer: SessionSigner | None, throttle: LoginThrottle):
        self.credentials = credentials
        self.signer = signer
        self.throttle = throttle
        # A check against an unknown name costs the same as against a known one (no user enumeration).
        self._dummy_hash = hash_password(secrets.token_hex(8)) if credentials else ""

    @classmethod
    def from_settings(cls, settings: Any) -> "Authenticator":
        throttle = LoginThrottle(settings.login_max_failures, settings.login_window_s, settings.login_lockout_s)
        if settings.auth_file is None:
            return cls(None, None, throttle)
        credentials = Credentials.load(settings.auth_file)
        signer = SessionSigner(session_secret(settings.storage_dir / "session.key"), settings.session_hours * 3600)
        return cls(credentials, signer, throttle)

    @property
    def enabled(self) -> bool:
        return self.credentials is not None

    def identify(
        self, headers: Mapping[str, str], cookies: Mapping[str, str], client_host: str | None, token: str | None = None
    ) -> Identity | None:
        """The caller, from a Bearer header, a session cookie or a widget token (in that order);
        None when auth is on and none of them is valid."""
        if self.credentials is None:
            return Identity("local", "admin" if _is_loopback(client_host) else "user", "local")
        scheme, _, value = (headers.get("authorization") or "").partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            token = value.strip()
        if token:
            found = self.credentials.tokens.get(token_digest(token))
            return Identity(found[0], found[1], "token") if found else None
        cookie = cookies.get(SESSION_COOKIE)
        name = self.signer.name(cookie) if cookie and self.signer else None
        if name and name in self.credentials.users:
            return Identity(name, self.credentials.users[name][1], "session")
        return None

    def login(self, name: str, password: str) -> Identity | None:
        assert self.credentials is not None
        stored = self.credentials.users.get(name)
        ok = verify_password(password, stored[0] if stored else self._dummy_hash)
        return Identity(name, stored[1], "session") if ok and stored else None


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
        print(f"user {args.name} ({args.role}) saved in {path}")
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
        print(f"removed {args.name}")
    else:
        for user in data["users"]:
            print(f"user  {user.get('name')}  {user.get('role', 'user')}")
        for token in data["tokens"]:
            print(f"token {token.get('name')}  {token.get('role', 'user')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
