"""The chat UI's page: its components, tab by tab, and which handler (web/ui/handlers.py) each event
calls. Every fixed string is an i18n key (web/i18n.py), registered with ``Localizer`` so that the
中文/English switch relabels the page."""

from __future__ import annotations

from typing import Any, Callable

import gradio as gr

from web.corpus_admin import upload_limit_bytes
from web.deps import Services
from web.i18n import LANGUAGE_CHOICES, language, t as tr
from web.ui.handlers import Handlers
from web.ui.rendering import example_update, relabel

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
        with gr.Row(equal_height=True):
            localize(gr.Markdown(tr("intro")), value="intro")
            lang = gr.Radio(LANGUAGE_CHOICES, value="zh", label=tr("language"), elem_id="gw-lang", scale=0, min_width=240)
        with gr.Tabs():
            with localize(gr.Tab(tr("tab_chat"), id="chat"), label="tab_chat"):
                _chat(handlers, localize, lang, has_llm=services.answerer.llm is not None)
            with localize(gr.Tab(tr("tab_lab"), id="lab"), label="tab_lab"):
                lab_tables = _lab(handlers, localize, lang, services.settings.retrieval_mode)
            with localize(gr.Tab(tr("tab_documents"), id="documents"), label="tab_documents") as documents_tab:
                documents, admin_panel, admin_only, delete_choice = _documents(handlers, localize, lang, documents_tab, services)
        tables = [*lab_tables, documents]
        lang.change(localize.switch, [lang, *tables], localize.components + tables)
        demo.load(handlers.on_load, None, [lang, documents, admin_panel, admin_only, delete_choice])
    return demo


def _chat(handlers: Handlers, localize: Localizer, lang: gr.Radio, has_llm: bool) -> None:
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
        comment = localize(gr.Textbox(label=tr("comment"), lines=2, max_length=4000, elem_id="gw-comment"), label="comment")
        feedback_send = localize(gr.Button(tr("feedback_send"), elem_id="gw-feedback-send"), value="feedback_send")
        feedback_status = gr.Markdown(elem_id="gw-feedback-status")
    with gr.Row(equal_height=True):
        question = localize(
            gr.Textbox(placeholder=tr("placeholder"), show_label=False, scale=8, min_width=160, elem_id="gw-question"),
            placeholder="placeholder",
        )
        send = localize(gr.Button(tr("send"), variant="primary", scale=1, min_width=60, elem_id="gw-send"), value="send")
    clear = localize(gr.Button(tr("new_conversation"), elem_id="gw-new"), value="new_conversation")
    examples = gr.Examples(tr("examples"), inputs=question, label=tr("examples_label"))
    localize.add(examples.dataset, lambda code: example_update(code, has_llm))

    chat_in, chat_out = [question, chatbot, turns, records, lang], [chatbot, question, turns, records]
    question.submit(handlers.respond, chat_in, chat_out)
    send.click(handlers.respond, chat_in, chat_out)
    clear.click(handlers.new_conversation, None, [chatbot, question, turns, records, pending, feedback_panel])
    chatbot.like(handlers.liked, [records, lang], [feedback_panel, pending, feedback_heading, wrong_source, comment])
    feedback_send.click(handlers.submit_feedback, [pending, records, comment, wrong_source, lang], [feedback_status, pending])


def _lab(handlers: Handlers, localize: Localizer, lang: gr.Radio, mode: str) -> list[gr.Dataframe]:
    localize(gr.Markdown(tr("lab_intro")), value="lab_intro")
    with gr.Row():
        question = localize(gr.Textbox(label=tr("lab_question"), scale=4, min_width=160, elem_id="gw-lab-question"), label="lab_question")
        mode_choice = localize(gr.Radio(["hybrid", "bm25", "dense"], value=mode, label=tr("lab_mode"), elem_id="gw-lab-mode"), label="lab_mode")
        k = gr.Slider(1, 20, value=5, step=1, label="k", elem_id="gw-lab-k")
    search = localize(gr.Button(tr("lab_search"), variant="primary", elem_id="gw-lab-search"), value="lab_search")
    results = gr.Dataframe(headers=tr("search_columns"), interactive=False, wrap=True, elem_id="gw-lab-results")
    golden = localize(gr.Button(tr("lab_golden"), elem_id="gw-lab-golden"), value="lab_golden")
    metrics = gr.Dataframe(headers=tr("metric_columns"), interactive=False, elem_id="gw-lab-metrics")

    search.click(handlers.lab_search, [question, mode_choice, k, lang], results)
    question.submit(handlers.lab_search, [question, mode_choice, k, lang], results)
    golden.click(handlers.lab_golden, [mode_choice, k, lang], metrics)
    return [results, metrics]


def _documents(handlers: Handlers, localize: Localizer, lang: gr.Radio, tab: gr.Tab, services: Services) -> tuple[Any, ...]:
    localize(gr.Markdown(tr("documents_intro")), value="documents_intro")
    documents = gr.Dataframe(headers=tr("document_columns"), interactive=False, wrap=True, elem_id="gw-documents")
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
            upload = localize(gr.Button(tr("upload_button"), variant="primary", elem_id="gw-upload-send"), value="upload_button")
            reindex = localize(gr.Button(tr("reindex_button"), elem_id="gw-reindex"), value="reindex_button")
        with gr.Row(equal_height=True):
            delete_choice = localize(gr.Dropdown(choices=[], label=tr("delete_label"), scale=3, elem_id="gw-delete-choice"), label="delete_label")
            delete = localize(gr.Button(tr("delete_button"), variant="stop", scale=1, elem_id="gw-delete"), value="delete_button")
        status = gr.Markdown(elem_id="gw-admin-status")

    outputs = [status, documents, delete_choice, upload_files]
    upload.click(handlers.upload_articles, [upload_files, lang], outputs, api_name="upload_documents")
    reindex.click(handlers.reindex_articles, [lang], outputs, api_name="reindex_documents")
    delete.click(handlers.delete_article, [delete_choice, lang], outputs, api_name="delete_document")
    return documents, admin_panel, admin_only, delete_choice
