"""200 concurrent streaming chats against the stand-in LLM (a fixed first-token delay): the answer
slots and their queue hold, every request ends as a whole streamed answer or a clean 503 "busy",
the server keeps answering, and its memory comes back to where it started."""

import asyncio
import json
from pathlib import Path

import httpx
import pytest

from tests.conftest import MAIN_QUESTION, RunningApp, SEED_ARTICLE, run_python, says_main_fact
from tests.openai_standin import Reply, StandInLLM
from tests.test_llm_mode import passage_number

pytestmark = pytest.mark.slow

CHATS = 200


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


async def one_chat(client: httpx.AsyncClient, url: str) -> tuple[int, str | None]:
    """(status, the kind of the last event) of one streaming chat."""
    async with client.stream("POST", url + "/api/ask/stream", json={"question": MAIN_QUESTION}) as response:
        if response.status_code != 200:
            body = json.loads(await response.aread())
            return response.status_code, body.get("error", "")
        last = None
        async for line in response.aiter_lines():
            if line.startswith("event: "):
                last = line[7:]
        return 200, last


async def crowd(url: str, n: int) -> list[tuple[int, str | None]]:
    limits = httpx.Limits(max_connections=n, max_keepalive_connections=0)
    async with httpx.AsyncClient(timeout=120, limits=limits) as client:
        return await asyncio.gather(*(one_chat(client, url) for _ in range(n)))


def test_two_hundred_streaming_chats_at_once(tmp_path):
    with StandInLLM() as standin:
        standin.respond_with(
            lambda r: Reply(
                f"东莞计划加快培育1-2个规模超百亿元的未来产业集群[{passage_number(r, '1-2个规模超百亿元')}]。",
                delay_s=1.0,
            )
        )
        env = standin.app_env(
            tmp_path / "storage",
            SEED_ARTICLE.parent,
            # 200 people behind one loopback address would otherwise be one client's rate limit;
            # this test is about the answer slots (default: 4 at once, 64 waiting).
            GUANWEN_RATE_LIMIT_PER_MINUTE="0",
        )
        assert run_python(["-m", "ingest", "--json"], env).returncode == 0
        app = RunningApp(env, tmp_path / "app.log")
        try:
            asyncio.run(crowd(app.url, 8))  # warm up: imports, connection pools, caches
            baseline = rss_mb(app.process.pid)
            rounds = []
            for _ in range(2):
                results = asyncio.run(crowd(app.url, CHATS))
                rounds.append((results, rss_mb(app.process.pid)))
            after = httpx.post(app.url + "/api/ask", json={"question": MAIN_QUESTION}, timeout=60)
            alive = app.process.poll() is None
        finally:
            app.stop()
    for results, _ in rounds:
        statuses = [status for status, _ in results]
        answered = [last for status, last in results if status == 200]
        busy = [detail for status, detail in results if status == 503]
        assert set(statuses) <= {200, 503}, statuses
        assert len(answered) >= 4 + 1 and len(busy) >= 1, (len(answered), len(busy))  # the queue held; the rest were turned away
        assert all(last == "answer" for last in answered)  # every admitted stream ended with the verified answer
        assert all(detail.startswith("busy") for detail in busy)
    assert alive and after.status_code == 200 and says_main_fact(after.json()["answer"])
    first_peak, second_peak = rounds[0][1], rounds[1][1]
    print(f"\nRSS: baseline {baseline:.0f} MB, after 200 chats {first_peak:.0f} MB, after 200 more {second_peak:.0f} MB; "
          f"answered {[sum(s == 200 for s, _ in r) for r, _ in rounds]}, busy {[sum(s == 503 for s, _ in r) for r, _ in rounds]}")
    # Memory comes back: a second crowd costs nothing more than the first (no per-request leak),
    # and the whole episode stays within a small margin of the warm baseline.
    assert second_peak <= first_peak + 20, (baseline, first_peak, second_peak)
    assert second_peak <= baseline + 100, (baseline, first_peak, second_peak)
