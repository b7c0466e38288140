"""The chat UI's event handlers: one method each, wired to their components in web/ui/layout.py.

``Handlers`` is given the app's ``Services`` (web/deps.py) once; a method's parameters are the
component values Gradio passes (plus ``gr.Request`` / ``gr.LikeData`` where it needs them), and it
returns what the outputs show. Document management checks the caller's role in ``CorpusAdmin`` on
every call, whatever the page shows.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import gradio as gr

from answer.pipeline import Turn
from index.vector_store import VectorStoreError
from settings import GOLDEN_PATH
from web.admin_report import Report
from web.auth import identity_of
from web.corpus_admin import Upload
from web.deps import Services
from web.i18n import language, t as tr
from web.schemas import FeedbackRequest, QuestionError, validate_question
from web.ui.rendering import (
    document_rows,
    golden_rows,
    inert,
    pending_answer,
    question_message,
    render_answer,
    report_markdown,
    search_rows,
    table,
)

log = logging.getLogger("guanwen")


class Handlers:
    def __init__(self, services: Services):
        self.settings = services.settings
        self.answerer = services.answerer
        self.library = services.library
        self.feedback = services.feedback
        self.admin = services.admin
        self.uploads = services.uploads

    # --- the chat -----------------------------------------------------------------------------------

    def respond(self, question: str, messages: list[dict[str, Any]], turns: list[dict[str, str]], records: dict, lang: str = "zh"):
        """The question, then the provisional text while an LLM writes, then the verified answer."""
        lang = language(lang)
        typed = question if isinstance(question, str) else ""
        try:
            question = validate_question(typed, self.settings.max_question_chars)
        except QuestionError as error:
            # Said in the chat, not as an error toast; the question stays in the box to be fixed.
            preview = typed.strip()[:80] + ("…" if len(typed.strip()) > 80 else "")
            shown = [{"role": "user", "content": inert(preview)}] if preview else []
            yield messages + shown + [{"role": "assistant", "content": question_message(error, lang)}], typed, turns, records
            return
        history = [Turn(role=t["role"], content=t["content"]) for t in turns]
        messages = messages + [{"role": "user", "content": inert(question)}, {"role": "assistant", "content": ""}]
        index = len(messages) - 1
        provisional = ""
        try:
            for event in self.answerer.ask_stream(question, history):
                if event.kind == "token":
                    provisional += event.text
                    messages[-1]["content"] = pending_answer(provisional, lang)
                    yield messages, "", turns, records
                elif event.kind == "answer" and event.answer is not None:
                    answer = event.answer
                    details = self.library.details([c.doc_id for c in answer.citations + answer.related])
                    messages[-1]["content"] = render_answer(answer, question, details, index, lang)
                    turns = turns + [{"role": "user", "content": question}, {"role": "assistant", "content": answer.answer}]
                    records = {**records, index: {
                        "question": question,
                        "answer": answer.answer,
                        "citations": [c.__dict__ for c in answer.citations],
                        "query": answer.query,
                        "refused": answer.refused,
                    }}
        except VectorStoreError as error:  # a service down, not a bug: say so plainly
            log.warning("answering failed: %s", error)
            messages[-1]["content"] = tr("vectors_down", lang)
        except Exception:  # the UI shows a message, never a traceback; the log keeps the detail
            log.exception("answering failed")
            messages[-1]["content"] = tr("answer_failed", lang)
        yield messages, "", turns, records

    @staticmethod
    def new_conversation():
        return [], "", [], {}, None, gr.update(visible=False)

    def liked(self, records: dict, lang: str, data: gr.LikeData):
        lang = language(lang)
        index = data.index if isinstance(data.index, int) else data.index[0]
        if index not in records or data.liked not in (True, False):  # not an answer, or the rating undone
            return gr.update(visible=False), None, "", False, ""
        rating = "up" if data.liked is True else "down"
        heading = tr("feedback_heading", lang, label=tr("helpful" if rating == "up" else "not_helpful", lang))
        return gr.update(visible=True), {"index": index, "rating": rating}, heading, False, ""

    def submit_feedback(self, pending: dict | None, records: dict, comment: str, wrong_source: bool, lang: str, request: gr.Request):
        lang = language(lang)
        if not pending or pending.get("index") not in records:
            return tr("feedback_first", lang), pending
        record = records[pending["index"]]
        identity = identity_of(request)
        try:
            self.feedback.add(
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
                user=identity.name if identity else "",
            )
        except Exception:
            log.exception("storing feedback failed")
            return tr("feedback_failed", lang), pending
        return tr("feedback_saved", lang), None

    # --- the retrieval lab ----------------------------------------------------------------------------

    def lab_search(self, question: str, mode: str, k: int, lang: str):
        lang = language(lang)
        typed = question if isinstance(question, str) else ""
        rows = []
        if typed.strip():  # an empty box shows an empty table, not an error
            try:
                question = validate_question(typed, self.settings.max_question_chars)
            except QuestionError as error:
                raise gr.Error(question_message(error, lang)) from None  # a message, not a traceback
            try:
                rows = search_rows(self.library, question, mode, k)
            except VectorStoreError as error:  # shown as the lab's error toast, not a traceback
                raise gr.Error(tr("lab_vectors_down", lang, error=error)) from error
        return table(rows, tr("search_columns", lang))

    def lab_golden(self, mode: str, k: int, lang: str):
        return table(golden_rows(self.answerer, GOLDEN_PATH, mode, k), tr("metric_columns", language(lang)))

    # --- the documents tab ----------------------------------------------------------------------------

    def documents(self, lang: str):
        return table(document_rows(self.library), tr("document_columns", language(lang)))

    def on_load(self, request: gr.Request):
        """The page's language (``?lang=en``), the documents, and the admin panel for administrators."""
        identity = identity_of(request)
        is_admin = bool(identity and identity.is_admin)
        lang = language(request.query_params.get("lang"))
        choices = self._delete_choices() if is_admin else gr.update()
        return lang, self.documents(lang), gr.update(visible=is_admin), gr.update(visible=not is_admin), choices

    def upload_articles(self, files: list[str] | None, lang: str, request: gr.Request):
        identity = identity_of(request)
        # Only files this caller uploaded through the page (web/gradio_guard.py checked it already).
        mine = [f for f in (files or []) if identity and self.uploads.owns(identity.upload_key, f)]
        if len(mine) != len(files or []):
            return self._after(Report(error="forbidden"), lang)
        try:
            uploads = [Upload(Path(f).name, Path(f)) for f in mine]  # Gradio keeps the sent name
            return self._after(self.admin.upload(identity, uploads), lang, clear_upload=True)
        finally:
            self.uploads.discard(mine)  # saved in the corpus, or refused: either way no longer needed

    def reindex_articles(self, lang: str, request: gr.Request):
        return self._after(self.admin.reindex(identity_of(request)), lang)

    def delete_article(self, doc_id: str | None, lang: str, request: gr.Request):
        return self._after(self.admin.delete(identity_of(request), doc_id or ""), lang)

    def _delete_choices(self) -> Any:
        return gr.update(choices=[(f"{d.title} ({d.doc_id})", d.doc_id) for d in self.library.documents()], value=None)

    def _after(self, report: Report, lang: str, clear_upload: bool = False):
        """The report, the documents as they are now, the delete choices, the upload box."""
        lang = language(lang)
        files = gr.update(value=None) if clear_upload and not report.error else gr.update()
        choices = gr.update() if report.error == "forbidden" else self._delete_choices()
        return report_markdown(report, lang), self.documents(lang), choices, files
