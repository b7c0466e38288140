"""Run a question set against the index the settings point at, and report the metrics.

Each question is asked through the whole answering pipeline (with its conversation ``history``,
if any), and its retrieval is measured on what the pipeline searched (the standalone query).
Results are reported overall, per split (dev: tune on it; test: only report it), per category and
per language.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from answer.models import language_of
from answer.pipeline import Answerer, Turn
from evaluation.metrics import (
    first_relevant_rank,
    hit_at,
    is_relevant,
    ndcg_at,
    percentile,
    reciprocal_rank,
)

DEEP = 50  # how far down to look for the rank of a missed passage
MODES = ("bm25", "dense", "hybrid")
SPLITS = ("dev", "test")


class QuestionFileError(ValueError):
    """A question file that cannot be used; the message names the line."""


@dataclass(frozen=True)
class Question:
    id: str
    question: str
    expected: tuple[str, ...]
    unanswerable: bool
    lang: str
    category: str = ""
    split: str = ""
    history: tuple[Turn, ...] = field(default_factory=tuple)
    alone: str = ""  # for a variant (after an unrelated exchange, or with the pipeline's own answers): its question's id


def load_questions(path: Path, split: str | None = None) -> list[Question]:
    """The questions of a JSONL file (only one split's, if ``split`` is given)."""
    if not path.exists():
        raise QuestionFileError(f"question file not found: {path}")
    questions: list[Question] = []
    seen: dict[str, int] = {}  # id → line: reports and variants are keyed by id
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as error:
            raise QuestionFileError(f"{path}:{number}: not valid JSON ({error.msg})") from None
        if not isinstance(row, dict) or not isinstance(row.get("question"), str) or not row["question"].strip():
            raise QuestionFileError(f"{path}:{number}: needs a non-empty string 'question'")
        expected = row.get("expected", [])
        unanswerable = bool(row.get("unanswerable", False))
        if not isinstance(expected, list) or not all(isinstance(e, str) for e in expected):
            raise QuestionFileError(f"{path}:{number}: 'expected' must be a list of strings")
        if not unanswerable and not any(e.strip() for e in expected):
            raise QuestionFileError(f"{path}:{number}: an answerable question needs at least one 'expected' string")
        history = row.get("history", [])
        if not isinstance(history, list) or not all(
            isinstance(t, dict) and t.get("role") in ("user", "assistant") and isinstance(t.get("content"), str)
            for t in history
        ):
            raise QuestionFileError(f"{path}:{number}: 'history' must be a list of {{role, content}} turns")
        question_id = str(row.get("id", number))
        if question_id in seen:
            raise QuestionFileError(f"{path}:{number}: id {question_id!r} is already used on line {seen[question_id]}")
        seen[question_id] = number
        questions.append(
            Question(
                id=question_id,
                question=row["question"],
                expected=tuple(expected),
                unanswerable=unanswerable,
                lang=row.get("lang") or language_of(row["question"]),
                category=str(row.get("category") or row.get("kind") or ""),
                split=str(row.get("split") or ""),
                history=tuple(Turn(t["role"], t["content"]) for t in history),
            )
        )
    if not questions:
        raise QuestionFileError(f"{path}: no questions")
    if split:
        questions = [q for q in questions if q.split == split]
        if not questions:
            raise QuestionFileError(f"{path}: no questions in split {split!r}")
    return questions


def after_an_unrelated_exchange(answerer: Answerer, questions: list[Question], mode: str) -> list[Question]:
    """Each question without a history again, asked after an unrelated exchange.

    The exchange is another answerable question of the set, in the same language, that no passage
    relevant to this one answers (for an unanswerable question: none of the passages it retrieves
    first), together with the pipeline's own answer to it, as the chat would have shown it. The
    partner is chosen by hashing ids, so the variants are the same on every run. A question that
    stands on its own should come out as it does alone: whatever changes is the conversation's doing.
    """
    chunks = answerer.chunk_texts()
    answering = {q.id: frozenset(t for t in chunks if is_relevant(t, list(q.expected))) for q in questions if not q.unanswerable}
    order = {q.id: hashlib.sha1(q.id.encode("utf-8")).hexdigest() for q in questions}
    partners = sorted((q for q in questions if not q.unanswerable and not q.history), key=lambda p: order[p.id])
    partner_answers: dict[str, str] = {}
    variants = []
    for q in questions:
        if q.history:
            continue
        if q.unanswerable:
            topic = frozenset(r.passage.text for r in answerer.searcher.search(q.question, mode, 3))
        else:
            topic = answering[q.id]
        later_first = [p for p in partners if order[p.id] > order[q.id]] + [p for p in partners if order[p.id] <= order[q.id]]
        partner = next((p for p in later_first if p.id != q.id and p.lang == q.lang and not answering[p.id] & topic), None)
        if partner is None:
            continue
        if partner.id not in partner_answers:
            partner_answers[partner.id] = answerer.ask(partner.question, [], mode=mode).answer
        history = (Turn("user", partner.question), Turn("assistant", partner_answers[partner.id]))
        variants.append(replace(q, id=f"{q.id}@{partner.id}", history=history, alone=q.id))
    return variants


def with_own_answers(answerer: Answerer, questions: list[Question], mode: str) -> list[Question]:
    """Each question with a history again, the history's assistant turns replaced by the pipeline's
    own answers to its user turns, as the chat would have shown them (the question files hold a
    short written answer instead, which the chat never shows: a follow-up that is answered by the
    sentence just quoted is measured only this way). Ids: ``a255~own``."""
    variants = []
    for q in questions:
        if not q.history:
            continue
        replayed: list[Turn] = []
        for turn in q.history:
            if turn.role == "user":
                replayed += [turn, Turn("assistant", answerer.ask(turn.content, list(replayed), mode=mode).answer)]
        variants.append(replace(q, id=f"{q.id}~own", history=tuple(replayed), alone=q.id))
    return variants


def changed_outcomes(alone: dict, in_conversation: dict, variants: list[Question]) -> list[dict]:
    """The variants whose outcome differs from their question's asked alone ("became" wrong or right)."""
    wrong_alone = {f["id"] for f in alone["failures"]}
    wrong_in_conversation = {f["id"]: f for f in in_conversation["failures"]}
    changed = []
    for v in variants:
        if (v.alone in wrong_alone) != (v.id in wrong_in_conversation):
            became = "wrong" if v.id in wrong_in_conversation else "right"
            changed.append({"id": v.id, "question": v.question, "after": v.history[0].content, "became": became,
                            **({"query": wrong_in_conversation[v.id]["query"]} if became == "wrong" else {})})
    return changed


def evaluate(answerer: Answerer, questions: list[Question], mode: str, k: int) -> dict:
    chunk_texts = answerer.chunk_texts()
    rows, latencies = [], []
    for q in questions:
        started = time.perf_counter()
        answer = answerer.ask(q.question, list(q.history), mode=mode)
        latencies.append((time.perf_counter() - started) * 1000)
        row = {
            "id": q.id, "question": q.question, "lang": q.lang, "category": q.category or "-", "split": q.split or "-",
            "unanswerable": q.unanswerable, "refused": answer.refused, "query": answer.query,
            "unverified": answer.verification is not None and not answer.verification.passed,
            "answer": answer.answer,
        }
        if q.unanswerable:
            row["correct"] = answer.refused
        else:
            ranked = answerer.searcher.search(answer.query, mode, max(k, DEEP))
            relevance = [is_relevant(r.passage.text, list(q.expected)) for r in ranked]
            top = relevance[:k]
            total = sum(is_relevant(text, list(q.expected)) for text in chunk_texts)
            row.update(
                rank=first_relevant_rank(relevance),
                **{"hit@1": hit_at(top, 1), "hit@3": hit_at(top, 3), "hit@5": hit_at(top, 5)},
                mrr=reciprocal_rank(top),
                **{"ndcg@5": ndcg_at(top, 5, total)},
                correct=not answer.refused and is_relevant(answer.answer, list(q.expected)),
            )
        rows.append(row)

    def group(key: str) -> dict:
        return {value: summarize([r for r in rows if r[key] == value]) for value in sorted({r[key] for r in rows})}

    return {
        "mode": mode,
        "k": k,
        **summarize(rows),
        "latency_ms_p50": round(percentile(latencies, 50), 1),
        "latency_ms_p95": round(percentile(latencies, 95), 1),
        "by_split": group("split"),
        "by_category": group("category"),
        "by_language": group("lang"),
        "failures": [
            {key: r.get(key) for key in ("id", "split", "category", "lang", "question", "query", "rank", "refused", "answer")}
            for r in rows
            if not r["correct"]
        ],
    }


def summarize(rows: list[dict]) -> dict:
    """Retrieval over the answerable questions; answers over all of them."""
    answerable = [r for r in rows if not r["unanswerable"]]
    unanswerable = [r for r in rows if r["unanswerable"]]
    n = len(answerable)
    metrics: dict = {"n": len(rows), "n_answerable": n, "n_unanswerable": len(unanswerable)}
    for key in ("hit@1", "hit@3", "hit@5", "mrr", "ndcg@5"):
        metrics[key] = round(sum(r[key] for r in answerable) / n, 3) if n else None
    metrics["answered"] = round(sum(r["correct"] for r in answerable) / n, 3) if n else None  # with the fact
    metrics["wrongly_refused"] = sum(r["refused"] for r in answerable)
    metrics["wrong_answers"] = sum(not r["refused"] and not r["correct"] for r in answerable)
    metrics["refused_unanswerable"] = (
        round(sum(r["refused"] for r in unanswerable) / len(unanswerable), 3) if unanswerable else None
    )
    metrics["unverified"] = sum(r["unverified"] for r in rows)
    return metrics


def format_report(report: dict) -> str:
    lines = [f"mode {report['mode']}, k {report['k']}", "", format_table(report), ""]
    lines.append(f"latency per question: p50 {report['latency_ms_p50']} ms, p95 {report['latency_ms_p95']} ms")
    if report["failures"]:
        lines += ["", "not answered as expected:"]
        for f in report["failures"]:
            outcome = "refused" if f["refused"] else f"answered {f['answer'][:60]!r}"
            where = "" if f.get("rank") is None else f", passage rank {f['rank']}"
            searched = "" if f["query"] == f["question"] else f" (searched {f['query']!r})"
            lines.append(f"  {f['id']} [{f['split']}/{f['category']}/{f['lang']}] {outcome}{where}: {f['question']}{searched}")
    return "\n".join(lines)


_COLUMNS = ("n", "hit@1", "hit@5", "mrr", "ndcg@5", "answered", "wrongly_refused", "wrong_answers", "refused_unanswerable", "unverified")


def format_table(report: dict) -> str:
    """The Markdown table docs/evaluation.md carries: overall, per split, per category, per language."""
    header = "| questions | n | hit@1 | hit@5 | MRR | nDCG@5 | answered with the fact | wrongly refused | wrong answers | look-alikes refused | failing verification |"
    lines = [header, "|" + " --- |" * (len(_COLUMNS) + 1)]

    def line(name: str, m: dict) -> str:
        return f"| {name} | " + " | ".join(_fmt(m[c]) for c in _COLUMNS) + " |"

    lines.append(line(f"{report['mode']}: all", report))
    for key, label in (("by_split", "split"), ("by_category", "category"), ("by_language", "language")):
        for name, metrics in report[key].items():
            lines.append(line(f"{label} {name}", metrics))
    return "\n".join(lines)


def format_changed(changed: list[dict], asked: int, than: str = "asked alone") -> str:
    lines = [f"\n{len(changed)} of {asked} came out otherwise than {than}:"]
    for c in changed:
        searched = f" (searched {c['query']!r})" if c.get("query") and c["query"] != c["question"] else ""
        lines.append(f"  {c['id']} became {c['became']}: {c['question']}, after {c['after']!r}{searched}")
    return "\n".join(lines)


def format_compare(reports: list[dict]) -> str:
    return "\n\n".join(format_table(r) for r in reports)


def _fmt(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)
