"""Question in, cited answer out: retrieval, then the LLM or the extractive answerer.

The LLM is asked only when retrieval found passages that cover the question; otherwise the
answer is an honest refusal, so the model never gets the chance to answer from its own memory.
If the endpoint fails, the extractive answer stands in with a visible notice.
"""

from __future__ import annotations

from dataclasses import dataclass

from answer.extractive import extractive_answer, is_answerable
from answer.llm import LLMClient, LLMError, cited_answer
from answer.models import Answer, refusal_answer
from index.retrieval import Searcher
from settings import RetrievalMode, Settings

LLM_FAILED_NOTICE = "语言模型暂时不可用，以下为从资料中直接摘录的答案。"


@dataclass
class Turn:
    role: str  # "user" or "assistant"
    content: str


class Answerer:
    def __init__(self, settings: Settings, searcher: Searcher, llm: LLMClient | None):
        self.settings = settings
        self.searcher = searcher
        self.llm = llm

    def ask(self, question: str, history: list[Turn] | None = None, mode: RetrievalMode | None = None) -> Answer:
        query = question.strip()
        passages = self.searcher.search(query, mode or self.settings.retrieval_mode, self.settings.top_k)
        lexical = self.searcher.store.lexical()
        if self.llm is None:
            return extractive_answer(query, passages, lexical, self.settings)
        if not is_answerable(query, passages, lexical, self.settings):
            return refusal_answer(query, passages, mode="llm")
        try:
            generated = self.llm.complete(query, passages)
        except LLMError:
            fallback = extractive_answer(query, passages, lexical, self.settings)
            fallback.notice = LLM_FAILED_NOTICE
            return fallback
        return cited_answer(query, generated, passages)
