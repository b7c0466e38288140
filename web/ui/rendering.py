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
from markupsafe import Markup

from answer.models import Answer, Citation
from answer.pipeline import Answerer
from evaluation.run import evaluate, load_questions
from ingest.documents import GUESSED_TITLE
from settings import GOLDEN_PATH
from web.admin_report import Report
from web.i18n import t as tr
from web.library import Library
from web.pages import render
from web.schemas import DocumentOut, QuestionError, validate_question

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


def _inert_markup(text: str) -> Markup:
    return Markup(inert(text))


def pending_answer(provisional: str, lang: str = "zh") -> str:
    """Provisional text while an LLM writes: one HTML block, its text inert, like the final answer."""
    return render("answer_pending.html", text=provisional, lang=lang, inert=_inert_markup, tr=tr)


def render_answer(
    answer: Answer, asked: str, details: dict[str, dict[str, str]] | None = None, turn: int = 0, lang: str = "zh"
) -> str:
    """The chat message (web/templates/answer.html): what was searched (if rewritten), the answer
    with clickable [n] markers, what verification removed, then its sources (or the related
    passages of a refusal) with the article's date and source where known, all HTML-escaped."""
    verification = answer.verification
    return render(
        "answer.html",
        answer=answer,
        asked=asked,
        turn=turn,
        lang=lang,
        segments=_segments(answer.answer, {c.id for c in answer.citations}),
        removed=verification and (verification.citations_removed + verification.sentences_dropped),
        about={c.doc_id: _about((details or {}).get(c.doc_id, {}), lang) for c in answer.citations + answer.related},
        highlight=_highlight,
        inert=_inert_markup,
        tr=tr,
    )


def _segments(text: str, ids: set[int]) -> list[tuple[str, Any]]:
    """The answer as ("text", …) pieces, ("cite", n) for a marker naming a citation, and ("raw",
    "[n]") for digits in brackets that name none: nothing a renderer can act on."""
    parts: list[tuple[str, Any]] = []
    last = 0
    for match in re.finditer(r"\[(\d+)\]", text):
        number = int(match.group(1))
        parts.append(("text", text[last : match.start()]))
        parts.append(("cite", number) if number in ids else ("raw", match.group(0)))
        last = match.end()
    parts.append(("text", text[last:]))
    return parts


def _about(meta: dict[str, str], lang: str) -> str:
    """The article's date, source and author, where known."""
    author = tr("author", lang, name=meta["author"]) if meta.get("author") else ""
    return " · ".join(v for v in (meta.get("published"), meta.get("source"), author) if v)


def _highlight(citation: Citation) -> tuple[str, str, str] | None:
    """The passage before, at and after its quote, or None when the quote is not in it."""
    text, quote = citation.text, citation.quote
    start = citation.quote_start if citation.quote_start >= 0 else (text.find(quote) if quote else -1)
    if not quote or start < 0:
        return None
    end = start + len(quote)
    return text[:start], text[start:end], text[end:]


def question_message(error: QuestionError, lang: str = "zh") -> str:
    """What the chat says instead of answering an unusable question (web/schemas.py's rules)."""
    return tr(f"question_{error.code}", lang, length=error.length, limit=error.limit)


def question_problem(question: str, max_chars: int, lang: str = "zh") -> str | None:
    try:
        validate_question(question, max_chars)
    except QuestionError as error:
        return question_message(error, lang)
    return None


# Column widths: on a phone the tables scroll sideways, the passage (or title) kept wide enough to read.
LAB_COLUMN_WIDTHS = ["48px", "250px", "150px"] + ["92px"] * 8
DOCUMENT_COLUMN_WIDTHS = ["220px", "96px", "120px", "96px", "72px", "160px", "200px"]


def search_rows(library: Library, question: str, mode: str, k: int) -> list[list[Any]]:
    """The retrieval lab's table: ranked passages with every retriever's score and rank (the
    passage second, so that it is in view on a phone)."""
    if not question.strip() or mode not in ("hybrid", "bm25", "dense"):
        return []
    k = min(max(int(k), 1), 50)  # the slider's range can be bypassed through Gradio's API
    fused = mode == "hybrid"
    return [
        [
            hit.rank,
            hit.passage.text,
            hit.passage.title,
            _score(hit.score) if fused else None,
            _score(hit.bm25_score),
            hit.bm25_rank,
            _score(hit.dense_score),
            hit.dense_rank,
            _score(hit.sentence_score),
            hit.sentence_rank,
            hit.rank if fused else None,
        ]
        for hit in library.search(question, mode, k)
    ]


def _score(value: float | None) -> float | None:
    return None if value is None else round(float(value), 4)


def golden_count(path: Path = GOLDEN_PATH) -> int:
    """How many questions the golden set holds (the button says so, rather than guessing a time)."""
    return len(load_questions(path))


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
                m["answered"],
                m["wrongly_refused"],
                m["unverified"],
                m["refused_unanswerable"],
                report["latency_ms_p50"],
                report["latency_ms_p95"],
            ]
        )
    return rows


def document_rows(library: Library, lang: str = "zh") -> list[list[Any]]:
    """The Documents tab: title, date, source, author, passages, what an administrator may want to
    know or fix (text that speaks to the model, a guessed title, no date, no source), the file."""
    return [[d.title, d.published, d.source, d.author, d.chunks, _flags(d, lang), d.doc_id] for d in library.documents()]


def _flags(document: DocumentOut, lang: str) -> str:
    flags = [tr("flag_instructions", lang, flags=document.flags)] if document.flags else []
    if document.title_from in GUESSED_TITLE:
        flags.append(tr("flag_file_name_title" if document.title_from == "file name" else "flag_guessed_title", lang))
    if not document.published:
        flags.append(tr("flag_no_date", lang))
    if not document.source:
        flags.append(tr("flag_no_source", lang))
    return "；".join(flags) if lang == "zh" else "; ".join(flags)


def delete_summary(document: DocumentOut, files: list[str], lang: str) -> str:
    """What deleting an article takes away, as the confirmation says it (names inert)."""
    names = files or [document.doc_id]
    shown = "、".join(f"「{inert(f)}」" for f in names) if lang == "zh" else " and ".join(f"“{inert(f)}”" for f in names)
    return tr("delete_confirm_text", lang, title=inert(document.title), files=shown, chunks=document.chunks)


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


def example_update(lang: str) -> Any:
    """The example questions in the page's language: offline, English questions are answered too
    (searched through CC-CEDICT's glosses, quoted in Chinese)."""
    return gr.update(samples=[[q] for q in tr("examples", lang)], label=tr("examples_label", lang))
