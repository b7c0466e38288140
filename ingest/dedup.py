"""Near-duplicate articles: MinHash signatures of character shingles, found through LSH bands.

The same article saved twice, or re-posted with a different header, trivial edits or other
punctuation, has nearly the same set of 5-character shingles once white space and punctuation are
removed; its estimated Jaccard similarity to the first copy is then above ``THRESHOLD``.
"""

from __future__ import annotations

import re
import unicodedata
import zlib

import numpy as np

SHINGLE = 5
PERMUTATIONS = 64
BANDS = 16  # 16 bands of 4 rows: pairs above ~0.7 similarity almost always share a band
THRESHOLD = 0.85
_PRIME = (1 << 31) - 1
_rng = np.random.default_rng(20240304)  # fixed: signatures are stored and compared across runs
_A = _rng.integers(1, _PRIME, PERMUTATIONS, dtype=np.int64)
_B = _rng.integers(0, _PRIME, PERMUTATIONS, dtype=np.int64)
_NOISE = re.compile(r"[\W_]+")


def signature(text: str) -> tuple[int, ...]:
    """MinHash of the text's 5-character shingles (white space and punctuation removed)."""
    compact = _NOISE.sub("", unicodedata.normalize("NFKC", text).lower())
    shingles = {compact[i : i + SHINGLE] for i in range(max(len(compact) - SHINGLE + 1, 1))}
    hashes = np.fromiter((zlib.crc32(s.encode("utf-8")) for s in shingles), dtype=np.int64, count=len(shingles))
    hashes %= _PRIME
    permuted = (hashes[:, None] * _A[None, :] + _B[None, :]) % _PRIME
    return tuple(int(v) for v in permuted.min(axis=0))


def similarity(a: tuple[int, ...], b: tuple[int, ...]) -> float:
    """Estimated Jaccard similarity of two signatures."""
    return sum(x == y for x, y in zip(a, b)) / PERMUTATIONS


def encode(sig: tuple[int, ...]) -> str:
    return " ".join(map(str, sig))


def decode(text: str) -> tuple[int, ...] | None:
    values = tuple(int(v) for v in text.split())
    return values if len(values) == PERMUTATIONS else None


class NearDuplicates:
    """Signatures of the documents kept so far, bucketed by band for quick candidate lookup."""

    def __init__(self) -> None:
        self._signatures: dict[str, tuple[int, ...]] = {}
        self._buckets: dict[tuple[int, tuple[int, ...]], list[str]] = {}

    def add(self, doc_id: str, sig: tuple[int, ...]) -> None:
        self._signatures[doc_id] = sig
        for band in self._bands(sig):
            self._buckets.setdefault(band, []).append(doc_id)

    def find(self, sig: tuple[int, ...]) -> str | None:
        """The kept document this signature nearly duplicates, if any (the most similar one)."""
        candidates = {doc_id for band in self._bands(sig) for doc_id in self._buckets.get(band, ())}
        best, best_score = None, THRESHOLD
        for doc_id in sorted(candidates):
            score = similarity(sig, self._signatures[doc_id])
            if score > best_score or (best is None and score == best_score):
                best, best_score = doc_id, score
        return best

    @staticmethod
    def _bands(sig: tuple[int, ...]) -> list[tuple[int, tuple[int, ...]]]:
        rows = PERMUTATIONS // BANDS
        return [(band, sig[band * rows : (band + 1) * rows]) for band in range(BANDS)]
