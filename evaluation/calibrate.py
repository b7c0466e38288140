"""python -m evaluation.calibrate [--write]: fit the evidence model on the dev split.

Every dev question (the dev halves of evaluation/questions/*.jsonl, plus the older golden and
held-out sets, which earlier rules were tuned on) is run through the answering pipeline up to the
evidence step, on the index its questions are about (the bundled article; the article plus
evaluation/corpus_invented/ for mixed.jsonl). Each candidate sentence is labelled 1 when it holds an
expected string of an answerable question, else 0. A logistic regression on the sentence signals
(``answer.evidence.FEATURES``) gives the weights; the refusal threshold and the share of the best
score a further quoted sentence needs are then chosen for the best balance of questions answered
with the fact and look-alikes refused. The test halves are never read.

With ``--write`` the result goes to answer/evidence_model.json (what the app loads); with
``--current`` that file's model is measured on the dev split as it is, not refitted (``--split test``
measures it on the test halves instead: a report, which can neither fit nor write); ``--reach`` adds
what its signals can reach at any threshold, per category, and the two ceilings no threshold passes; with
``--english-threshold`` only English questions' threshold is chosen again (on the dev split's
English questions, that file's weights kept) and written. With
``--ablate`` it also measures, on the same dev questions, the model refitted without each filter
rule and without each signal: the table docs/answers.md shows.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from answer.evidence import FEATURES, MODEL_PATH, RULES, EvidenceModel
from evaluation.metrics import is_relevant
from evaluation.run import Question, load_questions

REPO = Path(__file__).resolve().parent.parent
QUESTIONS = REPO / "evaluation" / "questions"
ARTICLE_CORPUS = [REPO / "corpus"]
# The invented articles only: the folder's README describes them (and must not be indexed).
MIXED_CORPUS = [REPO / "corpus", *sorted((REPO / "evaluation" / "corpus_invented").glob("*.txt"))]
L2 = 1.0  # ridge penalty on the weights (not the bias), in units of one sentence's log-loss
THRESHOLDS = np.round(np.arange(0.05, 0.96, 0.01), 2)
KEEP_RATIOS = (0.5, 0.6, 0.7, 0.75, 0.8, 0.9)


@dataclass
class Candidate:
    features: np.ndarray
    label: int
    text: str


def question_sets(split: str = "dev") -> list[tuple[list[Path], list[Question]]]:
    """The questions of one split, each set with the articles it is about. The dev split (fitted on)
    includes the older golden and held-out sets; the test split is only ever reported on."""
    article = load_questions(QUESTIONS / "article.jsonl", split)
    if split == "dev":
        article += load_questions(REPO / "evaluation" / "golden.jsonl")
        article += load_questions(REPO / "evaluation" / "holdout.jsonl")
    return [(ARTICLE_CORPUS, article), (MIXED_CORPUS, load_questions(QUESTIONS / "mixed.jsonl", split))]


def collect(settings, rules: tuple[str, ...] = RULES, split: str = "dev") -> list[tuple[Question, list[Candidate]]]:
    from app import build_answerer
    from evaluation.corpora import temporary_index

    collected = []
    for folders, questions in question_sets(split):
        with temporary_index(settings, folders) as indexed:
            answerer, _ = build_answerer(indexed)
            answerer.evidence_model = EvidenceModel({}, 0.0, 0.5, 0.5, rules)  # every candidate, these filters
            for q in questions:
                _, scored = answerer.candidates(q.question, list(q.history))
                collected.append((q, [
                    Candidate(
                        np.array([e.features[name] for name in FEATURES], dtype=np.float64),
                        int(not q.unanswerable and is_relevant(e.text, list(q.expected))),
                        e.text,
                    )
                    for e in scored
                ]))
    return collected


# The direction each signal may push, fixed by what it means: more similarity, more of the question's
# words, a figure of the kind asked for can only make a sentence more likely to answer; a rare word
# of the question missing from it, only less. Left free, the fit turns some of them round where
# signals move together (similarity and its gap to the best), and then a question about the weather
# is answered because its one known word, 北京, is in a sentence.
SIGNS = {"sem": 1, "sem_gap": 1, "lex": 1, "lex_all": 1, "missing": -1, "shared": 1, "known": 1, "type_ok": 1, "held": 1}


def fit(x: np.ndarray, y: np.ndarray, names: tuple[str, ...] = FEATURES, l2: float = L2) -> tuple[np.ndarray, float]:
    """Logistic regression with a ridge penalty on the weights of the standardised features (so a
    signal with a narrow range, like e5's cosines, is not penalised for needing a large weight),
    each weight kept to the sign ``SIGNS`` gives it (L-BFGS-B with bounds)."""
    from scipy.optimize import minimize

    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    design = np.hstack([(x - mean) / scale, np.ones((len(x), 1))])
    penalty = np.full(design.shape[1], l2)
    penalty[-1] = 0.0

    def loss(beta):
        z = design @ beta
        p = 1 / (1 + np.exp(-z))
        value = np.sum(np.logaddexp(0, z) - y * z) + 0.5 * np.sum(penalty * beta**2)
        return value, design.T @ (p - y) + penalty * beta

    bounds = [(0, None) if SIGNS.get(n) == 1 else (None, 0) if SIGNS.get(n) == -1 else (None, None) for n in names]
    beta = minimize(loss, np.zeros(design.shape[1]), jac=True, method="L-BFGS-B", bounds=bounds + [(None, None)]).x
    weights = beta[:-1] / scale
    return weights, float(beta[-1] - weights @ mean)


def question_outcomes(collected, weights, bias, threshold, keep_ratio, english_threshold: float | None = None):
    """What the extractive answer would do per question at this threshold (``english_threshold``
    for English questions, when given): quote the sentences at or above it (within keep_ratio of
    the best, three at most) or refuse. Yields (question, right): answered with the fact, or refused
    when the articles do not answer it."""
    for q, candidates in collected:
        probabilities = [1 / (1 + np.exp(-(c.features @ weights + bias))) for c in candidates]
        asked = english_threshold if q.lang == "en" and english_threshold is not None else threshold
        kept = [(p, c) for p, c in zip(probabilities, candidates) if p >= asked]
        kept.sort(key=lambda pc: -pc[0])
        chosen = [c for p, c in kept if p >= keep_ratio * kept[0][0]][:3] if kept else []
        yield q, not chosen if q.unanswerable else any(is_relevant(c.text, list(q.expected)) for c in chosen)


def outcomes(collected, weights, bias, threshold, keep_ratio, english_threshold: float | None = None) -> dict:
    """``question_outcomes`` summed: the shares answered with the fact and refused."""
    answered = answerable = refused = unanswerable = 0
    for q, right in question_outcomes(collected, weights, bias, threshold, keep_ratio, english_threshold):
        if q.unanswerable:
            unanswerable += 1
            refused += right
        else:
            answerable += 1
            answered += right
    return {
        "answered": answered / answerable,
        "refused_unanswerable": refused / unanswerable,
        "balanced": (answered / answerable + refused / unanswerable) / 2,
        "n_answerable": answerable,
        "n_unanswerable": unanswerable,
    }


def calibrate(collected, features: tuple[str, ...] = FEATURES, rules: tuple[str, ...] = RULES) -> tuple[EvidenceModel, dict]:
    rows = [(c.features, c.label) for _, candidates in collected for c in candidates]
    used = [FEATURES.index(name) for name in features]
    x = np.array([f for f, _ in rows])[:, used]
    y = np.array([label for _, label in rows], dtype=np.float64)
    fitted, bias = fit(x, y, tuple(FEATURES[i] for i in used))
    weights = np.zeros(len(FEATURES))
    weights[used] = fitted
    best = None
    for keep_ratio in KEEP_RATIOS:
        for threshold in THRESHOLDS:
            result = outcomes(collected, weights, bias, float(threshold), keep_ratio)
            key = (round(result["balanced"], 4), result["refused_unanswerable"], -abs(threshold - 0.5))
            if best is None or key > best[0]:
                best = (key, float(threshold), keep_ratio, result)
    _, threshold, keep_ratio, _ = best
    model = EvidenceModel(
        {name: round(float(w), 4) for name, w in zip(FEATURES, weights) if name in features}, round(bias, 4), threshold, keep_ratio, rules
    )
    model = with_english_threshold(collected, model)
    result = measure(collected, model)
    return model, {**result, "sentences": len(rows), "positive_sentences": int(y.sum())}


def with_english_threshold(collected, model: EvidenceModel) -> EvidenceModel:
    """The model with the threshold for English questions chosen on the dev split's English
    questions alone, its weights and keep ratio as they are (ties: the threshold nearer 0.5)."""
    english = [(q, candidates) for q, candidates in collected if q.lang == "en"]
    if not english:
        return model
    best = None
    for threshold in THRESHOLDS:
        result = outcomes(english, weight_vector(model), model.bias, float(threshold), model.keep_ratio)
        key = (round(result["balanced"], 4), result["refused_unanswerable"], -abs(threshold - 0.5))
        if best is None or key > best[0]:
            best = (key, float(threshold))
    return replace(model, english_threshold=best[1])


def measure(collected, model: EvidenceModel) -> dict:
    return outcomes(collected, weight_vector(model), model.bias, model.threshold, model.keep_ratio, model.english_threshold)


SIGNAL_GROUPS = {
    "meaning (sem, sem_gap, english_sem)": ("sem", "sem_gap", "english_sem"),
    "words (lex, lex_all, missing, shared, known, english_lex)": ("lex", "lex_all", "missing", "shared", "known", "english_lex"),
    "kind of answer (typed, type_ok)": ("typed", "type_ok"),
}


def ablation_table(settings, collected, full: dict) -> str:
    lines = [
        "| model on the dev split | answered with the fact | look-alikes refused | balanced |",
        "| --- | --- | --- | --- |",
        f"| everything | {full['answered']:.3f} | {full['refused_unanswerable']:.3f} | {full['balanced']:.3f} |",
    ]
    for rule in RULES:
        rules = tuple(r for r in RULES if r != rule)
        _, result = calibrate(collect(settings, rules), rules=rules)
        lines.append(f"| without rule {rule!r} | {result['answered']:.3f} | {result['refused_unanswerable']:.3f} | {result['balanced']:.3f} |")
    for name, group in SIGNAL_GROUPS.items():
        _, result = calibrate(collected, tuple(f for f in FEATURES if f not in group))
        lines.append(f"| without {name} | {result['answered']:.3f} | {result['refused_unanswerable']:.3f} | {result['balanced']:.3f} |")
    return "\n".join(lines)


def weight_vector(model: EvidenceModel) -> np.ndarray:
    """The model's weights in the order of ``FEATURES`` (a signal it does not use weighs 0)."""
    return np.array([model.weights.get(name, 0.0) for name in FEATURES])


def curve_table(collected, model: EvidenceModel) -> str:
    """The trade between answering and refusing on the dev split: the fitted weights at other
    thresholds (English questions' threshold as it is)."""
    weights = weight_vector(model)
    lines = ["| threshold | answered with the fact | look-alikes refused | balanced |", "| --- | --- | --- | --- |"]
    for threshold in sorted({0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, model.threshold}):
        r = outcomes(collected, weights, model.bias, threshold, model.keep_ratio, model.english_threshold)
        chosen = " (chosen)" if threshold == model.threshold else ""
        lines.append(f"| {threshold:.2f}{chosen} | {r['answered']:.3f} | {r['refused_unanswerable']:.3f} | {r['balanced']:.3f} |")
    return "\n".join(lines)


REACH_THRESHOLDS = (0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)


def reach_table(collected, model: EvidenceModel) -> str:
    """What the model's signals can reach on these questions, whatever the threshold: per category,
    the share answered with the fact (answerable questions) and refused (unanswerable ones) at one
    threshold for both languages, then at the model's own thresholds; and two ceilings no threshold
    passes: some candidate sentence holds the fact (what retrieval and the filter rules leave to
    quote), and the best-scored candidate holds it."""
    weights = weight_vector(model)
    categories = sorted({q.category or "other" for q, _ in collected})
    columns = [("answered", c) for c in categories if any(not q.unanswerable and (q.category or "other") == c for q, _ in collected)]
    columns += [("refused", c) for c in categories if any(q.unanswerable and (q.category or "other") == c for q, _ in collected)]
    columns = [("answered", None), ("refused", None), *columns]

    def shares(rights) -> list[str]:
        cells = []
        for kind, category in columns:
            hits = [right for q, right in rights if q.unanswerable == (kind == "refused") and category in (None, q.category or "other")]
            cells.append(f"{sum(hits) / len(hits):.2f}" if hits else "-")
        return cells

    def row(label: str, rights) -> str:
        return f"| {label} | " + " | ".join(shares(rights)) + " |"

    head = ["threshold", *(f"{kind} {category or 'all'}" for kind, category in columns)]
    lines = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    for threshold in REACH_THRESHOLDS:
        lines.append(row(f"{threshold:.2f}", list(question_outcomes(collected, weights, model.bias, threshold, model.keep_ratio))))
    own = list(question_outcomes(collected, weights, model.bias, model.threshold, model.keep_ratio, model.english_threshold))
    lines.append(row(f"the model's ({model.threshold:.2f}, English {model.english_threshold or model.threshold:.2f})", own))
    answerable = [(q, candidates) for q, candidates in collected if not q.unanswerable]
    lines.append(row("ceiling: some candidate holds the fact", [(q, any(c.label for c in cands)) for q, cands in answerable]))
    best = [(q, bool(cands) and cands[int(np.argmax([c.features @ weights for c in cands]))].label == 1) for q, cands in answerable]
    lines.append(row("ceiling: the best-scored candidate holds it", best))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evaluation.calibrate", description=__doc__.split("\n\n")[0])
    parser.add_argument("--write", action="store_true", help=f"write the fitted model to {MODEL_PATH.relative_to(REPO)}")
    parser.add_argument("--ablate", action="store_true", help="also measure the model without each rule and each signal")
    parser.add_argument("--curve", action="store_true", help="also show the dev outcomes at other thresholds, same model")
    parser.add_argument("--current", action="store_true", help=f"measure the model the app loads ({MODEL_PATH.name}) instead of refitting")
    parser.add_argument("--english-threshold", action="store_true",
                        help=f"keep {MODEL_PATH.name}'s weights and threshold; choose and write only the English questions' threshold")
    parser.add_argument("--reach", action="store_true",
                        help="with --current: what the signals reach at any threshold, per category, and the ceilings no threshold passes")
    parser.add_argument("--split", choices=("dev", "test"), default="dev",
                        help="the questions measured (default dev); test is reported on only, so it needs --current")
    args = parser.parse_args(argv)
    if args.current and (args.write or args.ablate or args.english_threshold):
        parser.error("--current measures the model as it is: it cannot be combined with --write, --ablate or --english-threshold")
    if args.split == "test" and not args.current:
        parser.error("the test split is never fitted on: --split test needs --current")
    if args.reach and not args.current:
        parser.error("--reach measures the model the app loads: it needs --current")
    from settings import load_settings

    settings = load_settings()
    collected = collect(settings, split=args.split)
    if args.english_threshold:
        model = with_english_threshold(collected, EvidenceModel.load())
        data = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
        data["english_threshold"] = model.english_threshold
        data["fitted_on"]["english_threshold_command"] = "python -m evaluation.calibrate --english-threshold"
        MODEL_PATH.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        print(json.dumps({"english_threshold": model.english_threshold, **measure(collected, model)}, indent=1))
        return 0
    if args.current:
        model = EvidenceModel.load()
        print(json.dumps(measure(collected, model), indent=1))
        if args.curve:
            print(curve_table(collected, model), file=sys.stderr)
        if args.reach:
            print(reach_table(collected, model), file=sys.stderr)
        return 0
    model, result = calibrate(collected)
    if args.ablate:
        print(ablation_table(settings, collected, result), file=sys.stderr)
    if args.curve:
        print(curve_table(collected, model), file=sys.stderr)
    summary = {
        "weights": model.weights,
        "bias": model.bias,
        "threshold": model.threshold,
        "english_threshold": model.english_threshold,
        "keep_ratio": model.keep_ratio,
        "rules": list(model.rules),
        "fitted_on": {
            "questions": len(collected),
            "sentences": result["sentences"],
            "positive_sentences": result["positive_sentences"],
            "dev_answered": round(result["answered"], 3),
            "dev_refused_unanswerable": round(result["refused_unanswerable"], 3),
            "command": "python -m evaluation.calibrate --write",
        },
    }
    print(json.dumps(summary, ensure_ascii=False, indent=1))
    if args.write:
        MODEL_PATH.write_text(json.dumps(summary, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
