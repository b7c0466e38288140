"""Retrieval: BM25 over jieba tokens, dense vectors from Chroma, and their weighted fusion.

Each side is a llama-index retriever, usable in any llama-index pipeline; ``Searcher.search``
fuses their plain ``hits`` for the mode asked for and returns passages with every retriever's
score and rank, so callers can show why a passage ranked where it did.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from llama_index.core.base.base_retriever import BaseRetriever
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode

from index.embedding import query_embedding
from index.store import IndexStore
from index.tokenize import question_tokens
from settings import RetrievalMode

RRF_K = 60


@dataclass
class Passage:
    chunk_id: str
    doc_id: str
    title: str
    text: str
    start: int
    end: int
    section: str
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass
class RankedPassage:
    passage: Passage
    score: float
    rank: int
    bm25_score: float | None = None
    bm25_rank: int | None = None
    dense_score: float | None = None
    dense_rank: int | None = None


class BM25Retriever(BaseRetriever):
    """Okapi BM25 over the manifest's jieba tokens."""

    def __init__(self, store: IndexStore, top_k: int):
        super().__init__()
        self._store = store
        self._top_k = top_k

    def hits(self, query: str) -> list[tuple[str, float]]:
        """(chunk id, BM25 score), best first."""
        return self._store.lexical().top(question_tokens(query), self._top_k)

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        return _nodes(self.hits(query_bundle.query_str))


class DenseRetriever(BaseRetriever):
    """Nearest chunk vectors in Chroma; scores are cosine similarities."""

    def __init__(self, store: IndexStore, top_k: int):
        super().__init__()
        self._store = store
        self._top_k = top_k

    def hits(self, query: str) -> list[tuple[str, float]]:
        """(chunk id, cosine similarity), best first."""
        vector = query_embedding(self._store.embedder, query)
        # Ids and distances only: the passages are read from the manifest for the top k anyway.
        got = self._store.collection.query(query_embeddings=[vector], n_results=self._top_k, include=["distances"])
        # Cosine distance → similarity.
        return [(chunk_id, 1.0 - float(distance)) for chunk_id, distance in zip(got["ids"][0], got["distances"][0])]

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        return _nodes(self.hits(query_bundle.query_str))


class Searcher:
    def __init__(
        self,
        store: IndexStore,
        *,
        bm25_weight: float,
        dense_weight: float,
        fusion: Literal["rrf", "score"] = "rrf",
    ):
        self.store = store
        self.bm25_weight = bm25_weight
        self.dense_weight = dense_weight
        self.fusion = fusion
        # Built once per depth, not for every question.
        self._retrievers: dict[int, tuple[BM25Retriever, DenseRetriever]] = {}

    def _retrievers_for(self, depth: int) -> tuple[BM25Retriever, DenseRetriever]:
        if depth not in self._retrievers:
            self._retrievers[depth] = (BM25Retriever(self.store, depth), DenseRetriever(self.store, depth))
        return self._retrievers[depth]

    def search(self, question: str, mode: RetrievalMode, k: int) -> list[RankedPassage]:
        depth = max(3 * k, 30)  # fuse over more candidates than are returned
        bm25_retriever, dense_retriever = self._retrievers_for(depth)
        # The retrievers' plain hits, not llama-index's retrieve(): its instrumentation spans and
        # node objects cost about as much per question as the BM25 search itself.
        bm25 = bm25_retriever.hits(question) if mode in ("bm25", "hybrid") else []
        dense = dense_retriever.hits(question) if mode in ("dense", "hybrid") else []

        rows: dict[str, RankedPassage] = {}
        for rank, (chunk_id, score) in enumerate(bm25, 1):
            row = rows[chunk_id] = _empty(chunk_id)
            row.bm25_score, row.bm25_rank = score, rank
        for rank, (chunk_id, score) in enumerate(dense, 1):
            row = rows.get(chunk_id)
            if row is None:
                row = rows[chunk_id] = _empty(chunk_id)
            row.dense_score, row.dense_rank = score, rank

        for row in rows.values():
            if mode == "bm25":
                row.score = row.bm25_score or 0.0
            elif mode == "dense":
                row.score = row.dense_score or 0.0
            else:
                row.score = self._fuse(row, bm25, dense)
        ranked = sorted(rows.values(), key=lambda r: (-r.score, r.bm25_rank or 10**9, r.dense_rank or 10**9))[:k]
        self._attach_passages(ranked)
        for rank, row in enumerate(ranked, 1):
            row.rank = rank
        return [row for row in ranked if row.passage.text]

    def _fuse(self, row: RankedPassage, bm25: list[tuple[str, float]], dense: list[tuple[str, float]]) -> float:
        if self.fusion == "rrf":
            score = 0.0
            if row.bm25_rank:
                score += self.bm25_weight / (RRF_K + row.bm25_rank)
            if row.dense_rank:
                score += self.dense_weight / (RRF_K + row.dense_rank)
            return score
        # "score": each side scaled to [0, 1] by its best hit, then weighted.
        score = 0.0
        if row.bm25_score is not None and bm25:
            score += self.bm25_weight * row.bm25_score / max(bm25[0][1] or 1.0, 1e-9)
        if row.dense_score is not None and dense:
            low = min(s for _, s in dense)
            high = max(s for _, s in dense)
            score += self.dense_weight * ((row.dense_score - low) / (high - low) if high > low else 1.0)
        return score

    def _attach_passages(self, rows: list[RankedPassage]) -> None:
        chunks = self.store.manifest.chunks_by_id([r.passage.chunk_id for r in rows])
        documents = self.store.manifest.documents_by_id(list({c.doc_id for c in chunks.values()}))
        for row in rows:
            chunk = chunks.get(row.passage.chunk_id)
            if chunk is None:  # removed by an ingest since the search began
                continue
            document = documents.get(chunk.doc_id)
            row.passage = Passage(
                chunk_id=chunk.chunk_id,
                doc_id=chunk.doc_id,
                title=document.title if document else chunk.doc_id,
                text=chunk.text,
                start=chunk.start,
                end=chunk.end,
                section=chunk.section,
                metadata=document.metadata if document else {},
            )


def _nodes(hits: list[tuple[str, float]]) -> list[NodeWithScore]:
    return [NodeWithScore(node=TextNode(id_=chunk_id, text=""), score=score) for chunk_id, score in hits]


def _empty(chunk_id: str) -> RankedPassage:
    return RankedPassage(passage=Passage(chunk_id, "", "", "", 0, 0, ""), score=0.0, rank=0)
