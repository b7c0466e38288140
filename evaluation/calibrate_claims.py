"""python -m evaluation.calibrate_claims [--write]: fit the claim-support model on labelled pairs.

evaluation/claims/pairs.jsonl holds sentences a model might write (in Chinese or English), each with
the article sentence it cites and whether that sentence supports it. Each pair has a fixed split
(the SHA-1 of its id, alternating within each kind and language): the weights and thresholds are
fitted on **dev**, and the whole verification (figures, places and people, support, leaks) is
reported on both splits, per kind. With ``--write`` the model for the configured embedding model
goes into answer/claim_model.json beside the words-only default.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

from evaluation.calibrate import fit

REPO = Path(__file__).resolve().parent.parent
PAIRS = REPO / "evaluation" / "claims" / "pairs.jsonl"
CORPUS = [REPO / "corpus", *sorted((REPO / "evaluation" / "corpus_invented").glob("*.txt"))]
FEATURES = ("sem", "lex", "english", "english_sem", "english_lex", "held")
# Kinds the figure and name checks are for; the support model learns from the others.
RULE_KINDS = {"wrong_figure", "wrong_entity"}


def load_pairs() -> list[dict]:
    pairs = [json.loads(line) for line in PAIRS.read_text(encoding="utf-8").splitlines() if line.strip()]
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for pair in pairs:
        groups[(pair["kind"], pair["lang"])].append(pair)
    for members in groups.values():
        members.sort(key=lambda p: hashlib.sha1(p["id"].encode()).hexdigest())
        for i, pair in enumerate(members):
            pair["split"] = "dev" if i % 2 == 0 else "test"
    return pairs


def measure(settings, write: bool) -> dict:
    from answer.models import Answer, Citation
    from answer.verify import CLAIM_MODEL_PATH, Checker, ClaimModel, claim_coverage, clause_windows, figures_held, verify
    from app import build_answerer
    from evaluation.corpora import temporary_index
    from index.manifest import SentenceVectors
    from index.places import Gazetteer
    from index.retrieval import Passage, RankedPassage
    from answer.llm import load_prompt

    pairs = load_pairs()
    prompts = (load_prompt("system_zh.txt"), load_prompt("system_en.txt"))
    with temporary_index(settings, CORPUS) as indexed:
        answerer, store = build_answerer(indexed)
        embed = store.embedder.embed_passages
        lexical, tokenizer, gazetteer = store.lexical(), store.tokenizer, Gazetteer(indexed.home_place)
        claims = embed([p["claim"] for p in pairs])
        sentences = embed([p["sentence"] for p in pairs])
        checker = Checker({}, embed, tokenizer, lexical, gazetteer, prompts)
        rules = checker.rule_vectors()
        for pair, claim, sentence in zip(pairs, claims, sentences):
            # As verification measures it: the sentence, or its best clause (answer/verify.py).
            windows = clause_windows(pair["sentence"])
            pair["sem"] = max([float(claim @ sentence), *(float(v @ claim) for v in (embed(windows) if windows else []))])
            pair["lex"] = claim_coverage(pair["claim"], pair["sentence"], checker)
            english = not any("\u4e00" <= ch <= "\u9fff" for ch in pair["claim"])
            pair["english"], pair["english_sem"], pair["english_lex"] = float(english), pair["sem"] * english, pair["lex"] * english
            pair["held"] = float(figures_held(pair["claim"], [pair["sentence"]]))
            pair["leak"] = float(np.max(rules @ claim))

        train = [p for p in pairs if p["split"] == "dev" and p["kind"] not in RULE_KINDS and p["kind"] != "prompt_leak"]
        x = np.array([[p[f] for f in FEATURES] for p in train])
        y = np.array([float(p["supported"]) for p in train])
        weights, bias = fit(x, y, FEATURES)
        threshold = _best_threshold(train, weights, bias)
        dev = [p for p in pairs if p["split"] == "dev"]
        leak_similarity = _leak_threshold(dev)
        model = ClaimModel(dict(zip(FEATURES, (round(float(w), 4) for w in weights))), round(bias, 4), threshold, leak_similarity)

        # The whole verification on each pair: the claim as a one-sentence answer citing its sentence.
        for pair, sentence_vector in zip(pairs, sentences):
            passage = RankedPassage(Passage(pair["id"], pair["source"], "", pair["sentence"], 0, len(pair["sentence"]), ""), 1.0, 1)
            citation = Citation.from_passage(1, passage, pair["sentence"])
            stored_vectors = SentenceVectors(((0, len(pair["sentence"])),), sentence_vector[None, :])
            check = Checker({pair["id"]: stored_vectors}, embed, tokenizer,
                            lexical, gazetteer, prompts, model)
            answer = Answer(answer=f"{pair['claim']}[1]", refused=False, citations=[citation], language=pair["lang"])
            checked = verify(answer, [passage], check)
            pair["kept"], pair["reasons"] = not checked.refused, checked.verification.reasons

    report = {split: _per_kind([p for p in pairs if p["split"] == split]) for split in ("dev", "test")}
    if write:
        stored = json.loads(CLAIM_MODEL_PATH.read_text(encoding="utf-8"))
        stored["models"][store.embedder.model_name] = {
            "weights": model.weights, "bias": model.bias, "threshold": model.threshold,
            "leak_similarity": model.leak_similarity,
            "fitted_on": f"{len(train)} dev pairs of evaluation/claims/pairs.jsonl; python -m evaluation.calibrate_claims --write",
        }
        CLAIM_MODEL_PATH.write_text(json.dumps(stored, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return {"model": model.__dict__, "report": report, "pairs": pairs}


def _best_threshold(pairs: list[dict], weights: np.ndarray, bias: float) -> float:
    scores = [1 / (1 + np.exp(-(np.array([p[f] for f in FEATURES]) @ weights + bias))) for p in pairs]
    best = (0.0, 0.5)
    for threshold in np.arange(0.05, 0.96, 0.01):
        kept = [s >= threshold for s in scores]
        good = [k == p["supported"] for k, p in zip(kept, pairs)]
        pos = [g for g, p in zip(good, pairs) if p["supported"]]
        neg = [g for g, p in zip(good, pairs) if not p["supported"]]
        balanced = (np.mean(pos) + np.mean(neg)) / 2
        if balanced > best[0] + 1e-9:
            best = (balanced, round(float(threshold), 2))
    return best[1]


def _leak_threshold(pairs: list[dict]) -> float:
    """The lowest similarity to the prompt's rules that no supported dev claim reaches."""
    supported = [p["leak"] for p in pairs if p["supported"]]
    return round(max(supported) + 0.005, 3) if supported else 0.95


def _per_kind(pairs: list[dict]) -> dict:
    out: dict = {}
    for kind in sorted({p["kind"] for p in pairs}):
        members = [p for p in pairs if p["kind"] == kind]
        right = [p["kept"] == p["supported"] for p in members]
        out[kind] = {"n": len(members), "right": int(sum(right)), "supported": members[0]["supported"]}
    for label, wanted in (("all supported", True), ("all unsupported", False)):
        members = [p for p in pairs if p["supported"] == wanted]
        out[label] = {"n": len(members), "right": int(sum(p["kept"] == wanted for p in members)), "supported": wanted}
    return out


def format_report(result: dict) -> str:
    lines = ["| kind | supported? | dev: right / n | test: right / n |", "| --- | --- | --- | --- |"]
    dev, test = result["report"]["dev"], result["report"]["test"]
    for kind in dev:
        d, t = dev[kind], test.get(kind, {"right": 0, "n": 0})
        lines.append(f"| {kind} | {'yes' if d['supported'] else 'no'} | {d['right']} / {d['n']} | {t['right']} / {t['n']} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evaluation.calibrate_claims", description=__doc__.split("\n\n")[0])
    parser.add_argument("--write", action="store_true", help="write the fitted model into answer/claim_model.json")
    args = parser.parse_args(argv)
    from settings import load_settings

    result = measure(load_settings(), args.write)
    print(json.dumps(result["model"], ensure_ascii=False))
    print(format_report(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
