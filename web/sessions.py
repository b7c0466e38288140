"""Login sessions, kept on the server so that they can be ended (docs/security.md, "Sessions").

The cookie holds only a random 256-bit session id; the server keeps its SHA-256 (a copy of the
table gives no working cookie), the user's name, when it expires, and a fingerprint of the
password hash it was opened with. A session ends when

- its user logs out (``revoke``: the row is deleted, the cookie is worthless at once);
- its user's password changes (``python -m web.auth add-user`` writes a new hash, and removes
  the user's sessions itself; any row still holding the old fingerprint is refused);
- its user is removed from the credentials file, or it expires (``GUANWEN_SESSION_HOURS``).

The table is SQLite in the storage folder (``sessions.sqlite3``, WAL mode), so every app process
sharing that folder sees the same sessions, and a logout in one ends the session in all of them.
A lookup reads one row by its primary key (tens of microseconds), which the auth middleware can
afford on every request.
"""

from __future__ import annotations

import hashlib
import secrets
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    id_sha256 TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    password TEXT NOT NULL,
    created REAL NOT NULL,
    expires REAL NOT NULL
)
"""


def password_fingerprint(password_hash: str) -> str:
    """What a session remembers of the password it was opened with (not the hash itself)."""
    return hashlib.sha256(password_hash.encode("utf-8")).hexdigest()[:32]


def _digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Session:
    name: str
    password: str  # the fingerprint of the password hash at login
    id_sha256: str


class SessionStore:
    def __init__(self, path: Path, lifetime_s: float):
        self.path = path
        self.lifetime_s = lifetime_s
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None

    def _connection(self) -> sqlite3.Connection:
        if self._db is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path, timeout=10, check_same_thread=False, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(_SCHEMA)
            self._db = db
        return self._db

    def open(self, name: str, password_hash: str, now: float | None = None) -> str:
        """A new session for ``name``; returns the cookie value (shown only this once)."""
        now = time.time() if now is None else now
        session_id = secrets.token_urlsafe(32)
        with self._lock:
            db = self._connection()
            db.execute("DELETE FROM sessions WHERE expires < ?", (now,))
            db.execute(
                "INSERT INTO sessions VALUES (?, ?, ?, ?, ?)",
                (_digest(session_id), name, password_fingerprint(password_hash), now, now + self.lifetime_s),
            )
        return session_id

    def find(self, session_id: str, now: float | None = None) -> Session | None:
        """The live session of this cookie value, or None (unknown, ended or expired)."""
        if not session_id or len(session_id) > 100:
            return None
        now = time.time() if now is None else now
        digest = _digest(session_id)
        with self._lock:
            row = self._connection().execute(
                "SELECT name, password, expires FROM sessions WHERE id_sha256 = ?", (digest,)
            ).fetchone()
        if row is None or row[2] < now:
            return None
        return Session(row[0], row[1], digest)

    def revoke(self, session_id: str) -> None:
        with self._lock:
            self._connection().execute("DELETE FROM sessions WHERE id_sha256 = ?", (_digest(session_id),))

    def revoke_user(self, name: str) -> int:
        """End every session of ``name`` (a changed password, a removed user); how many ended."""
        with self._lock:
            return self._connection().execute("DELETE FROM sessions WHERE name = ?", (name,)).rowcount
