"""Retrieval: BM25 over jieba tokens, dense vectors from Chroma, and their weighted fusion.

``Searcher.search`` runs the sides the mode asks for and returns passages with every side's score
and rank, so callers can show why a passage ranked where it did. The question's vector is made
once per question by the caller (``embed_question``) and passed in: the same vector then scores
the evidence sentences (``answer/evidence.py``).

``Searcher.as_retriever`` is the same search as a llama-index ``BaseRetriever``, for use in any
llama-index pipeline (tests/test_retrieval.py runs it inside a ``RetrieverQueryEngine``). guanwen's
own answer path calls ``search`` directly: llama-index's per-call instrumentation and node objects
cost about as much per question as the BM25 search itself (docs/performance.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from llama_index.core.base.base_retriever import BaseRetriever
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode

from index.manifest import SentenceVectors
from index.store import IndexStore
from index.text import language_of, split_sentences
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
    sentence_score: float | None = None  # the best cosine of the question with one of the passage's sentences
    sentence_rank: int | None = None


class Searcher:
    def __init__(
        self,
        store: IndexStore,
        *,
        bm25_weight: float,
        dense_weight: float,
        sentence_weight: float = 0.0,
        fusion: Literal["rrf", "score"] = "rrf",
    ):
        self.store = store
        self.bm25_weight = bm25_weight
        self.dense_weight = dense_weight
        self.sentence_weight = sentence_weight
        self.fusion = fusion

    @classmethod
    def from_settings(cls, store: IndexStore, settings) -> "Searcher":
        return cls(
            store,
            bm25_weight=settings.bm25_weight,
            dense_weight=settings.dense_weight,
            sentence_weight=settings.sentence_weight,
            fusion=settings.fusion,
        )

    def embed_question(self, question: str) -> np.ndarray:
        return self.store.embedder.embed_query(question)

    def bm25_hits(self, question: str, depth: int) -> list[tuple[str, float]]:
        """(chunk id, BM25 score), best first. An English question is searched by the corpus words
        its words translate to (``index/crosslingual.py``), beside its figures and Latin terms; any
        question by what its abbreviations stand for as well."""
        lexical = self.store.lexical()
        tokens = list(self.store.tokenizer.question_tokens(question))
        tokens += sorted({alias for t in tokens for alias in lexical.english.aliases(t)})  # AI asked, 人工智能 written
        if language_of(question) == "en":
            tokens += sorted({t for concept in lexical.english.concepts(question) for t in concept.terms})
        return lexical.top(tokens, depth)

    def dense_hits(self, vector: np.ndarray, depth: int) -> list[tuple[str, float]]:
        """(chunk id, cosine similarity), best first. Ids and distances only: the passages are
        read from the manifest for the top k anyway."""
        got = self.store.collection.query(query_embeddings=[np.asarray(vector).tolist()], n_results=depth, include=["distances"])
        return [(chunk_id, 1.0 - float(distance)) for chunk_id, distance in zip(got["ids"][0], got["distances"][0])]

    def search(
        self, question: str, mode: RetrievalMode, k: int, vector: np.ndarray | None = None
    ) -> list[RankedPassage]:
        """The top ``k`` passages; ``vector`` is the question's embedding (made here if not given
        and the mode needs it)."""
        depth = max(3 * k, 30)  # fuse over more candidates than are returned
        bm25 = self.bm25_hits(question, depth) if mode in ("bm25", "hybrid") else []
        dense: list[tuple[str, float]] = []
        if mode in ("dense", "hybrid"):
            vector = self.embed_question(question) if vector is None else vector
            dense = self.dense_hits(vector, depth)
        sentences: list[tuple[str, float]] = []
        if mode == "hybrid" and self.sentence_weight:
            sentences = self._sentence_hits(vector, [c for c, _ in bm25] + [c for c, _ in dense])

        rows: dict[str, RankedPassage] = {}
        for rank, (chunk_id, score) in enumerate(bm25, 1):
            row = rows[chunk_id] = _empty(chunk_id)
            row.bm25_score, row.bm25_rank = score, rank
        for rank, (chunk_id, score) in enumerate(dense, 1):
            row = rows.get(chunk_id)
            if row is None:
                row = rows[chunk_id] = _empty(chunk_id)
            row.dense_score, row.dense_rank = score, rank
        for rank, (chunk_id, score) in enumerate(sentences, 1):
            rows[chunk_id].sentence_score, rows[chunk_id].sentence_rank = score, rank

        for row in rows.values():
            if mode == "bm25":
                row.score = row.bm25_score or 0.0
            elif mode == "dense":
                row.score = row.dense_score or 0.0
            else:
                row.score = self._fuse(row, bm25, dense, sentences)
        ranked = sorted(rows.values(), key=lambda r: (-r.score, r.bm25_rank or 10**9, r.dense_rank or 10**9))[:k]
        self._attach_passages(ranked)
        for rank, row in enumerate(ranked, 1):
            row.rank = rank
        return [row for row in ranked if row.passage.text]

    def sentences(self, passages: list[RankedPassage]) -> dict[str, SentenceVectors]:
        """Each passage's sentence spans and vectors, as ingest stored them; a passage stored
        without them (an index from before they were kept) has its sentences embedded now."""
        found = self.store.manifest.sentence_vectors([p.passage.chunk_id for p in passages])
        for ranked in passages:
            passage = ranked.passage
            if passage.chunk_id not in found:
                spans = tuple((s.start, s.end) for s in split_sentences(passage.text))
                vectors = self.store.embedder.embed_passages([passage.text[a:b] for a, b in spans])
                found[passage.chunk_id] = SentenceVectors(spans, vectors)
        return found

    def as_retriever(self, mode: RetrievalMode = "hybrid", k: int = 5) -> "GuanwenRetriever":
        return GuanwenRetriever(self, mode, k)

    def _sentence_hits(self, vector: np.ndarray, chunk_ids: list[str]) -> list[tuple[str, float]]:
        """The candidates re-ranked by their best sentence: a passage whose one sentence answers
        can rank below passages that are about the topic as a whole (chunk vectors average it away)."""
        stored = self.store.manifest.sentence_vectors(list(dict.fromkeys(chunk_ids)))
        query = np.asarray(vector, dtype=np.float32)
        best = [(chunk_id, float(v.similarities(query).max())) for chunk_id, v in stored.items() if v.spans]
        return sorted(best, key=lambda hit: -hit[1])

    def _fuse(self, row: RankedPassage, *sides: list[tuple[str, float]]) -> float:
        weights = (self.bm25_weight, self.dense_weight, self.sentence_weight)
        ranks = (row.bm25_rank, row.dense_rank, row.sentence_rank)
        scores = (row.bm25_score, row.dense_score, row.sentence_score)
        score = 0.0
        for weight, rank, value, side in zip(weights, ranks, scores, sides):
            if not rank:
                continue
            if self.fusion == "rrf":
                score += weight / (RRF_K + rank)
            else:  # "score": each side scaled to [0, 1] over its hits, then weighted
                low, high = min(s for _, s in side), max(s for _, s in side)
                score += weight * ((value - low) / (high - low) if high > low else 1.0)
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


class GuanwenRetriever(BaseRetriever):
    """guanwen's search as a llama-index retriever: nodes carry the passage text, its document,
    title and section, and the fused score; the per-side scores are in the node metadata."""

    def __init__(self, searcher: Searcher, mode: RetrievalMode, k: int):
        super().__init__()
        self._searcher, self._mode, self._k = searcher, mode, k

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        vector = np.asarray(query_bundle.embedding) if query_bundle.embedding else None
        return [
            NodeWithScore(
                node=TextNode(
                    id_=hit.passage.chunk_id,
                    text=hit.passage.text,
                    metadata={
                        "doc_id": hit.passage.doc_id,
                        "title": hit.passage.title,
                        "section": hit.passage.section,
                        "bm25_score": hit.bm25_score,
                        "dense_score": hit.dense_score,
                    },
                ),
                score=hit.score,
            )
            for hit in self._searcher.search(query_bundle.query_str, self._mode, self._k, vector)
        ]


def _empty(chunk_id: str) -> RankedPassage:
    return RankedPassage(passage=Passage(chunk_id, "", "", "", 0, 0, ""), score=0.0, rank=0)
