"""Run a question set against the index the settings point at, and report the metrics."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

from answer.models import language_of
from answer.pipeline import Answerer
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


class QuestionFileError(ValueError):
    """A question file that cannot be used; the message names the line."""


@dataclass(frozen=True)
class Question:
    id: str
    question: str
    expected: tuple[str, ...]
    unanswerable: bool
    lang: str


def load_questions(path: Path) -> list[Question]:
    if not path.exists():
        raise QuestionFileError(f"question file not found: {path}")
    questions: list[Question] = []
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
        questions.append(
            Question(
                id=str(row.get("id", number)),
                question=row["question"],
                expected=tuple(expected),
                unanswerable=unanswerable,
                lang=row.get("lang") or language_of(row["question"]),
            )
        )
    if not questions:
        raise QuestionFileError(f"{path}: no questions")
    return questions


def evaluate(answerer: Answerer, questions: list[Question], mode: str, k: int) -> dict:
    chunk_texts = [c.text for c in answerer.searcher.store.manifest.all_chunks()]
    rows, latencies, misses = [], [], []
    refused_unanswerable = unanswerable = 0
    for q in questions:
        started = time.perf_counter()
        answer = answerer.ask(q.question, mode=mode)
        latencies.append((time.perf_counter() - started) * 1000)
        if q.unanswerable:
            unanswerable += 1
            refused_unanswerable += answer.refused
            continue
        ranked = answerer.searcher.search(q.question, mode, max(k, DEEP))
        relevance = [is_relevant(r.passage.text, list(q.expected)) for r in ranked]
        top = relevance[:k]
        total = sum(is_relevant(text, list(q.expected)) for text in chunk_texts)
        rank = first_relevant_rank(relevance)
        rows.append(
            {
                "lang": q.lang,
                "hit@1": hit_at(top, 1),
                "hit@3": hit_at(top, 3),
                "hit@5": hit_at(top, 5),
                "mrr": reciprocal_rank(top),
                "ndcg@5": ndcg_at(top, 5, total),
                "refused": answer.refused,
                "answer_hit": float(not answer.refused and is_relevant(answer.answer, list(q.expected))),
                "unverified": answer.verification is not None and not answer.verification.passed,
            }
        )
        if rank != 1:
            misses.append({"id": q.id, "question": q.question, "lang": q.lang, "rank": rank, "refused": answer.refused})

    report = {
        "mode": mode,
        "k": k,
        **_averages(rows),
        "refusal_accuracy": round(refused_unanswerable / unanswerable, 3) if unanswerable else None,
        "n_unanswerable": unanswerable,
        "latency_ms_p50": round(percentile(latencies, 50), 1),
        "latency_ms_p95": round(percentile(latencies, 95), 1),
        "by_language": {
            lang: _averages([r for r in rows if r["lang"] == lang]) for lang in sorted({r["lang"] for r in rows})
        },
        "misses": misses,
    }
    return report


def _averages(rows: list[dict]) -> dict:
    n = len(rows)
    metrics = {"n": n}
    for key in ("hit@1", "hit@3", "hit@5", "mrr", "ndcg@5"):
        metrics[key] = round(sum(r[key] for r in rows) / n, 3) if n else None
    metrics["answer_hit"] = round(sum(r["answer_hit"] for r in rows) / n, 3) if n else None
    metrics["wrongly_refused"] = sum(r["refused"] for r in rows)
    metrics["unverified"] = sum(r["unverified"] for r in rows)
    return metrics


def format_report(report: dict) -> str:
    lines = [
        f"mode {report['mode']}, k {report['k']}",
        "",
        _table([("all", report)] + [(lang, m) for lang, m in report["by_language"].items()]),
        "",
        f"answers holding an expected string: {_fmt(report['answer_hit'])}; answerable wrongly refused: "
        f"{report['wrongly_refused']}; answers failing verification: {report['unverified']}",
        f"unanswerable refused: {_fmt(report['refusal_accuracy'])} of {report['n_unanswerable']}",
        f"latency per question: p50 {report['latency_ms_p50']} ms, p95 {report['latency_ms_p95']} ms",
    ]
    if report["misses"]:
        lines += ["", "not ranked first:"]
        for miss in report["misses"]:
            where = f"rank {miss['rank']}" if miss["rank"] else f"not in top {DEEP}"
            lines.append(f"  {miss['id']} [{miss['lang']}] {where}: {miss['question']}")
    return "\n".join(lines)


def format_compare(reports: list[dict]) -> str:
    header = (
        "| mode | questions | hit@1 | hit@3 | hit@5 | MRR | nDCG@5 | answer hit | wrongly refused "
        "| unanswerable refused | p50 ms | p95 ms |"
    )
    lines = [header, "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for report in reports:
        for lang, metrics in [("all", report)] + list(report["by_language"].items()):
            lines.append(
                f"| {report['mode']} ({lang}) | {metrics['n']} | {_fmt(metrics['hit@1'])} | {_fmt(metrics['hit@3'])} | "
                f"{_fmt(metrics['hit@5'])} | {_fmt(metrics['mrr'])} | {_fmt(metrics['ndcg@5'])} | "
                f"{_fmt(metrics['answer_hit'])} | {metrics['wrongly_refused']} | "
                f"{_fmt(report['refusal_accuracy'])} | {report['latency_ms_p50']} | {report['latency_ms_p95']} |"
            )
    return "\n".join(lines)


def _table(rows: list[tuple[str, dict]]) -> str:
    lines = ["questions      n   hit@1  hit@3  hit@5  MRR    nDCG@5"]
    for name, m in rows:
        lines.append(
            f"{name:<12} {m['n']:>3}   {_fmt(m['hit@1'])}  {_fmt(m['hit@3'])}  {_fmt(m['hit@5'])}  "
            f"{_fmt(m['mrr'])}  {_fmt(m['ndcg@5'])}"
        )
    return "\n".join(lines)


def _fmt(value: float | None) -> str:
    return "  -  " if value is None else f"{value:.3f}"
