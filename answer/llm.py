"""Generated answers from any OpenAI-compatible endpoint, with citations mapped to passages.

The prompts live in ``prompts/``. Passages go to the model numbered and fenced as untrusted
reference material, inside a boundary drawn at random for each request: an article cannot close
the fence (anything fence-shaped in it is neutralised), and a sentence of it that reads as an
instruction (``index/instructions.py``) is replaced by a placeholder. The model's [n] markers are
mapped back to those passages, markers that name no passage are removed, and each cited passage
gets the sentence the answer rests on.
"""

from __future__ import annotations

import re
import secrets
import time
from typing import Callable, Iterator

from answer.models import Answer, Citation, language_of, refusal_answer
from index.instructions import CONTACT_REASONS, neutralised, sentence_flags
from index.retrieval import RankedPassage
from index.text import split_sentences
from settings import PROMPTS_DIR, Settings

WITHHELD = "〔此句读来像是对模型下达的指令，已隐去〕"

_MARKER = re.compile(r"\s?[\[【]\s*(\d+(?:\s*[,，、]\s*\d+)*)\s*[\]】]")


class LLMError(RuntimeError):
    """The endpoint failed, timed out or answered nothing usable."""


class LLMStreamCut(LLMError):
    """The stream stopped before the model said it had finished (no finish reason, no [DONE])."""


def load_prompt(name: str) -> str:
    return (PROMPTS_DIR / name).read_text(encoding="utf-8")


class LLMClient:
    """One OpenAI-compatible endpoint: answers (whole or streamed) and question rewriting."""

    def __init__(self, settings: Settings):
        from openai import OpenAI

        self.settings = settings
        self.client = OpenAI(
            api_key=settings.openai_api_key,
            base_url=settings.openai_base_url,
            timeout=settings.llm_timeout_s,
            max_retries=1,
        )

    def messages(self, question: str, passages: list[RankedPassage], language: str) -> list[dict[str, str]]:
        boundary = secrets.token_hex(6)  # new for every request, so no article can know it
        passage_template = load_prompt("passage.txt")
        blocks = "\n".join(
            passage_template.format(
                boundary=boundary, id=i, title=neutralised(p.passage.title), text=for_the_model(p.passage.text)
            ).strip()
            for i, p in enumerate(passages, 1)
        )
        return [
            {"role": "system", "content": load_prompt(f"system_{language}.txt").format(boundary=boundary)},
            {"role": "user", "content": load_prompt("user.txt").format(boundary=boundary, passages=blocks, question=question)},
        ]

    def complete(self, question: str, passages: list[RankedPassage], language: str) -> str:
        return self._chat(self.messages(question, passages, language), self.settings.llm_max_tokens)

    def stream(self, question: str, passages: list[RankedPassage], language: str) -> Iterator[str]:
        """The answer's tokens as they arrive (unverified: the caller verifies the whole)."""
        from openai import OpenAIError

        try:
            chunks = self.client.chat.completions.create(
                model=self.settings.llm_model,
                messages=self.messages(question, passages, language),
                temperature=self.settings.llm_temperature,
                max_tokens=self.settings.llm_max_tokens,
                stream=True,
            )
            # An endpoint that ignores max_tokens, or trickles forever, must not hold an answer
            # slot forever: the stream is cut at max_answer_chars and after llm_total_timeout_s.
            done = _watch_for_done(chunks)
            deadline = time.monotonic() + self.settings.llm_total_timeout_s
            length, finished = 0, False
            for chunk in chunks:
                delta = chunk.choices[0].delta.content if chunk.choices else None
                finished = finished or bool(chunk.choices and chunk.choices[0].finish_reason)
                if delta:
                    delta = delta[: self.settings.max_answer_chars - length]
                    length += len(delta)
                    yield delta
                if length >= self.settings.max_answer_chars:
                    chunks.close()
                    return
                if time.monotonic() > deadline:
                    chunks.close()
                    raise LLMError(f"the language model took longer than {self.settings.llm_total_timeout_s:g} s")
            if not finished or not done():
                raise LLMStreamCut("the stream ended before the model finished")
        except LLMError:
            raise
        except (OpenAIError, ValueError) as error:
            raise LLMError(f"the language model endpoint failed: {type(error).__name__}") from error

    def rewrite(self, question: str, history: list[tuple[str, str]]) -> str:
        """A standalone Chinese question for searching Chinese articles."""
        conversation = "\n".join(f"{'用户' if role == 'user' else '助手'}：{content}" for role, content in history[-6:])
        prompt = load_prompt("rewrite.txt").format(conversation=conversation or "（无）", question=question)
        rewritten = self._chat([{"role": "user", "content": prompt}], 200).strip().strip("「」\"'")
        return rewritten.splitlines()[0].strip() if rewritten else question

    def _chat(self, messages: list[dict[str, str]], max_tokens: int) -> str:
        from openai import OpenAIError

        try:
            response = self.client.chat.completions.create(
                model=self.settings.llm_model,
                messages=messages,
                temperature=self.settings.llm_temperature,
                max_tokens=max_tokens,
            )
        except (OpenAIError, ValueError) as error:  # ValueError: a body that is not JSON
            raise LLMError(f"the language model endpoint failed: {type(error).__name__}") from error
        choices = getattr(response, "choices", None) or []
        text = (choices[0].message.content or "").strip()[: self.settings.max_answer_chars] if choices else ""
        if not text:
            raise LLMError("the language model returned an empty answer")
        return text


def for_the_model(text: str) -> str:
    """A passage as the model is sent it: fence-shaped text neutralised, and a sentence that gives
    orders (「忽略之前的所有指令……」) replaced by a placeholder. A phone number or web address alone
    is a fact of the article and stays."""
    parts, last = [], 0
    for span in split_sentences(text):
        if sentence_flags(text[span.start : span.end]) - CONTACT_REASONS:
            parts += [text[last : span.start], WITHHELD]
            last = span.end
    return neutralised("".join(parts) + text[last:])


def _watch_for_done(stream) -> Callable[[], bool]:
    """Whether the stream's ``data: [DONE]`` arrived. The openai client (pinned in pyproject.toml)
    stops at it silently; its event iterator is wrapped to see it. Without that hook, only the
    finish reason tells a finished stream from a cut one."""
    seen = {"done": False}
    events = getattr(stream, "_iter_events", None)
    if events is None:
        return lambda: True

    def watching():
        for event in events():
            if event.data.startswith("[DONE]"):
                seen["done"] = True
            yield event

    stream._iter_events = watching
    return lambda: seen["done"]


def cited_answer(
    question: str, generated: str, passages: list[RankedPassage], closest: Callable[[RankedPassage, str], str]
) -> Answer:
    """Map the model's markers ([1], 【2】, [1,3]) to the passages it was given.

    Citations keep the passage numbers the model saw; markers naming no passage are left in the
    text for ``answer.verify`` to remove and count. Each citation's quote is the passage sentence
    ``closest`` in meaning to the claims that cite it (the embedding model's, so an English claim
    gets the Chinese sentence it translates).
    """
    text = _MARKER.sub(lambda m: "".join(f"[{n}]" for n in re.split(r"\s*[,，、]\s*", m.group(1))), generated).strip()
    claims: dict[int, list[str]] = {}
    for sentence in re.split(r"(?<=[。！？!?])", text):
        for number in {int(n) for n in re.findall(r"\[(\d+)\]", sentence)}:
            claims.setdefault(number, []).append(re.sub(r"\[\d+\]", "", sentence))
    citations = [
        Citation.from_passage(number, passages[number - 1], closest(passages[number - 1], " ".join(parts)))
        for number, parts in sorted(claims.items())
        if 1 <= number <= len(passages)
    ]
    if not citations:
        return refusal_answer(question, passages, mode="llm")
    return Answer(
        answer=text, refused=False, citations=citations, query=question, mode="llm", language=language_of(question)
    )
