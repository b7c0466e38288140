"""Chinese-aware chunking: sentences are never cut, chunks never cross a section.

Every chunk keeps its character offsets in the cleaned document text, so
``doc.text[chunk.start:chunk.end] == chunk.text`` always holds.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from ingest.documents import ParsedDocument

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


@dataclass(frozen=True)
class Chunk:
    chunk_id: str
    doc_id: str
    position: int
    text: str
    start: int
    end: int
    section: str


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


def chunk_document(doc: ParsedDocument, chunk_chars: int, overlap_sentences: int) -> list[Chunk]:
    sentences = split_sentences(doc.text)
    groups: list[list[Span]] = []  # sentences of one section each, in order
    current_section = None
    for span in sentences:
        section = doc.section_at(span.start)
        if section != current_section or not groups:
            groups.append([])
            current_section = section
        groups[-1].append(span)

    chunks: list[Chunk] = []
    for group in groups:
        for first, last in _windows(group, chunk_chars, overlap_sentences):
            start, end = group[first].start, group[last].end
            text = doc.text[start:end]
            position = len(chunks)
            digest = hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]
            chunks.append(
                Chunk(
                    chunk_id=f"{doc.doc_id}#{position}:{digest}",
                    doc_id=doc.doc_id,
                    position=position,
                    text=text,
                    start=start,
                    end=end,
                    section=doc.section_at(start),
                )
            )
    return chunks


def _windows(spans: list[Span], chunk_chars: int, overlap: int) -> list[tuple[int, int]]:
    """Index ranges (first, last) of sentences forming each chunk of one section."""
    windows: list[tuple[int, int]] = []
    first = 0
    while first < len(spans):
        last = first
        while last + 1 < len(spans) and spans[last + 1].end - spans[first].start <= chunk_chars:
            last += 1
        windows.append((first, last))
        if last + 1 >= len(spans):
            break
        # Repeat the last sentences in the next chunk, but always move forward.
        first = max(first + 1, last + 1 - overlap)
    return windows
