"""The Gradio UI: the chat for officials (each answer followed by its sources, clickable [n]
markers, feedback), the retrieval lab for developers, and the list of indexed documents with
document management for administrators. Chinese by default; every fixed string comes from
web/i18n.py, and the 中文/English switch (or ``/?lang=en``) relabels the page. Its CSS and ``<head>``
script are files (web/static/ui.css, ui.js), handed to Gradio by app.py."""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any, Callable

import gradio as gr
import pandas as pd

from answer.models import Answer, Citation
from answer.pipeline import Answerer, Turn
from index.vector_store import VectorStoreError
from settings import GOLDEN_PATH
from web.corpus_admin import CorpusAdmin, Report, Upload, upload_limit_bytes
from web.documents import document_details, list_documents
from web.auth import identity_of
from web.feedback import FeedbackRequest, FeedbackStore
from web.i18n import LANGUAGE_CHOICES, language, t as tr
from web.inputs import InputTextError, clean_text


EXAMPLES = tr("examples")

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


def _user_name(request: gr.Request | None) -> str:
    identity = identity_of(request) if request is not None else None
    return identity.name if identity else ""


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


SEARCH_COLUMNS = tr("search_columns")


def question_problem(question: str, max_chars: int, lang: str = "zh") -> str | None:
    """What the chat says instead of answering an unusable question (the same rules as the API)."""
    try:
        cleaned = clean_text(question).strip()
    except InputTextError:
        return tr("question_bad_chars", lang)
    if not cleaned:
        return tr("question_empty", lang)
    if len(cleaned) > max_chars:
        return tr("question_too_long", lang, length=len(cleaned), limit=max_chars)
    return None


def search_rows(answerer: Answerer, question: str, mode: str, k: int, lang: str = "zh") -> list[list[Any]]:
    """The retrieval lab's table: ranked passages with every retriever's score and rank."""
    question = question if isinstance(question, str) else ""
    if question.strip() and (problem := question_problem(question, answerer.settings.max_question_chars, lang)):
        raise gr.Error(problem)  # a message, not a traceback
    question = clean_text(question).strip()
    if not question or mode not in ("hybrid", "bm25", "dense"):
        return []
    k = min(max(int(k), 1), 50)  # the slider's range can be bypassed through Gradio's API
    rows = []
    try:
        hits = answerer.searcher.search(question, mode, int(k))
    except VectorStoreError as error:  # shown as the lab's error toast, not a traceback
        raise gr.Error(tr("lab_vectors_down", lang, error=error)) from error
    for hit in hits:
        fused = mode == "hybrid"
        rows.append(
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
        )
    return rows


def _score(value: float | None) -> float | None:
    return None if value is None else round(float(value), 4)


METRIC_COLUMNS = tr("metric_columns")


def golden_rows(answerer: Answerer, path: Path, mode: str, k: int) -> list[list[Any]]:
    """The golden set run through the pipeline: one row for all questions, one per language."""
    from evaluation.run import evaluate, load_questions

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


DOCUMENT_COLUMNS = tr("document_columns")


def document_rows(answerer: Answerer) -> list[list[Any]]:
    return [
        [d.title, d.published, d.source, d.author, d.chunks, d.doc_id]
        for d in list_documents(answerer.searcher.store.manifest)
    ]


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


def build_ui(answerer: Answerer, feedback: FeedbackStore | None = None, admin: CorpusAdmin | None = None) -> gr.Blocks:
    manifest = answerer.searcher.store.manifest
    log = logging.getLogger("guanwen")
    admin = admin or CorpusAdmin(answerer.settings, answerer.searcher.store)

    def respond(
        question: str, messages: list[dict[str, Any]], turns: list[dict[str, str]], records: dict, lang: str = "zh"
    ):
        lang = language(lang)
        typed = question if isinstance(question, str) else ""
        if problem := question_problem(typed, answerer.settings.max_question_chars, lang):
            # Said in the chat, not as an error toast; the question stays in the box to be fixed.
            preview = typed.strip()[:80] + ("…" if len(typed.strip()) > 80 else "")
            shown = [{"role": "user", "content": inert(preview)}] if preview else []
            yield messages + shown + [{"role": "assistant", "content": problem}], typed, turns, records
            return
        question = clean_text(typed).strip()
        history = [Turn(role=t["role"], content=t["content"]) for t in turns]
        messages = messages + [{"role": "user", "content": inert(question)}, {"role": "assistant", "content": ""}]
        index = len(messages) - 1
        provisional = ""
        try:
            for event in answerer.ask_stream(question, history):
                if event.kind == "token":
                    provisional += event.text
                    messages[-1]["content"] = (  # one HTML block, its text inert, like the final answer
                        f'<div class="gw-answer-block">{inert(provisional)}<div class="gw-pending">{tr("pending", lang)}</div></div>'
                    )
                    yield messages, "", turns, records
                elif event.kind == "answer" and event.answer is not None:
                    answer = event.answer
                    details = document_details(manifest, [c.doc_id for c in answer.citations + answer.related])
                    messages[-1]["content"] = render_answer(answer, question, details, index, lang)
                    turns = turns + [{"role": "user", "content": question}, {"role": "assistant", "content": answer.answer}]
                    records = {
                        **records,
                        index: {
                            "question": question,
                            "answer": answer.answer,
                            "citations": [c.__dict__ for c in answer.citations],
                            "query": answer.query,
                            "refused": answer.refused,
                        },
                    }
        except VectorStoreError as error:  # a service down, not a bug: say so plainly
            log.warning("answering failed: %s", error)
            messages[-1]["content"] = tr("vectors_down", lang)
        except Exception:  # the UI shows a message, never a traceback; the log keeps the detail
            log.exception("answering failed")
            messages[-1]["content"] = tr("answer_failed", lang)
        yield messages, "", turns, records

    def liked(records: dict, lang: str, data: gr.LikeData):
        lang = language(lang)
        index = data.index if isinstance(data.index, int) else data.index[0]
        if index not in records or data.liked not in (True, False):  # not an answer, or the rating undone
            return gr.update(visible=False), None, "", False, ""
        rating = "up" if data.liked is True else "down"
        heading = tr("feedback_heading", lang, label=tr("helpful" if rating == "up" else "not_helpful", lang))
        return gr.update(visible=True), {"index": index, "rating": rating}, heading, False, ""

    def submit_feedback(
        pending: dict | None, records: dict, comment: str, wrong_source: bool, lang: str, request: gr.Request
    ):
        lang = language(lang)
        if feedback is None or not pending or pending.get("index") not in records:
            return tr("feedback_first", lang), pending
        record = records[pending["index"]]
        try:
            feedback.add(
                FeedbackRequest(
                    question=record["question"],
                    answer=record["answer"],
                    rating=pending["rating"],
                    comment=(comment or "").strip()[:4000],
                    wrong_source=bool(wrong_source),
                    citations=record["citations"],
                    query=record["query"],
                    refused=record["refused"],
                    channel="ui",
                ),
                user=_user_name(request),
            )
        except Exception:
            log.exception("storing feedback failed")
            return tr("feedback_failed", lang), pending
        return tr("feedback_saved", lang), None

    # Document management: the role is checked by CorpusAdmin on every call, whatever the page shows.
    def delete_choices() -> Any:
        docs = list_documents(manifest)
        return gr.update(choices=[(f"{d.title} ({d.doc_id})", d.doc_id) for d in docs], value=None)

    def after(report: Report, lang: str, clear_upload: bool = False):
        lang = language(lang)
        rows = table(document_rows(answerer), tr("document_columns", lang))
        files = gr.update(value=None) if clear_upload and not report.error else gr.update()
        choices = gr.update() if report.error == "forbidden" else delete_choices()
        return report_markdown(report, lang), rows, choices, files

    def upload_articles(files: list[str] | None, lang: str, request: gr.Request):
        uploads = [Upload(Path(f).name, Path(f)) for f in (files or [])]  # Gradio keeps the sent name
        return after(admin.upload(identity_of(request), uploads), lang, clear_upload=True)

    def reindex_articles(lang: str, request: gr.Request):
        return after(admin.reindex(identity_of(request)), lang)

    def delete_article(doc_id: str | None, lang: str, request: gr.Request):
        return after(admin.delete(identity_of(request), doc_id or ""), lang)

    def on_load(request: gr.Request):
        identity = identity_of(request)
        is_admin = bool(identity and identity.is_admin)
        lang = language(request.query_params.get("lang"))
        rows = table(document_rows(answerer), tr("document_columns", lang))
        return lang, rows, gr.update(visible=is_admin), gr.update(visible=not is_admin), delete_choices() if is_admin else gr.update()

    localized: list[tuple[Any, Callable[[str], Any]]] = []  # a component and its update for a language

    def localize(component: Any, **props: str) -> Any:
        """Register a component whose props (label, value, placeholder…) are i18n keys."""
        localized.append((component, lambda lang: gr.update(**{prop: tr(key, lang) for prop, key in props.items()})))
        return component

    with gr.Blocks(title=tr("page_title")) as demo:
        with gr.Row(equal_height=True):
            localize(gr.Markdown(tr("intro")), value="intro")
            lang_choice = gr.Radio(
                LANGUAGE_CHOICES, value="zh", label=tr("language"), elem_id="gw-lang", scale=0, min_width=240
            )
        with gr.Tabs():
            with localize(gr.Tab(tr("tab_chat"), id="chat"), label="tab_chat"):
                turns = gr.State([])  # the plain conversation (questions and answer texts) for follow-ups
                records = gr.State({})  # chat message index → what was asked and answered, for feedback
                pending = gr.State(None)  # the answer being rated
                chatbot = localize(gr.Chatbot(
                    label=tr("chat_label"), height=520, elem_id="gw-chat", sanitize_html=True, buttons=["copy"],
                    feedback_options=("Like", "Dislike"),
                ), label="chat_label")
                with gr.Group(visible=False, elem_id="gw-feedback") as feedback_panel:
                    feedback_heading = gr.Markdown()
                    wrong_source = localize(gr.Checkbox(label=tr("wrong_source"), elem_id="gw-wrong-source"), label="wrong_source")
                    comment = localize(
                        gr.Textbox(label=tr("comment"), lines=2, max_length=4000, elem_id="gw-comment"), label="comment"
                    )
                    feedback_send = localize(gr.Button(tr("feedback_send"), elem_id="gw-feedback-send"), value="feedback_send")
                    feedback_status = gr.Markdown(elem_id="gw-feedback-status")
                with gr.Row(equal_height=True):
                    question = gr.Textbox(
                        placeholder=tr("placeholder"),
                        show_label=False,
                        scale=8,
                        min_width=160,
                        elem_id="gw-question",
                    )
                    send = localize(gr.Button(tr("send"), variant="primary", scale=1, min_width=60, elem_id="gw-send"), value="send")
                localize(question, placeholder="placeholder")
                clear = localize(gr.Button(tr("new_conversation"), elem_id="gw-new"), value="new_conversation")
                examples = gr.Examples(EXAMPLES, inputs=question, label=tr("examples_label"))
                localized.append((examples.dataset, lambda lang: example_update(lang, answerer.llm is not None)))
                chat_io = [question, chatbot, turns, records, lang_choice]
                question.submit(respond, chat_io, [chatbot, question, turns, records])
                send.click(respond, chat_io, [chatbot, question, turns, records])
                clear.click(
                    lambda: ([], "", [], {}, None, gr.update(visible=False)),
                    None,
                    [chatbot, question, turns, records, pending, feedback_panel],
                )
                chatbot.like(liked, [records, lang_choice], [feedback_panel, pending, feedback_heading, wrong_source, comment])
                feedback_send.click(
                    submit_feedback, [pending, records, comment, wrong_source, lang_choice], [feedback_status, pending]
                )

            with localize(gr.Tab(tr("tab_lab"), id="lab"), label="tab_lab"):
                localize(gr.Markdown(tr("lab_intro")), value="lab_intro")
                with gr.Row():
                    lab_question = localize(
                        gr.Textbox(label=tr("lab_question"), scale=4, min_width=160, elem_id="gw-lab-question"), label="lab_question"
                    )
                    lab_mode = localize(gr.Radio(
                        ["hybrid", "bm25", "dense"], value=answerer.settings.retrieval_mode, label=tr("lab_mode"), elem_id="gw-lab-mode"
                    ), label="lab_mode")
                    lab_k = gr.Slider(1, 20, value=5, step=1, label="k", elem_id="gw-lab-k")
                lab_search = localize(gr.Button(tr("lab_search"), variant="primary", elem_id="gw-lab-search"), value="lab_search")
                lab_table = gr.Dataframe(headers=SEARCH_COLUMNS, interactive=False, wrap=True, elem_id="gw-lab-results")
                lab_golden = localize(gr.Button(tr("lab_golden"), elem_id="gw-lab-golden"), value="lab_golden")
                lab_metrics = gr.Dataframe(headers=METRIC_COLUMNS, interactive=False, elem_id="gw-lab-metrics")
                def lab_rows(q, m, k, lang):
                    lang = language(lang)
                    return table(search_rows(answerer, q, m, k, lang), tr("search_columns", lang))

                lab_search.click(lab_rows, [lab_question, lab_mode, lab_k, lang_choice], lab_table)
                lab_question.submit(lab_rows, [lab_question, lab_mode, lab_k, lang_choice], lab_table)
                lab_golden.click(
                    lambda m, k, lang: table(golden_rows(answerer, GOLDEN_PATH, m, k), tr("metric_columns", language(lang))),
                    [lab_mode, lab_k, lang_choice],
                    lab_metrics,
                )

            with localize(gr.Tab(tr("tab_documents"), id="documents"), label="tab_documents") as documents_tab:
                localize(gr.Markdown(tr("documents_intro")), value="documents_intro")
                documents = gr.Dataframe(headers=DOCUMENT_COLUMNS, interactive=False, wrap=True, elem_id="gw-documents")
                documents_tab.select(
                    lambda lang: table(document_rows(answerer), tr("document_columns", language(lang))), lang_choice, documents
                )
                admin_only = localize(gr.Markdown(tr("admin_only"), elem_id="gw-admin-only"), value="admin_only")
                with gr.Group(visible=False, elem_id="gw-admin") as admin_panel:  # shown to administrators on load
                    localize(gr.Markdown(tr("admin_heading")), value="admin_heading")
                    limit = f"{upload_limit_bytes(answerer.settings) / 1_000_000:.3g}"
                    admin_intro = gr.Markdown(tr("admin_intro", limit=limit))
                    localized.append((admin_intro, lambda lang: gr.update(value=tr("admin_intro", lang, limit=limit))))
                    upload_files = localize(gr.File(
                        label=tr("upload_label"), file_count="multiple", type="filepath", elem_id="gw-upload",
                        file_types=[".txt", ".md", ".html", ".htm", ".pdf", ".docx"],
                    ), label="upload_label")
                    with gr.Row():
                        upload_send = localize(
                            gr.Button(tr("upload_button"), variant="primary", elem_id="gw-upload-send"), value="upload_button"
                        )
                        reindex = localize(gr.Button(tr("reindex_button"), elem_id="gw-reindex"), value="reindex_button")
                    with gr.Row(equal_height=True):
                        delete_choice = localize(
                            gr.Dropdown(choices=[], label=tr("delete_label"), scale=3, elem_id="gw-delete-choice"), label="delete_label"
                        )
                        delete = localize(gr.Button(tr("delete_button"), variant="stop", scale=1, elem_id="gw-delete"), value="delete_button")
                    admin_status = gr.Markdown(elem_id="gw-admin-status")
                admin_outputs = [admin_status, documents, delete_choice, upload_files]
                upload_send.click(upload_articles, [upload_files, lang_choice], admin_outputs, api_name="upload_documents")
                reindex.click(reindex_articles, [lang_choice], admin_outputs, api_name="reindex_documents")
                delete.click(delete_article, [delete_choice, lang_choice], admin_outputs, api_name="delete_document")

        tables = [lab_table, lab_metrics, documents]  # relabelled, their rows kept

        def switch_language(lang: str, *tables: Any):
            lang = language(lang)
            headers = [tr(key, lang) for key in ("search_columns", "metric_columns", "document_columns")]
            return [update(lang) for _, update in localized] + [relabel(t, h) for t, h in zip(tables, headers)]

        lang_choice.change(switch_language, [lang_choice, *tables], [c for c, _ in localized] + tables)
        demo.load(on_load, None, [lang_choice, documents, admin_panel, admin_only, delete_choice])
    return demo
