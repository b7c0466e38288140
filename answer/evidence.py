"""Which sentences of the retrieved passages answer the question — or that none does.

Both answer paths start here: the extractive answer quotes the evidence, the LLM is only asked
when there is some. Every sentence of the top passages is scored from a few signals:

- **meaning**: the cosine between the question's vector and the sentence's (stored at ingest;
  multilingual-e5 matches paraphrases and English questions to Chinese sentences), raised halfway
  to its closest clause's where that is higher, and how far it is below the best sentence's, in
  units of the spread of this question's similarities;
- **words**: the share of the question's IDF weight the sentence holds (rare words count more),
  and how much of the question the corpus knows at all;
- **the kind of answer**: a question asking for a date, an amount of money, a share, a rank, a count
  or a person's role must find that kind of figure (not just any number) in the sentence — a count
  of what the question counts (家 is firms), money of the kind it asks (spent, or an industry's size);

``answer/evidence_model.json`` holds the weights that turn these into a probability and the
threshold below which the answer is a refusal, both fitted on the dev split only
(``python -m evaluation.calibrate``; docs/answers.md). Four rules stay as filters, because the
ablation there says each one helps:

1. years and dates the question names must be in the sentence (2023年 is not 2022年);
2. a figure about another place does not answer (上海's 1.6万亿元 is not 东莞's), unless what the
   question asks about is only ever written of elsewhere (the 合肥 article's 皖江 neutron source);
3. an item named only inside a list (「…、低空经济、量子计算…等前沿产业」) is not what the
   sentence's figure measures;
4. a sentence that shares only the setting (places, years, 今年) with a question asking more is no evidence.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from index.lexical import BM25Index
from index.manifest import SentenceVectors
from index.retrieval import RankedPassage
from index.instructions import quotable
from index.places import Gazetteer, place_names
from index.text import SPEECH_VERBS, Tokenizer, pos_tags, split_sentences

# The passages whose sentences are read: 8 rather than 5 found 「王珺是什么身份？」 (the 原院长王珺 passage
# ranks sixth) and lost no refusal on dev (docs/answers.md).
PASSAGES_READ = 8
# A follow-up's words taken from the conversation (「王珺说…技术，为什么东莞要先发展好这些技术？」) say
# where to look; the answer must answer what is asked now. Half: 0.25 measured the same on dev.
CARRIED_WEIGHT = 0.5
MODEL_PATH = Path(__file__).resolve().parent / "evidence_model.json"
_MIN_SENTENCE_CHARS = 8  # 「王珺表示。」 closes a quote; it answers nothing on its own
_CAPTION = re.compile(r"^\s*[(（].*[)）]\s*$")

# --- what kind of answer a question asks for ------------------------------------------------------
_ROLE = re.compile(r"身份|职务|职位|头衔|担任什么|什么人|哪家(企业|公司|单位|机构)的|哪个(单位|机构)的"
                   r"|\bwho (is|was)\b|\b(role|position|title|job)\b", re.I)
_WHO = re.compile(r"^([\u4e00-\u9fff]{2,4}?)(?:是谁|是哪位|是什么人)")  # 「王珺是谁？」: a person's role
# "when" asks for a time as the question word (When did …, since when has …), not in a clause
# ("… target when it goes after AI investment?").
_TIME = re.compile(
    r"什么时候|何时|哪一年|哪年|几月|哪天|哪一天|日期|多久|^\W*(and |so |but )?when\b|\bwhen (did|does|do|is|was|were|will|are|has|have|had|can|could|would|should|must)\b"
    r"|what (year|date|month|day)|\b(which|what) (year|month)|\bby when\b", re.I,
)
# A deadline asked for (「在哪一年之前」, 「到哪一年」, 「什么时候建成」, "by when") is answered by a deadline
# (「到2026年」, 「2025年前」, 「(2019—2030年)」), not by the date something was said or done.
_DEADLINE_ASKED = re.compile(
    r"哪一?年(?:之前|以前|前)|到哪一?年|(?:什么时候|何时|哪一?年)(?:能|会|要|将)?(?:建成|完成|实现|建好|投产|竣工|落成)"
    r"|\bby (?:when|what year|which year)\b|\bwhen will\b.*\b(?:complete|completed|finish|finished|built|done|open)\b",
    re.I,
)
_DEADLINE = re.compile(r"(?:到|至|截至|截止到?)\s*\d{4}年|\d{4}年(?:前|之前|以前|底|末)|\d{4}\s*[—–\-~～至到]\s*\d{4}年")
# 「在哪些方面」, 「在哪份文件」 ask for things, not places.
_PLACE = re.compile(
    r"哪里|哪儿|在哪(?![些份种类项])|哪个(镇|街|区|市|省|县|村|地方|园区|片区|楼)|哪(栋|幢|座)楼|哪条(街|路)|位于哪|\bwhere\b", re.I
)
# 「出台过哪些…规划文件」 asks for documents by name: a sentence naming none (「还未出台相关规划和文件」) does not answer.
_DOCUMENT = re.compile(
    r"(哪些|什么|哪份|哪个|哪部|哪几)[^，,。？?]{0,12}(文件|规划|政策|意见|方案|通知|办法|条例|计划)"
    r"|\bwhich (documents?|plans?|policies|policy)\b|\bwhat (documents?|plans?|policies)\b",
    re.I,
)
_DOCUMENT_NAME = re.compile(r"《[^》]{2,60}》|“[^”]{2,20}”|\"[^\"]{2,20}\"")
# A figure is asked for only with a word that asks for one; the kind of figure follows from the topic.
# 这几类, 那几个 point at things ("these few kinds"): they ask for nothing.
_QUANTITY = re.compile(
    r"多少|(?<![哪这那])几(?![乎])|多大|多高|多快|多长|多远|第几|排名|排第|排在|位列|名次"
    r"|how (many|much|large|big|high|fast|strong|powerful|long)|\brank"
    r"|\bwhat ([\w&-]+('s)? ){0,6}(share|percentage|proportion|intensity|ratio|size|amount|level|rank|power|value|number|figure|rate|scale|total|capacity|budget|revenue|funding|funds|spending|cost|price|maximum|minimum)\b",
    re.I,
)
_QUANTITY_KINDS = (
    ("rank", re.compile(r"第几|排名|排第|排在|位列|名次|\brank|\bplace\b", re.I)),
    ("share", re.compile(r"比重|占比|比例|百分之|强度|\bshare\b|percent|proportion|\bratio\b|intensity", re.I)),
    ("count", re.compile(r"(?<![哪这那])几[个项家种大次位名座条款所类批]|多少(个|项|家|种|次|位|名|座|条|所|类|批)|\bhow many\b|number of", re.I)),
    ("money", re.compile(r"钱|金额|资金|资本|营收|收入|产值|规模|投资|投入多少|总额|总值|生产总值|资产|估值|市值|经费|预算|补贴|奖励|融资|真金白银"
                         r"|revenue|money|\bworth\b|\bvalue\b|\bsize\b|\bspend|\bbudget|\bfund|\byuan\b|investment|income|output|\bgdp\b"
                         r"|how (big|large)", re.I)),
)


FIGURE_KINDS = ("rank", "share", "count", "money", "amount")  # the kinds of answer that are a figure


def wanted_kind(question: str) -> str | None:
    """"person", "role", "time", "place", "document", "rank", "share", "money", "count", "amount" or None."""
    if _HOLDER.search(question):
        return "person"
    who = _WHO.match(question)
    if _ROLE.search(question) or (who and pos_tags(who.group(1))[0][1] == "nr"):
        return "role"
    if _TIME.search(question):
        return "time"
    if _PLACE.search(question):
        return "place"
    if _DOCUMENT.search(question):
        return "document"
    if not _QUANTITY.search(question):
        return None
    return next((kind for kind, pattern in _QUANTITY_KINDS if pattern.search(question)), "amount")


_ROLE_WORD = re.compile(
    r"院长|所长|校长|负责人|主任|局长|处长|书记|市长|省长|区长|部长|主席|委员|院士|教授|研究员|专家|学者|"
    r"董事长|总裁|总经理|经理|创始人|合伙人|首席|总监|记者|编辑|代表|官员"
)
# 「松狐科技的创始人是谁？」 asks who holds a role: the sentence must name that role (负责人邱亮明 is no founder).
_HOLDER = re.compile(rf"(?:{_ROLE_WORD.pattern})(?:是谁|是哪位|叫什么)|谁是[^，,。？?]{{0,20}}(?:{_ROLE_WORD.pattern})")
ASKS_REASON = re.compile(r"为什么|为何|原因|理由|怎么看|如何看|怎样看|怎么理解|如何理解|\bwhy\b|\bview\b|\bthink\b", re.I)

# --- what kinds of figure a sentence holds ---------------------------------------------------------
_DATE = re.compile(r"\d{4}年|\d{1,2}月|\d{1,2}日|\d{4}[-/.]\d{1,2}|今年|去年|明年|年初|年底|春节")
_CN_NUMERAL = "一二三四五六七八九十两百千万亿"
_MONEY = re.compile(rf"[\d{_CN_NUMERAL}]+(?:\.\d+)?[余多]?(?:万亿|亿|万|千)?元")
_SHARE = re.compile(r"\d+(?:\.\d+)?%|百分之")
_RANK = re.compile(rf"第[\d{_CN_NUMERAL}]+|前\d+强|前[\d{_CN_NUMERAL}]+名")
_COUNT = re.compile(
    rf"\d+(?:-\d+)?(?:余)?[个项家种次位名座条所类批部大]|[二三四五六七八九十两百千万][{_CN_NUMERAL}]*[个项家种次位名座条所类批部大点]"
    rf"|一[{_CN_NUMERAL}]+[个项家种次位名座条所类批部]"
)
# Kinds of money: a question naming one asks for that one (``QuestionProfile.money_measure``).
_MONEY_MEASURES = (
    # an industry's or a company's size
    re.compile(r"规模|营收|收入|产值|总值|增加值|销售额|\b(revenue|size|scale|output|income|sales|gdp)\b", re.I),
    # money spent
    re.compile(r"投资|投入|(?<!融)资金|经费|预算|补贴|资助|扶持|奖励|拿出|\b(invest\w*|fund\w*|budget|spend\w*|subsid\w*|set aside)\b", re.I),
    # money a company raised (a city's 每年拿出2亿元资金 is no 首轮融资)
    re.compile(r"融资|募资|募集|获投|\b(financing|raised|funding rounds?)\b", re.I),
)
_COUNTED = re.compile(r"(?:(?<![哪这那])几|多少)([个项家种大次位名座条所类批])")
_COUNTED_FIRMS_EN = re.compile(r"\bhow many ([\w-]+ ){0,2}(companies|firms|enterprises|businesses)\b", re.I)
# A unit of measure the question asks in (「占地多少平方公里」): a figure in another unit does not answer.
_UNITS = ("平方公里", "平方千米", "平方米", "公顷", "亩", "公里", "千米", "米", "吨", "兆瓦", "千瓦", "瓦", "岁", "人", "辆", "台", "架", "艘")
_ASKED_UNIT = re.compile(rf"(?:(?<![哪这那])几|多少)(?:万|亿)?({'|'.join(_UNITS)})(?![才士工力口类])")  # 多少人才 asks no head count
_ENGLISH_UNITS = (
    (re.compile(r"square (kilomet|km)", re.I), "平方公里"), (re.compile(r"square met", re.I), "平方米"),
    (re.compile(r"hectares?", re.I), "公顷"), (re.compile(r"\bmegawatts?\b|\bMW\b"), "兆瓦"),
    (re.compile(r"\bkilowatts?\b|\bkW\b"), "千瓦"), (re.compile(r"\btonn?es\b|\btons\b", re.I), "吨"),
    (re.compile(r"\bhow many (people|residents|employees|workers|staff)\b", re.I), "人"),
)
_AMOUNT = re.compile(rf"\d+(?:\.\d+)?|[二三四五六七八九十两百千万][{_CN_NUMERAL}]*[个项家种大类点条位名部座批倍成]")
_YEAR_OR_DATE_TOKEN = re.compile(r"^\d{4}年$|^\d{1,2}月$|^\d{1,2}日$")
_LOCAL_PLACE_ENDINGS = "湖湾区镇街园县"  # 松山湖, 滨海湾, 长安镇
_DASHES = re.compile(r"(?<=\d)\s*[-‐‑‒–—―－~～]+\s*(?=\d)")

# Words that say what kind of answer is wanted, not what it is about: 「王珺是什么身份？」 is about
# 王珺. They are left out of the question's terms.
QUESTION_FRAME_WORDS = frozenset(
    """
    身份 职务 职位 头衔 担任 是谁 什么人 哪家 哪位 人 特点 特征 原因 理由 为什么 意义 作用 影响 目的 方式 方法 情况 内容 程度 关系
    评价 看法 观点 态度 思路 建议 定位 含义 意思 区别 不同 相同 指 是指 包括 包含 哪些 哪里 哪儿 怎样 如何
    理解 看待 怎么看 认识 比 别的 其他 什么样 多少钱 金额 数量 规模 排名 第几
    """.split()
)
# 「有没有出台…」, 「会不会…」, 「多不多」 ask yes or no (and jieba also emits their pieces 没有, 不会):
# the frame of the question, not what it is about.
_A_NOT_A = re.compile(r"([\u4e00-\u9fff])[不没]\1|可不可以")
FEATURES = ("sem", "sem_gap", "lex", "lex_all", "missing", "shared", "known", "typed", "type_ok", "english", "english_sem", "english_lex")
_ENGLISH_YEAR = re.compile(r"^(19|20)\d\d$")


@dataclass(frozen=True)
class QuestionProfile:
    # The question's content words, each as the corpus words it may be: one token for a Chinese
    # question; for an English word, its translations (index/crosslingual.py). With their weights
    # (the rarest translation's IDF), those the corpus knows, and the share of the weight they carry.
    groups: tuple[frozenset[str], ...]
    weights: tuple[float, ...]
    known: tuple[int, ...]  # indexes of the groups the corpus uses
    known_share: float
    anchors: frozenset[str]  # years and dates (and a follow-up's new topic) every evidence sentence must contain
    places: tuple[frozenset[str], ...]  # the places the question names (each: the names it may be)
    setting: tuple[bool, ...]  # per group: is it where or when (_setting_groups), not what
    wants: str | None  # wanted_kind()
    amounts: frozenset[str]  # amounts the question itself names (not an answer to it)
    english: bool
    question: str
    money_measure: re.Pattern | None = None  # a money question naming one kind of money: what the sentence must name
    counted: str | None = None  # a count question's measure word (家 in 多少家), unless 个
    unit: str | None = None  # the unit of measure a figure is asked in (平方公里 in 占地多少平方公里)
    count_noun: str | None = None  # what a 几个 count counts (小镇 in 「人工智能小镇一共有几个」)
    # A question naming no place is about the home, unless what it asks about is only ever written
    # of elsewhere (「皖江强流中子源的功率」: no article about 东莞 names it): then no place is implied.
    elsewhere: bool = False
    deadline: bool = False  # a time question asking by when (_DEADLINE_ASKED)


@dataclass
class Evidence:
    passage: RankedPassage
    start: int  # sentence offsets inside the passage text
    end: int
    score: float  # probability that the sentence answers (evidence_model.json)
    features: dict[str, float] | None = None

    @property
    def text(self) -> str:
        return self.passage.passage.text[self.start : self.end]


RULES = ("year", "place", "list", "topic")  # the filters in sentence_features, each one switchable for measuring


@dataclass(frozen=True)
class EvidenceModel:
    weights: dict[str, float]
    bias: float
    threshold: float  # below it for the best sentence: refuse
    keep_ratio: float  # further sentences must score at least this share of the best one
    rules: tuple[str, ...] = RULES
    # An English question's: e5's cosines across the two languages run lower, and so do its probabilities.
    english_threshold: float | None = None

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> "EvidenceModel":
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(
            data["weights"], data["bias"], data["threshold"], data["keep_ratio"], tuple(data.get("rules", RULES)),
            data.get("english_threshold"),
        )

    def threshold_for(self, english: bool) -> float:
        return self.english_threshold if english and self.english_threshold is not None else self.threshold

    def probability(self, features: dict[str, float]) -> float:
        z = self.bias + sum(self.weights.get(name, 0.0) * value for name, value in features.items())
        return float(1.0 / (1.0 + np.exp(-z)))


@lru_cache(maxsize=1)
def default_model() -> EvidenceModel:
    return EvidenceModel.load()


def profile_question(
    question: str, lexical: BM25Index, tokenizer: Tokenizer, gazetteer: Gazetteer, english: bool, topic: str | None = None,
    carried: str = "",
) -> QuestionProfile:
    """``topic``: the new topic of a follow-up (「那散裂中子源呢？」), which every evidence sentence must name.
    ``carried``: the part of ``question`` a follow-up took from the conversation (the previous
    question's subject); its words weigh less (``CARRIED_WEIGHT``)."""
    asked_now = question[len(carried):]  # ``carried`` is where a follow-up's query starts (answer/followup.py)
    polar = [m.group(0) for m in _A_NOT_A.finditer(question)]
    tokens = [
        t for t in dict.fromkeys(tokenizer.question_tokens(question))
        if t not in QUESTION_FRAME_WORDS and not any(t in frame for frame in polar)
    ]
    aliases = lexical.english.aliases  # AI asked, 人工智能 written, or the other way round
    if english:
        # Figures and Latin terms (2022, r&d, gdp) as they are; words through the dictionary.
        words = [t for t in tokens if t in lexical.vocabulary or aliases(t)]
        groups = [frozenset([t]) | aliases(t) for t in words]
        groups += [c.terms for c in lexical.english.concepts(question)]
        anchors = frozenset(t for t in tokens if _ENGLISH_YEAR.match(t))
        places = tuple(gazetteer.in_english(question))
    else:
        words = tokens
        groups = [frozenset([t]) | aliases(t) for t in words]
        anchors = frozenset(t for t in tokens if _YEAR_OR_DATE_TOKEN.match(t))
        places = tuple(frozenset([place]) for place in sorted(gazetteer.in_text(question)))
    # A word the corpus knows weighs what it weighs, not what the rarer name it may also go by does.
    own_weights = {g: lexical.term_idf(t) for t, g in zip(words, groups) if t in lexical.vocabulary}
    if topic:
        named = [t for t in tokenizer.tokenize(topic) if t in lexical.vocabulary]
        if named:
            anchors |= {max(named, key=len)}
    groups = list(dict.fromkeys(groups))
    weights = [own_weights.get(g) or max((lexical.term_idf(t) for t in g), default=lexical.term_idf("")) for g in groups]
    if carried:
        asked = set(tokenizer.question_tokens(asked_now))
        if english:
            asked |= {t for c in lexical.english.concepts(asked_now) for t in c.terms}
        weights = [w if g & asked else w * CARRIED_WEIGHT for g, w in zip(groups, weights)]
    known = [i for i, g in enumerate(groups) if g & lexical.vocabulary.keys()]
    total = sum(weights)
    # What kind of answer is asked is what the question asks now, not what its carried subject asked
    # (「上海三大先导产业2023年规模多大，这些产业在哪些领域…」 asks for fields, not a size).
    wants = wanted_kind(asked_now)
    if wants == "rank":
        places = _without_rank_scope(places, question, gazetteer, english)
    if carried and wants not in (*FIGURE_KINDS, "time"):
        # A year or date the carried subject names scopes a figure asked now (「其中…占了多少？」), not a
        # document or a reason: after 「广东2月宣布…」, 「那国家层面出了什么文件？」 need not be of 2月.
        anchors = frozenset(a for a in anchors if a in asked_now)  # a follow-up's new topic is in what it asks now
    setting = _setting_groups(groups, gazetteer)
    names_home = any(g & gazetteer.home_names for g in groups) or (english and gazetteer.home_in_english(question))
    subject = _subject(groups, weights, known, setting)
    elsewhere = (
        not places and not names_home and subject is not None and not lexical.shares_a_chunk(groups[subject], gazetteer.home_names)
    )
    plain = _DATE.sub("", _DASHES.sub("-", question))
    measures = [pattern for pattern in _MONEY_MEASURES if pattern.search(question)]
    counted = _COUNTED.search(question)
    counted = counted.group(1) if counted else "家" if english and _COUNTED_FIRMS_EN.search(question) else None
    return QuestionProfile(
        groups=tuple(groups),
        weights=tuple(weights),
        known=tuple(known),
        known_share=sum(weights[i] for i in known) / total if total else 0.0,
        anchors=anchors,
        places=places,
        setting=setting,
        wants=wants,
        amounts=frozenset(_value(m.group(0)) for m in _AMOUNT.finditer(plain)),
        english=english,
        question=_DASHES.sub("-", question),
        money_measure=measures[0] if wants == "money" and len(measures) == 1 else None,
        counted=counted if wants == "count" and counted != "个" else None,
        elsewhere=elsewhere,
        count_noun=counted_noun(question) if wants == "count" and not english and counted in (None, "个") else None,
        unit=asked_unit(question, english) if wants in FIGURE_KINDS else None,
        deadline=wants == "time" and bool(_DEADLINE_ASKED.search(question)),
    )


# 「这个比例在广东排第几？」, "Where does it rank in Guangdong?": the place a rank is taken in is its
# scope (全省第2), not the place whose figure is ranked.
_RANK_SCOPE = re.compile(r"在([^，,。？?]{1,12}?)(?:范围内|内|中|里)?(?:分别)?(?:排|位列|位居|名列|居)")
_RANK_SCOPE_EN = re.compile(r"\brank\w*\s+(?:\w+\s+){0,3}?(?:in|within|among)\s+([^,.?]+)", re.I)


def _without_rank_scope(
    places: tuple[frozenset[str], ...], question: str, gazetteer: Gazetteer, english: bool
) -> tuple[frozenset[str], ...]:
    if english:
        scope = {name for m in _RANK_SCOPE_EN.finditer(question) for names in gazetteer.in_english(m.group(1)) for name in names}
        return tuple(p for p in places if not p & scope)
    scopes = [m.group(1) for m in _RANK_SCOPE.finditer(question)]
    return tuple(p for p in places if not any(name in scope for name in p for scope in scopes))


_COUNT_AFTER = re.compile(r"(?:(?<![哪这那])几|多少)个([^，,。？?！!；;]{1,12})")
_COUNT_BEFORE = re.compile(r"([^，,。？?！!；;]{1,16}?)(?:一共|总共|共)?(?:有|是)?(?:(?<![哪这那])几|多少)个(?=[？?。，,]|$)")
_COUNT_FRAME = frozenset("目标 数量 总数 个数 数目".split())  # 「集群培育目标是几个」 counts 集群


def counted_noun(question: str) -> str | None:
    """The noun a 几个 question counts: the first after it (「几个人工智能创新极」), or the last before it
    when nothing follows (「人工智能小镇一共有几个？」)."""
    after = _COUNT_AFTER.search(question)
    if after:
        nouns = [w for w, tag in pos_tags(after.group(1)) if tag.startswith("n") and len(w) >= 2]
        return nouns[0] if nouns else None
    before = _COUNT_BEFORE.search(question)
    if before:
        nouns = [w for w, tag in pos_tags(before.group(1)) if tag.startswith("n") and len(w) >= 2 and w not in _COUNT_FRAME]
        return nouns[-1] if nouns else None
    return None


def asked_unit(question: str, english: bool) -> str | None:
    """The unit of measure the question asks its figure in, when it names one."""
    if english:
        return next((unit for pattern, unit in _ENGLISH_UNITS if pattern.search(question)), None)
    named = _ASKED_UNIT.search(question)
    return named.group(1) if named else None


def sentence_features(
    profile: QuestionProfile,
    sentence: str,
    similarity: float,
    best_similarity: float,
    lexical: BM25Index,
    tokenizer: Tokenizer,
    gazetteer: Gazetteer,
    rules: tuple[str, ...] = RULES,
    spread: float = 1.0,
    context: frozenset[str] = frozenset(),
) -> dict[str, float] | None:
    """The signals for one sentence, or None when a filter rules it out. ``context``: terms the
    sentence means without writing them (``sentence_context``)."""
    tokens = set(tokenizer.token_set(sentence)) | context
    if "year" in rules and not profile.anchors <= tokens:
        return None  # rule 1: the year or date asked about is not this sentence's
    figure = profile.wants in (*FIGURE_KINDS, "time")  # a date is a figure of its own year
    if "place" in rules and (figure or profile.wants in ("person", "role")):
        named = gazetteer.in_text(sentence)
        if profile.places and not all(names & named for names in profile.places):
            return None  # rule 2: the place asked about is not this figure's (广州市社科院's 所长 is not 深圳's)
        if figure and not profile.places and named and not profile.elsewhere:
            return None  # rule 2: the figure belongs to another place than the home
    if figure and "list" in rules and _only_listed(profile, sentence, lexical, tokenizer):
        return None  # rule 3: the question's subject is one item of a list the figure does not measure
    if "topic" in rules and _shares_only_setting(profile, tokens):
        return None  # rule 4: 「2024年东莞房价每平方米多少钱？」 and a sentence that only names 2024年 and 东莞 too
    typed = profile.wants is not None
    return {
        "sem": similarity,
        "sem_gap": (similarity - best_similarity) / spread,
        "lex": coverage(profile, tokens),
        "lex_all": coverage(profile, tokens, known_only=False),
        "missing": _missing(profile, tokens, lexical),
        "shared": _shared(profile, tokens, lexical),
        "known": profile.known_share,
        "typed": float(typed),
        "type_ok": float(has_wanted_answer(profile, sentence, gazetteer)) if typed else 1.0,
        "english": float(profile.english),
        "english_sem": similarity if profile.english else 0.0,
        "english_lex": coverage(profile, tokens) if profile.english else 0.0,
    }


def find_evidence(
    question: str,
    vector: np.ndarray,
    passages: list[RankedPassage],
    sentence_vectors: dict[str, SentenceVectors],
    lexical: BM25Index,
    tokenizer: Tokenizer,
    gazetteer: Gazetteer,
    english: bool,
    model: EvidenceModel | None = None,
    topic: str | None = None,
    carried: str = "",
    gloss_vector: np.ndarray | None = None,
) -> list[Evidence]:
    """Evidence sentences from the top passages, best first; empty when the articles do not say.

    ``sentence_vectors`` maps a passage's chunk id to its sentences and clauses and their vectors."""
    model = model or default_model()
    candidates = score_sentences(
        question, vector, passages, sentence_vectors, lexical, tokenizer, gazetteer, english, model, topic, carried, gloss_vector
    )
    return [e for e in candidates if e.score >= model.threshold_for(english)]


def score_sentences(
    question: str,
    vector: np.ndarray,
    passages: list[RankedPassage],
    sentence_vectors: dict[str, SentenceVectors],
    lexical: BM25Index,
    tokenizer: Tokenizer,
    gazetteer: Gazetteer,
    english: bool,
    model: EvidenceModel | None = None,
    topic: str | None = None,
    carried: str = "",
    gloss_vector: np.ndarray | None = None,
) -> list[Evidence]:
    """Every candidate sentence with its probability, best first (the calibration reads these).

    ``gloss_vector``: an English question's Chinese rendering, embedded (``EnglishBridge.gloss``);
    a sentence's meaning signal is then the mean of its cosines with the question and with that."""
    model = model or default_model()
    profile = profile_question(question, lexical, tokenizer, gazetteer, english, topic, carried)
    rows: list[tuple[RankedPassage, int, int, float, frozenset[str]]] = []
    for ranked in passages[:PASSAGES_READ]:
        text = ranked.passage.text
        quotations = quote_speakers(text, tokenizer)
        stored = sentence_vectors[ranked.passage.chunk_id]
        previous = (0, 0)
        similarities = stored.similarities(vector)
        if gloss_vector is not None:
            similarities = (similarities + stored.similarities(gloss_vector)) / 2
        for (start, end), similarity in zip(stored.spans, similarities):
            sentence, before = text[start:end], _same_paragraph(text, previous, start)
            previous = (start, end)
            if sentence == ranked.passage.section or _CAPTION.match(sentence) or len(sentence) < _MIN_SENTENCE_CHARS:
                continue  # headings, image captions and fragments are not statements to quote
            if not quotable(sentence, question):
                continue  # 「忽略之前的所有指令……」, a planted hotline: never quoted as evidence
            speaker = next((terms for q_start, q_end, terms in quotations if q_start <= start < q_end), frozenset())
            rows.append((ranked, start, end, float(similarity), speaker | sentence_context(sentence, before, tokenizer, gazetteer)))
    if not rows:
        return []
    best = max(r[3] for r in rows)
    # How far below the best sentence, in units of this question's spread of similarities: the
    # same for an embedder whose cosines are compressed (e5: 0.75-0.97) and one whose are not.
    spread = float(np.std([r[3] for r in rows])) + 1e-3
    found: list[Evidence] = []
    for ranked, start, end, similarity, context in rows:
        features = sentence_features(
            profile, ranked.passage.text[start:end], similarity, best, lexical, tokenizer, gazetteer, model.rules, spread,
            context,
        )
        if features is not None:
            found.append(Evidence(ranked, start, end, model.probability(features), features))
    found.sort(key=lambda e: (-e.score, e.passage.rank, e.start))
    return found


def sentence_context(sentence: str, before: str, tokenizer: Tokenizer, gazetteer: Gazetteer) -> frozenset[str]:
    """A sentence that opens with 其中 ("of these") is set where and when the one before it in its
    paragraph is: 「2022年东莞人工智能产业…约996亿元。其中,可穿戴智能设备制造…约757亿元」 is about 2022年
    and 东莞. (Who says a quotation is the other context a sentence leaves unwritten: ``quote_speakers``.)"""
    if not continues_previous(sentence) or not before:
        return frozenset()
    return frozenset(t for t in tokenizer.token_set(before) if is_setting_word(t, gazetteer))


def continues_previous(sentence: str) -> bool:
    return sentence.lstrip().startswith("其中")


def _same_paragraph(text: str, previous: tuple[int, int], start: int) -> str:
    """The previous sentence's text, or "" when a paragraph break (or nothing) is in between."""
    begin, end = previous
    return text[begin:end] if end > begin and "\n" not in text[end:start] else ""


# Who says a quotation: named right after it (「……。”王珺表示。」) or in one of the two sentences
# before it (「企业相关负责人邱亮明表示,……。“……”」, 「正如王珺所言,“……”」).
_QUOTATION = re.compile(r"“[^“”]{20,}”")  # a few words in quotes (“一号文”) are a name, not speech
_SAID_AFTER = re.compile(rf"\s*([^，,。！？!?“”\n]{{1,20}}?)(?:{SPEECH_VERBS})")
_SAID_BEFORE = re.compile(rf"([^，,。！？!?“”\n]{{1,30}}?)(?:{SPEECH_VERBS})")
_SENTENCE_END = re.compile(r"[。！？!?\n]")


@lru_cache(maxsize=4096)  # the same passages come back question after question
def quote_speakers(text: str, tokenizer: Tokenizer) -> tuple[tuple[int, int, frozenset[str]], ...]:
    """(start, end, terms naming the speaker) of each attributed quotation in ``text``."""
    found = []
    for quote in _QUOTATION.finditer(text):
        after = _SAID_AFTER.match(text, quote.end())
        clause = after.group(1) if after else None
        if clause is None:
            ends = [m.end() for m in _SENTENCE_END.finditer(text, 0, quote.start())]
            before = text[ends[-3] if len(ends) >= 3 else 0 : quote.start()]
            said = list(_SAID_BEFORE.finditer(before))
            clause = said[-1].group(1) if said else None
        names = [word for word, tag in pos_tags(clause) if tag.startswith("nr")] if clause else []
        terms = frozenset(t for t in tokenizer.token_set(clause) if any(t in w or w in t for w in names)) if names else frozenset()
        if terms:
            found.append((quote.start(), quote.end(), terms))
    return tuple(found)


def following_sentences(evidence: Evidence, count: int) -> list[Evidence]:
    """Up to ``count`` sentences after ``evidence`` in its paragraph: the reason or view a claim
    leads into (「……企业。今年年初……。负责人表示,落地松山湖主要基于……优势。」)."""
    text = evidence.passage.passage.text
    paragraph_end = text.find("\n", evidence.end)
    paragraph_end = len(text) if paragraph_end < 0 else paragraph_end
    after = [s for s in split_sentences(text) if evidence.end <= s.start and s.end <= paragraph_end]
    return [Evidence(evidence.passage, s.start, s.end, evidence.score) for s in after[:count]]


def opening_sentence(evidence: Evidence) -> Evidence | None:
    """The sentence a 其中-sentence continues (``sentence_context``), when it is in the same
    paragraph of the passage: 「其中,…约757亿元」 quoted alone does not say of what."""
    if not continues_previous(evidence.text):
        return None
    text = evidence.passage.passage.text
    before = [s for s in split_sentences(text) if s.end <= evidence.start and _same_paragraph(text, (s.start, s.end), evidence.start)]
    return Evidence(evidence.passage, before[-1].start, before[-1].end, evidence.score) if before else None


def coverage(profile: QuestionProfile, text_terms: set[str], known_only: bool = True) -> float:
    """Share of the weight of the question's words (those the corpus knows, or all of them) that
    the text holds; an English word counts when any of its translations is there. Over all words,
    「明天东莞会下雨吗？」 is barely covered by a sentence naming 东莞."""
    groups = profile.known if known_only else range(len(profile.groups))
    total = sum(profile.weights[i] for i in groups)
    if not total:
        return 0.0
    return sum(profile.weights[i] for i in groups if profile.groups[i] & text_terms) / total


def has_wanted_answer(profile: QuestionProfile, sentence: str, gazetteer: Gazetteer) -> bool:
    """Does the sentence hold the kind of answer asked for? An amount the question itself names
    (「五项计划中…多少家」, 「1000余项课题中…」) is not an answer to it."""
    wants = profile.wants
    if wants == "person":
        return any(role in sentence for role in _ROLE_WORD.findall(profile.question))
    if wants == "role":
        return bool(_ROLE_WORD.search(sentence))
    if wants == "time":
        return bool((_DEADLINE if profile.deadline else _DATE).search(sentence))
    if wants == "document":
        return bool(_DOCUMENT_NAME.search(sentence))
    if wants == "place":
        # A place the question itself names (「中国散裂中子源位于东莞哪个镇街？」) is not where it is.
        named = set(gazetteer.in_text(sentence)) | {
            word for word, tag in pos_tags(sentence) if tag == "ns" or (len(word) >= 3 and word[-1] in _LOCAL_PLACE_ENDINGS)
        }
        return any(place not in profile.question for place in named)
    kinds = {"money": _MONEY, "share": _SHARE, "rank": _RANK, "count": _COUNT, "amount": _AMOUNT}
    if wants in kinds:
        text = _DASHES.sub("-", sentence)
        text = _DATE.sub("", text) if wants == "amount" else text
        found = [m.group(0) for m in kinds[wants].finditer(text) if _value(m.group(0)) not in profile.amounts]
        if profile.money_measure and not profile.money_measure.search(sentence):
            return False  # money spent is not the size of what it is spent on (规模 does not answer 投资)
        if profile.unit:
            # 两个 (innovation poles) is no area: the figure must be in the unit asked (300平方公里, 1.2万人).
            measured = re.compile(rf"[\d{_CN_NUMERAL}](?:\.\d+)?[余多]?[万亿]?{profile.unit}")
            found = [m.group(0) for m in measured.finditer(text) if _value(m.group(0)) not in profile.amounts]
        if profile.count_noun:
            # 「两个人工智能创新双极」 counts poles, not the towns 「人工智能小镇一共有几个？」 asks about.
            found = [f for f in found if _counts_noun(profile.count_noun, text, f)]
        if profile.counted:
            # The measure word says what is counted: 「多少家企业」 counts firms, 「三大环节」 links of a chain.
            found = [f for f in found if f[-1] == profile.counted or f[-1] == "个" and _counts_what_is_asked(profile.counted, text, f)]
        return bool(found)
    return True


_FIRMS = re.compile(r"[^，,。；;、]{0,8}?(企业|公司|厂|机构|单位)")  # used with match(text, pos)


def _counts_noun(noun: str, text: str, figure: str) -> bool:
    """Does the figure count ``noun``? Not when the sentence names the noun, but outside the figure's
    clause (「两个人工智能创新双极,并大力发展人工智能小镇」 counts poles, not towns); a sentence that does not
    name it may call it otherwise (研究项目 asked, 课题 written), so its figure still counts."""
    if noun not in text:
        return True
    return any(noun in clause for clause in re.split(r"[，,。；;！？]", text) if figure in clause)


def _counts_what_is_asked(counted: str, text: str, figure: str) -> bool:
    """个 counts anything: 「300个人工智能企业」 counts firms, 「两个人工智能创新双极」 does not."""
    if counted != "家":
        return True
    return any(_FIRMS.match(text, m.end()) for m in re.finditer(re.escape(figure), text))


def _shares_only_setting(profile: QuestionProfile, text_terms: set[str]) -> bool:
    """Are the only words the question and the sentence share its setting (where and when: places,
    years, 今年, 目前), while the question says more? The setting is not what is asked about it."""
    shared = [i for i, g in enumerate(profile.groups) if g & text_terms]
    return bool(shared) and all(profile.setting[i] for i in shared) and not all(profile.setting)


def _setting_groups(groups: list[frozenset[str]], gazetteer: Gazetteer) -> tuple[bool, ...]:
    setting = [t for g in groups for t in g if is_setting_word(t, gazetteer)]
    # 松山 and 山湖, the pieces of 松山湖, are the setting too; an untranslated English word is not.
    return tuple(bool(g) and all(any(t in word for word in setting) for t in g) for g in groups)


# When a question is set (deictic time words; years and dates are read by pattern). jieba's time tag
# is no guide: it gives 未来 and 新一代 too, which are this corpus's topics.
_TIME_WORDS = frozenset(
    "今年 去年 明年 前年 今天 明天 昨天 目前 当前 现在 如今 近年 近年来 今后 年初 年底 年末 年内 上半年 下半年 当下 此前".split()
)


def is_setting_word(word: str, gazetteer: Gazetteer) -> bool:
    """A place (东莞, 上海, 松山湖) or a time (2024年, 今年, 目前): where and when, not what."""
    if word in place_names() or gazetteer.is_home_name(word) or word in _TIME_WORDS:
        return True
    if _YEAR_OR_DATE_TOKEN.match(word) or _ENGLISH_YEAR.match(word):
        return True
    # A place below a city (松山湖, 长安镇): jieba's place tag alone also gives 城市, 重镇 and 深度.
    tags = pos_tags(word)
    return len(word) >= 3 and word[-1] in _LOCAL_PLACE_ENDINGS and len(tags) == 1 and tags[0][1] == "ns"


def _shared(profile: QuestionProfile, text_terms: set[str], lexical: BM25Index) -> float:
    """The rarest word the question and the sentence share, as a share of the rarest weight
    possible: 「明天东莞会下雨吗？」 shares only 东莞, which half the articles name."""
    rarest = lexical.term_idf("")
    shared = [profile.weights[i] for i in profile.known if profile.groups[i] & text_terms]
    return max(shared, default=0.0) / rarest if rarest else 0.0


def _missing(profile: QuestionProfile, text_terms: set[str], lexical: BM25Index) -> float:
    """The rarest word of the question that the corpus uses but this sentence does not, as a share
    of the rarest weight possible: 「量子计算」 asked, 「量子信息」 said."""
    rarest = lexical.term_idf("")
    missing = [profile.weights[i] for i in profile.known if not profile.groups[i] & text_terms]
    return max(missing, default=0.0) / rarest if rarest else 0.0


def _value(figure: str) -> str:
    """What a figure says, to compare with the question's own: 1000余项 and 1000 are the same number."""
    digits = re.search(r"\d+(?:\.\d+)?(?:-\d+(?:\.\d+)?)?", figure)
    return digits.group(0) if digits else figure


def _subject(groups, weights, known, setting) -> int | None:
    """The index of the question's subject: its rarest word the corpus knows, neither a figure nor
    where or when (上海 in 「上海的生物医药产业规模」 is the setting)."""
    candidates = [i for i in known if not setting[i] and not any(re.search(r"\d", t) for t in groups[i])]
    return max(candidates, key=lambda i: (weights[i], max(len(t) for t in groups[i]))) if candidates else None


def _only_listed(profile: QuestionProfile, sentence: str, lexical: BM25Index, tokenizer: Tokenizer) -> bool:
    """True when the question's subject (its rarest word) appears in the sentence only as one item
    of a 、-list that holds no figure, and the question names no other item of that list: the
    sentence's figure is then about the list's whole (1—2个超百亿元集群 across nine industries, 757亿元
    across four fields), not that item."""
    best = _subject(profile.groups, profile.weights, profile.known, profile.setting)
    if best is None:
        return False
    names = [t for t in profile.groups[best] if len(t) >= 2 and t in sentence]
    if not names:
        return False
    subject = max(sorted(names), key=len)
    clauses = [c for c in re.split(r"[，,；;：:。！？]", sentence) if subject in c]
    if not clauses:
        return False
    for clause in clauses:
        items = [re.sub(r"等.*$", "", item).strip() for item in re.split(r"、|和|及", clause)]
        # The count closing a list (「…、人工智能三大先导产业规模达到1.6万亿元」) and what follows it are the
        # list's, not its last item's.
        mine = [_without_list_total(item, subject) for item in items if subject in item]
        if "、" not in clause or any(_AMOUNT.search(item) for item in mine):
            # not a list, or the figure is in the subject's own item (全国前20强开展精准招商, 三大环节的产业链)
            return False
        others = [item for item in items if subject not in item and not _AMOUNT.search(item) and len(item) >= 2]
        if any(_names(profile, item, lexical, tokenizer) for item in others):
            return False  # the question asks about the list (or several of its items)
    return True


_LIST_TOTAL = re.compile(rf"^等?[{_CN_NUMERAL}\d]+[大个类项种].*$")


def _without_list_total(item: str, subject: str) -> str:
    head, _, rest = item.partition(subject)
    return head + subject + _LIST_TOTAL.sub("", rest)


def _names(profile: QuestionProfile, item: str, lexical: BM25Index, tokenizer: Tokenizer) -> bool:
    """Does the question name this list item (one of its rarest words)? All the rarest count, not
    one picked among equals: 智能无人飞行器制造 is named by a question saying 无人机."""
    # The clause's setting written into its first item (「上海集成电路」) is not the item.
    setting = {t for group, where in zip(profile.groups, profile.setting) if where for t in group}
    words = [t for t in tokenizer.token_set(item) if len(t) >= 2 and t not in setting] if len(item) <= 12 else []
    if not words:
        return False
    top = max(lexical.term_idf(t) for t in words)
    rarest = [t for t in words if lexical.term_idf(t) == top]
    return any(t in profile.question or any(t in group for group in profile.groups) for t in rarest)
