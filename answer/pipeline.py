"""Question in, cited and verified answer out.

1. The question becomes a standalone query (follow-ups and, with an LLM, English questions are
   rewritten: ``answer.followup``, ``LLMClient.rewrite``).
2. Retrieval finds passages; ``answer.evidence`` decides whether any sentence answers.
3. No evidence: an honest refusal, and the LLM is never asked, so it cannot answer from memory.
   Evidence: the extractive answer quotes it, or the LLM writes from the passages.
4. ``answer.verify`` checks every citation, quote, figure, name and claim before the answer leaves.
   When the model's answer fails (the endpoint is down, nothing of its answer survives the checks,
   it declines although the articles answer, its stream is cut off), the verified extractive
   answer stands in, with a notice saying so, and ``verification.passed`` is false.
"""

from __future__ import annotations

import re

from dataclasses import dataclass
from typing import Iterator, Literal

import numpy as np

from answer.evidence import Evidence, EvidenceModel, default_model, find_evidence, score_sentences
from answer.extractive import extractive_answer
from answer.figures import quantities
from answer.followup import (
    Standalone,
    Turn,
    asks_for_more,
    follow_up_topic,
    is_follow_up,
    previous_answer,
    standalone_question,
)
from answer.llm import LLMClient, LLMError, LLMStreamCut, cited_answer, load_prompt
from answer.models import Answer, language_of, refusal_answer
from answer.verify import MARKUP, Checker, claim_model_for, compact, verify
from index.manifest import SentenceVectors
from index.places import Gazetteer
from index.retrieval import RankedPassage, Searcher
from index.text import pos_tags
from index.vector_store import VectorStoreError
from settings import RetrievalMode, Settings

LLM_FAILED_NOTICE = "语言模型暂时不可用，以下为从资料中直接摘录的答案。"
LLM_FAILED_NOTICE_EN = "The language model is unavailable; this answer quotes the articles directly."
LLM_DISCARDED_NOTICE = "语言模型的回答无法在资料中核实，已弃用；以下为从资料中直接摘录的答案。"
LLM_DISCARDED_NOTICE_EN = "The language model's answer could not be checked against the articles and was set aside; this answer quotes the articles directly."
LLM_CUT_NOTICE = "语言模型的回答在传输中被截断，只保留了已核实的完整句子。"
LLM_CUT_NOTICE_EN = "The language model's answer was cut off in transit; only its complete, verified sentences are shown."
VECTORS_DOWN_NOTICE = "向量检索暂时不可用，本回答仅依据关键词检索（BM25），可能遗漏相关资料。"
VECTORS_DOWN_NOTICE_EN = "Vector search is unavailable; this answer comes from keyword search (BM25) alone and may miss passages."

# What is not the model's own words: its quotes of the articles (Chinese in any answer), citation
# markers, markup, links.
_NOT_OWN_WORDS = re.compile(rf"「[^」]*」|\[\d+\]|{MARKUP.pattern}|\]\([^()]*\)|\S+://\S*|javascript:\S*")

__all__ = ["Answerer", "Turn", "StreamEvent", "LLM_FAILED_NOTICE", "LLM_DISCARDED_NOTICE", "LLM_CUT_NOTICE"]


@dataclass
class StreamEvent:
    kind: Literal["query", "token", "answer"]
    text: str = ""  # the rewritten query, or a (provisional) piece of the answer
    answer: Answer | None = None  # the final, verified answer


@dataclass
class _Prepared:
    question: str
    query: str
    language: str
    passages: list[RankedPassage]
    evidence: list[Evidence]
    notice: str | None = None  # retrieval was degraded: said with whatever answer is given
    sentences: dict[str, SentenceVectors] | None = None  # each passage's sentences, clauses and vectors


class Answerer:
    def __init__(
        self, settings: Settings, searcher: Searcher, llm: LLMClient | None, evidence_model: EvidenceModel | None = None
    ):
        self.settings = settings
        self.searcher = searcher
        self.llm = llm
        self.gazetteer = Gazetteer(settings.home_place)
        self.evidence_model = evidence_model or default_model()

    def warm(self) -> None:
        """Load now what the first question would otherwise wait for, seconds once: the BM25 index
        and its English bridge (CC-CEDICT), the place names and their pinyin, jieba's tagger, cn2an."""
        self.searcher.store.lexical().english.concepts("Dongguan")
        self.gazetteer.in_text("东莞市")
        self.gazetteer.in_english("Shanghai")
        pos_tags("东莞")
        quantities("三百亿元")

    def ask(self, question: str, history: list[Turn] | None = None, mode: RetrievalMode | None = None) -> Answer:
        prepared = self._prepare(question, history or [], mode)
        if self.llm is None or not prepared.evidence:
            return self._without_llm(prepared)
        try:
            generated = self.llm.complete(self._generation_question(prepared), prepared.passages, prepared.language)
        except LLMError:
            return self._fallback(prepared)
        return self._checked(prepared, generated)

    def ask_stream(
        self, question: str, history: list[Turn] | None = None, mode: RetrievalMode | None = None
    ) -> Iterator[StreamEvent]:
        """The query, then provisional tokens, then the verified answer (which replaces the tokens)."""
        prepared = self._prepare(question, history or [], mode)
        yield StreamEvent("query", prepared.query)
        if self.llm is None or not prepared.evidence:
            answer = self._without_llm(prepared)
            yield StreamEvent("token", answer.answer)
            yield StreamEvent("answer", answer=answer)
            return
        pieces: list[str] = []
        try:
            for piece in self.llm.stream(self._generation_question(prepared), prepared.passages, prepared.language):
                pieces.append(piece)
                yield StreamEvent("token", piece)
        except LLMStreamCut:
            # What arrived is kept to its last complete sentence: the rest was never finished.
            yield StreamEvent("answer", answer=self._checked(prepared, _complete_sentences("".join(pieces)), cut=True))
            return
        except LLMError:
            yield StreamEvent("answer", answer=self._fallback(prepared))
            return
        yield StreamEvent("answer", answer=self._checked(prepared, "".join(pieces).strip()))

    def candidates(
        self, question: str, history: list[Turn] | None = None, mode: RetrievalMode | None = None
    ) -> tuple[str, list[Evidence]]:
        """What was searched and every candidate sentence with its signals and probability, best
        first, before the threshold: why an answer was given or refused (and what the
        calibration, ``python -m evaluation.calibrate``, learns from)."""
        prepared = self._prepare(question, history or [], mode, keep_all=True)
        return prepared.query, prepared.evidence

    def chunk_texts(self) -> list[str]:
        """The text of every indexed chunk (for evaluation's nDCG)."""
        return [c.text for c in self.searcher.store.manifest.all_chunks()]

    # --- steps ----------------------------------------------------------------------------------

    def _prepare(self, question: str, history: list[Turn], mode: RetrievalMode | None, keep_all: bool = False) -> _Prepared:
        question = question.strip()
        standalone = self._standalone(question, history)
        query = standalone.query
        mode = mode or self.settings.retrieval_mode
        language = language_of(question)
        notice = None
        # One vector per question: it ranks the passages and scores the evidence sentences (an English
        # question's Chinese gloss is embedded too, for the evidence alone: docs/answers.md).
        vector = self.searcher.embed_question(query)
        try:
            passages = self.searcher.search(query, mode, self.settings.top_k, vector)
        except VectorStoreError:
            # Keyword search alone still finds and quotes most answers, and every answer is still
            # verified: better than no answer while the Chroma server is down (or its disk
            # full), as long as the answer says so.
            if mode != "hybrid" or not self.settings.bm25_fallback:
                raise
            passages = self.searcher.search(query, "bm25", self.settings.top_k)
            notice = VECTORS_DOWN_NOTICE if language == "zh" else VECTORS_DOWN_NOTICE_EN
        sentences = self.searcher.sentences(passages)
        lexical = self.searcher.store.lexical()
        # English: the Chinese rendering of the question, embedded, sharpens which sentence means it.
        gloss = lexical.english.gloss(query, lexical.document_share) if language == "en" else ""
        evidence = (score_sentences if keep_all else find_evidence)(
            query,
            vector,
            passages,
            sentences,
            lexical,
            self.searcher.store.tokenizer,
            self.gazetteer,
            english=language == "en",
            model=self.evidence_model,
            topic=follow_up_topic(question) if standalone.follow_up else None,
            carried=standalone.carried,
            gloss_vector=self.searcher.embed_question(gloss) if gloss else None,
        )
        if standalone.follow_up and asks_for_more(question):
            # 「他还说了什么？」: what the last answer quoted is not news, unless nothing else answers
            # (「这份文件还提出要培育多大规模的产业集群？」 after the sentence that says it too).
            said = compact(previous_answer(history))
            fresh = [e for e in evidence if compact(e.text) not in said]
            if any(e.score >= self.evidence_model.threshold_for(language == "en") for e in fresh):
                evidence = fresh
        return _Prepared(question, query, language, passages, evidence, notice, sentences)

    def _standalone(self, question: str, history: list[Turn]) -> Standalone:
        document_share = self.searcher.store.lexical().document_share
        follow_up = self.llm is not None and bool(history) and is_follow_up(question, document_share)
        if self.llm is not None and (follow_up or language_of(question) == "en"):
            # A question that names its own subject is not merged with the conversation, and an
            # English one is translated for the Chinese articles' keyword search.
            context = [(t.role, t.content) for t in history] if follow_up else []
            try:
                rewritten = self.llm.rewrite(question, context)
            except LLMError:
                rewritten = question  # the offline rules below still resolve most follow-ups
            if rewritten.strip() != question:
                return Standalone(rewritten, follow_up)
            # A model that hands the question back unchanged adds nothing: the offline rules may.
        return standalone_question(question, history, self.gazetteer, self._similarity, document_share)

    def _similarity(self, text: str, candidates: list[str]) -> np.ndarray:
        vectors = self.searcher.store.embedder.embed_passages([text, *candidates])
        return vectors[1:] @ vectors[0]

    def _without_llm(self, prepared: _Prepared) -> Answer:
        mode = "llm" if self.llm is not None else "extractive"
        if prepared.evidence:
            answer = extractive_answer(prepared.question, prepared.evidence, self.evidence_model.keep_ratio)
        else:
            answer = refusal_answer(prepared.question, prepared.passages, mode=mode)
        answer.query = prepared.query
        answer.notice = _joined(prepared.notice, answer.notice)
        return verify(answer, prepared.passages, self._checker(prepared))

    def _fallback(self, prepared: _Prepared, notice: tuple[str, str] = (LLM_FAILED_NOTICE, LLM_FAILED_NOTICE_EN),
                  reasons: list[str] | None = None) -> Answer:
        """The verified extractive answer in the model's place, saying so: what the reader gets was
        replaced, so verification has not passed."""
        answer = extractive_answer(prepared.question, prepared.evidence, self.evidence_model.keep_ratio)
        answer.query = prepared.query
        answer.notice = _joined(prepared.notice, notice[0] if prepared.language == "zh" else notice[1])
        answer = verify(answer, prepared.passages, self._checker(prepared))
        answer.verification.passed = False
        answer.verification.reasons = [*(reasons or []), *answer.verification.reasons]
        return answer

    def _checked(self, prepared: _Prepared, generated: str, cut: bool = False) -> Answer:
        own_words = _NOT_OWN_WORDS.sub("", generated)
        if own_words.strip() and language_of(own_words) != prepared.language:
            # An official who asked in Chinese reads Chinese: the offline answer, in the question's language.
            return self._fallback(prepared, (LLM_DISCARDED_NOTICE, LLM_DISCARDED_NOTICE_EN),
                                  ["the model answered in another language than the question's"])
        answer = cited_answer(prepared.question, generated, prepared.passages, self._closest(prepared))
        answer.query = prepared.query
        answer.notice = _joined(prepared.notice, answer.notice)
        prompts = (load_prompt("system_zh.txt"), load_prompt("system_en.txt"))
        checked = verify(answer, prepared.passages, self._checker(prepared, prompts))
        cut_notice = (LLM_CUT_NOTICE, LLM_CUT_NOTICE_EN)
        if checked.refused:
            # Nothing of the model's answer stands (or it declined although the articles answer):
            # the offline answer, which the evidence step found, takes its place.
            reasons = checked.verification.reasons or ["the model gave no answer that cites the passages"]
            return self._fallback(prepared, cut_notice if cut else (LLM_DISCARDED_NOTICE, LLM_DISCARDED_NOTICE_EN), reasons)
        if cut:
            checked.notice = _joined(checked.notice, cut_notice[0] if prepared.language == "zh" else cut_notice[1])
            checked.verification.passed = False
            checked.verification.reasons.append("the stream ended before the model finished")
        return checked

    def _checker(self, prepared: _Prepared, prompts: tuple[str, ...] = ()) -> Checker:
        store = self.searcher.store
        return Checker(
            prepared.sentences or {}, store.embedder.embed_passages, store.tokenizer, store.lexical(), self.gazetteer,
            prompts, claim_model_for(store.embedder.model_name),
        )

    def _closest(self, prepared: _Prepared):
        """The sentence of a passage closest in meaning to what the model said of it (any language)."""
        sentences = prepared.sentences or {}
        embed = self.searcher.store.embedder.embed_passages

        def closest(passage: RankedPassage, claim: str) -> str:
            stored = sentences.get(passage.passage.chunk_id)
            if stored is None or not stored.spans:
                return passage.passage.text
            start, end = stored.spans[int(np.argmax(stored.vectors @ embed([claim])[0]))]
            return passage.passage.text[start:end]

        return closest

    @staticmethod
    def _generation_question(prepared: _Prepared) -> str:
        # The model answers the standalone question, in the language the user asked in: an English
        # question keeps its wording, with the Chinese search query beside it.
        if prepared.query == prepared.question:
            return prepared.question
        if prepared.language == "en":
            return f"{prepared.question}\n({prepared.query})"
        return prepared.query


def _complete_sentences(text: str) -> str:
    """``text`` up to the end of its last complete sentence (with the markers that follow it)."""
    import re

    ends = [m.end() for m in re.finditer(r"[。！？!?](?:\s*\[\d+\])*|\.(?=\s|$)(?:\s*\[\d+\])*", text)]
    return text[: ends[-1]].strip() if ends else ""


def _joined(*notices: str | None) -> str | None:
    return " ".join(n for n in notices if n) or None
