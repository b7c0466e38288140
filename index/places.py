"""Which cities and provinces a text names, in Chinese or (by their pinyin) in English.

A figure belongs to a place: 上海's 1.6万亿元 does not answer a question about 东莞, and a question
about 北京 is not answered by 东莞's 4.1%. The evidence step compares the places a question names
with those of a sentence. The gazetteer is jieba's own dictionary (every entry 「X市」 gives a city
X) plus China's provinces and regions; English questions name them in pinyin ("Shanghai",
"Guangdong"), matched through pypinyin. The home place (``GUANWEN_HOME_PLACE``, 东莞) is what a
question is about when it names none, so it never counts as another place.
"""

from __future__ import annotations

import re
import threading
from functools import lru_cache

PROVINCES = frozenset(
    """
    北京 天津 上海 重庆 河北 山西 辽宁 吉林 黑龙江 江苏 浙江 安徽 福建 江西 山东 河南 湖北 湖南 广东 海南 四川 贵州
    云南 陕西 甘肃 青海 台湾 内蒙古 广西 西藏 宁夏 新疆 香港 澳门
    """.split()
)
_CJK = re.compile(r"^[\u4e00-\u9fff]{2,4}$")
_LATIN_WORD = re.compile(r"[A-Za-z]+")
_lock = threading.Lock()


@lru_cache(maxsize=1)
def place_names() -> frozenset[str]:
    """Cities (from jieba's 「X市」 entries) and provinces, as written without 市/省."""
    import jieba.posseg

    with _lock:
        jieba.posseg.dt.tokenizer.check_initialized()
        entries = jieba.posseg.dt.word_tag_tab
        cities = {w[:-1] for w, tag in entries.items() if tag == "ns" and w.endswith("市") and _CJK.match(w[:-1])}
    return frozenset(cities | PROVINCES)


@lru_cache(maxsize=1)
def _by_pinyin() -> dict[str, frozenset[str]]:
    from pypinyin import lazy_pinyin

    found: dict[str, set[str]] = {}
    for name in place_names():
        found.setdefault("".join(lazy_pinyin(name)), set()).add(name)
    return {key: frozenset(names) for key, names in found.items()}


@lru_cache(maxsize=65536)
def _places_in(text: str) -> frozenset[str]:
    # Cached: the evidence step looks at the same sentences again and again.
    from index.text import precise_words

    names = place_names()
    found = set()
    for word in precise_words(text):
        name = word[:-1] if len(word) > 2 and word[-1] in "市省" else word
        if name in names:
            found.add(name)
    return frozenset(found)


class Gazetteer:
    def __init__(self, home: str):
        self.home = home

    def in_text(self, text: str) -> frozenset[str]:
        """The places a Chinese text names, from jieba's precise words (so the 白银 inside 真金白银
        or the 松山 inside 松山湖 is no place); 广东省 and 东莞市 name 广东 and 东莞."""
        return _places_in(text) - {self.home}

    def in_english(self, text: str) -> list[frozenset[str]]:
        """For each place an English text names, the Chinese names it may be (pinyin is ambiguous:
        "Suzhou" is 苏州 or 宿州). Only capitalised words count, so "he" and "fei" are no places."""
        found = []
        for word in _LATIN_WORD.findall(text):
            if word[0].isupper() and len(word) >= 4 and not self.is_home(word):
                names = self.names_for(word)
                if names:
                    found.append(names)
        return found

    def names_for(self, word: str) -> frozenset[str]:
        """The Chinese places a pinyin word may name (not the home place)."""
        return _by_pinyin().get(word.lower(), frozenset()) - {self.home}

    @property
    def home_names(self) -> frozenset[str]:
        """The home place as Chinese words (东莞, 东莞市)."""
        return frozenset([self.home, self.home + "市"])

    def is_home_name(self, word: str) -> bool:
        return word in self.home_names

    def is_home(self, word: str) -> bool:
        return self.home in _by_pinyin().get(word.lower(), frozenset())

    def home_in_english(self, text: str) -> bool:
        """Does an English text name the home place ("Dongguan's …")? Capitalised words, as ``in_english``."""
        return any(word[0].isupper() and self.is_home(word) for word in _LATIN_WORD.findall(text))
