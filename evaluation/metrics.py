"""Retrieval metrics on ranked relevance lists (True where a passage is relevant).

Kept apart from the runner so the arithmetic can be tested on hand-computed cases.
"""

from __future__ import annotations

import math
import unicodedata


def normalize(text: str) -> str:
    """Full-width to half-width, dashes unified, all white space removed: how expected strings match."""
    text = unicodedata.normalize("NFKC", text)
    text = text.replace("—", "-").replace("–", "-").replace("－", "-")
    return "".join(text.split()).lower()


def is_relevant(passage: str, expected: list[str]) -> bool:
    body = normalize(passage)
    return any(normalize(e) in body for e in expected if e.strip())


def first_relevant_rank(relevance: list[bool]) -> int | None:
    """1-based rank of the first relevant passage, or None."""
    for rank, relevant in enumerate(relevance, 1):
        if relevant:
            return rank
    return None


def hit_at(relevance: list[bool], k: int) -> float:
    return 1.0 if any(relevance[:k]) else 0.0


def reciprocal_rank(relevance: list[bool]) -> float:
    rank = first_relevant_rank(relevance)
    return 1.0 / rank if rank else 0.0


def ndcg_at(relevance: list[bool], k: int, total_relevant: int) -> float:
    """Binary-relevance nDCG@k; the ideal list puts all ``total_relevant`` passages first."""
    dcg = sum(1.0 / math.log2(i + 2) for i, relevant in enumerate(relevance[:k]) if relevant)
    ideal = sum(1.0 / math.log2(i + 2) for i in range(min(k, total_relevant)))
    return dcg / ideal if ideal else 0.0


def percentile(values: list[float], q: float) -> float:
    """Linear-interpolated percentile (q in 0..100), as numpy's default."""
    if not values:
        return 0.0
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)
