"""Check an answer against the passages it cites before anyone sees it.

For every sentence of the answer:

- its citations must name retrieved passages, and each citation's quote must occur in its passage;
- it must keep at least one valid citation;
- every figure in it (996亿元, 4.1%, 第6, 「五个」, "ten billion yuan", 1—2个) must be a quantity a cited
  sentence holds, as a whole figure of a compatible kind (``answer/figures.py``);
- the places and people it names must be those of the cited sentence that holds its figure (上海's
  1.6万亿元 is not 东莞's), or, for a sentence with no figure, be named in a cited passage;
- it must be supported by what it cites: a quote of the passage is; anything else (a model's
  paraphrase or translation) must be close enough in meaning to a sentence of the cited passage and
  share enough of its words (``ClaimModel``, calibrated on labelled pairs, docs/answers.md);
- it must not repeat or paraphrase the system prompt.

Citations that fail are removed; sentences that fail are dropped; what was removed, and why, is in
``Answer.verification``. An answer with nothing left becomes a refusal (the pipeline then stands the
offline answer in, with a notice).
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable

import numpy as np

from answer.figures import Quantity, quantities, supports, to_arabic
from answer.models import Answer, Citation, Verification, refusal_answer
from index.instructions import CONTACT_REASONS, instruction_flags, quotable
from index.lexical import BM25Index
from index.manifest import SentenceVectors
from index.places import PROVINCES, Gazetteer
from index.retrieval import RankedPassage
from index.text import Tokenizer, normalize, pos_tags, split_sentences

CLAIM_MODEL_PATH = Path(__file__).resolve().parent / "claim_model.json"
_MARKER = re.compile(r"\[(\d+)\]")
# A sentence with the citation markers that follow it; an ASCII full stop ends one only before
# white space, the end or a marker (so 4.1% stays whole).
_SENTENCE = re.compile(
    r"(?:[^。！？!?.\n]|\.(?!\s|$|\[)|(?<=\bNo)\.|(?<=\bMr)\.|(?<=\bDr)\.|(?<=\bvs)\.|(?<=\bSt)\.|(?<=\be\.g)\.|(?<=\bi\.e)\.)*"
    r"(?:(?:[。！？!?]+|\.)[”’」』）)\"']*|\n|$)(?:\s*\[\d+\])*"
)
# Words that claim more than a plain fact (最大, 首个, 世界纪录, "the largest"): the cited passage must
# say them too, or the sentence overstates it.
_SUPERLATIVE = re.compile(
    r"最[大强高好多早快新优先进]|世界(?:纪录|第一|领先|首)|全国(?:第一|首个|首家)|唯一|首个|首家|独一|顶尖|一流|领先"
    r"|\b(?:largest|biggest|strongest|best|first-ever|world record|record-breaking|unique|world-class)\b",
    re.I,
)
MARKUP = re.compile(r"</?[A-Za-z][^<>]{0,300}>")  # an HTML tag (the page shows it as inert text)
_QUOTED = re.compile(r"「([^」]{4,})」")
# This many consecutive characters shared with a system prompt give a leak away: 12 where Chinese
# is involved, 32 of plain Latin text (where a dozen letters are only two or three common words).
_LEAK_WINDOW = 12
_LEAK_WINDOW_LATIN = 32


def compact(text: str) -> str:
    """How quotes are compared: NFKC, dashes unified, lower case, no white space."""
    return "".join(normalize(unicodedata.normalize("NFKC", text)).split())


@dataclass(frozen=True)
class ClaimModel:
    """Is a sentence the model wrote supported by the passage it cites? Logistic weights on the
    best cosine with a sentence of the passage and on the share of the claim's words it holds;
    and the cosine with the system prompt's rules above which a sentence is a leak.

    Cosines mean something only for the embedding model they were measured with, so the file holds
    one model per embedding model id (``python -m evaluation.calibrate_claims``) and a words-only
    ``default`` for any other (a deployment's own model, the tests' hashing embedder)."""

    weights: dict[str, float]
    bias: float
    threshold: float
    leak_similarity: float

    @classmethod
    def load(cls, embedder_id: str = "", path: Path = CLAIM_MODEL_PATH) -> "ClaimModel":
        models = json.loads(path.read_text(encoding="utf-8"))["models"]
        data = models.get(embedder_id, models["default"])
        return cls(data["weights"], data["bias"], data["threshold"], data["leak_similarity"])

    def supported(self, similarity: float, coverage: float, english: bool, held: bool = False) -> bool:
        features = {"sem": similarity, "lex": coverage, "english": float(english),
                    "english_sem": similarity * english, "english_lex": coverage * english, "held": float(held)}
        z = self.bias + sum(self.weights.get(name, 0.0) * value for name, value in features.items())
        return 1.0 / (1.0 + np.exp(-z)) >= self.threshold


@lru_cache(maxsize=8)
def claim_model_for(embedder_id: str) -> ClaimModel:
    return ClaimModel.load(embedder_id)


@dataclass
class Checker:
    """What the semantic and entity checks need of the index. ``embed`` gives question-side vectors
    for claims; ``sentences`` each passage's sentence spans and stored vectors."""

    sentences: dict[str, SentenceVectors]
    embed: Callable[[list[str]], np.ndarray]
    tokenizer: Tokenizer
    lexical: BM25Index
    gazetteer: Gazetteer
    system_prompts: tuple[str, ...] = ()
    model: ClaimModel | None = None

    def __post_init__(self) -> None:
        self.model = self.model or claim_model_for("")
        self._rules: np.ndarray | None = None
        self._clauses: dict[str, np.ndarray] = {}

    def clause_vectors(self, texts: list[str]) -> np.ndarray:
        """Vectors of clauses, each embedded once per answer."""
        new = [t for t in dict.fromkeys(texts) if t not in self._clauses]
        if new:
            self._clauses.update(zip(new, self.embed(new)))
        return np.stack([self._clauses[t] for t in texts])

    def rule_vectors(self) -> np.ndarray | None:
        """The system prompts' lines, embedded once per answer (for paraphrased leaks)."""
        if self._rules is None and self.system_prompts:
            lines = [line.strip() for prompt in self.system_prompts for line in prompt.splitlines() if len(line.strip()) > 8]
            self._rules = self.embed(lines) if lines else np.zeros((0, 1))
        return self._rules


def verify(answer: Answer, passages: list[RankedPassage], checker: Checker | None = None) -> Answer:
    if answer.refused:
        answer.verification = answer.verification or Verification(passed=True)
        return answer
    retrieved = {p.passage.chunk_id: p for p in passages}
    valid: dict[int, Citation] = {}
    for citation in answer.citations:
        passage = retrieved.get(citation.chunk_id)
        if passage and citation.quote and compact(citation.quote) in compact(passage.passage.text):
            valid[citation.id] = citation
    report = Verification(citations_checked=len(answer.citations))
    removed = {c.id for c in answer.citations} - set(valid)
    prompts = checker.system_prompts if checker else ()
    prompt_windows = {w for prompt in prompts for w in _windows(compact(_MARKER.sub("", prompt)))}

    kept: list[str] = []
    for sentence in _sentences(answer.answer):
        numbers = [int(n) for n in _MARKER.findall(sentence)]
        good = [n for n in numbers if n in valid]
        removed.update(n for n in numbers if n not in valid)
        text = _MARKER.sub(lambda m: m.group(0) if int(m.group(1)) in valid else "", sentence)
        claim = _MARKER.sub("", text).strip()
        if not claim:
            continue
        reason = _problem(claim, [valid[n] for n in good], prompt_windows, checker, report, answer.query or "")
        if reason:
            report.sentences_dropped += 1
            report.reasons.append(f"{reason}: {claim[:60]}")
            continue
        kept.append(text)

    report.citations_removed = len(removed)
    report.passed = report.citations_removed == 0 and report.sentences_dropped == 0
    if not kept:
        refused = refusal_answer(answer.query, passages, mode=answer.mode, language=answer.language)
        refused.notice = answer.notice
        report.passed = False
        refused.verification = report
        return refused
    return _renumbered(answer, "".join(kept).strip(), valid, report)


def _problem(claim: str, cited: list[Citation], prompt_windows: set[str], checker: Checker | None, report: Verification,
             question: str = "") -> str | None:
    """Why the sentence cannot stand (None: it can)."""
    # Markup is no claim (the page shows it as inert text): what the sentence says is judged without it.
    claim = MARKUP.sub("", claim).strip() or claim
    if prompt_windows and not prompt_windows.isdisjoint(_windows(compact(claim))):
        return "repeats the instructions"
    if not cited:
        return "cites no retrieved passage"
    flags = set(instruction_flags(claim))
    if flags - CONTACT_REASONS:
        return "reads as an instruction"
    if flags and not quotable(claim, question):
        return f"gives a {' and a '.join(sorted(flags))} the question did not ask for"
    # What an article says to the model (「请拨打热线……」) supports nothing, not even its own figures.
    sentences = [c.text[s.start : s.end] for c in cited for s in split_sentences(c.text)]
    sentences = [s for s in sentences if quotable(s, question)]
    quoted = _quotes_the_passage(claim, cited)
    figures = quantities(claim)
    holding = _holding(figures, sentences)
    unsupported = [figures[i].text for i, found in holding.items() if not found]
    if unsupported:
        report.unsupported_figures.extend(unsupported)
        return f"figure {', '.join(unsupported)} is not in the cited passage"
    if checker is None or quoted:
        return None
    passage_text = "".join(c.text for c in cited)
    english = not re.search(r"[\u4e00-\u9fff]", claim)
    claimed = [m.group(0) for m in _SUPERLATIVE.finditer(claim)]
    if claimed and english:
        claimed = [w for w in claimed if not _SUPERLATIVE.search(passage_text)]  # English: any such word in the passage
    elif claimed:
        claimed = [w for w in claimed if w not in passage_text]
    if claimed:
        return f"says {', '.join(claimed)}, which the cited passage does not"
    entity = _entity_problem(claim, cited, figures, holding, checker)
    if entity:
        return entity
    if not english and _contradicts(claim, sentences):
        return "says the opposite of the cited passage"
    if _copies(claim, sentences):
        return None
    return _support_problem(claim, cited, sentences, checker, question, _all_held(holding))


# Negation words: a copied sentence with one of them added or taken away says the opposite. Not
# 未来, 不断, 不少, 无论, 非常 and the like, which negate nothing.
_NEGATION = re.compile(r"未(?!来)|没有?|不(?![断少久仅但过同论管止只禁单])|无(?![论数])|非(?![常凡])|\b(?:not|no|never|without)\b|n't", re.I)


def figures_held(claim: str, sentences: list[str]) -> bool:
    """Does the claim state figures, each one held by a cited sentence? (A signal of support.)"""
    return _all_held(_holding(quantities(claim), sentences))


def _holding(figures: list, sentences: list[str]) -> dict[int, list[str]]:
    """For each figure (by its index), the sentences that hold it as a whole quantity."""
    return {i: [s for s in sentences if supports(figure, quantities(s))] for i, figure in enumerate(figures)}


def _all_held(holding: dict[int, list[str]]) -> bool:
    return bool(holding) and all(holding.values())


def _contradicts(claim: str, sentences: list[str]) -> bool:
    """Does the claim negate (or stop negating) what the cited sentence closest to it in wording
    says? 「东莞已出台……规划」 against 「东莞还未出台相关规划」: the words shared, one negated."""
    masked = _masked(claim)
    best = max(((sum(n for _, _, n in runs), runs, body) for body in map(_masked, sentences)
                for runs in [_shared_runs(masked, body, shortest=2)]), default=(0, [], ""), key=lambda t: t[0])
    _, runs, body = best
    for start, at, length in runs:
        if bool(_NEGATION.search(masked[max(0, start - 2) : start])) != bool(_NEGATION.search(body[max(0, at - 2) : at])):
            return True
    return False


def _copies(claim: str, sentences: list[str], share: float = 0.75) -> bool:
    """Is the claim mostly the words of one cited sentence (its figures aside, which are checked
    as quantities), negations and all? A model shortening 「……加快培育1-2个规模超百亿元的未来产业
    集群」 to 「东莞计划加快培育1-2个规模超百亿元的未来产业集群」 says what the sentence says."""
    masked = _masked(claim)
    if len(masked) < 8:
        return False
    for sentence in sentences:
        body = _masked(sentence)
        runs = _shared_runs(masked, body)
        if sum(length for _, _, length in runs) < share * len(masked):
            continue
        # The part of the sentence copied from must hold the claim's negations, no more, no fewer.
        # (from two characters before it: 「还未」 comes before the verb it negates)
        start, end = max(0, min(b for _, b, _ in runs) - 2), max(b + length for _, b, length in runs)
        if len(_NEGATION.findall(masked)) == len(_NEGATION.findall(body[start:end])):
            return True
    return False


@lru_cache(maxsize=4096)
def _masked(text: str) -> str:
    text = to_arabic(compact(re.sub(r"[，,。.、；;：:！!？?“”\"'「」（）()]", "", text)))
    for figure in sorted(quantities(text), key=lambda f: -len(f.text)):
        text = text.replace(compact(figure.text), "#")
    return text


def _shared_runs(claim: str, body: str, shortest: int = 4) -> list[tuple[int, int, int]]:
    """The runs of at least ``shortest`` characters of ``claim`` that ``body`` holds, as (start in
    the claim, start in the body, length): greedy, longest first from each position."""
    runs, i = [], 0
    while i < len(claim):
        length = 0
        while i + length < len(claim) and claim[i : i + length + 1] in body:
            length += 1
        if length >= shortest:
            runs.append((i, body.index(claim[i : i + length]), length))
            i += length
        else:
            i += 1
    return runs


def _quotes_the_passage(claim: str, cited: list[Citation]) -> bool:
    """A quote of the cited passage (the offline answer, or a model quoting): 「…」 spans or the whole sentence."""
    bodies = [compact(c.text) for c in cited]
    spans = _QUOTED.findall(claim) or [claim.rstrip("。.!！?？")]
    return all(any(compact(span) in body for body in bodies) for span in spans) and (
        bool(_QUOTED.findall(claim)) or len(compact(claim)) >= 6
    )


def _entity_problem(claim: str, cited: list[Citation], figures: list[Quantity], holding, checker: Checker) -> str | None:
    """The places and people the claim names must be those its cited sentences speak of."""
    gazetteer = checker.gazetteer
    english = not re.search(r"[\u4e00-\u9fff]", claim)
    if english:
        places = {name for names in gazetteer.in_english(claim) for name in sorted(names)[:1]}
        places |= {gazetteer.home} if any(gazetteer.is_home(w) for w in re.findall(r"[A-Z][a-z]+", claim)) else set()
        people = {t for c in checker.lexical.english.concepts(claim) if c.english[:1].isupper() for t in c.terms}
    else:
        places = set(gazetteer.in_text(claim)) | ({gazetteer.home} if gazetteer.home in claim else set())
        people = {w for w, tag in pos_tags(claim) if tag == "nr" and len(w) >= 2}
    passage_text = "".join(c.text for c in cited)
    for i in range(len(figures)):
        for sentence in holding[i]:
            named = set(gazetteer.in_text(sentence)) | ({gazetteer.home} if gazetteer.home in sentence else set())
            about = named or {gazetteer.home}  # a figure with no place named is the home's
            if places and not places & about:
                return f"names {'/'.join(sorted(places))}, but the cited figure is about {'/'.join(sorted(about))}"
    # 「全省第2」 in the passage is the home's province, which a paraphrase may name (在广东省排第二).
    province_meant = bool(re.search(r"全省|本省|省内|provincial", passage_text, re.I))
    missing = [p for p in places | people
               if p not in passage_text and p != gazetteer.home and not (province_meant and p in PROVINCES)]
    if missing:
        return f"names {'/'.join(sorted(missing))}, which the cited passage does not"
    return None


def _support_problem(claim: str, cited: list[Citation], sentences: list[str], checker: Checker, question: str = "",
                     held: bool = False) -> str | None:
    """Meaning and words: the claim against the best sentence of the passages it cites (not one
    that speaks to the model; ``sentences`` are the cited ones that do not)."""
    vectors = []
    for c in cited:
        if c.chunk_id in checker.sentences:
            stored = checker.sentences[c.chunk_id]
            keep = [i for i, (a, b) in enumerate(stored.spans) if quotable(c.text[a:b], question)]
            vectors.append(stored.vectors[keep] if len(keep) < len(stored.spans) else stored.vectors)
    claim_vector = checker.embed([claim])[0]
    rules = checker.rule_vectors()
    if rules is not None and len(rules) and float(np.max(rules @ claim_vector)) >= checker.model.leak_similarity:
        return "repeats the instructions"
    similarity = max((float(np.max(v @ claim_vector)) for v in vectors if len(v)), default=0.0)
    english = not re.search(r"[\u4e00-\u9fff]", claim)
    coverage = claim_coverage(claim, "".join(c.text for c in cited), checker)
    if checker.model.supported(similarity, coverage, english, held):
        return None
    # A model's short sentence may say one clause of a long one: the clauses count too (embedded
    # only now, when the whole sentences were not enough; calibrated the same way).
    windows = [w for sentence in sentences for w in clause_windows(sentence)]
    if windows:
        similarity = max(similarity, float(np.max(checker.clause_vectors(windows) @ claim_vector)))
    if not checker.model.supported(similarity, coverage, english, held):
        return "not supported by the cited passage"
    return None


def clause_windows(sentence: str) -> list[str]:
    """A long sentence's clauses, one and two at a time (empty for a sentence of one clause)."""
    parts = [p for p in re.split(r"(?<=[，,；;：:])", sentence) if len(p.strip("，,；;：: ")) >= 4]
    if len(parts) < 2:
        return []
    return parts + [a + b for a, b in zip(parts, parts[1:])]


_FIGURE_WORDS = frozenset(
    "yuan rmb dollar dollars percent per cent billion million trillion thousand hundred worth each one two three four "
    "five six seven eight nine ten first second third sixth".split()
)


def claim_coverage(claim: str, passage: str, checker: Checker) -> float:
    """Share of the claim's content words (IDF-weighted; an English word through its translations)
    that the passage holds."""
    lexical, tokenizer = checker.lexical, checker.tokenizer
    text_terms = set(tokenizer.token_set(passage))
    if re.search(r"[\u4e00-\u9fff]", claim):
        groups = [frozenset([t]) for t in tokenizer.token_set(claim) if t in lexical.vocabulary]
    else:
        # Figures and their units are checked as quantities; their glosses (yuan → 原) only mislead here.
        groups = [c.terms for c in lexical.english.concepts(claim) if c.terms and c.english.lower() not in _FIGURE_WORDS]
        groups += [frozenset([t]) for t in tokenizer.token_set(claim) if t in lexical.vocabulary]
    weights = [max(lexical.term_idf(t) for t in g) for g in groups]
    total = sum(weights)
    return sum(w for g, w in zip(groups, weights) if g & text_terms) / total if total else 0.0


def _windows(text: str) -> set[str]:
    short = {text[i : i + _LEAK_WINDOW] for i in range(len(text) - _LEAK_WINDOW + 1)}
    latin = {text[i : i + _LEAK_WINDOW_LATIN] for i in range(len(text) - _LEAK_WINDOW_LATIN + 1)}
    return {w for w in short if not w.isascii()} | {w for w in latin if w.isascii()}


def _sentences(text: str) -> list[str]:
    return [s for s in _SENTENCE.findall(text) if s.strip()]


def _renumbered(answer: Answer, text: str, valid: dict[int, Citation], report: Verification) -> Answer:
    order: dict[int, int] = {}
    for number in _MARKER.findall(text):
        order.setdefault(int(number), len(order) + 1)
    answer.answer = _MARKER.sub(lambda m: f"[{order[int(m.group(1))]}]", text)
    answer.citations = []
    for old, new in order.items():
        citation = valid[old]
        citation.id = new
        answer.citations.append(citation)
    answer.verification = report
    return answer
