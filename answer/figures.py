"""Figures as quantities: what a number in a sentence says, whatever it is written in.

「五个」, "five" and 「5个」 are one count; 「三百亿元」, "30 billion yuan" and 「300亿元」 one sum; 「百亿」 and
"10 billion" the same 1e10; 「六成」 is 60%; 「第6」 and "sixth" a rank; 「1—2个」, "1-2" and "one or two"
a range. ``quantities`` reads them (Chinese numerals through cn2an, English number words and
scales by hand), and ``supports`` says whether a cited sentence holds the same quantity of a
compatible kind — as a whole figure, so 「996亿元」 does not hold 96亿元, nor 「第6」 第1.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

_SCALES_ZH = {"万亿": 1e12, "亿": 1e8, "万": 1e4, "千": 1e3, "百": 1e2}
_SCALES_EN = {"trillion": 1e12, "billion": 1e9, "million": 1e6, "thousand": 1e3, "hundred": 1e2}
_WORDS_EN = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
    "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "a": 1, "an": 1,
}
_ORDINALS_EN = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
    "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "twentieth": 20,
}
_MONTHS_EN = {m: i for i, m in enumerate(
    "january february march april may june july august september october november december".split(), 1
)}
_UNIT_KINDS = {
    "元": "money", "美元": "money", "%": "percent", "成": "percent", "kw": "power", "mw": "power", "gw": "power",
    "kwh": "energy", "瓦": "power", "年": "year", "月": "month", "日": "day", "号": "day", "强": "top", "倍": "times",
}
_NUMBER = r"\d+(?:\.\d+)?"
_ZH_FIGURE = re.compile(
    rf"(?P<rank>第)?(?P<top>前)?(?P<low>{_NUMBER})(?:\s*(?:-|—|–|－|到|至|~)\s*(?P<high>{_NUMBER}))?\s*"
    r"(?P<scale>万亿|亿|万|千|百)?(?P<more>余|多)?\s*"
    r"(?P<unit>元|美元|%|kwh|kw|mw|gw|瓦|成|年|月|日|号|强|倍|个|项|家|名|位|台|套|座|条|种|大|部门|所|批|次)?",
    re.I,
)
_EN_NUMBER_WORDS = "|".join(sorted(_WORDS_EN, key=len, reverse=True))
_EN_SCALED = re.compile(
    rf"\b(?P<low>{_NUMBER}|(?:{_EN_NUMBER_WORDS})\b)(?:\s*(?:-|to|or|–|—)\s*(?P<high>{_NUMBER}|(?:{_EN_NUMBER_WORDS})\b))?"
    rf"(?P<scale>(?:\s*(?:trillion|billion|million|thousand|hundred)\b)*)\s*(?P<unit>yuan\b|rmb\b|percent\b|per cent\b|%|kilowatts?\b|kw\b|megawatts?\b|mw\b)?",
    re.I,
)
# An ordinal is a rank only where a rank is spoken of ("sixth nationally", "ranked second"), not in
# "for the first time".
_EN_ORDINAL = re.compile(
    rf"\b(?:(?P<digit>\d+)(?:st|nd|rd|th)|(?P<word>{'|'.join(_ORDINALS_EN)}))\b"
    r"(?=\s+(?:nationally|in (?:china|the country|the province|guangdong)|provincially|place|among))"
    rf"|\brank(?:s|ed)?\s+(?:(?P<digit2>\d+)(?:st|nd|rd|th)?|(?P<word2>{'|'.join(_ORDINALS_EN)}))\b",
    re.I,
)
_EN_DATE = re.compile(rf"\b(?P<month>{'|'.join(_MONTHS_EN)})\s+(?P<day>\d{{1,2}})\b", re.I)


@dataclass(frozen=True)
class Quantity:
    low: float
    high: float  # equal to low for a single value
    kind: str  # money, percent, rank, top, count, year, month, day, power, energy, times or number
    text: str  # as written
    scope: str = ""  # of a rank: national, provincial, city or world (全国第6 is not 全省第2)


def quantities(text: str) -> list[Quantity]:
    """Every figure of a Chinese or English text, as quantities."""
    return list(_quantities(text))


@lru_cache(maxsize=16384)
def _quantities(text: str) -> tuple[Quantity, ...]:
    text = unicodedata.normalize("NFKC", re.sub(r"\[\d+\]", " ", text))  # citation markers are no figures
    text = re.sub(r"(?<=\d),(?=\d{3}\b)", "", text)  # 1,000 → 1000
    return tuple(_chinese(text) if re.search(r"[\u4e00-\u9fff]", text) else _english(text))


def supports(claim: Quantity, evidence: list[Quantity]) -> bool:
    """Does one of the cited sentence's quantities say the same as ``claim``?"""
    return any(_compatible(claim.kind, q.kind) and _same(claim, q) for q in evidence)


def _same(a: Quantity, b: Quantity) -> bool:
    if a.scope and b.scope and a.scope != b.scope:
        return False
    return _close(a.low, b.low) and _close(a.high, b.high)


_SCOPES_ZH = {"全国": "national", "全省": "provincial", "全市": "city", "全球": "world", "世界": "world", "全区": "district"}
_SCOPES_EN = (
    (re.compile(r"\b(?:nationally|national|in (?:china|the country|the nation))\b", re.I), "national"),
    (re.compile(r"\b(?:provincially|provincial|in (?:the province|guangdong))\b", re.I), "provincial"),
    (re.compile(r"\b(?:in the world|globally|worldwide)\b", re.I), "world"),
)


def _scope_zh(before: str) -> str:
    """The area a rank is in: the nearest 全国/全省/… just before 第 (排名全国第6、全省第2)."""
    found = [(before.rfind(word), scope) for word, scope in _SCOPES_ZH.items() if word in before]
    return max(found)[1] if found else ""


def _scope_en(after: str) -> str:
    for pattern, scope in _SCOPES_EN:
        if pattern.match(after.strip()) or pattern.search(after[:24]):
            return scope
    return ""


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-9 * max(abs(a), abs(b), 1.0)


def _compatible(claim: str, cited: str) -> bool:
    if claim == cited:
        return True
    loose = {"number", "count"}  # "five clusters" and 「5个」, "1.6 trillion" and 「1.6万亿元」
    return claim in loose and cited not in ("year", "month", "day", "rank") or (cited in loose and claim in ("money", "count"))


def _chinese(text: str) -> list[Quantity]:
    arabic = to_arabic(text)
    found = []
    for m in _ZH_FIGURE.finditer(arabic):
        low = float(m.group("low"))
        high = float(m.group("high")) if m.group("high") else low
        scale = _SCALES_ZH.get(m.group("scale") or "", 1.0)
        unit = (m.group("unit") or "").lower()
        if m.group("rank"):
            kind = "rank"
        elif m.group("top"):
            kind = "top"
        elif unit == "年" and scale == 1.0 and 1900 <= low <= 2100 and low == high:
            kind = "year"
        elif unit == "年":
            kind = "count"  # 三到五年: a number of years
        else:
            kind = _UNIT_KINDS.get(unit, "count" if unit else "number")
        if unit == "成":
            low, high = low * 10, high * 10
        if unit == "瓦":  # 160千瓦 is 160 kW, the unit power is compared in
            scale /= 1000
        scope = _scope_zh(arabic[max(0, m.start() - 5) : m.start()]) if kind == "rank" else ""
        found.append(Quantity(low * scale, high * scale, kind, m.group(0).strip(), scope))
    return found


_NUMERAL = "(?:[零〇一二两三四五六七八九十]|[百千](?=[零〇一二两三四五六七八九十百千万亿]))[零〇一二两三四五六七八九十百千万亿]*|[百千](?=[个项家名位台套座条种倍元])"
# A Chinese numeral that is a figure: before a measure word, a unit or a scale (五个, 三百亿元, 六成,
# 三到五年), or after 第 (第六). Others (一定, 统一, 三星) are words, left alone.
_CN_FIGURE = re.compile(
    rf"(?<![\d.万亿千百])(?P<rank>第)?(?P<a>{_NUMERAL})(?:(?P<sep>到|至|—|-|~)(?P<b>{_NUMERAL}))?"
    r"(?=[个项家名位台套座条种大部批倍年月日号元%所次]|成(?![\u4e00-\u9fff])|成(?:以上|左右|多))"
    r"|(?<=第)(?P<c>[零一二两三四五六七八九十百]+)"
)


def to_arabic(text: str) -> str:
    """Chinese numerals that are figures as Arabic digits (「三百亿元」 → 「30000000000元」, 「百亿」 →
    「10000000000」, 「第六」 → 「第6」), through cn2an."""

    def number(numeral: str) -> str | None:
        import cn2an

        if numeral[0] in "百千万亿":
            numeral = "一" + numeral  # 百亿 is 一百亿
        try:
            value = cn2an.cn2an(numeral, "normal")
        except (ValueError, KeyError):
            return None
        return str(int(value)) if float(value).is_integer() else str(value)

    def convert(match: re.Match) -> str:
        if match.group("c"):
            return number(match.group("c")) or match.group(0)
        a = number(match.group("a"))
        if a is None:
            return match.group(0)
        if not match.group("b"):
            return f"{match.group('rank') or ''}{a}"
        b = number(match.group("b"))
        return f"{match.group('rank') or ''}{a}-{b}" if b is not None else match.group(0)

    return _CN_FIGURE.sub(convert, text)


_EN_TENS = "twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety"
_EN_COMPOUND = re.compile(rf"\b({_EN_TENS})-(one|two|three|four|five|six|seven|eight|nine)\b", re.I)


def _english(text: str) -> list[Quantity]:
    # "twenty-six" is one number, not the range twenty to six
    text = _EN_COMPOUND.sub(lambda m: str(_WORDS_EN[m.group(1).lower()] + _WORDS_EN[m.group(2).lower()]), text)
    found = []
    taken: list[tuple[int, int]] = []
    for m in _EN_DATE.finditer(text):
        month, day = _MONTHS_EN[m.group("month").lower()], int(m.group("day"))
        found += [Quantity(month, month, "month", m.group("month")), Quantity(day, day, "day", m.group("day"))]
        taken.append(m.span())
    for m in _EN_ORDINAL.finditer(text):
        digit, word = m.group("digit") or m.group("digit2"), m.group("word") or m.group("word2")
        value = int(digit) if digit else _ORDINALS_EN[word.lower()]
        found.append(Quantity(value, value, "rank", m.group(0), _scope_en(text[m.end() : m.end() + 30])))
        taken.append(m.span())
    for m in _EN_SCALED.finditer(text):
        if any(a <= m.start() < b for a, b in taken) or re.search(r"\bNo\.\s*$", text[: m.start()]):
            continue  # taken by a date or a rank, or a name ("No. 1 document")
        low, high = _en_value(m.group("low")), _en_value(m.group("high")) if m.group("high") else None
        if low is None or (m.group("low").lower() in ("a", "an", "one") and not (m.group("scale") or m.group("high"))):
            continue  # "a" or "one" alone is an article or a pronoun, not a figure
        scale = 1.0
        for word in (m.group("scale") or "").lower().split():
            scale *= _SCALES_EN[word]  # "three hundred million": 3 x 100 x 1,000,000
        unit = (m.group("unit") or "").lower()
        kind = "money" if unit in ("yuan", "rmb") else "percent" if unit in ("percent", "per cent", "%") else \
            "power" if unit.startswith(("kilowatt", "kw", "megawatt", "mw")) else "number"
        if unit.startswith(("megawatt", "mw")):
            scale *= 1000  # compared in kW
        if kind == "number" and not m.group("scale") and high is None and re.fullmatch(r"(19|20)\d\d", m.group("low")):
            kind = "year"
        high = low if high is None else high
        found.append(Quantity(low * scale, high * scale, kind, m.group(0).strip()))
    return found


def _en_value(token: str | None) -> float | None:
    if token is None:
        return None
    if token.lower() in _WORDS_EN:
        return float(_WORDS_EN[token.lower()])
    try:
        return float(token)
    except ValueError:
        return None
