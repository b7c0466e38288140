"""What an ingest tells the person running it while it works, one phase at a time.

An ingest reads files (hashing every one, parsing those that changed), then embeds the chunks of
the changed documents (nearly all of its time: ~28 chunks/s on two cores), then brings the BM25
index up to date. ``Progress`` is handed to ``ingest.sync.sync`` and hears of each phase:

- ``Progress.for_stream(sys.stderr)`` on a terminal draws a tqdm bar per phase (files read, chunks
  embedded), with a rate and an estimate of the time left;
- on anything else (a pipe, a log file, CI) it writes one plain line when a phase starts and one
  when it ends, with its count and duration, so a log shows where the time went;
- ``Progress()`` says nothing: ``--json``, the admin upload and the tests use it.
"""

from __future__ import annotations

import time
from typing import TextIO


class Progress:
    """Silent: every call does nothing. The subclasses below say something."""

    # Embedding is split into calls of at most this many sentences while a bar is shown, so the
    # bar moves (one call per batch otherwise: a small corpus would jump from 0 to 100%).
    embed_slice: int | None = None

    def start(self, phase: str, total: int, unit: str) -> None:
        """A phase begins: ``total`` ``unit``s to go (files, chunks)."""

    def advance(self, done: int) -> None:
        """``done`` more units of the current phase are finished."""

    def finish(self, note: str = "") -> None:
        """The current phase is over; ``note`` says what came of it."""

    @staticmethod
    def for_stream(stream: TextIO) -> "Progress":
        """Bars on a terminal, plain lines anywhere else."""
        isatty = getattr(stream, "isatty", None)
        return TerminalProgress(stream) if isatty and isatty() else LogProgress(stream)


_VERBS = {"loading the embedding model": ("loading the embedding model", "loaded the embedding model"),
          "reading files": ("reading", "read"), "embedding chunks": ("embedding", "embedded"),
          "updating the BM25 index": ("updating the BM25 index", "updated the BM25 index")}


class LogProgress(Progress):
    """One line as each phase starts and one as it ends: ``ingest: embedded 252 chunks in 20.1s
    (12.5 chunks/s)``."""

    def __init__(self, stream: TextIO):
        self.stream = stream
        self._phase: tuple[str, int, str, float] | None = None

    def start(self, phase: str, total: int, unit: str) -> None:
        self._phase = (phase, total, unit, time.perf_counter())
        doing = _VERBS.get(phase, (phase, phase))[0]
        self._say(f"{doing} {count(total, unit)}…" if unit else f"{doing}…")

    def finish(self, note: str = "") -> None:
        if self._phase is None:
            return
        phase, total, unit, started = self._phase
        seconds = time.perf_counter() - started
        done = _VERBS.get(phase, (phase, phase))[1]
        rate = f", {total / seconds:.1f} {unit}s/s" if unit and total and seconds >= 1 else ""
        what = f"{done} {count(total, unit)}" if unit else done
        self._say(f"{what} in {seconds:.1f}s{rate}{': ' + note if note else ''}")
        self._phase = None

    def _say(self, line: str) -> None:
        print(f"ingest: {line}", file=self.stream, flush=True)


class TerminalProgress(Progress):
    """A tqdm bar per phase: count, rate, elapsed and estimated time left."""

    embed_slice = 256

    def __init__(self, stream: TextIO):
        self.stream = stream
        self._bar = None

    def start(self, phase: str, total: int, unit: str) -> None:
        from tqdm import tqdm

        self.finish()
        self._bar = tqdm(total=total or None, desc=phase, unit=f" {unit}" if unit else "it", file=self.stream,
                         dynamic_ncols=True, leave=True, bar_format=None if unit else "{desc}…")

    def advance(self, done: int) -> None:
        if self._bar is not None:
            self._bar.update(done)

    def finish(self, note: str = "") -> None:
        if self._bar is None:
            return
        if note:
            self._bar.set_postfix_str(note, refresh=False)
        self._bar.close()
        self._bar = None


def count(total: int, unit: str) -> str:
    """「1 file」, 「2 files」."""
    return f"{total} {unit}{'' if total == 1 else 's'}"
