"""Follow-up questions become standalone questions before retrieval.

Offline, the subject of the previous turn is carried over:

- 「那量子信息呢？」 after 「东莞人工智能产业发展得怎么样？」 → 「东莞量子信息产业发展得怎么样？」: the new
  topic replaces the previous question's word of the same kind (a place replaces a place, a year
  a year, a person a person, otherwise the most specific noun);
- 「他还说了什么？」 after 「王珺认为发展未来产业不能用什么思维？」 → 「王珺还说了什么？」: a pronoun
  becomes the person the previous question was about.

Earlier turns are rewritten in order, so a third turn builds on the rewritten second. With an LLM
the model does this rewriting (``answer.llm.LLMClient.rewrite``) and this is its fallback.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from index.lexical import BM25Index
from index.tokenize import normalize, pos_tags

_FOLLOW_UP_START = re.compile(r"^(那么|那|还有|另外|此外|那他|那她)")
_FOLLOW_UP_END = re.compile(r"(呢|又如何|又怎样|怎么样|如何)[？?。!！]?$")
_PRONOUN = re.compile(r"他们|她们|他|她|它|此人|这个人|这位")
_TOPIC = re.compile(r"^(?:那么|那|还有|另外|此外)?[，,\s]*(.+?)(?:的情况|方面)?(?:呢|又如何|又怎样|怎么样|如何)?[？?。!！]?$")
_PERSON = re.compile(r"^(?:在|据)?([\u4e00-\u9fff]{2,4}?)(?:认为|表示|说|看来|建议|指出|提到|强调|怎么|如何|是|担任|还|对)")
_YEAR = re.compile(r"\d{4}年")


@dataclass
class Turn:
    role: str  # "user" or "assistant"
    content: str


def is_follow_up(question: str) -> bool:
    q = question.strip()
    return bool(_FOLLOW_UP_START.match(q) or _FOLLOW_UP_END.search(q) or _PRONOUN.search(q))


def standalone_question(question: str, history: list[Turn], lexical: BM25Index) -> str:
    """The question as it would be asked without the conversation (offline rules)."""
    previous: str | None = None
    for turn in history:
        if turn.role == "user" and turn.content.strip():
            previous = _rewrite(turn.content.strip(), previous, lexical)
    return _rewrite(question.strip(), previous, lexical)


def previous_answer(history: list[Turn]) -> str:
    """The last assistant message, whose sentences a 「还说了什么」 follow-up should not repeat."""
    for turn in reversed(history):
        if turn.role == "assistant":
            return turn.content
    return ""


def _rewrite(question: str, previous: str | None, lexical: BM25Index) -> str:
    if previous is None or not is_follow_up(question):
        return question
    if _PRONOUN.search(question):
        person = _PERSON.match(previous)
        referent = person.group(1) if person else _most_specific_noun(previous, "", lexical)
        return _PRONOUN.sub(referent, question, count=1) if referent else question
    topic = _TOPIC.match(question)
    if not topic or not _FOLLOW_UP_END.search(question) and not _FOLLOW_UP_START.match(question):
        return question
    new = topic.group(1).strip()
    if not new or new == question:
        return question
    target = _replaceable(previous, new, lexical)
    if target:
        return previous.replace(target, new, 1)
    return f"{new}{previous}"


def _replaceable(previous: str, new: str, lexical: BM25Index) -> str | None:
    """The word of ``previous`` that ``new`` takes the place of."""
    if _YEAR.fullmatch(new):
        year = _YEAR.search(previous)
        return year.group(0) if year else None
    kind = _kind(new)
    words = [(w, f) for w, f in pos_tags(previous) if len(w) >= 2]
    if kind in ("ns", "nr"):
        same = [w for w, f in words if f == kind and w != new]
        if same:
            return same[0]
    person = _PERSON.match(previous)
    if kind == "nr" and person:
        return person.group(1)
    return _most_specific_noun(previous, new, lexical)


def _most_specific_noun(previous: str, new: str, lexical: BM25Index) -> str | None:
    """The rarest noun of ``previous`` — one as long as ``new`` first (量子信息 takes 人工智能's place,
    not 营业's)."""
    nouns = [w for w, f in pos_tags(previous) if len(w) >= 2 and f.startswith("n") and f not in ("ns", "nr") and w != new]
    if not nouns:
        return None
    return max(nouns, key=lambda w: (len(w) == len(new), lexical.term_idf(normalize(w)), len(w)))


def _kind(phrase: str) -> str:
    tags = pos_tags(phrase)
    if len(tags) == 1:
        return tags[0][1][:2]
    if any(f == "ns" for _, f in tags):
        return "ns"
    return "n"
