"""Login throttling: failed logins counted per user and address, per address, and per user, each
with its own threshold (docs/security.md, "Lockout")."""

from __future__ import annotations

import threading
import time
from collections import deque


class LoginThrottle:
    """After ``max_failures`` failed logins within ``window_s`` for one username from one address,
    further attempts for that name from that address are refused for ``lockout_s``, whatever the
    password. Someone guessing from elsewhere cannot lock the real user out that way. An address
    trying many names is locked after four times as many failures (it may be a whole office), and
    a name guessed at from many addresses after twenty times as many (a slow, distributed attack:
    the one way left to lock a user out, and one that needs many addresses and hundreds of tries)."""

    FACTORS = {"pair": 1, "client": 4, "user": 20}

    def __init__(self, max_failures: int, window_s: float, lockout_s: float):
        self.max_failures, self.window_s, self.lockout_s = max_failures, window_s, lockout_s
        self._failures: dict[str, deque[float]] = {}
        self._locked_until: dict[str, float] = {}
        self._lock = threading.Lock()

    @staticmethod
    def keys(name: str, address: str) -> list[str]:
        return [f"pair:{name}@{address}", f"client:{address}", f"user:{name}"]

    def retry_after(self, keys: list[str], now: float | None = None) -> float:
        now = time.monotonic() if now is None else now
        with self._lock:
            return max((self._locked_until.get(k, 0.0) - now for k in keys), default=0.0)

    def failed(self, keys: list[str], now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        with self._lock:
            for key in keys:
                limit = self.max_failures * self.FACTORS[key.partition(":")[0]]
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
