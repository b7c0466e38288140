"""What the chat UI shows, as plain functions of what it is given: an answer as one HTML block (its
[n] markers linked to its sources; every piece of article, model or reader text inert), the
retrieval lab's and the Documents tab's tables, a document-management report, the messages for an
unusable question."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import gradio as gr
import pandas as pd

from answer.models import Answer, Citation
from answer.pipeline import Answerer
from evaluation.run import evaluate, load_questions
from web.admin_report import Report
from web.i18n import t as tr
from web.library import Library
from web.schemas import QuestionError, validate_question

# Gradio's Chatbot runs every message through a markdown renderer before sanitizing it, so
# escaping tags is not enough: ![x](http://elsewhere/pixel.png) from an article or a model would
# become an <img> that loads, and [x](javascript:…) a link. Markdown's punctuation goes out as
# character references, which markdown never reads as syntax (docs/security.md, hostile articles).
_INERT = str.maketrans(
    {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#x27;"}
    | {c: f"&#{ord(c)};" for c in "[]()!*_`~$\\#|"}
)


def inert(text: str) -> str:
    """Text from an article, a model or a reader as inert HTML: shown as typed, never interpreted."""
    return text.translate(_INERT)


def pending_answer(provisional: str, lang: str = "zh") -> str:
    """Provisional text while an LLM writes: one HTML block, its text inert, like the final answer."""
    return f'<div class="gw-answer-block">{inert(provisional)}<div class="gw-pending">{tr("pending", lang)}</div></div>'


def render_answer(
    answer: Answer, asked: str, details: dict[str, dict[str, str]] | None = None, turn: int = 0, lang: str = "zh"
) -> str:
    """The chat message: what was searched (if rewritten), the answer with clickable [n] markers,
    what verification removed, then its sources (or the related passages of a refusal) with the
    article's date and source where known, all HTML-escaped."""
    details = details or {}
    parts = []
    if answer.query and answer.query != asked:
        parts.append(f'<div class="gw-query">{tr("searched", lang, query=inert(answer.query))}</div>')
    if answer.notice:
        parts.append(f'<div class="gw-notice">{inert(answer.notice)}</div>')
    parts.append(_with_markers(answer.answer, {c.id for c in answer.citations}, turn))
    removed = answer.verification and (answer.verification.citations_removed + answer.verification.sentences_dropped)
    if removed:
        parts.append(f'<div class="gw-verification">{tr("removed_unverified", lang, count=removed)}</div>')
    if answer.citations:
        parts.append(_sources(tr("sources", lang), answer.citations, "gw-sources", details, turn, lang=lang))
    elif answer.related:
        parts.append(_sources(tr("related", lang), answer.related, "gw-sources gw-related", details, turn, "r", lang))
    return f'<div class="gw-answer-block">{"".join(parts)}</div>'


def _with_markers(text: str, ids: set[int], turn: int) -> str:
    parts, last = [], 0
    for match in re.finditer(r"\[(\d+)\]", text):
        number = int(match.group(1))
        parts.append(inert(text[last : match.start()]))
        if number in ids:
            parts.append(f'<a class="gw-cite" href="#gw-s-{turn}-{number}">[{number}]</a>')
        else:
            parts.append(match.group(0))  # digits in brackets: nothing a renderer can act on
        last = match.end()
    parts.append(inert(text[last:]))
    return "".join(parts)


def _sources(
    heading: str, citations: list[Citation], css: str, details: dict[str, dict[str, str]], turn: int, prefix: str = "",
    lang: str = "zh",
) -> str:
    items = []
    for c in citations:
        meta = details.get(c.doc_id, {})
        author = tr("author", lang, name=meta["author"]) if meta.get("author") else ""
        about = " · ".join(v for v in (meta.get("published"), meta.get("source"), author) if v)
        items.append(
            f'<div class="gw-source" id="gw-s-{turn}-{prefix}{c.id}">'
            f"<strong>[{c.id}] {inert(c.title)}</strong>"
            + (f" · {inert(c.section)}" if c.section else "")
            + (f' <span class="gw-meta">{inert(about)}</span>' if about else "")
            + f"<br>{_highlight(c)}</div>"
        )
    return f'<div class="{css}"><strong>{heading}</strong>{"".join(items)}</div>'


def _highlight(citation: Citation) -> str:
    text, quote = citation.text, citation.quote
    start = citation.quote_start if citation.quote_start >= 0 else (text.find(quote) if quote else -1)
    if not quote or start < 0:
        return inert(text)
    end = start + len(quote)
    return inert(text[:start]) + "<mark>" + inert(text[start:end]) + "</mark>" + inert(text[end:])


def question_message(error: QuestionError, lang: str = "zh") -> str:
    """What the chat says instead of answering an unusable question (web/schemas.py's rules)."""
    return tr(f"question_{error.code}", lang, length=error.length, limit=error.limit)


def question_problem(question: str, max_chars: int, lang: str = "zh") -> str | None:
    try:
        validate_question(question, max_chars)
    except QuestionError as error:
        return question_message(error, lang)
    return None


def search_rows(library: Library, question: str, mode: str, k: int) -> list[list[Any]]:
    """The retrieval lab's table: ranked passages with every retriever's score and rank."""
    if not question.strip() or mode not in ("hybrid", "bm25", "dense"):
        return []
    k = min(max(int(k), 1), 50)  # the slider's range can be bypassed through Gradio's API
    fused = mode == "hybrid"
    return [
        [
            hit.rank,
            hit.passage.title,
            _score(hit.bm25_score),
            hit.bm25_rank,
            _score(hit.dense_score),
            hit.dense_rank,
            _score(hit.score) if fused else None,
            hit.rank if fused else None,
            hit.passage.text,
        ]
        for hit in library.search(question, mode, k)
    ]


def _score(value: float | None) -> float | None:
    return None if value is None else round(float(value), 4)


def golden_rows(answerer: Answerer, path: Path, mode: str, k: int) -> list[list[Any]]:
    """The golden set run through the pipeline: one row for all questions, one per language."""
    report = evaluate(answerer, load_questions(path), mode, int(k))
    rows = []
    for name, m in [("all", report)] + list(report["by_language"].items()):
        rows.append(
            [
                f"{mode} ({name})",
                m["n"],
                m["hit@1"],
                m["hit@3"],
                m["hit@5"],
                m["mrr"],
                m["ndcg@5"],
                m["answer_hit"],
                m["wrongly_refused"],
                m["unverified"],
                report["refusal_accuracy"],
                report["latency_ms_p50"],
                report["latency_ms_p95"],
            ]
        )
    return rows


def document_rows(library: Library) -> list[list[Any]]:
    return [[d.title, d.published, d.source, d.author, d.chunks, d.doc_id] for d in library.documents()]


def table(rows: list[list[Any]], headers: list[str]) -> pd.DataFrame:
    """Rows with headers in the page's language (a plain list would keep the first headers)."""
    return pd.DataFrame(rows, columns=headers)


def relabel(current: Any, headers: list[str]) -> pd.DataFrame:
    """A table as shown, under headers in another language."""
    rows = current.values.tolist() if isinstance(current, pd.DataFrame) and len(current.columns) == len(headers) else []
    return table([r for r in rows if any(v not in ("", None) for v in r)], headers)


def report_markdown(report: Report, lang: str) -> str:
    """A document-management report for the status box: its lines as Markdown, names inert."""
    lines = report.message(lang).splitlines()
    text = "\n".join(f"- {inert(line[2:])}" if line.startswith("- ") else f"\n{inert(line)}" for line in lines)
    return f"**{text.strip()}**" if report.error else text.lstrip()  # an action that did not run stands out


def example_update(lang: str, llm: bool) -> Any:
    """The example questions for a page language. Offline (no LLM), English questions find the
    Chinese articles only by figures and Latin terms (answer/pipeline.py), so the English page
    offers the Chinese questions, saying why, rather than examples that would be refused."""
    if lang == "en" and not llm:
        return gr.update(samples=[[q] for q in tr("examples", "zh")], label=tr("examples_label_offline", lang))
    return gr.update(samples=[[q] for q in tr("examples", lang)], label=tr("examples_label", lang))
