"""python -m evaluation.sweep [QUESTIONS.jsonl]: the measurements behind the retrieval defaults.

Re-ingests the bundled corpus into a temporary folder for each chunk size and tokenizer variant
and runs the question set (default: the dev split of evaluation/questions/article.jsonl), printing
Markdown tables for docs/evaluation.md. It takes a few minutes; it changes no setting and leaves
the project's own index alone.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from answer.pipeline import Answerer
from evaluation.run import evaluate, load_questions
from index.embedding import load_embedder
from index.retrieval import Searcher
from index.store import IndexStore
from ingest.sync import sync
from settings import load_settings

DEV = Path(__file__).resolve().parent / "questions" / "article.jsonl"
FUSIONS = (  # (bm25, dense, sentence) weights
    (1.0, 0.0, 0.0), (0.9, 0.1, 0.0), (0.7, 0.3, 0.0), (0.5, 0.5, 0.0), (0.0, 1.0, 0.0),
    (0.5, 0.0, 0.5), (0.5, 0.25, 0.25), (0.4, 0.3, 0.3), (0.4, 0.2, 0.4), (0.3, 0.2, 0.5),
)


def build(base, embedder, folder: Path, **overrides) -> IndexStore:
    settings = base.model_copy(update={"storage_dir": folder, "openai_api_key": None, **overrides})
    store = IndexStore(settings, embedder)
    sync(settings, store, [settings.corpus_dir])
    return store


def measure(store: IndexStore, questions, mode: str, weights=None, fusion: str = "rrf") -> dict:
    settings = store.settings
    if weights:
        searcher = Searcher(store, bm25_weight=weights[0], dense_weight=weights[1], sentence_weight=weights[2], fusion=fusion)
    else:
        searcher = Searcher.from_settings(store, settings)
    return evaluate(Answerer(settings, searcher, None), questions, mode, 5)


def row(label: str, report: dict) -> str:
    zh, en = report["by_language"].get("zh"), report["by_language"].get("en")

    def side(m, key):
        return f"{m[key]:.3f}" if m and m[key] is not None else "-"

    return (
        f"| {label} | {side(zh, 'hit@1')} | {side(zh, 'hit@5')} | {side(zh, 'mrr')} | {side(en, 'hit@1')} | "
        f"{side(en, 'hit@5')} | {side(en, 'mrr')} | {side(report, 'answered')} | {side(report, 'refused_unanswerable')} |"
    )


HEADER = (
    "| {} | zh hit@1 | zh hit@5 | zh MRR | en hit@1 | en hit@5 | en MRR | answered with the fact | look-alikes refused |\n"
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
)


def main(argv: list[str]) -> int:
    questions = load_questions(Path(argv[0]), None) if argv else load_questions(DEV, "dev")
    base = load_settings()
    embedder = load_embedder(base)
    with tempfile.TemporaryDirectory() as tmp:
        store = build(base, embedder, Path(tmp) / "default")
        print("Fusion (default chunking), reciprocal-rank fusion:\n")
        print(HEADER.format("bm25 / dense / sentence"))
        print(row("bm25 only", measure(store, questions, "bm25")))
        print(row("dense only", measure(store, questions, "dense")))
        for weights in FUSIONS:
            print(row("/".join(f"{w:g}" for w in weights), measure(store, questions, "hybrid", weights)), flush=True)

        print("\nChunk size (characters), hybrid retrieval:\n")
        print(HEADER.format("chunk size"))
        for size in (200, 300, 400, 500):
            sized = build(base, embedder, Path(tmp) / f"size{size}", chunk_chars=size)
            print(row(f"{size} ({sized.counts()[1]} chunks)", measure(sized, questions, "hybrid")), flush=True)

        print("\nTokenizer (default chunking, hybrid):\n")
        print(HEADER.format("tokenizer"))
        variants = {
            "default: search mode, whole figures": {},
            "jieba precise mode": {"tokenizer_search_mode": False},
            "figures split by jieba": {"tokenizer_whole_figures": False},
        }
        for number, (label, overrides) in enumerate(variants.items()):
            variant = build(base, embedder, Path(tmp) / f"tok{number}", **overrides)
            print(row(label, measure(variant, questions, "hybrid")), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
