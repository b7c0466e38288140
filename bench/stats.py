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


def time_calls(call, items: list, warmup: int) -> dict:
    """``call(item)`` for each item, after ``warmup`` untimed calls: the latency summary."""
    for item in items[:warmup]:
        call(item)
    times = []
    for item in items:
        t0 = time.perf_counter()
        call(item)
        times.append(time.perf_counter() - t0)
    return summary_ms(times)


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


class CpuWatch:
    """How much CPU other processes used while a phase ran, in cores (0 = the machine was ours).

    The machine's busy time comes from /proc/stat; this process's own (and its children's, the
    server included) from psutil. Figures measured while others were busy are slower than the
    hardware allows; the report shows this next to them.
    """

    def __init__(self) -> None:
        self._start = self._snapshot()

    @staticmethod
    def _machine_busy() -> float:
        with open("/proc/stat", encoding="ascii") as handle:
            fields = [int(v) for v in handle.readline().split()[1:]]
        idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
        return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")

    @staticmethod
    def _own() -> float:
        times = os.times()
        own = times.user + times.system + times.children_user + times.children_system
        try:
            import psutil

            for child in psutil.Process().children(recursive=True):
                try:
                    cpu = child.cpu_times()
                    own += cpu.user + cpu.system
                except psutil.Error:
                    pass
        except ImportError:
            pass
        return own

    def _snapshot(self) -> tuple[float, float, float]:
        return time.perf_counter(), self._machine_busy(), self._own()

    def other_cores(self) -> float:
        wall0, busy0, own0 = self._start
        wall1, busy1, own1 = self._snapshot()
        wall = max(wall1 - wall0, 1e-9)
        return round(max(0.0, (busy1 - busy0) - (own1 - own0)) / wall, 2)
