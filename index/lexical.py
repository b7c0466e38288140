"""Okapi BM25 over the manifest's jieba tokens, as a sparse matrix of precomputed term weights.

Scoring a query is a sum of a few matrix columns, so it stays fast as the corpus grows. The
matrix is saved under the storage dir with the manifest generation it was built from and is
rebuilt only when that generation moves.
"""

from __future__ import annotations

import json
import math
import os
from collections import Counter
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from typing import TYPE_CHECKING

import numpy as np
from scipy import sparse

if TYPE_CHECKING:
    from index.crosslingual import EnglishBridge

K1 = 1.2
B = 0.75


@dataclass
class BM25Index:
    chunk_ids: list[str]
    vocabulary: dict[str, int]
    idf: np.ndarray  # per vocabulary term
    weights: sparse.csc_matrix  # chunks x terms, BM25 weight of each term in each chunk
    generation: int = 0

    @classmethod
    def build(cls, chunk_ids: list[str], token_lists: list[tuple[str, ...]], generation: int = 0) -> "BM25Index":
        vocabulary: dict[str, int] = {}
        rows, cols, counts = [], [], []
        lengths = np.zeros(len(chunk_ids), dtype=np.float64)
        for row, tokens in enumerate(token_lists):
            lengths[row] = len(tokens)
            for term, count in Counter(tokens).items():
                rows.append(row)
                cols.append(vocabulary.setdefault(term, len(vocabulary)))
                counts.append(count)
        n_docs = len(chunk_ids)
        tf = sparse.csr_matrix(
            (np.asarray(counts, dtype=np.float64), (rows, cols)), shape=(n_docs, len(vocabulary))
        )
        df = np.bincount(np.asarray(cols, dtype=np.int64), minlength=len(vocabulary)).astype(np.float64)
        idf = np.log1p((n_docs - df + 0.5) / (df + 0.5))
        average = lengths.mean() if n_docs else 1.0
        norm = K1 * (1 - B + B * lengths / max(average, 1e-9))
        tf = tf.tocoo()
        data = tf.data * (K1 + 1) / (tf.data + norm[tf.row]) * idf[tf.col]
        weights = sparse.csc_matrix((data, (tf.row, tf.col)), shape=tf.shape)
        return cls(list(chunk_ids), vocabulary, idf, weights, generation)

    @cached_property
    def english(self) -> "EnglishBridge":
        """English question words and abbreviations → this vocabulary's words (built on first use: the warm-up)."""
        from index.crosslingual import EnglishBridge

        return EnglishBridge(self.vocabulary)

    def __len__(self) -> int:
        return len(self.chunk_ids)

    def term_idf(self, term: str) -> float:
        """IDF of a term; a term the corpus never uses counts as rarest of all."""
        index = self.vocabulary.get(term)
        if index is not None:
            return float(self.idf[index])
        return math.log1p((len(self.chunk_ids) + 0.5) / 0.5)

    def document_share(self, term: str) -> float:
        """Share of chunks that contain the term (0 for a term the corpus never uses)."""
        index = self.vocabulary.get(term)
        if index is None or not self.chunk_ids:
            return 0.0
        # Invert idf = ln(1 + (N - df + 0.5) / (df + 0.5)) rather than storing df as well.
        n, ratio = len(self.chunk_ids), math.expm1(float(self.idf[index]))
        return (n + 0.5 - 0.5 * ratio) / (ratio + 1) / n

    def shares_a_chunk(self, terms: frozenset[str], others: frozenset[str]) -> bool:
        """Does any chunk hold one of ``terms`` and one of ``others``?"""
        def chunks(words: frozenset[str]) -> np.ndarray:
            columns = [self.vocabulary[w] for w in words if w in self.vocabulary]
            return np.unique(self.weights[:, columns].indices) if columns else np.zeros(0, dtype=np.int32)

        return bool(np.intersect1d(chunks(terms), chunks(others), assume_unique=True).size)

    def scores(self, query_tokens: list[str]) -> np.ndarray:
        columns = sorted({self.vocabulary[t] for t in query_tokens if t in self.vocabulary})
        if not columns or not self.chunk_ids:
            return np.zeros(len(self.chunk_ids))
        return np.asarray(self.weights[:, columns].sum(axis=1)).ravel()

    def top(self, query_tokens: list[str], n: int) -> list[tuple[str, float]]:
        scores = self.scores(query_tokens)
        if not len(scores):
            return []
        n = min(n, len(scores))
        candidates = np.argpartition(-scores, n - 1)[:n]
        ordered = candidates[np.argsort(-scores[candidates], kind="stable")]
        return [(self.chunk_ids[i], float(scores[i])) for i in ordered if scores[i] > 0]

    # --- persistence ---------------------------------------------------------------------------

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        matrix_tmp = folder / "bm25.tmp.npz"
        meta_tmp = folder / "bm25.tmp.json"
        np.savez(
            matrix_tmp,
            data=self.weights.data,
            indices=self.weights.indices,
            indptr=self.weights.indptr,
            shape=np.asarray(self.weights.shape),
            idf=self.idf,
        )
        meta_tmp.write_text(
            json.dumps(
                {"generation": self.generation, "chunk_ids": self.chunk_ids, "vocabulary": self.vocabulary},
                ensure_ascii=False,
            ),
            encoding="utf-8",
        )
        # Matrix first, then the JSON that names its generation: a reader that sees the new
        # generation always finds the matching matrix.
        os.replace(matrix_tmp, folder / "bm25.npz")
        os.replace(meta_tmp, folder / "bm25.json")

    @classmethod
    def load(cls, folder: Path) -> "BM25Index | None":
        meta_path, matrix_path = folder / "bm25.json", folder / "bm25.npz"
        if not meta_path.exists() or not matrix_path.exists():
            return None
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        with np.load(matrix_path) as arrays:
            shape = tuple(int(x) for x in arrays["shape"])
            if shape[0] != len(meta["chunk_ids"]):
                return None  # written by an interrupted save; caller rebuilds
            weights = sparse.csc_matrix((arrays["data"], arrays["indices"], arrays["indptr"]), shape=shape)
            idf = arrays["idf"]
        return cls(meta["chunk_ids"], meta["vocabulary"], idf, weights, int(meta["generation"]))
