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
from web.inputs import stated_metadata
from web.deps import Services
from web.i18n import language, t as tr
from web.pages import signed_in, ui_header
from web.schemas import FeedbackRequest, QuestionError, validate_question
from web.ui.rendering import (
    delete_summary,
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
HIDDEN = gr.update(visible=False)


class Handlers:
    def __init__(self, services: Services):
        self.settings = services.settings
        self.answerer = services.answerer
        self.library = services.library
        self.feedback = services.feedback
        self.admin = services.admin
        self.uploads = services.uploads
        self.auth_enabled = services.authenticator.enabled

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
    def hide_feedback():
        """The feedback panel closed (a new question): its confirmation belonged to another answer."""
        return HIDDEN, None, "", False, ""

    @staticmethod
    def new_conversation():
        return [], "", [], {}, *Handlers.hide_feedback()

    def rate(self, records: dict, rated: dict | None, lang: str, data: gr.LikeData, request: gr.Request):
        """A thumb clicked: the rating is saved at once (a different answer gets its own record, the
        same answer's new rating replaces the old one, a rating taken back is withdrawn)."""
        lang = language(lang)
        index = data.index if isinstance(data.index, int) else data.index[0]
        if index not in records:  # a question, not an answer
            return self.hide_feedback()
        user = _user(request)
        same = rated if rated and rated.get("index") == index else None
        number = sorted(records).index(index) + 1
        if data.liked not in (True, False):  # the thumb clicked again: taken back
            if same:
                self.feedback.withdraw(same["feedback_id"], user)
            return gr.update(visible=True), None, tr("feedback_withdrawn", lang, number=number), False, ""
        rating = "up" if data.liked is True else "down"
        try:
            stored = self.feedback.add(_feedback(records[index], rating), user, feedback_id=same["feedback_id"] if same else None)
        except Exception:
            log.exception("storing feedback failed")
            return gr.update(visible=True), None, tr("feedback_failed", lang), False, ""
        question = records[index]["question"]
        shown = question if len(question) <= 30 else question[:30] + "…"
        status = tr("feedback_saved_rating", lang, number=number, question=inert(shown),
                    label=tr("helpful" if rating == "up" else "not_helpful", lang))
        return gr.update(visible=True), {"index": index, "rating": rating, "feedback_id": stored["feedback_id"]}, status, False, ""

    def add_comment(self, rated: dict | None, records: dict, comment: str, wrong_source: bool, lang: str, request: gr.Request):
        """The comment and 'wrong source' for the rating just saved: the same record, now complete."""
        lang = language(lang)
        if not rated or rated.get("index") not in records:
            return tr("feedback_first", lang), rated
        record = records[rated["index"]]
        try:
            self.feedback.add(_feedback(record, rated["rating"], comment, wrong_source), _user(request), feedback_id=rated["feedback_id"])
        except Exception:
            log.exception("storing feedback failed")
            return tr("feedback_failed", lang), rated
        return tr("feedback_comment_saved", lang, number=sorted(records).index(rated["index"]) + 1), rated

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

    # --- the page and the documents tab -----------------------------------------------------------------

    def header(self, lang: str, request: gr.Request):
        return ui_header(language(lang), signed_in(identity_of(request), self.auth_enabled))

    def documents(self, lang: str):
        lang = language(lang)
        return table(document_rows(self.library, lang), tr("document_columns", lang))

    def on_load(self, request: gr.Request):
        """The page's language (``?lang=en``), its header, the documents, and the admin panel for administrators."""
        identity = identity_of(request)
        is_admin = bool(identity and identity.is_admin)
        asked = request.query_params.get("lang")
        lang = language(asked)
        choices = self._delete_choices() if is_admin else gr.update()
        # The switch is set only when the address names a language: a visitor who clicks English while
        # the page is still loading keeps English, instead of this answer turning it back.
        switch = lang if asked else gr.update()
        return (switch, self.header(lang, request), self.documents(lang), gr.update(visible=is_admin),
                gr.update(visible=not is_admin), choices)

    def upload_articles(self, files: list[str] | None, title: str, published: str, source: str, lang: str, request: gr.Request):
        """Save and index the files; a title, date and source given go into a sidecar beside each."""
        identity, files = identity_of(request), files or []
        # Only files this caller uploaded through the page (web/gradio_guard.py checked it already).
        if any(not (identity and self.uploads.owns(identity.upload_key, f)) for f in files):
            return self._after(Report(error="forbidden"), lang)
        stated, problem = stated_metadata(title, published, source, count=len(files))
        if problem:  # nothing saved yet: the files stay in the box, to send again with the fields fixed
            return self._after(Report(error=problem[0], error_params=problem[1]), lang, keep=True)
        try:
            report = self.admin.upload(identity, [Upload(Path(f).name, Path(f), stated) for f in files])  # Gradio keeps the sent name
        finally:
            self.uploads.discard(files)  # saved in the corpus, or refused: either way no longer needed
        return self._after(report, lang, keep_fields=bool(report.error or not report.changed))

    def reindex_articles(self, lang: str, request: gr.Request):
        return self._after(self.admin.reindex(identity_of(request)), lang)[:5]

    def confirm_delete(self, doc_id: str | None, lang: str):
        """Say what a delete takes away, and ask; nothing is deleted yet."""
        lang = language(lang)
        document = next((d for d in self.library.documents() if d.doc_id == doc_id), None)
        if document is None:
            return HIDDEN, "", tr("no_document", lang)
        return gr.update(visible=True), delete_summary(document, self.admin.files_of(doc_id), lang), ""

    @staticmethod
    def cancel_delete(lang: str):
        return HIDDEN, tr("delete_cancelled", language(lang))

    def delete_article(self, doc_id: str | None, lang: str, request: gr.Request):
        return self._after(self.admin.delete(identity_of(request), doc_id or ""), lang)[:5]

    def _delete_choices(self) -> Any:
        return gr.update(choices=[(f"{d.title} ({d.doc_id})", d.doc_id) for d in self.library.documents()], value=None)

    def _after(self, report: Report, lang: str, keep: bool = False, keep_fields: bool = False):
        """The report, the documents as they are now, the delete choices, the upload box (emptied
        unless ``keep``), the delete confirmation closed, and the upload form's fields (emptied
        unless ``keep`` or ``keep_fields``)."""
        lang = language(lang)
        choices = gr.update() if report.error == "forbidden" else self._delete_choices()
        files = gr.update() if keep else gr.update(value=None)
        fields = [gr.update()] * 3 if keep or keep_fields else [""] * 3
        return (report_markdown(report, lang), self.documents(lang), choices, files, HIDDEN, *fields)


def _user(request: gr.Request) -> str:
    identity = identity_of(request)
    return identity.name if identity else ""


def _feedback(record: dict, rating: str, comment: str = "", wrong_source: bool = False) -> FeedbackRequest:
    return FeedbackRequest(
        question=record["question"],
        answer=record["answer"],
        rating=rating,
        comment=(comment or "").strip()[:4000],
        wrong_source=bool(wrong_source),
        citations=record["citations"],
        query=record["query"],
        refused=record["refused"],
        channel="ui",
    )
