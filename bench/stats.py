"""Small helpers: percentiles, timing, ratios, resident memory."""

from __future__ import annotations

import os
import time
from contextlib import contextmanager
from typing import Iterator

import numpy as np


def pct(values: list[float], q: float) -> float | None:
    return float(np.percentile(values, q)) if values else None


def summary_ms(seconds: list[float]) -> dict:
    """p50/p95/mean of durations given in seconds, reported in milliseconds."""
    ms = [s * 1000 for s in seconds]
    return {
        "n": len(ms),
        "p50_ms": _round(pct(ms, 50)),
        "p95_ms": _round(pct(ms, 95)),
        "mean_ms": _round(float(np.mean(ms)) if ms else None),
    }


def ratio(a: float | None, b: float | None) -> float | None:
    if a is None or b is None or b == 0:
        return None
    return round(a / b, 3)


def _round(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)


@contextmanager
def timed(into: dict, key: str) -> Iterator[None]:
    started = time.perf_counter()
    try:
        yield
    finally:
        into[key] = round(time.perf_counter() - started, 3)


def rss_bytes(pid: int | None = None) -> int:
    """Resident set size of a process (this one by default), from /proc."""
    with open(f"/proc/{pid or os.getpid()}/status", encoding="ascii") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def peak_rss_bytes(pid: int | None = None) -> int:
    with open(f"/proc/{pid or os.getpid()}/status", encoding="ascii") as handle:
        for line in handle:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0


def tree_rss_bytes(pid: int) -> int:
    """RSS of a process and its children (psutil when installed, else the process alone)."""
    try:
        import psutil
    except ImportError:
        return rss_bytes(pid)
    try:
        process = psutil.Process(pid)
        return process.memory_info().rss + sum(
            c.memory_info().rss for c in process.children(recursive=True) if c.is_running()
        )
    except psutil.Error:
        return 0
