"""Offline answers: quote the evidence sentences, each marked with its passage's citation number.

Sentences come from ``answer.evidence`` best first; the answer keeps the best few, drops repeats
(overlapping chunks hold the same sentence twice), and each citation's ``quote`` is the exact span
of its passage that was quoted.
"""

from __future__ import annotations

from answer.evidence import ASKS_REASON, Evidence, following_sentences, opening_sentence
from answer.models import Answer, Citation, language_of

MAX_SENTENCES = 3
ENGLISH_LEAD = "The articles say:"
REASON_CONTEXT = 2  # sentences quoted after the best one when the question asks why or for a view


def extractive_answer(question: str, evidence: list[Evidence], keep_ratio: float) -> Answer:
    """Quote the evidence (``answer.evidence.find_evidence``, best first; not empty); further
    sentences must score at least ``keep_ratio`` of the best one."""
    chosen = _choose(evidence, keep_ratio)
    if ASKS_REASON.search(question):
        chosen = _with_context(chosen)
    chosen = _with_openings(chosen)

    citations: dict[str, Citation] = {}
    quoted: dict[str, list[Evidence]] = {}
    parts: list[str] = []
    for sentence in chosen:
        chunk_id = sentence.passage.passage.chunk_id
        if chunk_id not in citations:
            citations[chunk_id] = Citation.from_passage(len(citations) + 1, sentence.passage)
        quoted.setdefault(chunk_id, []).append(sentence)
        quote = sentence.text if language_of(question) == "zh" else f"「{sentence.text}」"
        parts.append(f"{quote}[{citations[chunk_id].id}]")
    for chunk_id, citation in citations.items():
        start = min(s.start for s in quoted[chunk_id])
        end = max(s.end for s in quoted[chunk_id])
        citation.quote = citation.text[start:end]
        citation.quote_start = start
    language = language_of(question)
    # An English question gets the Chinese sentences quoted as they stand: offline there is no
    # translation, and a quote is what the official can check against the article.
    return Answer(
        answer="".join(parts) if language == "zh" else " ".join([ENGLISH_LEAD, *parts]),
        refused=False,
        citations=list(citations.values()),
        query=question,
        language=language,
    )


def _with_context(chosen: list[Evidence]) -> list[Evidence]:
    """The best sentence followed by what its paragraph says next, then the other choices."""
    best, rest = chosen[0], chosen[1:]
    context = following_sentences(best, REASON_CONTEXT)
    spans = {(e.passage.passage.chunk_id, e.start) for e in context}
    return [best, *context, *[e for e in rest if (e.passage.passage.chunk_id, e.start) not in spans]]


def _with_openings(chosen: list[Evidence]) -> list[Evidence]:
    """Each 其中-sentence preceded by the sentence it continues, which is quoted once, before it,
    even when it was chosen too and ranked lower."""
    placed: set[tuple[str, int]] = set()
    result: list[Evidence] = []
    for sentence in chosen:
        opening = opening_sentence(sentence)
        for quoted in ([opening] if opening else []) + [sentence]:
            where = (quoted.passage.passage.chunk_id, quoted.start)
            if where not in placed:
                placed.add(where)
                result.append(quoted)
    return result


def _choose(evidence: list[Evidence], keep_ratio: float) -> list[Evidence]:
    chosen: list[Evidence] = []
    seen: set[tuple[str, int]] = set()
    texts: set[str] = set()
    for sentence in evidence:
        if len(chosen) == MAX_SENTENCES or sentence.score < keep_ratio * evidence[0].score:
            break
        where = (sentence.passage.passage.doc_id, sentence.passage.passage.start + sentence.start)
        if where in seen or sentence.text in texts:
            continue
        seen.add(where)
        texts.add(sentence.text)
        chosen.append(sentence)
    return chosen
