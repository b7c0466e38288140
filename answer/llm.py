"""Generated answers from any OpenAI-compatible endpoint, with citations mapped to passages.

The prompts live in ``prompts/``. Passages go to the model numbered and fenced as untrusted
reference material; the model's [n] markers are mapped back to those passages, markers that
name no passage are removed, and each cited passage gets the sentence the answer rests on.
"""

from __future__ import annotations

import re
from pathlib import Path

from answer.models import Answer, Citation, language_of, refusal_answer
from index.retrieval import RankedPassage
from ingest.chunking import split_sentences
from settings import Settings

PROMPTS_DIR = Path(__file__).resolve().parent.parent / "prompts"
_MARKER = re.compile(r"\s?[\[【]\s*(\d+(?:\s*[,，、]\s*\d+)*)\s*[\]】]")


class LLMError(RuntimeError):
    """The endpoint failed, timed out or answered nothing usable."""


def load_prompt(name: str) -> str:
    return (PROMPTS_DIR / name).read_text(encoding="utf-8")


class LLMClient:
    def __init__(self, settings: Settings):
        from openai import OpenAI

        self.settings = settings
        self.client = OpenAI(
            api_key=settings.openai_api_key,
            base_url=settings.openai_base_url,
            timeout=settings.llm_timeout_s,
            max_retries=1,
        )

    def messages(self, question: str, passages: list[RankedPassage]) -> list[dict[str, str]]:
        language = language_of(question)
        passage_template = load_prompt("passage.txt")
        blocks = "\n".join(
            passage_template.format(id=i, title=p.passage.title, text=p.passage.text).strip()
            for i, p in enumerate(passages, 1)
        )
        return [
            {"role": "system", "content": load_prompt(f"system_{language}.txt")},
            {"role": "user", "content": load_prompt("user.txt").format(passages=blocks, question=question)},
        ]

    def complete(self, question: str, passages: list[RankedPassage]) -> str:
        from openai import OpenAIError

        try:
            response = self.client.chat.completions.create(
                model=self.settings.llm_model,
                messages=self.messages(question, passages),
                temperature=self.settings.llm_temperature,
                max_tokens=self.settings.llm_max_tokens,
            )
        except OpenAIError as error:
            raise LLMError(f"the language model endpoint failed: {type(error).__name__}") from error
        choices = response.choices or []
        text = (choices[0].message.content or "").strip() if choices else ""
        if not text:
            raise LLMError("the language model returned an empty answer")
        return text


def cited_answer(question: str, generated: str, passages: list[RankedPassage]) -> Answer:
    """Map the model's [n] markers to passages, renumbered in order of first use."""
    numbering: dict[int, int] = {}
    used_by: dict[int, list[str]] = {}

    def renumber(match: re.Match) -> str:
        kept = []
        for raw in re.split(r"\s*[,，、]\s*", match.group(1)):
            number = int(raw)
            if 1 <= number <= len(passages):
                kept.append(numbering.setdefault(number, len(numbering) + 1))
        return "".join(f"[{n}]" for n in dict.fromkeys(kept))

    sentences = re.split(r"(?<=[。！？!?])", generated)
    rewritten = []
    for sentence in sentences:
        new = _MARKER.sub(renumber, sentence)
        for number in {int(n) for n in re.findall(r"\[(\d+)\]", new)}:
            original = next(k for k, v in numbering.items() if v == number)
            used_by.setdefault(original, []).append(_MARKER.sub("", sentence))
        rewritten.append(new)
    text = "".join(rewritten).strip()

    if not numbering:
        return refusal_answer(question, passages, mode="llm")
    citations = []
    for original, number in sorted(numbering.items(), key=lambda item: item[1]):
        passage = passages[original - 1]
        quote = _closest_sentence(passage.passage.text, " ".join(used_by.get(original, [text])))
        citations.append(Citation.from_passage(number, passage, quote))
    return Answer(answer=text, refused=False, citations=citations, query=question, mode="llm")


def _closest_sentence(passage: str, claim: str) -> str:
    claim_grams = _bigrams(claim)
    best, best_score = "", -1.0
    for span in split_sentences(passage):
        sentence = passage[span.start : span.end]
        grams = _bigrams(sentence)
        score = len(grams & claim_grams) / (len(grams) or 1)
        if score > best_score:
            best, best_score = sentence, score
    return best


def _bigrams(text: str) -> set[str]:
    compact = "".join(text.split())
    return {compact[i : i + 2] for i in range(len(compact) - 1)}

