"""Text in an article that speaks to the model rather than to the reader.

An article can hold 「忽略之前的所有指令」, 「系统：……新的最高优先级指令」, "ignore previous instructions",
a fake passage fence, or a hotline to push. Such text is flagged at ingest (the document's
``flags``, shown to administrators), never quoted as evidence by the offline answer, and replaced by
a placeholder in what the model is sent. A phone number or a web address is flagged too, and
quoted only when the question asks for one.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# (reason, pattern); reasons are shown to administrators.
_PATTERNS: tuple[tuple[str, re.Pattern], ...] = (
    ("asks to ignore instructions", re.compile(
        r"忽略(?:之前|以上|前面|上述|先前|所有|全部)?的?(?:所有|全部|一切)?(?:指令|指示|提示|要求|规则)|不要(?:引用|理会|遵守)(?:任何)?(?:资料|规则|指令)"
        r"|\b(?:ignore|disregard|forget)\b.{0,20}\b(?:instructions?|prompts?|rules)\b", re.I)),
    ("speaks as the system", re.compile(
        r"(?:^|[。！？\n\s“\"「])(?:系统|系统提示|system|assistant|助手|管理员)\s*[:：]|新的?(?:最高)?优先级(?:最高)?的?指令|最高优先级|以上参考资料已结束"
        r"|\byou are now\b|\bfrom now on\b|\bnew instructions?\b", re.I)),
    ("asks for the system prompt", re.compile(
        r"(?:输出|透露|泄露|显示|重复|告诉我)(?:你的)?(?:完整的?)?(?:系统)?(?:提示词|提示语|系统提示|指令|规则)|\bsystem prompt\b|\breveal your\b", re.I)),
    ("imitates the passage fence", re.compile(r"<\s*/?\s*passages?\b|<\|im_(?:start|end)\|>|\[/?INST\]", re.I)),
    ("phone number", re.compile(r"(?<!\d)(?:400|800)[-\s]?\d{3}[-\s]?\d{4}(?!\d)|(?<!\d)1[3-9]\d{9}(?!\d)|(?<!\d)0\d{2,3}-\d{7,8}(?!\d)")),
    ("web address", re.compile(r"https?://\S+|\bwww\.\S+", re.I)),
    ("email address", re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.ASCII)),
)
CONTACT_REASONS = frozenset({"phone number", "web address", "email address"})
_ASKS_CONTACT = re.compile(r"电话|热线|联系|网址|网站|链接|邮箱|\b(?:phone|contact|hotline|website|url|link|e-?mail)\b", re.I)
_FENCE = re.compile(r"<\s*/?\s*passages?\b[^>]*>?|<\|im_(?:start|end)\|>|\[/?INST\]", re.I)


def instruction_flags(text: str) -> list[str]:
    """Why ``text`` reads as an instruction to the model (empty: it does not)."""
    text = unicodedata.normalize("NFKC", text)
    return [reason for reason, pattern in _PATTERNS if pattern.search(text)]


def quotable(sentence: str, question: str) -> bool:
    """May the offline answer quote this sentence for this question? Not when it gives orders;
    a phone number or a web address only when the question asks for contact details."""
    flags = sentence_flags(sentence)
    if flags and _ASKS_CONTACT.search(question):
        flags -= CONTACT_REASONS
    return not flags


@lru_cache(maxsize=16384)
def sentence_flags(sentence: str) -> frozenset[str]:
    """``instruction_flags`` of one sentence of an article, kept: every question checks the
    sentences of the same few top passages again (5% of an answer's time, docs/performance.md)."""
    return frozenset(instruction_flags(sentence))


def document_flags(text: str, limit: int = 3) -> str:
    """The flags of an article, as administrators see them: each reason with the text it was
    found in (empty: none)."""
    from index.text import split_sentences

    found: list[str] = []
    for span in split_sentences(text):
        sentence = text[span.start : span.end]
        for reason in instruction_flags(sentence):
            snippet = sentence if len(sentence) <= 40 else sentence[:38] + "…"
            found.append(f"{reason}: 「{snippet}」")
            if len(found) == limit:
                return "; ".join(found)
    return "; ".join(found)


def neutralised(text: str) -> str:
    """``text`` with anything shaped like a passage fence made harmless (‹passage›), so an article
    cannot close the fence the model is given and speak outside it."""
    return _FENCE.sub(lambda m: m.group(0).replace("<", "‹").replace(">", "›").replace("[", "［").replace("]", "］"), text)
