"""python -m evaluation.sweep [QUESTIONS.jsonl]: the measurements behind the defaults.

Re-ingests the corpus into a temporary folder for each chunk size and tokenizer variant and runs
the question set (bundled model), printing Markdown tables for docs/evaluation.md. It takes a few
minutes; it changes no setting and leaves the project's own index alone.
"""

from __future__ import annotations

import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

import index.tokenize as tokenizer
from answer.pipeline import Answerer
from evaluation.run import evaluate, load_questions
from index.embedding import load_embedder
from index.retrieval import Searcher
from index.store import IndexStore
from ingest.sync import sync
from settings import load_settings

GOLDEN = Path(__file__).resolve().parent / "golden.jsonl"


@contextmanager
def tokenizer_variant(**flags: bool):
    saved = {name: getattr(tokenizer, name) for name in flags}
    for name, value in flags.items():
        setattr(tokenizer, name, value)
    tokenizer._segmenter.cache_clear()
    tokenizer.token_set.cache_clear()
    try:
        yield
    finally:
        for name, value in saved.items():
            setattr(tokenizer, name, value)
        tokenizer._segmenter.cache_clear()
        tokenizer.token_set.cache_clear()


def build(base, embedder, folder: Path, **overrides) -> IndexStore:
    settings = base.model_copy(update={"storage_dir": folder, "openai_api_key": None, **overrides})
    store = IndexStore(settings, embedder)
    sync(settings, store, [settings.corpus_dir])
    return store


def measure(store: IndexStore, questions, mode: str, fusion: str = "rrf", weights=(0.9, 0.1)) -> dict:
    settings = store.settings
    searcher = Searcher(store, bm25_weight=weights[0], dense_weight=weights[1], fusion=fusion)
    return evaluate(Answerer(settings, searcher, None), questions, mode, 5)


def row(label: str, report: dict) -> str:
    zh = report["by_language"].get("zh", report)
    en = report["by_language"].get("en")
    en_part = f"{en['hit@1']:.3f}" if en else "-"
    return (
        f"| {label} | {zh['hit@1']:.3f} | {zh['hit@5']:.3f} | {zh['mrr']:.3f} | {zh['ndcg@5']:.3f} | {en_part} | "
        f"{report['refusal_accuracy']:.3f} | {zh['wrongly_refused']} |"
    )


HEADER = (
    "| {} | zh hit@1 | zh hit@5 | zh MRR | zh nDCG@5 | en hit@1 | unanswerable refused | zh wrongly refused |\n"
    "| --- | --- | --- | --- | --- | --- | --- | --- |"
)


def main(argv: list[str]) -> int:
    questions = load_questions(Path(argv[0]) if argv else GOLDEN)
    base = load_settings()
    embedder = load_embedder(base)
    with tempfile.TemporaryDirectory() as tmp:
        print("Chunk size (characters), hybrid retrieval:\n")
        print(HEADER.format("chunk size"))
        for size in (150, 200, 250, 300, 400, 500):
            store = build(base, embedder, Path(tmp) / f"size{size}", chunk_chars=size)
            print(row(f"{size} ({store.counts()[1]} chunks)", measure(store, questions, "hybrid")), flush=True)

        store = build(base, embedder, Path(tmp) / "default")
        print("\nFusion (default chunking):\n")
        print(HEADER.format("fusion"))
        print(row("bm25 only", measure(store, questions, "bm25")))
        print(row("dense only", measure(store, questions, "dense")))
        for fusion in ("rrf", "score"):
            for weights in ((0.9, 0.1), (0.8, 0.2), (0.7, 0.3), (0.5, 0.5)):
                report = measure(store, questions, "hybrid", fusion, weights)
                print(row(f"{fusion} {weights[0]}/{weights[1]}", report), flush=True)

        print("\nTokenizer (default chunking, bm25):\n")
        print(HEADER.format("tokenizer"))
        variants = {
            "default: search mode, whole figures": {},
            "jieba precise mode": {"SEARCH_MODE": False},
            "figures split by jieba": {"WHOLE_FIGURES": False},
        }
        for number, (label, flags) in enumerate(variants.items()):
            with tokenizer_variant(**flags):
                store = build(base, embedder, Path(tmp) / f"tok{number}")
                print(row(label, measure(store, questions, "bm25")), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
