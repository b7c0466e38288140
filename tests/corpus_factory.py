"""Seeded synthetic articles for tests that need more than one document.

Each article recombines sentences of the seed article with varied places, figures and years, so
articles share vocabulary (like a real corpus) without being near-duplicates of each other.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

from index.text import split_sentences
from tests.conftest import SEED_ARTICLE

PLACES = ["松山湖", "滨海湾", "水乡", "银瓶", "长安", "虎门", "厚街", "塘厦", "常平", "樟木头"]


def seed_sentences() -> list[str]:
    text = SEED_ARTICLE.read_text(encoding="utf-8")
    lines = [line for line in text.splitlines()[3:] if len(line) > 20 and not line.startswith("热门")]
    body = "\n".join(lines)
    return [body[s.start : s.end] for s in split_sentences(body) if len(body[s.start : s.end]) > 15]


def write_corpus(folder: Path, documents: int, sentences_per_document: int = 14, seed: int = 7) -> Path:
    rng = random.Random(seed)
    pool = seed_sentences()
    folder.mkdir(parents=True, exist_ok=True)
    for number in range(documents):
        place = PLACES[number % len(PLACES)]
        picked = rng.sample(pool, min(sentences_per_document, len(pool)))
        varied = [
            re.sub(r"\d+", lambda m: str(int(m.group()) + rng.randint(1, 9)), s).replace("东莞", place)
            for s in picked
        ]
        paragraphs = ["".join(varied[i : i + 3]) for i in range(0, len(varied), 3)]
        text = f"# {place}未来产业观察之{number}\n\n" + "\n".join(paragraphs) + "\n"
        (folder / f"article-{number:04d}.md").write_text(text, encoding="utf-8")
    return folder
