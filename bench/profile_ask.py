"""Profile the POST /api/ask path on an index the bench kept (python -m bench --keep --work DIR).

    python -m bench.profile_ask --storage DIR/10k/storage [--requests 300] [--out bench-results/profiles]

Two views of the same path:

- pyinstrument, in process: ``Answerer.ask`` as built by ``app.build_answerer``, which is what the
  /api/ask handler calls, one question at a time (where the time of one request goes; FastAPI's
  TestClient would run the app on another thread, out of pyinstrument's sight);
- py-spy, on the real server (``python app.py``) under 20 concurrent clients (where the time goes
  when the server is loaded: queueing, thread pool, the GIL). Skipped if py-spy is not installed.
  With ``--gil`` it samples only the thread holding the GIL: the Python work that requests cannot
  share between the cores.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _questions(count: int, seed: int = 7) -> list[str]:
    from bench.corpus import Generator

    golden = [json.loads(l) for l in (REPO / "evaluation" / "golden.jsonl").read_text(encoding="utf-8").splitlines() if l.strip()]
    pool = [g["question"] for g in golden if not g.get("unanswerable") and g.get("lang", "zh") == "zh"]
    generator = Generator(seed)
    number = 0
    while len(pool) < count:
        pool += generator.article(number)[1]
        number += 1
    return pool[:count]


def summarize_collapsed(path: Path, top: int = 25) -> str:
    """Self and inclusive sample shares per function from py-spy's collapsed (raw) output."""
    own: collections.Counter = collections.Counter()
    inclusive: collections.Counter = collections.Counter()
    total = 0
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        total += n
        frames = stack.split(";")
        own[frames[-1]] += n
        for frame in set(frames):
            inclusive[frame] += n
    lines = [f"{total} samples", "", "self time:"]
    lines += [f"  {100 * n / total:5.1f}%  {frame}" for frame, n in own.most_common(top)]
    lines += ["", "inclusive time (project code and the big libraries):"]
    interesting = ("guanwen", "/work/", "index/", "answer/", "ingest/", "web/", "app.py", "chromadb", "llama_index",
                   "sentence_transformers", "jieba", "sqlite", "starlette", "fastapi", "anyio", "torch")
    picked = [(f, n) for f, n in inclusive.most_common() if any(k in f for k in interesting)]
    lines += [f"  {100 * n / total:5.1f}%  {frame}" for frame, n in picked[:top]]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile_ask", description=__doc__.split("\n\n")[0])
    parser.add_argument("--storage", type=Path, required=True, help="storage folder of a kept bench index")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--out", type=Path, default=REPO / "bench-results" / "profiles")
    parser.add_argument("--spy-seconds", type=float, default=15)
    parser.add_argument("--no-spy", action="store_true", help="skip the py-spy run on the live server")
    parser.add_argument("--gil", action="store_true",
                        help="sample only the thread holding the GIL: where the serialised Python work of a loaded server goes")
    args = parser.parse_args(argv)
    for key in [k for k in os.environ if k.startswith(("GUANWEN_", "OPENAI_"))]:
        del os.environ[key]
    args.out.mkdir(parents=True, exist_ok=True)
    questions = _questions(args.requests)
    label = args.storage.parent.name

    from pyinstrument import Profiler

    import app as guanwen_app
    from settings import Settings

    settings = Settings(_env_file=None, storage_dir=args.storage, corpus_dir=args.storage.parent / "corpus")
    answerer, store = guanwen_app.build_answerer(settings)
    store.lexical()
    for question in questions[:10]:
        answerer.ask(question)
    profiler = Profiler(interval=0.001)
    profiler.start()
    started = time.perf_counter()
    for question in questions:
        answerer.ask(question)
    seconds = time.perf_counter() - started
    profiler.stop()
    (args.out / f"ask-{label}.txt").write_text(profiler.output_text(unicode=True, color=False), encoding="utf-8")
    (args.out / f"ask-{label}.html").write_text(profiler.output_html(), encoding="utf-8")
    print(f"in process: {len(questions)} requests in {seconds:.1f}s ({1000 * seconds / len(questions):.1f} ms each); "
          f"profile: {args.out / f'ask-{label}.txt'}")

    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if args.no_spy:
        return 0
    if not Path(spy).exists():
        print("py-spy not installed: server profile skipped")
        return 0
    from bench.serving import Server, _load

    env = {"GUANWEN_STORAGE_DIR": str(args.storage), "GUANWEN_CORPUS_DIR": str(settings.corpus_dir)}
    server = Server(env, args.out / f"server-{label}.log")
    try:
        server.wait_ready(questions[0])
        suffix = "-gil" if args.gil else ""
        raw = args.out / f"ask-{label}-server-20clients{suffix}.collapsed"
        command = [spy, "record", "-p", str(server.process.pid), "-d", str(int(args.spy_seconds)), "-r", "200",
                   "-f", "raw", "-o", str(raw), "--nonblocking"] + (["--gil"] if args.gil else [])
        record = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        level = asyncio.run(_load(server.url, questions, 20, args.spy_seconds + 1))
        record.wait(timeout=60)
        print(f"server under 20 clients: {level['rps']} req/s, p50 {level['p50_ms']} ms, p95 {level['p95_ms']} ms")
        if raw.exists():
            summary = summarize_collapsed(raw)
            (args.out / f"ask-{label}-server-20clients{suffix}.txt").write_text(summary, encoding="utf-8")
            print(summary)
        else:
            print("py-spy wrote nothing:", record.stderr.read().decode()[-500:])
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
