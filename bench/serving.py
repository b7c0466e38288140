"""Serving: `python app.py` as a subprocess on a free loopback port, loaded over real HTTP.

For each concurrency level, that many clients POST /api/ask back to back for a fixed time.
Floors measured in the same run:

- per request: ``Answerer.ask`` in the bench process, same questions, one at a time (the work a
  request must do, without HTTP); the capacity floor is 1 / its mean, in requests per second, as
  if every request were served one after the other with no HTTP cost;
- start-up: a bare process that imports the same modules and loads the same embedding model;
- memory: that bare process's RSS (code + model), next to the server's.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench.stats import pct, ratio, summary_ms, time_calls, tree_rss_bytes

REPO = Path(__file__).resolve().parent.parent
MB = 1024 * 1024


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env(settings_env: dict[str, str], port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GUANWEN_", "OPENAI_"))}
    env.update(settings_env)
    env.update(GUANWEN_PORT=str(port), GUANWEN_HOST="127.0.0.1", HF_HUB_OFFLINE="1", TOKENIZERS_PARALLELISM="false")
    # Every bench client shares one loopback address: the per-client rate limit would measure itself.
    env["GUANWEN_RATE_LIMIT_PER_MINUTE"] = "0"
    return env


class Server:
    def __init__(self, settings_env: dict[str, str], log_path: Path):
        import httpx

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._log = open(log_path, "w")
        self.log_path = log_path
        # A clean working folder: no .env from the repo or the developer changes what is measured.
        self._cwd = tempfile.mkdtemp(prefix="guanwen-bench-server-")
        self.started = time.perf_counter()
        self.process = subprocess.Popen(
            [sys.executable, str(REPO / "app.py")],
            cwd=self._cwd,
            env=server_env(settings_env, self.port),
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        self.ready_s: float | None = None
        self.healthy_s: float | None = None
        self._client = httpx.Client(timeout=30)

    def wait_ready(self, question: str, timeout: float = 300) -> float:
        """Seconds from process start to the first answered POST /api/ask."""
        deadline = self.started + timeout
        while time.perf_counter() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"app.py exited with {self.process.returncode}: {self.log_path.read_text()[-2000:]}")
            try:
                if self.healthy_s is None:
                    health = self._client.get(self.url + "/healthz", timeout=2)
                    if health.status_code == 200:
                        self.healthy_s = time.perf_counter() - self.started
                response = self._client.post(self.url + "/api/ask", json={"question": question}, timeout=30)
                if response.status_code == 200 and "answer" in response.json():
                    self.ready_s = time.perf_counter() - self.started
                    return self.ready_s
            except Exception:  # not listening yet
                pass
            time.sleep(0.05)
        raise RuntimeError(f"app.py did not answer within {timeout} s")

    def rss(self) -> int:
        return tree_rss_bytes(self.process.pid)

    def stop(self) -> None:
        self._client.close()
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._log.close()


async def _load(url: str, questions: list[str], clients: int, seconds: float) -> dict:
    import httpx

    latencies: list[float] = []
    errors: dict[str, int] = {}
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=60) as client:
        stop_at = time.perf_counter() + seconds

        async def worker(number: int) -> None:
            i = number * 7
            while time.perf_counter() < stop_at:
                question = questions[i % len(questions)]
                i += 1
                t0 = time.perf_counter()
                try:
                    response = await client.post("/api/ask", json={"question": question})
                    elapsed = time.perf_counter() - t0
                    if response.status_code == 200:
                        latencies.append(elapsed)
                    else:
                        key = f"http {response.status_code}"
                        errors[key] = errors.get(key, 0) + 1
                except Exception as error:  # timeouts, resets: counted, never fatal
                    key = type(error).__name__
                    errors[key] = errors.get(key, 0) + 1

        started = time.perf_counter()
        await asyncio.gather(*(worker(n) for n in range(clients)))
        wall = time.perf_counter() - started
    return {
        "clients": clients,
        "seconds": round(wall, 2),
        "ok": len(latencies),
        "errors": sum(errors.values()),
        "error_kinds": errors,
        "rps": round(len(latencies) / wall, 2),
        **summary_ms(latencies),
    }


class _RssSampler(threading.Thread):
    def __init__(self, server: Server):
        super().__init__(daemon=True)
        self.server = server
        self.peak = 0
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.is_set():
            self.peak = max(self.peak, self.server.rss())
            self._halt.wait(0.25)

    def stop(self) -> int:
        self._halt.set()
        self.join()
        return self.peak


def bare_process_floor(settings_env: dict[str, str]) -> dict:
    """A process that imports settings and loads the same embedding model, nothing else."""
    code = (
        "import time, json; t=time.perf_counter();"
        "from settings import load_settings; from index.embedding import load_embedder;"
        "e=load_embedder(load_settings()); e.embed_query('热身');"
        "from bench.stats import rss_bytes;"
        "print(json.dumps({'seconds_inside': time.perf_counter()-t, 'rss': rss_bytes()}))"
    )
    env = server_env(settings_env, 1)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    cwd = tempfile.mkdtemp(prefix="guanwen-bench-floor-")
    started = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    seconds = time.perf_counter() - started
    if out.returncode != 0:
        return {"error": out.stderr[-500:]}
    inside = json.loads(out.stdout.strip().splitlines()[-1])
    return {"seconds": round(seconds, 3), "rss_mb": round(inside["rss"] / MB, 1)}


def in_process_floor(answerer, questions: list[str]) -> dict:
    out = time_calls(answerer.ask, questions, warmup=3)
    out["capacity_rps"] = round(1000 / out["mean_ms"], 2) if out["mean_ms"] else None
    return out


def run_serving(settings_env: dict[str, str], answerer, questions: list[str], *, concurrency: list[int],
                seconds: float, log_dir: Path) -> dict:
    floor_ask = in_process_floor(answerer, questions[:60])
    floor_start = bare_process_floor(settings_env)
    server = Server(settings_env, log_dir / "server.log")
    out: dict = {"ask_floor_in_process": floor_ask, "bare_process_floor": floor_start}
    try:
        out["ready_s"] = round(server.wait_ready(questions[0]), 3)
        out["healthz_s"] = round(server.healthy_s, 3) if server.healthy_s else None
        out["ready_ratio"] = ratio(out["ready_s"], floor_start.get("seconds"))
        out["rss_ready_mb"] = round(server.rss() / MB, 1)
        # Warm-up, not measured: each question path once.
        asyncio.run(_load(server.url, questions, 2, 2.0))
        sampler = _RssSampler(server)
        sampler.start()
        levels = []
        for clients in concurrency:
            level = asyncio.run(_load(server.url, questions, clients, seconds))
            level["p50_ratio"] = ratio(level["p50_ms"], floor_ask["p50_ms"])
            level["p95_ratio"] = ratio(level["p95_ms"], floor_ask["p95_ms"])
            level["rps_share_of_capacity"] = ratio(level["rps"], floor_ask["capacity_rps"])
            levels.append(level)
        out["rss_peak_mb"] = round(sampler.stop() / MB, 1)
        out["rss_after_load_mb"] = round(server.rss() / MB, 1)
        out["rss_ratio"] = ratio(out["rss_peak_mb"], floor_start.get("rss_mb"))
        out["levels"] = levels
    finally:
        server.stop()
    return out


__all__ = ["run_serving", "pct"]
