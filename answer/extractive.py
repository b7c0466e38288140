"""Offline answers: quote the sentences of the top passages that best answer the question.

A sentence's score is the share of the question's IDF weight whose terms it contains, so rare,
specific words (松山湖, 160kw) count for more than common ones. The best passage must cover
enough of the question, or the answer is an honest refusal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from answer.models import Answer, Citation, language_of, refusal_answer
from index.lexical import BM25Index
from index.retrieval import RankedPassage
from index.tokenize import tokenize
from ingest.chunking import split_sentences
from settings import Settings

MAX_SENTENCES = 3
KEEP_RATIO = 0.75  # further sentences must score at least this share of the best one
PASSAGES_READ = 5
FIGURE_BONUS = 0.15  # a question asking "how many/how much" prefers sentences holding a figure
_ASKS_FIGURE = re.compile(r"几|多少|多大|多高|多长|比重|比例|占比|规模|金额|数量|how (many|much)|what (share|percentage)", re.I)
_HAS_FIGURE = re.compile(r"\d")


@dataclass
class _Sentence:
    passage: RankedPassage
    start: int  # in the passage text
    end: int
    score: float

    @property
    def text(self) -> str:
        return self.passage.passage.text[self.start : self.end]


def coverage(query_terms: set[str], text_terms: set[str], lexical: BM25Index) -> float:
    """Share of the query's IDF weight found in the text (terms the corpus never uses count as rarest)."""
    total = sum(lexical.term_idf(t) for t in query_terms)
    if not total:
        return 0.0
    return sum(lexical.term_idf(t) for t in query_terms & text_terms) / total


def is_answerable(question: str, passages: list[RankedPassage], lexical: BM25Index, settings: Settings) -> bool:
    """Do the passages plausibly hold the answer?

    Two tests: the question's words that the corpus knows must mostly occur in one passage, and
    words the corpus never uses must not carry most of the question (「明天北京的天气」).
    """
    terms = set(tokenize(question))
    known = {t for t in terms if t in lexical.vocabulary}
    total = sum(lexical.term_idf(t) for t in terms)
    if not passages or not known or not total:
        return False
    unknown_share = sum(lexical.term_idf(t) for t in terms - known) / total
    if unknown_share > settings.max_unknown_share:
        return False
    best = max(coverage(known, set(tokenize(p.passage.text)), lexical) for p in passages)
    return best >= settings.min_answer_coverage


def extractive_answer(question: str, passages: list[RankedPassage], lexical: BM25Index, settings: Settings) -> Answer:
    language = language_of(question)
    terms = set(tokenize(question))
    asks_figure = bool(_ASKS_FIGURE.search(question))
    if not is_answerable(question, passages, lexical, settings):
        return refusal_answer(question, passages)

    sentences: list[_Sentence] = []
    for ranked in passages[:PASSAGES_READ]:
        text = ranked.passage.text
        for span in split_sentences(text):
            sentence = text[span.start : span.end]
            if sentence == ranked.passage.section:
                continue  # a section heading is a label, not a statement to quote
            score = coverage(terms, set(tokenize(sentence)), lexical)
            if asks_figure and _HAS_FIGURE.search(sentence):
                score += FIGURE_BONUS
            # A small bonus for better-ranked passages breaks ties between repeated sentences.
            sentences.append(_Sentence(ranked, span.start, span.end, score + 0.01 / ranked.rank))
    sentences.sort(key=lambda s: -s.score)

    chosen: list[_Sentence] = []
    seen_spans: set[tuple[str, int]] = set()
    seen_texts: set[str] = set()
    for sentence in sentences:
        if len(chosen) == MAX_SENTENCES or sentence.score < KEEP_RATIO * sentences[0].score:
            break
        # Overlapping chunks repeat sentences: one quote per place in the document.
        where = (sentence.passage.passage.doc_id, sentence.passage.passage.start + sentence.start)
        if where in seen_spans or sentence.text in seen_texts:
            continue
        seen_spans.add(where)
        seen_texts.add(sentence.text)
        chosen.append(sentence)

    citations: dict[str, Citation] = {}
    spans: dict[str, list[_Sentence]] = {}
    parts: list[str] = []
    for sentence in chosen:
        chunk_id = sentence.passage.passage.chunk_id
        if chunk_id not in citations:
            citations[chunk_id] = Citation.from_passage(len(citations) + 1, sentence.passage)
        spans.setdefault(chunk_id, []).append(sentence)
        parts.append(f"{sentence.text}[{citations[chunk_id].id}]")
    for chunk_id, citation in citations.items():
        start = min(s.start for s in spans[chunk_id])
        end = max(s.end for s in spans[chunk_id])
        citation.quote = citation.text[start:end]
        citation.quote_start = start
    separator = "" if language == "zh" else " "
    return Answer(answer=separator.join(parts), refused=False, citations=list(citations.values()), query=question)

