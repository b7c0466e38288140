"""What an answer is, on every channel (UI, API, CLI)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Literal

from index.text import language_of

if TYPE_CHECKING:
    from index.retrieval import RankedPassage

REFUSAL_ZH = "资料中没有找到相关信息。"
REFUSAL_EN = "The articles do not say."


@dataclass
class Citation:
    id: int  # the number the answer uses as [1], [2] …
    doc_id: str
    title: str
    text: str  # the cited passage
    quote: str  # the exact sentence(s) of the passage the answer rests on
    chunk_id: str = ""
    section: str = ""
    quote_start: int = -1  # offset of the quote inside ``text``

    @classmethod
    def from_passage(cls, number: int, ranked: "RankedPassage", quote: str = "") -> "Citation":
        p = ranked.passage
        return cls(
            id=number,
            doc_id=p.doc_id,
            title=p.title,
            text=p.text,
            quote=quote,
            chunk_id=p.chunk_id,
            section=p.section,
            quote_start=p.text.find(quote) if quote else -1,
        )


@dataclass
class Verification:
    """What checking the answer against its passages found (see answer/verify.py)."""

    passed: bool = True  # nothing had to be removed
    citations_checked: int = 0
    citations_removed: int = 0  # naming no retrieved passage, or with a quote not in it
    sentences_dropped: int = 0  # no valid citation, an unsupported figure, name or claim, or prompt text
    unsupported_figures: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)  # why each sentence was dropped, or the answer replaced


@dataclass
class Answer:
    answer: str
    refused: bool
    citations: list[Citation] = field(default_factory=list)
    query: str = ""  # what was searched
    mode: Literal["extractive", "llm"] = "extractive"
    notice: str | None = None  # e.g. the LLM failed and the extractive answer stands in
    related: list[Citation] = field(default_factory=list)  # nearest passages when refused
    verification: Verification | None = None
    language: Literal["zh", "en"] = "zh"  # of the question, which the answer and a refusal follow

    def as_dict(self) -> dict:
        return asdict(self)


def refusal_text(language: str) -> str:
    return REFUSAL_ZH if language == "zh" else REFUSAL_EN


def refusal_answer(
    question: str, passages: "list[RankedPassage]", mode: str = "extractive", language: str | None = None
) -> Answer:
    """The honest answer when the passages hold none; the nearest ones are listed as related."""
    language = language or language_of(question)
    related = [Citation.from_passage(i, p) for i, p in enumerate(passages[:3], 1)]
    return Answer(
        answer=refusal_text(language), refused=True, query=question, mode=mode, related=related, language=language
    )
