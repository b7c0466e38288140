"""Files uploaded through the chat UI's file input (Gradio's ``/gradio_api/upload``), until an
upload event saves them in the corpus (docs/security.md, "Gradio's routes").

Gradio writes an upload to ``<its temporary folder>/<sha256 of the bytes>/<name>`` and hands the
browser that path, which the browser then names in the event that uses the file. Here:

- the folder is this process's own (``guanwen-uploads-<pid>-…`` under ``GUANWEN_UPLOAD_DIR``,
  default the system's temporary folder), made at start; folders left by processes that are gone
  are removed then, and this one when the server shuts down (``running``, the app's lifespan);
- the browser never sees the path: it gets an opaque **handle**, bound to whoever uploaded it
  (``Identity.upload_key``: their login session, or token and address, or address), and an event
  may name only handles its caller was given (web/gradio_guard.py swaps them back for the paths);
- the waiting uploads together hold at most ``GUANWEN_UPLOAD_SPACE_MB`` (an upload that would go
  over gets 507 before a byte is written); a file is deleted once its upload event has used it, or
  after ``GUANWEN_UPLOAD_TTL_S`` unused, as are stray files (an upload cut off halfway).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, AsyncIterator

FOLDER_PREFIX = "guanwen-uploads-"
HANDLE_PREFIX = "gw-upload-"


@dataclass
class _Entry:
    owner: str
    path: str
    size: int
    created: float


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def make_upload_folder(parent: Path) -> Path:
    """This process's folder under ``parent``, after removing those of processes that are gone."""
    parent.mkdir(parents=True, exist_ok=True)
    for old in parent.glob(FOLDER_PREFIX + "*"):
        pid = old.name.removeprefix(FOLDER_PREFIX).split("-", 1)[0]
        if old.is_dir() and pid.isdigit() and not _process_alive(int(pid)):
            shutil.rmtree(old, ignore_errors=True)
    return Path(tempfile.mkdtemp(prefix=f"{FOLDER_PREFIX}{os.getpid()}-", dir=parent))


class UploadRegistry:
    def __init__(self, folder: Path, space_bytes: int, ttl_s: float):
        self.folder = folder
        self.space_bytes = space_bytes
        self.ttl_s = ttl_s
        self._entries: dict[str, _Entry] = {}  # handle -> entry
        self._reserved = 0  # bytes of uploads under way
        self._lock = threading.RLock()  # _delete runs both inside and outside it

    # --- an upload arriving ------------------------------------------------------------------------

    def reserve(self, declared: int, now: float | None = None) -> bool:
        """Room for an upload request of ``declared`` bytes (its Content-Length), or False."""
        self.sweep(now)
        with self._lock:
            used = self._reserved + sum(e.size for e in self._entries.values())
            if used + declared > self.space_bytes:
                return False
            self._reserved += declared
            return True

    def unreserve(self, declared: int) -> None:
        with self._lock:
            self._reserved = max(0, self._reserved - declared)

    def register(self, owner: str, path: str, now: float | None = None) -> str | None:
        """The handle for a file Gradio just wrote for ``owner``; None for a path outside the folder."""
        real = os.path.realpath(path)
        if not self._inside(real) or not os.path.isfile(real):
            return None
        handle = HANDLE_PREFIX + secrets.token_urlsafe(18)
        with self._lock:
            self._entries[handle] = _Entry(owner, real, os.path.getsize(real), time.time() if now is None else now)
        return handle

    # --- an event naming files ---------------------------------------------------------------------

    def resolve(self, owner: str, handle: object) -> str | None:
        """The file behind ``handle`` if ``owner`` was given it, else None."""
        with self._lock:
            entry = self._entries.get(handle) if isinstance(handle, str) else None
            return entry.path if entry is not None and entry.owner == owner else None

    def owns(self, owner: str, path: str) -> bool:
        real = os.path.realpath(path)
        with self._lock:
            return any(e.owner == owner and e.path == real for e in self._entries.values())

    def discard(self, paths: list[str]) -> None:
        """The upload event is done with these files: forget them and delete them."""
        reals = {os.path.realpath(p) for p in paths}
        with self._lock:
            for handle in [h for h, e in self._entries.items() if e.path in reals]:
                del self._entries[handle]
        for real in reals:
            self._delete(real)

    # --- housekeeping --------------------------------------------------------------------------------

    def sweep(self, now: float | None = None) -> None:
        """Delete uploads unused for ``ttl_s`` and stray files as old."""
        now = time.time() if now is None else now
        with self._lock:
            expired = [h for h, e in self._entries.items() if e.created + self.ttl_s < now]
            for handle in expired:
                self._delete(self._entries.pop(handle).path)
            live = {e.path for e in self._entries.values()}
        for path in list(self.folder.rglob("*")) if self.folder.exists() else []:
            try:
                if path.is_file() and str(path) not in live and path.stat().st_mtime + self.ttl_s < now:
                    path.unlink()
                elif path.is_dir() and path != self.folder and not any(path.iterdir()):
                    path.rmdir()
            except OSError:
                pass

    def close(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)

    @contextlib.asynccontextmanager
    async def running(self, _app: Any = None) -> AsyncIterator[None]:
        """The app's lifespan: a sweep every quarter of the time to live (at most a minute apart),
        and the folder removed at shutdown (uvicorn ends a SIGTERM by re-raising it, so an atexit
        hook would never run)."""

        async def sweeping() -> None:
            while True:
                await asyncio.sleep(min(60.0, self.ttl_s / 4))
                await asyncio.to_thread(self.sweep)

        task = asyncio.create_task(sweeping())
        try:
            yield
        finally:
            task.cancel()
            self.close()

    def _inside(self, real: str) -> bool:
        folder = os.path.realpath(self.folder)
        return os.path.commonpath([folder, real]) == folder and real != folder

    def _delete(self, real: str) -> None:
        with self._lock:
            still_used = any(e.path == real for e in self._entries.values())
        if still_used or not self._inside(real):
            return
        try:
            os.unlink(real)
            if os.path.dirname(real) != os.path.realpath(self.folder):
                os.rmdir(os.path.dirname(real))  # Gradio's per-upload folder, once empty
        except OSError:
            pass

