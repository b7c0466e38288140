"""Secrets and the credentials file: scrypt password hashes, API and widget tokens (stored only as
SHA-256), and the JSON file ``python -m web.auth`` writes (web/auth.py). Login sessions are kept on
the server: web/sessions.py."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

Role = Literal["admin", "user", "widget"]
ROLES: tuple[Role, ...] = ("admin", "user", "widget")
_SCRYPT = (2**14, 8, 1)  # n, r, p: ~50 ms and 16 MiB per check, the stdlib's safe default range


class AuthConfigError(ValueError):
    """The credentials file is missing or malformed; the message says what to fix."""


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


# The file as the command line edits it


def load_file(path: Path) -> dict:
    if not path.exists():
        return {"users": [], "tokens": []}
    data = json.loads(path.read_text(encoding="utf-8"))
    data.setdefault("users", [])
    data.setdefault("tokens", [])
    return data


def save_file(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(data, handle, ensure_ascii=False, indent=2)
        handle.write("\n")
    os.replace(temporary, path)
