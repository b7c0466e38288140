"""The chat UI's page: its components, tab by tab, and which handler (web/ui/handlers.py) each event
calls. Every fixed string is an i18n key (web/i18n.py), registered with ``Localizer`` so that the
中文/English switch relabels the page; the header (title, who is signed in, logout) is a template
(web/templates/ui_header.html) rendered per visitor. CSS in web/static/ui.css lays it out for a
phone as well as a desk."""

from __future__ import annotations

from typing import Any, Callable

import gradio as gr

from web.corpus_admin import upload_limit_bytes
from web.deps import Services
from web.i18n import LANGUAGE_CHOICES, language, t as tr
from web.pages import ui_header
from web.ui.handlers import Handlers
from web.ui.rendering import LAB_COLUMN_WIDTHS, DOCUMENT_COLUMN_WIDTHS, example_update, golden_count, relabel

TABLE_HEADERS = ("search_columns", "metric_columns", "document_columns")  # the lab's two tables, the documents
# The Documents tab's events (api_name): web/gradio_guard.py lets only administrators call them.
ADMIN_EVENTS = ("upload_documents", "reindex_documents", "delete_document")


class Localizer:
    """The components whose props (label, value, placeholder…) are i18n keys, and their updates."""

    def __init__(self) -> None:
        self.updates: list[tuple[Any, Callable[[str], Any]]] = []

    def __call__(self, component: Any, **props: str) -> Any:
        return self.add(component, lambda lang: gr.update(**{prop: tr(key, lang) for prop, key in props.items()}))

    def add(self, component: Any, update: Callable[[str], Any]) -> Any:
        self.updates.append((component, update))
        return component

    @property
    def components(self) -> list[Any]:
        return [c for c, _ in self.updates]

    def switch(self, lang: str, *tables: Any) -> list[Any]:
        """Every registered component in ``lang``, and the tables relabelled with their rows kept."""
        lang = language(lang)
        return [update(lang) for _, update in self.updates] + [relabel(t, tr(key, lang)) for t, key in zip(tables, TABLE_HEADERS)]


def build_ui(services: Services) -> gr.Blocks:
    handlers = Handlers(services)
    localize = Localizer()
    with gr.Blocks(title=tr("page_title")) as demo:
        with gr.Row(elem_id="gw-top"):
            header = gr.HTML(ui_header("zh", None), elem_id="gw-header", padding=False)
            lang = gr.Radio(
                LANGUAGE_CHOICES, value="zh", label=tr("language"), show_label=False, container=False,
                elem_id="gw-lang", scale=0, min_width=0,
            )
        with gr.Tabs():
            with localize(gr.Tab(tr("tab_chat"), id="chat"), label="tab_chat"):
                _chat(handlers, localize, lang)
            with localize(gr.Tab(tr("tab_lab"), id="lab"), label="tab_lab"):
                lab_tables = _lab(handlers, localize, lang, services.settings.retrieval_mode)
            with localize(gr.Tab(tr("tab_documents"), id="documents"), label="tab_documents") as documents_tab:
                documents, admin_panel, admin_only, delete_choice = _documents(handlers, localize, lang, documents_tab, services)
        tables = [*lab_tables, documents]
        # No loading overlays on the header and the switch while the page settles or changes language.
        lang.change(localize.switch, [lang, *tables], localize.components + tables, show_progress="hidden")
        lang.change(handlers.header, lang, header, show_progress="hidden")
        demo.load(handlers.on_load, None, [lang, header, documents, admin_panel, admin_only, delete_choice],
                  show_progress="hidden")
    return demo


def _chat(handlers: Handlers, localize: Localizer, lang: gr.Radio) -> None:
    turns = gr.State([])  # the plain conversation (questions and answer texts) for follow-ups
    records = gr.State({})  # chat message index → what was asked and answered, for feedback
    rated = gr.State(None)  # the rating just saved: its feedback id, the answer it belongs to
    chatbot = localize(gr.Chatbot(
        label=tr("chat_label"), height=520, elem_id="gw-chat", sanitize_html=True, buttons=["copy"],
        feedback_options=("Like", "Dislike"), placeholder=tr("chat_empty"),
    ), label="chat_label", placeholder="chat_empty")
    with gr.Group(visible=False, elem_id="gw-feedback") as feedback_panel:
        feedback_status = gr.Markdown(elem_id="gw-feedback-status")
        wrong_source = localize(gr.Checkbox(label=tr("wrong_source"), elem_id="gw-wrong-source"), label="wrong_source")
        comment = localize(gr.Textbox(label=tr("comment"), lines=2, max_length=4000, elem_id="gw-comment"), label="comment")
        feedback_send = localize(gr.Button(tr("feedback_send"), size="sm", elem_id="gw-feedback-send"), value="feedback_send")
    with gr.Row(equal_height=True, elem_id="gw-ask-row"):
        question = localize(
            gr.Textbox(placeholder=tr("placeholder"), label=tr("lab_question"), show_label=False, scale=8, min_width=0,
                       elem_id="gw-question"),
            placeholder="placeholder",
        )
        send = localize(gr.Button(tr("send"), variant="primary", scale=0, min_width=72, elem_id="gw-send"), value="send")
    clear = localize(gr.Button(tr("new_conversation"), size="sm", elem_id="gw-new"), value="new_conversation")
    examples = gr.Examples(tr("examples"), inputs=question, label=tr("examples_label"))
    localize.add(examples.dataset, example_update)

    chat_in, chat_out = [question, chatbot, turns, records, lang], [chatbot, question, turns, records]
    feedback_out = [feedback_panel, rated, feedback_status, wrong_source, comment]
    for ask in (question.submit, send.click):
        ask(handlers.respond, chat_in, chat_out)
        ask(handlers.hide_feedback, None, feedback_out)  # a confirmation never outlives its answer
    clear.click(handlers.new_conversation, None, [chatbot, question, turns, records, *feedback_out])
    chatbot.like(handlers.rate, [records, rated, lang], feedback_out)
    feedback_send.click(handlers.add_comment, [rated, records, comment, wrong_source, lang], [feedback_status, rated])


def _lab(handlers: Handlers, localize: Localizer, lang: gr.Radio, mode: str) -> list[gr.Dataframe]:
    localize(gr.Markdown(tr("lab_intro")), value="lab_intro")
    with gr.Row():
        question = localize(gr.Textbox(label=tr("lab_question"), scale=4, min_width=160, elem_id="gw-lab-question"), label="lab_question")
        mode_choice = localize(gr.Radio([tuple(c) for c in tr("lab_modes")], value=mode, label=tr("lab_mode"), elem_id="gw-lab-mode"),
                               label="lab_mode")
        localize.add(mode_choice, lambda code: gr.update(choices=[tuple(c) for c in tr("lab_modes", code)]))
        k = gr.Slider(1, 20, value=5, step=1, label="k", elem_id="gw-lab-k")
    search = localize(gr.Button(tr("lab_search"), variant="primary", elem_id="gw-lab-search"), value="lab_search")
    results = gr.Dataframe(headers=tr("search_columns"), interactive=False, wrap=True, elem_id="gw-lab-results",
                           column_widths=LAB_COLUMN_WIDTHS, max_height=640)
    count = golden_count()
    golden = localize.add(gr.Button(tr("lab_golden", count=count), elem_id="gw-lab-golden"),
                          lambda code: gr.update(value=tr("lab_golden", code, count=count)))
    metrics = gr.Dataframe(headers=tr("metric_columns"), interactive=False, elem_id="gw-lab-metrics")

    search.click(handlers.lab_search, [question, mode_choice, k, lang], results)
    question.submit(handlers.lab_search, [question, mode_choice, k, lang], results)
    golden.click(handlers.lab_golden, [mode_choice, k, lang], metrics)
    return [results, metrics]


def _documents(handlers: Handlers, localize: Localizer, lang: gr.Radio, tab: gr.Tab, services: Services) -> tuple[Any, ...]:
    localize(gr.Markdown(tr("documents_intro")), value="documents_intro")
    documents = gr.Dataframe(headers=tr("document_columns"), interactive=False, wrap=True, elem_id="gw-documents",
                             column_widths=DOCUMENT_COLUMN_WIDTHS)
    tab.select(handlers.documents, lang, documents)
    admin_only = localize(gr.Markdown(tr("admin_only"), elem_id="gw-admin-only"), value="admin_only")
    with gr.Group(visible=False, elem_id="gw-admin") as admin_panel:  # shown to administrators on load
        localize(gr.Markdown(tr("admin_heading")), value="admin_heading")
        limit = f"{upload_limit_bytes(services.settings) / 1_000_000:.3g}"
        localize.add(gr.Markdown(tr("admin_intro", limit=limit)), lambda code: gr.update(value=tr("admin_intro", code, limit=limit)))
        upload_files = localize(gr.File(
            label=tr("upload_label"), file_count="multiple", type="filepath", elem_id="gw-upload",
            file_types=[".txt", ".md", ".html", ".htm", ".pdf", ".docx"],
        ), label="upload_label")
        with gr.Row():
            title = localize(gr.Textbox(label=tr("upload_title"), max_length=300, elem_id="gw-upload-title", scale=2), label="upload_title")
            published = localize(gr.Textbox(label=tr("upload_published"), max_length=40, elem_id="gw-upload-date"), label="upload_published")
            source = localize(gr.Textbox(label=tr("upload_source"), max_length=300, elem_id="gw-upload-source"), label="upload_source")
        with gr.Row():
            upload = localize(gr.Button(tr("upload_button"), variant="primary", elem_id="gw-upload-send"), value="upload_button")
            reindex = localize(gr.Button(tr("reindex_button"), elem_id="gw-reindex"), value="reindex_button")
        with gr.Row(equal_height=True):
            delete_choice = localize(gr.Dropdown(choices=[], label=tr("delete_label"), scale=3, elem_id="gw-delete-choice"), label="delete_label")
            delete = localize(gr.Button(tr("delete_button"), variant="stop", scale=1, elem_id="gw-delete"), value="delete_button")
        with gr.Group(visible=False, elem_id="gw-delete-confirm") as confirm_panel:  # what goes, before it goes
            confirm_text = gr.Markdown(elem_id="gw-delete-what")
            with gr.Row():
                confirm = localize(gr.Button(tr("delete_confirm_button"), variant="stop", elem_id="gw-delete-yes"), value="delete_confirm_button")
                cancel = localize(gr.Button(tr("delete_cancel"), elem_id="gw-delete-no"), value="delete_cancel")
        status = gr.Markdown(elem_id="gw-admin-status")

    outputs = [status, documents, delete_choice, upload_files, confirm_panel]
    upload.click(handlers.upload_articles, [upload_files, title, published, source, lang], [*outputs, title, published, source],
                 api_name="upload_documents")
    reindex.click(handlers.reindex_articles, [lang], outputs, api_name="reindex_documents")
    delete.click(handlers.confirm_delete, [delete_choice, lang], [confirm_panel, confirm_text, status])
    cancel.click(handlers.cancel_delete, [lang], [confirm_panel, status])
    confirm.click(handlers.delete_article, [delete_choice, lang], outputs, api_name="delete_document")
    return documents, admin_panel, admin_only, delete_choice
