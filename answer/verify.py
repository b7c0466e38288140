"""Check an answer against the passages it cites before anyone sees it.

- every citation must name a retrieved passage, and its quote must occur in that passage;
- every sentence that states something must keep at least one valid citation;
- every figure in a sentence (996亿元, 4.1%, 160kW, 2018年) must occur in a passage that sentence cites;
- no sentence may repeat the system prompt.

Citations that fail are removed; sentences that fail are dropped; what was removed is counted in
``Answer.verification``. An answer with nothing left becomes a refusal.
"""

from __future__ import annotations

import re
import unicodedata

from answer.models import Answer, Citation, Verification, refusal_answer
from index.retrieval import RankedPassage
from index.text import normalize

_MARKER = re.compile(r"\[(\d+)\]")
# A sentence with the citation markers that follow it; an ASCII full stop ends one only before
# white space, the end or a marker (so 4.1% stays whole).
_SENTENCE = re.compile(
    r"(?:[^。！？!?.\n]|\.(?!\s|$|\[))*(?:(?:[。！？!?]+|\.)[”’」』）)\"']*|\n|$)(?:\s*\[\d+\])*"
)
_FIGURE = re.compile(r"\d+(?:\.\d+)?(?:-\d+(?:\.\d+)?)?(?:%|[a-z]+|[万亿千百]*[元个项家名位倍台套座条种年月日号])?")
# This many consecutive characters shared with a system prompt give a leak away: 12 where Chinese
# is involved, 32 of plain Latin text (where a dozen letters are only two or three common words).
_LEAK_WINDOW = 12
_LEAK_WINDOW_LATIN = 32


def compact(text: str) -> str:
    """How quotes and figures are compared: NFKC, dashes unified, lower case, no white space."""
    return "".join(normalize(unicodedata.normalize("NFKC", text)).split())


_PHYSICAL_UNITS = {"kw", "mw", "gw", "kwh", "km", "kg", "nm", "gb", "tb"}


def figures_in(text: str) -> list[str]:
    """Figures with their units; a Latin suffix that is no unit ("6th", "2022s") is left off."""
    found = []
    for match in _FIGURE.finditer(compact(_MARKER.sub("", text))):
        figure = match.group(0)
        unit = re.search(r"[a-z]+$", figure)
        if unit and unit.group(0) not in _PHYSICAL_UNITS:
            figure = figure[: unit.start()]
        found.append(figure)
    return found


def verify(answer: Answer, passages: list[RankedPassage], system_prompts: tuple[str, ...] = ()) -> Answer:
    if answer.refused:
        answer.verification = Verification(passed=True)
        return answer
    retrieved = {p.passage.chunk_id: p for p in passages}
    valid: dict[int, Citation] = {}
    for citation in answer.citations:
        passage = retrieved.get(citation.chunk_id)
        if passage and citation.quote and compact(citation.quote) in compact(passage.passage.text):
            valid[citation.id] = citation
    report = Verification(citations_checked=len(answer.citations))
    removed = {c.id for c in answer.citations} - set(valid)
    prompt_windows = {w for prompt in system_prompts for w in _windows(compact(_MARKER.sub("", prompt)))}

    kept: list[str] = []
    for sentence in _sentences(answer.answer):
        numbers = [int(n) for n in _MARKER.findall(sentence)]
        good = [n for n in numbers if n in valid]
        removed.update(n for n in numbers if n not in valid)
        text = _MARKER.sub(lambda m: m.group(0) if int(m.group(1)) in valid else "", sentence)
        claim = _MARKER.sub("", text).strip()
        if not claim:
            continue
        if prompt_windows and not prompt_windows.isdisjoint(_windows(compact(claim))):
            report.sentences_dropped += 1
            continue
        if not good:
            report.sentences_dropped += 1
            continue
        cited_text = "".join(compact(valid[n].text) for n in good)
        missing = [f for f in figures_in(claim) if f not in cited_text]
        if missing:
            report.unsupported_figures.extend(missing)
            report.sentences_dropped += 1
            continue
        kept.append(text)

    report.citations_removed = len(removed)
    report.passed = report.citations_removed == 0 and report.sentences_dropped == 0
    if not kept:
        refused = refusal_answer(answer.query, passages, mode=answer.mode, language=answer.language)
        refused.notice = answer.notice
        report.passed = False
        refused.verification = report
        return refused
    return _renumbered(answer, "".join(kept).strip(), valid, report)


def _windows(text: str) -> set[str]:
    short = {text[i : i + _LEAK_WINDOW] for i in range(len(text) - _LEAK_WINDOW + 1)}
    latin = {text[i : i + _LEAK_WINDOW_LATIN] for i in range(len(text) - _LEAK_WINDOW_LATIN + 1)}
    return {w for w in short if not w.isascii()} | {w for w in latin if w.isascii()}


def _sentences(text: str) -> list[str]:
    return [s for s in _SENTENCE.findall(text) if s.strip()]


def _renumbered(answer: Answer, text: str, valid: dict[int, Citation], report: Verification) -> Answer:
    order: dict[int, int] = {}
    for number in _MARKER.findall(text):
        order.setdefault(int(number), len(order) + 1)
    answer.answer = _MARKER.sub(lambda m: f"[{order[int(m.group(1))]}]", text)
    answer.citations = []
    for old, new in order.items():
        citation = valid[old]
        citation.id = new
        answer.citations.append(citation)
    answer.verification = report
    return answer
