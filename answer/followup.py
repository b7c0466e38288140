"""Follow-up questions become standalone questions before retrieval; other questions stay as asked.

A question that names its own subject (「量子信息产业在东莞发展得怎么样？」, asked after a question about
R&D) is searched as it is. Only a real follow-up is rewritten, offline, from the previous user turn
(itself rewritten first, so a third turn builds on the second):

- a new topic alone, 「那北京呢？」, 「2023年呢？」, 「前一年呢？」, "What about Guangdong?": it takes the
  place of the previous question's word of the same kind — a year for a year, a place for a place
  (the home place included), a person for a person, otherwise the noun closest in meaning;
- a pronoun for a person, 「他还说了什么？」: the person the previous question was about;
- anything else that leans on the conversation (「具体优先支持哪些产业？」, 「是哪三个产业？」,
  「每年为此拿出多少钱？」, "Which companies emerged in the first one?", and a question that names
  nothing of its own, 「主要在哪些领域？」): the previous question's subject goes in front, without
  its question words.

With an LLM the model does this rewriting (``answer.llm.LLMClient.rewrite``), for follow-ups only,
and this is its fallback.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from index.places import Gazetteer
from index.text import SPEECH_VERBS, pos_tags

# 那 opens a follow-up (「那北京呢？」), but 那位, 那家 … are demonstratives, judged as 这位, 这家 are.
_CLASSIFIERS = "位家个些种项类"
_FOLLOW_UP_START = re.compile(rf"^(那么|那(?![{_CLASSIFIERS}])|还有|另外|此外|具体|是|也|又|分别|其中)")
# Words that point back, as jieba cuts them (so 其他 "other" and 应该 "should" are not 他 and 该).
_PRONOUNS = frozenset(
    "他 他们 她 她们 它 它们 此人 这 这位 这家 这项 这些 这个 这种 这类 那位 那家 那个 那些 那种 那项 那类 该 为此 上述 前者 后者".split()
)
_PERSONAL = ("他", "她", "它", "此人")
_CLAUSE_BREAK = frozenset("，,；;：:")
_POINTING = ("这", "该")  # 这两个, 该市, 该公司 …; but 该文, 该报道 mean the article, not the conversation
_THE_ARTICLE = ("该文", "该报道", "该篇")
_ENGLISH_TOPIC = re.compile(r"^\s*(?:(?:what|how) about|and)\s+(?:in\s+|for\s+)?(.+?)\s*\??\s*$", re.I)
_ENGLISH_PRONOUN = re.compile(r"\b(he|she|him|his|her|they|them|their|it|its)\b", re.I)
# "this" and "that" open a clause as often as they point back ("…say that Dongguan will…"): they
# point back before the kind of thing they stand for ("that company"), or alone at the end ("Why is that?").
_ENGLISH_POINTER = re.compile(
    r"\b(?:this|that|these|those)\s+(?:compan(?:y|ies)|firms?|cit(?:y|ies)|places?|plans?|documents?|polic(?:y|ies)|industr(?:y|ies)"
    r"|sectors?|fields?|areas?|clusters?|figures?|numbers?|amounts?|years?|persons?|people|experts?|projects?|facilit(?:y|ies)"
    r"|technolog(?:y|ies)|ones?)\b|\b(?:this|that)\W*$|\b(?:the first one|the second one|the company|the same)\b",
    re.I,
)
_DUMMY_IT = re.compile(r"it\s+(?:(?:is|was)\s+)?(?:true|possible|likely|necessary|important|clear|said|reported|expected)\b", re.I)  # "Is it true that…"
# A name written before a pronoun is what it stands for: "Does Dongguan have its own quantum plan?",
# and so is an owner: "did the neutron source's beam power exceed its design target?"
_ENGLISH_NAME = re.compile(r"(?<=\s)(?:[A-Z][\w&'-]*)")
_ENGLISH_OWNER = re.compile(r"\b(?!(?:what|that|it|who|there|here|how|where|he|she|let)'s)[a-z]+'s\b", re.I)
_TOPIC = re.compile(r"^(?:那么|那|还有|另外|此外)?[，,\s]*([^，,。？?！!]+?)(?:的情况|方面)?(?:呢|又如何|又怎样)[？?。!！]?(.*)$")
_PERSON_PRONOUN = re.compile(r"他们|她们|(?<![其吉])他|她|此人|这个人|这位")
_YEAR = re.compile(r"\d{4}年?")
_RELATIVE_YEAR = {"前一年": -1, "上一年": -1, "去年": -1, "头一年": -1, "后一年": 1, "下一年": 1, "第二年": 1, "次年": 1}
_QUESTION_WORDS = re.compile(r"是多少|有多少|多少|多大|多高|多长|多久|多远|多快|几个|几大|哪几个|哪些|什么|哪一年|什么时候|是否|是谁|第几|怎么样|如何|为什么|吗|呢|[？?。！!]")
_NOUN_TAGS = ("n", "nz", "nt", "vn", "eng")
_ABOUT_AS_CLOSE = 0.015  # cosine margin; e5's cosines between words are compressed (0.88-0.94)
# Words that make 「X呢」 a statement or a question of its own rather than a new topic alone.
_PREDICATE = re.compile(r"了|得|是|有|在|会|要|能|吗|怎么|什么|多少|哪|几|如何|为什么|发展|达到|提出")
_NAME_TAGS = ("nr", "ns", "nt", "nz", "eng")
_COMMON_SHARE = 0.2  # a noun in a fifth of the passages or more names no subject (docs/answers.md)
_MORE = re.compile(r"^还|还(?:说|有|提|讲|谈|认为|表示|包括|做)|其他|其余|别的|另外|此外|除此|除了|\b(?:else|other|another|more|besides)\b", re.I)
_QUESTION_VERBS = frozenset("是 有 怎么样 怎样 如何 什么样 多少 为什么 包括 属于 主要 具体".split())


@dataclass
class Turn:
    role: str  # "user" or "assistant"
    content: str


@dataclass(frozen=True)
class Standalone:
    """What is searched for a question asked in a conversation."""

    query: str
    follow_up: bool  # the question leans on the conversation
    carried: str = ""  # the start of ``query`` taken from the conversation (the previous question's subject)


def is_follow_up(question: str, document_share: Callable[[str], float] | None = None) -> bool:
    """Does the question lean on the conversation (rather than name its own subject)?
    ``document_share(word)``: the share of the corpus's passages that use a word; with it, a
    Chinese question that names nothing of its own (``_names_nothing``) is a follow-up too."""
    q = question.strip()
    if not re.search(r"[\u4e00-\u9fff]", q):
        if _ENGLISH_TOPIC.match(q) or _ENGLISH_POINTER.search(q):
            return True
        pronoun = next((m for m in _ENGLISH_PRONOUN.finditer(q) if not _DUMMY_IT.match(q, m.start())), None)
        before = q[: pronoun.start()] if pronoun else ""
        return bool(pronoun) and not _ENGLISH_NAME.search(before) and not _ENGLISH_OWNER.search(before)
    if _FOLLOW_UP_START.match(q) or _points_back(q, document_share) or _topic(q):
        return True
    return document_share is not None and _names_nothing(q, document_share)


def _names_nothing(question: str, document_share: Callable[[str], float]) -> bool:
    """「主要在哪些领域？」, 「瞄准的是什么样的企业？」: no name, number or year, no word the corpus does
    not use, and no noun but those a fifth of its passages use (领域, 企业, 产业): nothing the
    question could be found by on its own. One rare noun is a subject (「散裂中子源最新的功率指标是多少？」),
    and so is a word the articles never use (「明天会下雨吗？」 is off the topic, not about the last answer)."""
    return not _names_something(pos_tags(question), document_share, unused_words=True)


def _points_back(question: str, document_share: Callable[[str], float] | None = None) -> bool:
    """A pronoun that stands for something of the conversation: not one whose antecedent the question
    itself gives, right before it (「东莞这个城市」, 「松狐科技这家企业」), in a clause before it
    (「东莞R&D投入占GDP比重为4.1%，这个比重在全国排第几？」), or in the description that follows it
    (「那家滨海湾的储能企业」, 「这家做大模型的AI公司」)."""
    tags = pos_tags(question)
    for i, (word, _) in enumerate(tags):
        pointing = word.startswith(_POINTING) and not word.startswith(_THE_ARTICLE) and len(word) <= 3
        that_one = word == "那" and i + 1 < len(tags) and tags[i + 1][0] in _CLASSIFIERS  # jieba may cut 那家 in two
        if not (pointing or that_one or word in _PRONOUNS):
            continue
        if pointing and i and tags[i - 1][1].startswith(("n", "vn")):
            continue  # 「东莞这个城市」: it stands for the name before it
        breaks = [j for j in range(i) if tags[j][0] in _CLAUSE_BREAK]
        if breaks and _names_something(tags[: breaks[-1]], document_share):
            continue
        described = tags[i + 2 :] if that_one else tags[i + 1 :]
        if not word.startswith(_PERSONAL) and _names_something(_description(described), document_share):
            continue
        return True
    return False


def _description(tags: Sequence[tuple[str, str]]) -> Sequence[tuple[str, str]]:
    """What a demonstrative's noun is described by, 「做大模型」 in 「这家做大模型的AI公司」: the words
    before the first 的 of its clause. In 「这些企业的营收」 that is 企业, which names nothing of its own."""
    for j, (word, _) in enumerate(tags[:8]):
        if word in _CLAUSE_BREAK or _QUESTION_WORDS.fullmatch(word):
            return []
        if word == "的":
            return tags[:j]
    return []


def _names_something(
    tags: Sequence[tuple[str, str]], document_share: Callable[[str], float] | None, unused_words: bool = False
) -> bool:
    """A name, a figure or (given the corpus's word counts) a noun rarer than a fifth of the passages;
    with ``unused_words``, also any content word the articles never use."""
    for word, tag in tags:
        if tag in _NAME_TAGS or (tag == "m" and re.search(r"\d", word)):
            return True
        if document_share is None or len(word) < 2 or word in _QUESTION_VERBS:
            continue
        noun = tag[0] == "n" or tag == "vn"
        if noun or (unused_words and tag[0] in "vaz"):
            share = document_share(word)
            if (noun and share < _COMMON_SHARE) or share == 0.0:
                return True
    return False


def standalone_question(
    question: str,
    history: list[Turn],
    gazetteer: Gazetteer,
    similarity: Callable[[str, list[str]], np.ndarray],
    document_share: Callable[[str], float] | None = None,
) -> Standalone:
    """The question as it would be asked without the conversation (offline rules).

    ``similarity(text, candidates)`` gives the cosine of ``text`` with each candidate (the
    embedding model's): it picks which word a new topic replaces. ``document_share``: as for
    ``is_follow_up``."""
    question = question.strip()
    follow_up = bool(history) and is_follow_up(question, document_share)
    previous: str | None = None
    for turn in history:
        asked = turn.content.strip()
        if turn.role == "user" and asked:
            previous = _rewrite(asked, previous, is_follow_up(asked, document_share), gazetteer, similarity)[0]
    query, carried = _rewrite(question, previous, follow_up, gazetteer, similarity)
    return Standalone(query, follow_up, carried)


def follow_up_topic(question: str) -> str | None:
    """The new topic of 「那X呢？」 (X), which an answer to it must be about; None otherwise."""
    topic = _topic(question.strip())
    if not topic or not re.search(r"[\u4e00-\u9fff]", topic[0]) or topic[0] in _RELATIVE_YEAR:
        return None
    return topic[0]


def asks_for_more(question: str) -> bool:
    """「他还说了什么？」, 「还有哪些？」, "What else did he say?": the previous answer's sentences are not
    news to it. Other follow-ups may be answered by the very sentence just quoted (「每年为此拿出多少钱？」
    after the sentence naming the industry and its 3亿元)."""
    return bool(_MORE.search(question))


def previous_answer(history: list[Turn]) -> str:
    """The last assistant message, whose sentences a follow-up asking for more should not repeat."""
    for turn in reversed(history):
        if turn.role == "assistant":
            return turn.content
    return ""


def _rewrite(question: str, previous: str | None, follow_up: bool, gazetteer: Gazetteer, similarity) -> tuple[str, str]:
    """(the standalone question, the part of it put in front from the conversation)."""
    if previous is None or not follow_up:
        return question, ""
    topic = _topic(question)
    if topic:
        new, rest = topic
        replaced = _replace(previous, new, gazetteer, similarity)
        if replaced:
            return (replaced if not rest else f"{replaced}{rest}"), ""
    if _PERSON_PRONOUN.search(question):
        person = _person(previous)
        if person:
            return _PERSON_PRONOUN.sub(person, question, count=1), ""
    subject = _QUESTION_WORDS.sub("", previous).strip(" ，,")
    return (f"{subject}，{question}", f"{subject}，") if subject else (question, "")


def _topic(question: str) -> tuple[str, str] | None:
    """(new topic, what follows it) for 「那X呢？」 or "What about X?", when X is a noun phrase."""
    english = _ENGLISH_TOPIC.match(question)
    if english and not re.search(r"[\u4e00-\u9fff]", question):
        return english.group(1), ""
    match = _TOPIC.match(question)
    if not match:
        return None
    new = match.group(1).strip()
    if not new or len(new) > 10 or _PREDICATE.search(new):
        return None  # 「东莞未来产业整体发展到什么阶段了呢？」 says something of its own: not a topic alone
    return new, match.group(2).strip()


def _replace(previous: str, new: str, gazetteer: Gazetteer, similarity) -> str | None:
    """``previous`` with ``new`` in the place of its word of the same kind."""
    year = _YEAR.search(previous)
    if new in _RELATIVE_YEAR and year:
        shifted = int(year.group(0)[:4]) + _RELATIVE_YEAR[new]
        return previous.replace(year.group(0)[:4], str(shifted), 1)
    new_year = _YEAR.fullmatch(new.strip())
    if new_year:
        if year:
            return previous.replace(year.group(0)[:4], new_year.group(0)[:4], 1)
        return f"{new_year.group(0)[:4]}年{previous}"
    places = _places_in(new, gazetteer)
    if places and not re.search(r"[\u4e00-\u9fff]", previous):
        # An English conversation: swap the place word ("Dongguan's" → "Guangdong's").
        for word in re.findall(r"[A-Z][a-z]+", previous):
            if gazetteer.names_for(word) or gazetteer.is_home(word):
                replacement = re.search(r"[A-Z][a-z]+", new)
                return previous.replace(word, replacement.group(0) if replacement else sorted(places)[0], 1)
        return None
    if places:
        place = sorted(places)[0]
        old = _places_in(previous, gazetteer) or ({gazetteer.home} if gazetteer.home in previous else set())
        if old:
            return previous.replace(sorted(old)[0], place, 1)
        return f"{place}{previous}"
    if not re.search(r"[\u4e00-\u9fff]", new):
        return None
    tags = pos_tags(new)
    words = [(w, f) for w, f in pos_tags(previous) if len(w) >= 2 and w not in new]
    if tags[0][1] == "nr":
        person = _person(previous)
        if person:
            return previous.replace(person, new, 1)
    if tags[0][1] == "ns":  # a place the gazetteer does not know: 滨海湾 for 松山湖
        same = [w for w, f in words if f == "ns"]
    else:
        same = [w for w, f in words if f in _NOUN_TAGS and w != gazetteer.home]
    if not same:
        return None
    # The closest in meaning; among those about as close, the longer (人工智能 rather than 资金 or 招商:
    # e5 puts 散裂中子源 at 0.886-0.898 from all three, which says nothing).
    scores = similarity(new, same)
    top = float(max(scores))
    near = [i for i in range(len(same)) if scores[i] >= top - _ABOUT_AS_CLOSE]
    closest = max(near, key=lambda i: (len(same[i]), float(scores[i])))
    return previous.replace(same[closest], new, 1)


def _places_in(text: str, gazetteer: Gazetteer) -> set[str]:
    if not re.search(r"[\u4e00-\u9fff]", text):
        found = gazetteer.in_english(text)
        return {sorted(names)[0] for names in found}
    return set(gazetteer.in_text(text))


def _person(text: str) -> str | None:
    for word, tag in pos_tags(text):
        if tag == "nr" and len(word) >= 2:
            return word
    match = re.match(rf"^(?:在|据)?([\u4e00-\u9fff]{{2,3}}?)(?:{SPEECH_VERBS}|是|担任|对)", text)
    return match.group(1) if match else None
