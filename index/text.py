"""Sentences and tokens: the one way guanwen cuts text, used by ingest, the index and answering alike.

- ``split_sentences``: sentence spans (。！？；… and ASCII ends; a half-width comma or the dot in
  4.1% never ends one; a paragraph break always does). Chunks are packed from these sentences,
  their vectors are stored per sentence, and answers quote them, so all three agree.
- ``split_clauses``: a sentence's clauses (cut after commas and colons), for the clause vectors
  stored beside the sentence vectors.
- ``Tokenizer``: the lexical tokens BM25 and the evidence check compare. Text is normalised
  (full-width to half-width, lower case, dashes between digits to "-"), figures with their units are
  kept whole ("996亿元", "4.1%", "160kw", "1-2个"), the rest is cut by jieba (search mode by
  default), and punctuation and function words are dropped. Built from settings; the index
  records its options, so a query is always cut like the index it searches.
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import jieba

# --- sentences ------------------------------------------------------------------------------------

# A sentence ends at 。！？；… (with any closing quotes/brackets that follow), at ASCII !?; and at
# an ASCII full stop followed by white space or the end. A half-width comma is never an end, and
# "4.1%" keeps its dot because a digit follows it.
_SENTENCE_END = re.compile(
    r"(?:[。！？；]+|…+|[!?;]+(?=\s|$|[\u4e00-\u9fff])|\.(?=\s|$))[”’」』）)\]\"']*"
)
# A line that is wholly in brackets is an image caption 「(图为松山湖高新区。受访者供图)」: one unit.
_BRACKETED = re.compile(r"^\s*(?:\([^()]*\)|（[^（）]*）)\s*$")


@dataclass(frozen=True)
class Span:
    start: int
    end: int


def split_sentences(text: str) -> list[Span]:
    """Sentence spans of ``text``; paragraph breaks always end a sentence."""
    spans: list[Span] = []
    offset = 0
    for paragraph in text.split("\n"):
        if _BRACKETED.match(paragraph):
            _append_span(spans, paragraph, offset, 0, len(paragraph))
            offset += len(paragraph) + 1
            continue
        cursor = 0
        for match in _SENTENCE_END.finditer(paragraph):
            _append_span(spans, paragraph, offset, cursor, match.end())
            cursor = match.end()
        _append_span(spans, paragraph, offset, cursor, len(paragraph))
        offset += len(paragraph) + 1
    return spans


def _append_span(spans: list[Span], paragraph: str, offset: int, start: int, end: int) -> None:
    piece = paragraph[start:end]
    stripped = piece.strip()
    if not stripped:
        return
    lead = len(piece) - len(piece.lstrip())
    spans.append(Span(offset + start + lead, offset + start + lead + len(stripped)))


# A clause ends after a comma or colon; a half-width one between digits (1,000 / 10:30) is a figure.
_CLAUSE_END = re.compile(r"[，：]|[,:](?!\d)")
MIN_CLAUSE_CHARS = 6  # a shorter piece (「同时,」) joins the clause after it


def split_clauses(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The clauses of the sentence ``text[start:end]``, as offsets in ``text``; empty when it has
    only one. A piece shorter than MIN_CLAUSE_CHARS joins the next clause, a short tail the last."""
    clauses: list[tuple[int, int]] = []
    begin = start
    for match in _CLAUSE_END.finditer(text, start, end):
        if match.start() - begin >= MIN_CLAUSE_CHARS:
            clauses.append((begin, match.end()))
            begin = match.end()
    if end - begin >= MIN_CLAUSE_CHARS or not clauses:
        clauses.append((begin, end))
    else:
        clauses[-1] = (clauses[-1][0], end)
    return clauses if len(clauses) > 1 else []


def language_of(text: str) -> Literal["zh", "en"]:
    """Chinese unless Latin letters clearly dominate: "How many staff does 松狐科技 have?" is English.

    A Chinese character carries about as much as a short English word, hence the factor.
    """
    chinese = sum("\u4e00" <= ch <= "\u9fff" for ch in text)
    latin = sum(ch.isascii() and ch.isalpha() for ch in text)
    return "zh" if chinese and chinese * 4 >= latin else "en"


# --- tokens ---------------------------------------------------------------------------------------

# Units that stay attached to a figure. Longer alternatives first so "亿元" beats "亿".
_UNITS = (
    r"万亿元|亿元|万元|千元|百亿元|万亿|亿|万|千|元|余项|余家|余个|个|项|家|名|位|倍|台|套|座|条|种|强|"
    r"年|月|日|号|kw|mw|gw|kwh|km|kg|nm|gb|tb|%"
)
_FIGURE = re.compile(r"\d+(?:\.\d+)?(?:-\d+(?:\.\d+)?)?(?:" + _UNITS + r")?")
_NUMBER = re.compile(r"\d+(?:\.\d+)?(?:-\d+(?:\.\d+)?)?")
_ASCII_WORD = re.compile(r"[a-z]+(?:&[a-z]+)?")
_SPLIT = re.compile(r"(" + _FIGURE.pattern + r"|" + _ASCII_WORD.pattern + r")")
_DASHES = re.compile(r"(?<=\d)\s*[-‐‑‒–—―－~～]+\s*(?=\d)")
_WORD_CHAR = re.compile(r"[\w%]")
# Verbs that attribute words to a speaker (「王珺认为」, 「正如王珺所言」, 「邱亮明表示」), as a regex alternation.
SPEECH_VERBS = "认为|表示|说|看来|指出|强调|所言|称|坦言|介绍|建议|提到"

STOP_WORDS = frozenset(
    """
    的 了 是 在 和 与 及 以及 或 等 也 都 而 就 对 将 把 被 从 以 为 于 之 其 这 那 这个 那个 有 中 上 下 里
    吗 呢 吧 啊 呀 么 哪些 哪个 哪 什么 多少 几 几个 如何 怎么 怎样 怎么样 是否 谁 请问 请 一下 一个
    我 我们 你 你们 他 他们 她 它 该 此 各 每 所 又 还 并 但 则 即 着 过 到 让 给 向 由 至 已 已经
    说 认为 表示 提到 提出 介绍 文章 资料 根据 关于 方面 哪里 何时 什么样 多 少 大 分别 主要 具体
    the a an of in on at to for and or is are was were be by with what which who whom how many much
    does do did its it this that as from
    """.split()
)

_jieba_lock = threading.Lock()


def normalize(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower()
    return _DASHES.sub("-", text)


class Tokenizer:
    """Lexical tokens, with the options docs/evaluation.md measured (``GUANWEN_TOKENIZER_*``):

    - ``search_mode``: jieba's search mode also emits the words inside compounds (未来产业 → 未来, 产业);
    - ``whole_figures``: keep 996亿元, 4.1%, 1-2个 as one token (plus the bare number).

    Each instance caches its own results, so two tokenizers with other options never share them.
    """

    def __init__(self, *, search_mode: bool = True, whole_figures: bool = True):
        self.search_mode = search_mode
        self.whole_figures = whole_figures
        self.token_set = lru_cache(maxsize=65536)(self._token_set)
        self.question_tokens = lru_cache(maxsize=64)(self._question_tokens)

    @classmethod
    def from_settings(cls, settings) -> "Tokenizer":
        return cls(search_mode=settings.tokenizer_search_mode, whole_figures=settings.tokenizer_whole_figures)

    @property
    def fingerprint(self) -> str:
        """The options, for the index's fingerprint: changing one re-tokenizes every document."""
        return f"s{int(self.search_mode)}f{int(self.whole_figures)}"

    def _token_set(self, text: str) -> frozenset[str]:
        # Answering looks at the same sentences again and again, and jieba is the costly part.
        return frozenset(self.tokenize(text))

    def _question_tokens(self, text: str) -> tuple[str, ...]:
        # BM25 and the evidence check both tokenize the same question: the second reuses the first.
        return tuple(self.tokenize(text))

    def tokenize(self, text: str) -> list[str]:
        """Lexical tokens of ``text``, in order, duplicates kept (BM25 counts them)."""
        tokens: list[str] = []
        segmenter = _segmenter()
        pieces = _SPLIT.split(normalize(text)) if self.whole_figures else [normalize(text)]
        for piece in pieces:
            if not piece:
                continue
            if _FIGURE.fullmatch(piece) or _ASCII_WORD.fullmatch(piece):
                if piece not in STOP_WORDS:
                    tokens.append(piece)
                    number = _NUMBER.match(piece)
                    if number and number.group(0) != piece:
                        tokens.append(number.group(0))  # "2018" also matches "2018年"
                continue
            with _jieba_lock:
                words = segmenter.lcut_for_search(piece) if self.search_mode else segmenter.lcut(piece)
            for word in words:
                if word.strip() and _WORD_CHAR.search(word) and word not in STOP_WORDS:
                    tokens.append(word)
                    if len(word) >= 3 and word[-1] in "省市":
                        tokens.append(word[:-1])  # 广东省 also matches 广东, 东莞市 also 东莞
        return tokens


@lru_cache(maxsize=1)
def _segmenter() -> jieba.Tokenizer:
    # Built on first use, not at import: loading the dictionary takes about a second.
    jieba.setLogLevel(logging.WARNING)
    segmenter = jieba.Tokenizer()
    segmenter.initialize()
    return segmenter


def precise_words(text: str) -> list[str]:
    """jieba's precise-mode words of ``text`` (whole words, not the pieces search mode adds)."""
    segmenter = _segmenter()
    with _jieba_lock:
        return segmenter.lcut(text)


def pos_tags(text: str) -> tuple[tuple[str, str], ...]:
    """jieba's words with their part-of-speech tags (ns place, nr person, n noun …)."""
    return _pos_tags(text)


@lru_cache(maxsize=8192)
def _pos_tags(text: str) -> tuple[tuple[str, str], ...]:
    import jieba.posseg

    _segmenter()  # quiet jieba's start-up logging first
    with _jieba_lock:  # jieba's tagger is not thread-safe
        return tuple((pair.word, pair.flag) for pair in jieba.posseg.lcut(text))
