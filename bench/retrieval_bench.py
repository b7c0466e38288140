"""Retrieval latency per mode (index.retrieval.Searcher) against exact brute-force search.

Floors, measured on the same questions in the same run:

- dense: the same query embedding, then an exact top-k in numpy over every vector of the Chroma
  collection (fetched once; the matrix product and argpartition are the floor);
- bm25: ``BM25Index.top`` on the already tokenized question (the sparse scoring alone);
- hybrid: the two floors added.

The three modes and the two floors run in a seeded random order for each question.
Recall@10 of the dense side is measured against the exact top 10; a retrieved chunk whose exact
score ties the 10th exact score counts as found (the bundled model maps most Chinese characters
to [UNK], so equal vectors are common).
"""

from __future__ import annotations

import random
import time

import numpy as np

from bench.stats import ratio, summary_ms
from index.retrieval import Searcher

MODES = ("bm25", "dense", "hybrid")
K = 10
DEPTH = 30  # what Searcher asks each side for at k=10 (max(3k, 30))


def fetch_vectors(collection, page: int = 5000) -> tuple[list[str], np.ndarray]:
    ids: list[str] = []
    blocks: list[np.ndarray] = []
    offset = 0
    while True:
        got = collection.get(include=["embeddings"], limit=page, offset=offset)
        ids += got["ids"]
        if len(got["ids"]):
            blocks.append(np.asarray(got["embeddings"], dtype=np.float32))
        if len(got["ids"]) < page:
            break
        offset += page
    matrix = np.vstack(blocks) if blocks else np.zeros((0, 1), dtype=np.float32)
    return ids, matrix


def exact_top(matrix: np.ndarray, vector: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    scores = matrix @ vector
    k = min(k, len(scores))
    top = np.argpartition(-scores, k - 1)[:k]
    top = top[np.argsort(-scores[top], kind="stable")]
    return top, scores


def run_retrieval(store, searcher: Searcher, questions: list[str], *, warmup: int = 5, seed: int = 7) -> dict:
    started = time.perf_counter()
    ids, matrix = fetch_vectors(store.collection)
    fetch_seconds = time.perf_counter() - started
    row_of = {chunk_id: i for i, chunk_id in enumerate(ids)}
    embedder = store.embedder
    lexical = store.lexical()

    for question in questions[:warmup]:
        for mode in MODES:
            searcher.search(question, mode, K)

    latencies: dict[str, list[float]] = {m: [] for m in MODES}
    floors: dict[str, list[float]] = {"bm25": [], "dense": [], "hybrid": [], "dense_vector_only": [], "chroma_vector_only": []}
    recalls: list[float] = []
    rng = random.Random(seed)
    for question in questions:
        results = {}
        tokens = list(store.tokenizer.question_tokens(question))
        measured: dict[str, float] = {}

        def run_mode(mode: str) -> None:
            t0 = time.perf_counter()
            results[mode] = searcher.search(question, mode, K)
            latencies[mode].append(time.perf_counter() - t0)

        def run_bm25_floor() -> None:
            t0 = time.perf_counter()
            lexical.top(tokens, DEPTH)
            measured["bm25"] = time.perf_counter() - t0

        def run_dense_floor() -> None:
            t0 = time.perf_counter()
            vector = np.asarray(embedder.embed_query(question), dtype=np.float32)
            t1 = time.perf_counter()
            top, scores = exact_top(matrix, vector, K)
            t2 = time.perf_counter()
            measured.update(dense=t2 - t0, vector_only=t2 - t1)
            results["_exact"] = (top, scores, vector)

        # A fresh order per question: whatever runs right after another embedding call finds the
        # math library's threads awake and caches warm, so a fixed order would favour one side.
        steps = [lambda m=m: run_mode(m) for m in MODES] + [run_bm25_floor, run_dense_floor]
        rng.shuffle(steps)
        for step in steps:
            step()
        top, scores, vector = results.pop("_exact")
        floors["dense"].append(measured["dense"])
        floors["dense_vector_only"].append(measured["vector_only"])
        floors["bm25"].append(measured["bm25"])
        floors["hybrid"].append(measured["bm25"] + measured["dense"])

        t0 = time.perf_counter()
        store.collection.query(query_embeddings=[vector.tolist()], n_results=DEPTH, include=["distances"])
        floors["chroma_vector_only"].append(time.perf_counter() - t0)

        if len(top):
            tenth = scores[top[-1]] - 1e-5
            found = [r.passage.chunk_id for r in results["dense"]]
            exact_ids = {ids[i] for i in top}
            hits = sum(1 for c in found[: len(top)] if c in exact_ids or (c in row_of and scores[row_of[c]] >= tenth))
            recalls.append(hits / len(top))

    out: dict = {"questions": len(questions), "k": K, "vectors": len(ids), "fetch_vectors_s": round(fetch_seconds, 3)}
    for mode in MODES:
        measured = summary_ms(latencies[mode])
        floor = summary_ms(floors[mode])
        out[mode] = {
            **measured,
            "floor": floor,
            "ratio_p50": ratio(measured["p50_ms"], floor["p50_ms"]),
            "ratio_p95": ratio(measured["p95_ms"], floor["p95_ms"]),
        }
    out["dense"]["recall@10"] = round(float(np.mean(recalls)), 4) if recalls else None
    out["vector_search_only"] = {
        "numpy_exact": summary_ms(floors["dense_vector_only"]),
        "chroma_hnsw": summary_ms(floors["chroma_vector_only"]),
    }
    return out
