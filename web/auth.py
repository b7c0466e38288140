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

The credentials file is JSON, written by ``python -m web.auth`` (see ``--help``)::

    {"users":  [{"name": "wang", "password": "scrypt$16384$8$1$<salt>$<hash>", "role": "admin"}],
     "tokens": [{"name": "portal", "sha256": "<hex>", "role": "widget"}]}
"""

from __future__ import annotations

import argparse
import base64
import getpass
import hashlib
import hmac
import ipaddress
import json
import os
import secrets
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Mapping

Role = Literal["admin", "user", "widget"]
ROLES: tuple[Role, ...] = ("admin", "user", "widget")
SESSION_COOKIE = "guanwen_session"
_SCRYPT = (2**14, 8, 1)  # n, r, p: ~50 ms and 16 MiB per check, the stdlib's safe default range


class AuthConfigError(ValueError):
    """The credentials file is missing or malformed; the message says what to fix."""


@dataclass(frozen=True)
class Identity:
    name: str
    role: Role
    via: Literal["local", "session", "token"]

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


# Passwords and tokens


def hash_password(password: str) -> str:
    n, r, p = _SCRYPT
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=32)
    return f"scrypt${n}${r}${p}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = _unb64(digest)
        actual = hashlib.scrypt(
            password.encode("utf-8"), salt=_unb64(salt), n=int(n), r=int(r), p=int(p), dklen=len(expected)
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    return "gw_" + secrets.token_urlsafe(32)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


# The credentials file


@dataclass(frozen=True)
class Credentials:
    users: dict[str, tuple[str, Role]]  # name -> (password hash, role)
    tokens: dict[str, tuple[str, Role]]  # sha256 of the token -> (name, role)

    @classmethod
    def load(cls, path: Path) -> "Credentials":
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise AuthConfigError(f"GUANWEN_AUTH_FILE: {path} does not exist (create it with `python -m web.auth add-user`)")
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
            raise AuthConfigError(f"GUANWEN_AUTH_FILE: {path} is not readable JSON: {error}")
        if not isinstance(data, dict):
            raise AuthConfigError(f"GUANWEN_AUTH_FILE: {path} must hold a JSON object with 'users' and 'tokens'")
        users: dict[str, tuple[str, Role]] = {}
        for entry in _entries(data, "users", path):
            name, password, role = entry.get("name"), entry.get("password"), entry.get("role", "user")
            if not isinstance(name, str) or not name or not isinstance(password, str) or not password.startswith("scrypt$"):
                raise AuthConfigError(f"{path}: every user needs a 'name' and a scrypt 'password' hash ({entry!r:.80})")
            users[name] = (password, _role(role, path))
        tokens: dict[str, tuple[str, Role]] = {}
        for entry in _entries(data, "tokens", path):
            name, digest, role = entry.get("name"), entry.get("sha256"), entry.get("role", "user")
            if not isinstance(name, str) or not isinstance(digest, str) or len(digest) != 64:
                raise AuthConfigError(f"{path}: every token needs a 'name' and the 'sha256' of the token ({entry!r:.80})")
            tokens[digest.lower()] = (name, _role(role, path))
        if not users and not tokens:
            raise AuthConfigError(f"{path}: no users and no tokens: nobody could log in")
        return cls(users, tokens)


def _entries(data: dict, key: str, path: Path) -> list[dict]:
    entries = data.get(key, [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise AuthConfigError(f"{path}: '{key}' must be a list of objects")
    return entries


def _role(role: object, path: Path) -> Role:
    if role not in ROLES:
        raise AuthConfigError(f"{path}: role {role!r} is not one of {', '.join(ROLES)}")
    return role  # type: ignore[return-value]


# Sessions


class SessionSigner:
    """``name.expiry.signature`` cookies signed with HMAC-SHA256; nothing is stored server-side."""

    def __init__(self, secret: bytes, lifetime_s: float):
        self.secret = secret
        self.lifetime_s = lifetime_s

    def issue(self, name: str, now: float | None = None) -> str:
        expiry = int((now or time.time()) + self.lifetime_s)
        payload = f"{_b64(name.encode('utf-8'))}.{expiry}"
        return f"{payload}.{self._sign(payload)}"

    def name(self, cookie: str, now: float | None = None) -> str | None:
        try:
            encoded, expiry, signature = cookie.split(".")
            payload = f"{encoded}.{expiry}"
            if not hmac.compare_digest(signature, self._sign(payload)) or int(expiry) < (now or time.time()):
                return None
            return _unb64(encoded).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            return None

    def _sign(self, payload: str) -> str:
        return _b64(hmac.new(self.secret, payload.encode("utf-8"), hashlib.sha256).digest())


def session_secret(path: Path) -> bytes:
    """The signing key, created once under the storage dir (mode 0600) so sessions survive restarts
    and every app process sharing the storage dir accepts the same cookies."""
    try:
        return bytes.fromhex(path.read_text().strip())
    except (FileNotFoundError, ValueError):
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return bytes.fromhex(key)


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


def _load_raw(path: Path) -> dict:
    if not path.exists():
        return {"users": [], "tokens": []}
    data = json.loads(path.read_text(encoding="utf-8"))
    data.setdefault("users", [])
    data.setdefault("tokens", [])
    return data


def _save_raw(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(data, handle, ensure_ascii=False, indent=2)
        handle.write("\n")
    os.replace(temporary, path)


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

    path = args.file or (Path(os.environ["GUANWEN_AUTH_FILE"]) if os.environ.get("GUANWEN_AUTH_FILE") else None)
    if path is None:
        print("web.auth: say which file: --file PATH or GUANWEN_AUTH_FILE", file=sys.stderr)
        return 2
    try:
        data = _load_raw(path)
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
        _save_raw(path, data)
        print(f"user {args.name} ({args.role}) saved in {path}")
    elif args.command == "add-token":
        token = new_token()
        data["tokens"].append({"name": args.name, "sha256": token_digest(token), "role": args.role})
        _save_raw(path, data)
        print(token)
        print(f"token {args.name} ({args.role}) saved in {path}; it is shown only this once", file=sys.stderr)
    elif args.command == "remove":
        before = len(data["users"]) + len(data["tokens"])
        data["users"] = [u for u in data["users"] if u.get("name") != args.name]
        data["tokens"] = [t for t in data["tokens"] if t.get("name") != args.name]
        if len(data["users"]) + len(data["tokens"]) == before:
            print(f"web.auth: no user or token named {args.name}", file=sys.stderr)
            return 1
        _save_raw(path, data)
        print(f"removed {args.name}")
    else:
        for user in data["users"]:
            print(f"user  {user.get('name')}  {user.get('role', 'user')}")
        for token in data["tokens"]:
            print(f"token {token.get('name')}  {token.get('role', 'user')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
