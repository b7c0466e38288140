"""Which sentences of the retrieved passages answer the question — or that none does.

Both answer paths start here: the extractive answer quotes the evidence, the LLM is only asked
when there is some. A sentence is evidence when it

1. covers enough of the question's IDF weight (rare, specific words count for more);
2. contains the question's *anchors*: the years and dates it names, and the places it names that
   are not everywhere in the corpus (「深圳」 in an article about 东莞 is an anchor, 「东莞」 is not);
3. holds the kind of answer the question asks for: a date for 「什么时候/哪一年」, an amount for
   「多少/几个/规模/比重」 (a year alone does not answer 「规模有多大」), a role such as 院长 or 负责人
   for 「什么身份/担任什么职务」; and, for a date or an amount, names no other place than the
   question does (上海's 1.6万亿元 does not answer a question about 东莞).

And the question as a whole must not rest mostly on words the corpus never uses
(「明天北京的天气」, 「注册资本」): then nothing in the articles can answer it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from index.lexical import BM25Index
from index.retrieval import RankedPassage
from index.tokenize import place_words, question_tokens, token_set
from ingest.chunking import split_sentences
from settings import Settings

PASSAGES_READ = 5
UBIQUITOUS_SHARE = 0.5  # a place named in half the chunks or more is the corpus's home, not an anchor
_ASKS_TIME = re.compile(r"什么时候|何时|哪一年|哪年|几月|哪天|哪一天|日期|多久|when|what year", re.I)
_ASKS_QUANTITY = re.compile(
    r"(?<!哪)几[个项家种大次成倍位名座条款所类亿万千百]|多少|多大|多高|多长|多快|比重|比例|占比|规模|金额|数量|排名|第几"
    r"|how (many|much|large|big)|what (share|percentage)",
    re.I,
)
# Words that say what kind of answer is wanted, not what it is about: 「王珺是什么身份？」 is about
# 王珺. They are left out of the question's terms.
QUESTION_FRAME_WORDS = frozenset(
    """
    身份 职务 职位 头衔 担任 是谁 什么人 哪家 哪位 人 特点 特征 原因 理由 为什么 意义 作用 影响 目的 方式 方法 情况 内容 程度 关系
    评价 看法 观点 态度 思路 建议 定位 含义 意思 区别 不同 相同 指 是指 包括 包含 哪些 哪里 哪儿 怎样 如何
    理解 看待 怎么看 认识 比 别的 其他 什么样
    """.split()
)
_CHINESE_NUMERAL_WORD = re.compile(r"^[一二三四五六七八九十两几]+[个项家种大类点条位名]?$")
_ONE_OF = re.compile(r"^[一两几][个项家种座位名批条所]$")  # 「一家」 in 「一家企业」 says nothing about which
# Place words that name no particular place.
_GENERIC_PLACES = frozenset("城市 全国 全省 全市 国内 国外 国际 全球 海外 地方 各地 本地 当地 中国 重镇".split())
_ASKS_ROLE = re.compile(r"身份|职务|职位|头衔|担任|是谁|什么人|哪家(企业|公司|单位|机构)的|哪个(单位|机构)的|who is", re.I)
_ROLE_WORD = re.compile(
    r"院长|所长|校长|负责人|主任|局长|处长|书记|市长|省长|区长|部长|主席|委员|院士|教授|研究员|专家|学者|"
    r"董事长|总裁|总经理|经理|创始人|合伙人|首席|总监|记者|编辑|代表|官员"
)
ASKS_REASON = re.compile(r"为什么|为何|原因|理由|怎么看|如何看|怎样看|怎么理解|如何理解|\bwhy\b", re.I)
_MIN_SENTENCE_CHARS = 8  # 「王珺表示。」 closes a quote; it answers nothing on its own
_CAPTION = re.compile(r"^\s*[(（].*[)）]\s*$")
_DATE = re.compile(r"\d{4}年|\d{1,2}月|\d{1,2}日|\d{4}[-/.]\d{1,2}")
_YEAR_OR_DATE_TOKEN = re.compile(r"^\d{4}年$|^\d{1,2}月$|^\d{1,2}日$")
# An amount: Arabic digits, or a Chinese numeral with its measure word (七部门, 三大, 两个) — but
# not a lone 一, which is an article (走出一条…之路).
_AMOUNT = re.compile(
    r"\d+(?:\.\d+)?%?"
    r"|(?:[二三四五六七八九十两百千万][一二三四五六七八九十两百千万]*|一[一二三四五六七八九十两百千万]+)"
    r"(?:[个项家种大类点条位名部座批倍成]|亿元|万元)"
)


@dataclass(frozen=True)
class QuestionProfile:
    terms: frozenset[str]  # content tokens
    known: frozenset[str]  # those the corpus uses
    anchors: frozenset[str]  # tokens every evidence sentence must contain
    wants: str | None  # "time", "quantity", "role" or None
    amounts: frozenset[str]  # amounts the question itself names
    unknown_share: float  # IDF share of words the corpus never uses


@dataclass
class Evidence:
    passage: RankedPassage
    start: int  # sentence offsets inside the passage text
    end: int
    score: float

    @property
    def text(self) -> str:
        return self.passage.passage.text[self.start : self.end]


def profile_question(question: str, lexical: BM25Index) -> QuestionProfile:
    terms = frozenset(
        t
        for t in question_tokens(question)
        if t not in QUESTION_FRAME_WORDS
        and not _ONE_OF.match(t)
        and not (t not in lexical.vocabulary and _CHINESE_NUMERAL_WORD.match(t))
    )
    known = frozenset(t for t in terms if t in lexical.vocabulary)
    total = sum(lexical.term_idf(t) for t in terms)
    unknown = sum(lexical.term_idf(t) for t in terms - known)
    anchors = {t for t in terms if _YEAR_OR_DATE_TOKEN.match(t)}
    if _ASKS_ROLE.search(question):
        wants = "role"
    elif _ASKS_TIME.search(question):
        wants = "time"
    elif _ASKS_QUANTITY.search(question):
        wants = "quantity"
    else:
        wants = None
    if wants in ("time", "quantity"):
        # A figure is about a place: 北京's share is not 东莞's.
        anchors |= _places(terms, lexical)
    amounts = frozenset(m.group(0) for m in _AMOUNT.finditer(_DATE.sub("", question)))
    return QuestionProfile(terms, known, frozenset(anchors), wants, amounts, unknown / total if total else 1.0)


def find_evidence(
    question: str, passages: list[RankedPassage], lexical: BM25Index, settings: Settings
) -> list[Evidence]:
    """Evidence sentences from the top passages, best first; empty when the articles do not say."""
    profile = profile_question(question, lexical)
    if not passages or not profile.known or profile.unknown_share > settings.max_unknown_share:
        return []
    found: list[Evidence] = []
    for ranked in passages[:PASSAGES_READ]:
        text = ranked.passage.text
        for span in split_sentences(text):
            sentence = text[span.start : span.end]
            if sentence == ranked.passage.section or _CAPTION.match(sentence) or len(sentence) < _MIN_SENTENCE_CHARS:
                continue  # headings, image captions and fragments are not statements to quote
            tokens = set(token_set(sentence))
            tokens |= {_place_key(t) for t in tokens}
            if not profile.anchors <= tokens or not _has_wanted_answer(profile, sentence):
                continue
            if profile.wants in ("time", "quantity") and _places(tokens, lexical) - _places(profile.terms, lexical):
                continue  # the figure belongs to another place (上海's 1.6万亿元 is not 东莞's)
            score = coverage(profile.known, tokens, lexical)
            if score >= (settings.min_specific_coverage if profile.wants else settings.min_answer_coverage):
                # A small bonus for better-ranked passages breaks ties between repeated sentences.
                found.append(Evidence(ranked, span.start, span.end, score + 0.01 / ranked.rank))
    found.sort(key=lambda e: -e.score)
    return found


def following_sentences(evidence: Evidence, count: int) -> list[Evidence]:
    """Up to ``count`` sentences after ``evidence`` in its paragraph: the reason or view a claim
    leads into (「……企业。今年年初……。负责人表示,落地松山湖主要基于……优势。」)."""
    text = evidence.passage.passage.text
    paragraph_end = text.find("\n", evidence.end)
    paragraph_end = len(text) if paragraph_end < 0 else paragraph_end
    after = [s for s in split_sentences(text) if evidence.end <= s.start and s.end <= paragraph_end]
    return [Evidence(evidence.passage, s.start, s.end, evidence.score) for s in after[:count]]


def coverage(query_terms: frozenset[str] | set[str], text_terms: set[str], lexical: BM25Index) -> float:
    """Share of the query's IDF weight found in the text."""
    total = sum(lexical.term_idf(t) for t in query_terms)
    if not total:
        return 0.0
    return sum(lexical.term_idf(t) for t in query_terms & text_terms) / total


def _has_wanted_answer(profile: QuestionProfile, sentence: str) -> bool:
    """Does the sentence hold the kind of answer asked for (a date, an amount, a person's role)?
    An amount the question itself names (「五项计划中…多少家」) is not an answer to it."""
    if profile.wants == "role":
        return bool(_ROLE_WORD.search(sentence))
    if profile.wants == "time":
        return bool(_DATE.search(sentence))
    if profile.wants == "quantity":
        amounts = {m.group(0) for m in _AMOUNT.finditer(_DATE.sub("", sentence))}
        return bool(amounts - profile.amounts)
    return True


def _places(tokens: frozenset[str] | set[str], lexical: BM25Index) -> set[str]:
    """Particular places among the tokens (as 东莞, not 东莞市), leaving out the corpus's home,
    which is named almost everywhere. Tags come from jieba's dictionary, not from context, so
    the same word is a place in every sentence."""
    tags = place_words()
    return {
        _place_key(t)
        for t in tokens
        if t in tags and t not in _GENERIC_PLACES and lexical.document_share(t) < UBIQUITOUS_SHARE
        and lexical.document_share(_place_key(t)) < UBIQUITOUS_SHARE
    }


def _place_key(word: str) -> str:
    return word[:-1] if len(word) > 2 and word[-1] in "市省区县镇" else word
