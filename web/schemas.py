"""What goes in and out of guanwen's HTTP API: the request and response models of every router, and
``validate_question``, the one rule for a question on every channel (the API, the OpenAI-compatible
API, feedback, the chat UI and ``app.py ask``). Text fields are ``Text`` (web/inputs.py): lone
surrogates refused, control characters removed. The limits are listed in docs/api.md, "Limits".
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from settings import RetrievalMode
from web.errors import ApiError
from web.inputs import MAX_TURN_CHARS, InputTextError, Text, clean_text

MODEL_ID = "guanwen"  # the one model the OpenAI-compatible API offers


class QuestionError(ValueError):
    """A question that cannot be asked. ``code`` says why ("bad_chars", "empty", "too_long"), the
    message ends a sentence that starts "the question …"; each channel words it its own way."""

    def __init__(self, code: Literal["bad_chars", "empty", "too_long"], message: str, length: int = 0, limit: int = 0):
        super().__init__(message)
        self.code, self.length, self.limit = code, length, limit


def validate_question(question: str, max_chars: int) -> str:
    """The question as it is asked (control characters removed, white space trimmed); QuestionError
    when it holds a lone surrogate, nothing, or more than ``max_chars`` characters."""
    try:
        cleaned = clean_text(question).strip()
    except InputTextError as error:
        raise QuestionError("bad_chars", str(error)) from None
    if not cleaned:
        raise QuestionError("empty", "is empty")
    if len(cleaned) > max_chars:
        raise QuestionError("too_long", f"is longer than {max_chars} characters", len(cleaned), max_chars)
    return cleaned


def question_field(question: str, max_chars: int) -> str:
    """``validate_question`` for a request's ``question`` field: a 422 that names the field."""
    try:
        return validate_question(question, max_chars)
    except QuestionError as error:
        raise ApiError(422, "'question' " + ("must not be empty" if error.code == "empty" else str(error))) from None


# --- /api/ask, /api/ask/stream, /api/search ------------------------------------------------------


class HistoryTurn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    role: Literal["user", "assistant"]
    content: Text = Field(max_length=MAX_TURN_CHARS)


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    question: Text = Field(description="The question, in Chinese or English.")
    history: list[HistoryTurn] = Field(default_factory=list, description="Earlier turns, oldest first.")
    mode: RetrievalMode | None = Field(None, description="bm25, dense or hybrid (default: the configured mode).")


class SearchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    question: Text = Field(description="The question, in Chinese or English.")
    mode: RetrievalMode | None = Field(None, description="bm25, dense or hybrid (default: the configured mode).")
    k: int = Field(5, ge=1, le=50, description="How many passages to return.")


class RetrieverScore(BaseModel):
    score: float | None
    rank: int | None


class SearchHit(BaseModel):
    rank: int
    chunk_id: str
    doc_id: str
    title: str
    section: str
    text: str
    bm25: RetrieverScore
    dense: RetrieverScore
    sentence: RetrieverScore  # the passage's best sentence against the question (hybrid mode)
    fused: RetrieverScore


class SearchResponse(BaseModel):
    question: str
    mode: str
    k: int
    passages: list[SearchHit]


class CitationOut(BaseModel):
    id: int
    doc_id: str
    title: str
    text: str
    quote: str


class VerificationOut(BaseModel):
    passed: bool
    citations_checked: int
    citations_removed: int
    sentences_dropped: int
    unsupported_figures: list[str]
    reasons: list[str] = Field(default=[], description="Why each sentence was dropped (empty when nothing was).")


class AskResponse(BaseModel):
    answer: str
    refused: bool
    citations: list[CitationOut]
    query: str = Field(description="What was searched: the question, or its standalone rewrite.")
    mode: str
    language: str
    notice: str | None = None
    related: list[CitationOut] = []
    verification: VerificationOut | None = None


# --- /healthz, /api/documents --------------------------------------------------------------------


class HealthResponse(BaseModel):
    status: str = Field(description="ok, or degraded (the problems say why).")
    documents: int
    chunks: int
    problems: list[str] = Field(default_factory=list, description="What needs an operator: a full disk, unindexed corpus files.")


class DocumentOut(BaseModel):
    doc_id: str
    title: str
    published: str = ""
    source: str = ""
    author: str = ""
    chunks: int
    flags: str = ""  # text in the article that reads as an instruction to the model, and why (index/instructions.py)
    title_from: str = Field(
        "", description="Where the title came from: metadata file, front matter, file properties, title line, heading, "
        "opening sentence or file name (the last two are guesses; docs/ingest.md)."
    )


# --- /api/feedback -------------------------------------------------------------------------------


class FeedbackCitation(BaseModel):
    model_config = ConfigDict(extra="ignore")
    id: int = Field(strict=True)
    doc_id: Text = Field(max_length=1000)
    title: Text = Field("", max_length=1000)
    text: Text = Field("", max_length=MAX_TURN_CHARS)
    quote: Text = Field("", max_length=MAX_TURN_CHARS)


class FeedbackRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # Strict bools, so "yes" is refused rather than read as true.
    question: Text = Field(description="The question as asked.")
    answer: Text = Field(max_length=MAX_TURN_CHARS, description="The answer shown.")
    rating: Literal["up", "down"] = Field(description="Thumbs up or down.")
    comment: Text = Field("", max_length=4000, description="Optional: what was wrong or right.")
    wrong_source: bool = Field(False, strict=True, description="The cited source does not support the answer.")
    citations: list[FeedbackCitation] = Field(
        default_factory=list, max_length=50, description="The citations shown with the answer."
    )
    query: Text = Field("", max_length=MAX_TURN_CHARS, description="What was searched (the rewritten follow-up), if known.")
    refused: bool = Field(False, strict=True, description="Whether the answer was a refusal.")
    channel: Text = Field("api", max_length=20, description="Where the feedback came from: ui, embed, api.")


# --- /v1/chat/completions (OpenAI's request; the responses are built in web/routers/openai_api.py) --


class ContentPart(BaseModel):
    model_config = ConfigDict(extra="allow")
    type: str
    text: Text | None = None


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: Text | list[ContentPart] | None = None


class StreamOptions(BaseModel):
    model_config = ConfigDict(extra="allow")
    include_usage: bool = False


class ChatCompletionRequest(BaseModel):
    """OpenAI's request body. Sampling parameters (temperature, max_tokens …) are accepted and
    ignored: guanwen's answer does not depend on them."""

    model_config = ConfigDict(extra="allow")
    model: Text = Field(description=f"Must be '{MODEL_ID}'.")
    messages: list[ChatMessage] = Field(description="The conversation; the last message must be the user's question.")
    stream: bool = Field(False, strict=True)  # "yes" is refused, not read as true
    stream_options: StreamOptions | None = None
    n: int | None = Field(None, description="Only 1 is supported.")
