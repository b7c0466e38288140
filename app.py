"""guanwen's composition root: builds the pieces from settings and serves them, or answers once.

    python app.py                      serve the UI at / and the API under /api
    python app.py ask "QUESTION" [--json]   answer one question on the command line
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

from settings import Settings, load_settings


class StartupError(RuntimeError):
    """The app cannot start; the message tells the user what to do."""


def build_answerer(settings: Settings):
    """Embedder, index, retrieval and answering, wired together (loads the embedding model)."""
    from answer.llm import LLMClient
    from answer.pipeline import Answerer
    from index.embedding import EmbeddingModelError, load_embedder
    from index.retrieval import Searcher
    from index.store import IndexStore
    from index.vector_store import VectorStoreError

    try:
        store = IndexStore(settings, load_embedder(settings))
        store.embedder.dimension  # load the model now: a broken one fails here, not mid-question
        store.collection.follow(lambda: store.manifest.generation)  # see each ingest's vectors
    except (VectorStoreError, EmbeddingModelError) as error:
        raise StartupError(str(error)) from error
    searcher = Searcher.from_settings(store, settings)
    llm = LLMClient(settings) if settings.llm_enabled else None
    return Answerer(settings, searcher, llm), store


def create_app(settings: Settings):
    """The HTTP app: the routers (web/routers/), the middleware around them, the chat UI at /."""
    import gradio as gr
    from fastapi import FastAPI
    from starlette.middleware import Middleware
    from starlette.middleware.cors import CORSMiddleware

    from web.access import AccessMiddleware
    from web.auth import Authenticator
    from web.corpus_admin import CorpusAdmin, upload_limit_bytes
    from web.credentials import AuthConfigError
    from web.deps import Services
    from web.errors import EXCEPTION_HANDLERS
    from web.feedback import FeedbackStore
    from web.gradio_guard import GradioGuard
    from web.i18n_gradio import GRADIO_TRANSLATIONS
    from web.library import Library
    from web.limits import Admission, AdmissionMiddleware, BodyLimitMiddleware, RateLimitMiddleware, TokenBuckets
    from web.origins import FrameAncestorsMiddleware, cors_options, frame_ancestors
    from web.pages import ui_css, ui_head
    from web.routers import admin, api_docs, ask, documents, embed, feedback, identity, openai_api
    from web.ui.layout import ADMIN_EVENTS, build_ui
    from web.uploads import UploadRegistry, make_upload_folder

    try:
        authenticator = Authenticator.from_settings(settings)
    except AuthConfigError as error:
        raise StartupError(str(error)) from error
    answerer, store = build_answerer(settings)
    answerer.warm()  # the BM25 matrix, dictionaries and taggers now, not on the first question
    embed.gradio_loader()  # read now: a missing file fails at start-up, not in a host page
    for name in api_docs.ASSETS:  # likewise the API reference's Swagger UI and ReDoc files
        api_docs.asset(name)
    # Gradio's temporary folder, where uploads wait: this process's own, bounded and emptied (web/uploads.py).
    # Set before the UI is built: Gradio reads it as each component is made.
    upload_folder = make_upload_folder(settings.upload_dir or Path(tempfile.gettempdir()))
    os.environ["GRADIO_TEMP_DIR"] = str(upload_folder)
    uploads = UploadRegistry(upload_folder, int(settings.upload_space_mb * 1_000_000), settings.upload_ttl_s)
    feedback_budget = TokenBuckets(settings.feedback_kb_per_hour / 60, settings.feedback_kb_per_hour)
    services = Services(
        settings=settings,
        answerer=answerer,
        library=Library(store, answerer.searcher, settings),
        feedback=FeedbackStore(settings.feedback_path, settings.max_feedback_kb * 1024, feedback_budget),
        admin=CorpusAdmin(settings, store),  # the app's own IndexStore: answers see an upload at once
        authenticator=authenticator,
        uploads=uploads,
    )
    ui = build_ui(services)
    ui.queue(default_concurrency_limit=settings.max_concurrent_answers, max_size=settings.max_queued_answers)
    admission = Admission(settings.max_concurrent_answers, settings.max_queued_answers, settings.queue_timeout_s)
    middleware = [  # outermost first: CORS and framing, body size, who is asking, their rate, Gradio's inputs, the answer slots
        Middleware(CORSMiddleware, **cors_options(settings)),
        Middleware(FrameAncestorsMiddleware, policy=frame_ancestors(settings)),
        Middleware(BodyLimitMiddleware, max_bytes=settings.max_body_kb * 1024, upload_max_bytes=int(settings.max_upload_mb * 1_000_000)),
        Middleware(AccessMiddleware, authenticator=authenticator),
        *([Middleware(RateLimitMiddleware, buckets=TokenBuckets(settings.rate_limit_per_minute, settings.rate_limit_burst))]
          if settings.rate_limit_per_minute else []),
        Middleware(GradioGuard, blocks=ui, uploads=uploads, admin_events=ADMIN_EVENTS),
        Middleware(AdmissionMiddleware, admission=admission),
    ]
    api = FastAPI(
        title="guanwen 莞问", version="0.1.0", description="Cited answers about Dongguan's future industries.",
        middleware=middleware, exception_handlers=EXCEPTION_HANDLERS, lifespan=uploads.running,
        # FastAPI's /docs and /redoc load Swagger UI and ReDoc from a CDN: web/routers/api_docs.py serves them itself.
        docs_url=None, redoc_url=None, swagger_ui_oauth2_redirect_url=None,
    )
    api.state.services = services
    routers = [documents.health_router, ask.router, openai_api.router, documents.router, feedback.router, admin.router,
               identity.router, embed.router, api_docs.router]
    routers.append(identity.login_router if authenticator.enabled else identity.no_login_router)
    for router in routers:
        api.include_router(router)
    # Gradio refuses bigger uploads itself, in the page before sending, with a message. No run
    # history: it would keep one user's questions in the browser for the next user to see.
    max_file_size = upload_limit_bytes(settings)
    # No Gradio footer links: the header links to this app's own API reference (/docs).
    app = gr.mount_gradio_app(
        api, ui, path="/", css=ui_css(), head=ui_head(), footer_links=[], max_file_size=max_file_size,
        run_history=False, i18n=gr.I18n(**GRADIO_TRANSLATIONS),
    )
    # Gradio checks the paths an event names (only its own uploads) only in an app it launched
    # itself; a mounted one skips the check. Turned on as a second line behind web/gradio_guard.py.
    ui.has_launched = True
    return app


def serve(settings: Settings) -> None:
    import uvicorn

    # Loading the index and the embedding model takes a few seconds (the first run also exports the model).
    print(f"guanwen: starting: loading the index in {settings.storage_dir} and the embedding model...", flush=True)
    app = create_app(settings)
    print(f"guanwen serving on http://{settings.host}:{settings.port}", flush=True)
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="warning")


def ask(settings: Settings, question: str, as_json: bool) -> int:
    from web.schemas import QuestionError, validate_question

    try:  # bytes that are not UTF-8 reach argv as lone surrogates
        question = validate_question(question, settings.max_question_chars)
    except QuestionError as error:
        print(f"ask: the question {error}", file=sys.stderr)
        return 2
    answerer, _ = build_answerer(settings)
    from index.vector_store import VectorStoreError

    try:
        answer = answerer.ask(question)
    except VectorStoreError as error:  # e.g. mode dense, or GUANWEN_BM25_FALLBACK=false
        raise StartupError(f"cannot answer: {error}") from error
    if as_json:
        print(json.dumps(answer.as_dict(), ensure_ascii=False, indent=2))
        return 0
    print(answer.answer)
    if answer.notice:
        print(f"({answer.notice})")
    for citation in answer.citations:
        print(f"\n[{citation.id}] {citation.title}\n    {citation.quote}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python app.py", description="guanwen 莞问: cited answers from Chinese articles")
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("serve", help="serve the UI and the API (the default)")
    ask_parser = commands.add_parser("ask", help="answer one question")
    ask_parser.add_argument("question")
    ask_parser.add_argument("--json", action="store_true", help="print the API's JSON object")
    args = parser.parse_args(argv)

    settings = load_settings()
    try:
        if args.command == "ask":
            return ask(settings, args.question, args.json)
        serve(settings)
        return 0
    except StartupError as error:
        print(f"guanwen: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
