"""Chinese-aware chunking: sentences (``index.text.split_sentences``) are never cut, chunks never
cross a section.

Every chunk keeps its character offsets in the cleaned document text, so
``doc.text[chunk.start:chunk.end] == chunk.text`` always holds.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from index.text import Span, split_sentences
from ingest.documents import ParsedDocument


@dataclass(frozen=True)
class Chunk:
    chunk_id: str
    doc_id: str
    position: int
    text: str
    start: int
    end: int
    section: str
    sentences: tuple[Span, ...] = ()  # the chunk's sentences, as offsets in the document text


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
                    sentences=tuple(group[first : last + 1]),
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
