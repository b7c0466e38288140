"""The one tokenizer for the lexical side, used at index time and at query time alike.

Text is normalised (full-width to half-width, lower case, dashes between digits to "-"), figures
with their units are kept whole ("996亿元", "4.1%", "160kw", "1-2个"), the rest is cut by
jieba in search mode, and punctuation and function words are dropped.
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from functools import lru_cache

import jieba

# Units that stay attached to a figure. Longer alternatives first so "亿元" beats "亿".
_UNITS = (
    r"万亿元|亿元|万元|千元|百亿元|万亿|亿|万|千|元|余项|余家|余个|个|项|家|名|位|倍|台|套|座|条|种|强|"
    r"年|月|日|号|kw|mw|gw|kwh|km|kg|nm|gb|tb|%"
)
_FIGURE = re.compile(
    r"\d+(?:\.\d+)?(?:-\d+(?:\.\d+)?)?(?:" + _UNITS + r")?"
)
_NUMBER = re.compile(r"\d+(?:\.\d+)?(?:-\d+(?:\.\d+)?)?")
_ASCII_WORD = re.compile(r"[a-z]+(?:&[a-z]+)?")
_SPLIT = re.compile(r"(" + _FIGURE.pattern + r"|" + _ASCII_WORD.pattern + r")")
_DASHES = re.compile(r"(?<=\d)\s*[-‐‑‒–—―－~～]+\s*(?=\d)")
_WORD_CHAR = re.compile(r"[\w%]")

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

# The choices docs/evaluation.md measured; evaluation/sweep.py flips them to measure again.
SEARCH_MODE = True  # jieba search mode also emits the words inside compounds (未来产业 → 未来, 产业)
WHOLE_FIGURES = True  # keep 996亿元, 4.1%, 1-2个 as one token (plus the bare number)

_jieba_lock = threading.Lock()


@lru_cache(maxsize=1)
def _segmenter() -> jieba.Tokenizer:
    # Built on first use, not at import: loading the dictionary takes about a second.
    jieba.setLogLevel(logging.WARNING)
    segmenter = jieba.Tokenizer()
    segmenter.initialize()
    return segmenter


def pos_tags(text: str) -> tuple[tuple[str, str], ...]:
    """jieba's words with their part-of-speech tags (ns place, nr person, n noun …)."""
    return _pos_tags(text)


@lru_cache(maxsize=8192)
def _pos_tags(text: str) -> tuple[tuple[str, str], ...]:
    import jieba.posseg

    _segmenter()  # quiet jieba's start-up logging first
    with _jieba_lock:  # jieba's tagger is not thread-safe
        return tuple((pair.word, pair.flag) for pair in jieba.posseg.lcut(text))


@lru_cache(maxsize=1)
def place_words() -> frozenset[str]:
    """Words jieba's dictionary tags as places, whatever their context."""
    import jieba.posseg

    with _jieba_lock:
        jieba.posseg.dt.tokenizer.check_initialized()
        return frozenset(word for word, tag in jieba.posseg.dt.word_tag_tab.items() if tag == "ns")


def normalize(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower()
    return _DASHES.sub("-", text)


@lru_cache(maxsize=65536)
def token_set(text: str) -> frozenset[str]:
    """The distinct tokens of ``text``, cached: answering looks at the same sentences again and
    again, and jieba is the costly part of it."""
    return frozenset(tokenize(text))


@lru_cache(maxsize=64)
def question_tokens(text: str) -> tuple[str, ...]:
    """``tokenize`` for a question: BM25 and the evidence check both tokenize the same query, and a
    small cache lets the second one reuse the first's work."""
    return tuple(tokenize(text))


def tokenize(text: str) -> list[str]:
    """Lexical tokens of ``text``, in order, duplicates kept (BM25 counts them)."""
    tokens: list[str] = []
    segmenter = _segmenter()
    pieces = _SPLIT.split(normalize(text)) if WHOLE_FIGURES else [normalize(text)]
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
            words = segmenter.lcut_for_search(piece) if SEARCH_MODE else segmenter.lcut(piece)
        for word in words:
            if word.strip() and _WORD_CHAR.search(word) and word not in STOP_WORDS:
                tokens.append(word)
                if len(word) >= 3 and word[-1] in "省市":
                    tokens.append(word[:-1])  # 广东省 also matches 广东, 东莞市 also 东莞
    return tokens
