"""Make the index mirror a set of article files: add new, re-index changed, drop deleted.

Content hashes decide what changed. One ingest at a time holds a lock file in the storage dir;
changed documents are embedded and written in batches of about ``INGEST_BATCH_CHUNKS`` chunks, the
vectors of a batch before its manifest rows, and every run starts by reconciling Chroma with the
manifest, so an ingest killed at any moment is repaired by the next.
"""

from __future__ import annotations

import fcntl
import hashlib
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterator

import numpy as np

from index.manifest import ChunkRecord, DocumentRecord, SentenceVectors
from index.instructions import document_flags
from index.store import IndexStore
from index.text import Tokenizer, split_clauses
from ingest import dedup, metadata
from ingest.chunking import Chunk, chunk_document
from ingest.dedup import NearDuplicates
from ingest.documents import SUPPORTED_SUFFIXES, DocumentError, ParsedDocument, read_document
from ingest.progress import Progress, count
from ingest.readers import ReadLimits
from settings import Settings


# Bump when cleaning, chunking or tokenizing changes what the index holds for the same file:
# every document is then re-indexed by the next ingest.
# 4: sentence vectors stored with the chunks; 5: instruction flags; 6: sidecar metadata, brackets kept in
# header values; 7: email addresses flagged; 8: clause vectors stored with the sentence vectors
PIPELINE_VERSION = 8

# Chunks embedded and written together: one model call sorts them by length for little padding,
# and one Chroma upsert and one manifest transaction serve many small documents. A crash redoes
# at most one batch.
INGEST_BATCH_CHUNKS = 256


def index_fingerprint(settings: Settings) -> str:
    """What, besides a file's bytes, decides its chunks and tokens; part of the hash stored per document."""
    tokens = Tokenizer.from_settings(settings).fingerprint
    return f"v{PIPELINE_VERSION}-c{settings.chunk_chars}-o{settings.chunk_overlap_sentences}-t{tokens}"


class IngestError(RuntimeError):
    """Ingest cannot run at all (missing folder, another ingest running); one line for users."""


@dataclass
class Skipped:
    path: str
    reason: str


@dataclass
class IngestSummary:
    documents: int = 0
    chunks: int = 0
    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    duplicates: list["Duplicate"] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


@contextmanager
def ingest_lock(storage_dir: Path) -> Iterator[None]:
    storage_dir.mkdir(parents=True, exist_ok=True)
    with open(storage_dir / "ingest.lock", "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise IngestError(
                f"another ingest is already running on {storage_dir}; wait for it to finish and run again"
            ) from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@dataclass
class Duplicate:
    path: str
    duplicate_of: str  # the document id indexed in its place


def discover(roots: list[Path], max_bytes: int) -> tuple[dict[str, Path], list[Skipped], set[str]]:
    """Files to index by document id (path relative to its root folder), files skipped, and the
    ids of every file present (skipped ones included: their earlier index entries stay)."""
    found: dict[str, Path] = {}
    skipped: list[Skipped] = []
    present: set[str] = set()
    for root in roots:
        if not root.exists():
            raise IngestError(f"corpus folder not found: {root}")
        if root.is_file():
            candidates, base = [root], root.parent
        else:
            candidates = sorted(p for p in root.rglob("*") if p.is_file() and not p.name.startswith("."))
            base = root
        names = set(candidates)
        for path in candidates:
            if metadata.is_sidecar(path):  # read with its article (ingest/metadata.py), not an article itself
                if metadata.article_for(path) not in names:
                    skipped.append(Skipped(str(path), f"metadata file for {metadata.article_for(path).name}, which is not in the folder"))
                continue
            doc_id = path.relative_to(base).as_posix()
            if any("\udc80" <= c <= "\udcff" for c in doc_id):  # bytes that are not UTF-8, surrogate-escaped
                shown = doc_id.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
                skipped.append(Skipped(str(base / shown), "the file name is not valid UTF-8; rename the file"))
                continue
            if path.suffix.lower() not in SUPPORTED_SUFFIXES:
                skipped.append(Skipped(str(path), f"unsupported file type {path.suffix or '(none)'}"))
            elif doc_id in found:
                skipped.append(Skipped(str(path), f"same document id {doc_id!r} as {found[doc_id]}"))
                continue
            elif path.stat().st_size > max_bytes:
                skipped.append(Skipped(str(path), f"larger than the {max_bytes / 1_000_000:g} MB limit"))
            else:
                found[doc_id] = path
            present.add(doc_id)
    return found, skipped, present


def sync(settings: Settings, store: IndexStore, roots: list[Path], *, progress: Progress | None = None) -> IngestSummary:
    """Make the index mirror ``roots``; ``progress`` hears of each phase (ingest/progress.py)."""
    with ingest_lock(settings.storage_dir):
        return _sync_locked(settings, store, roots, progress or Progress())


def sync_holding_lock(settings: Settings, store: IndexStore, roots: list[Path]) -> IngestSummary:
    """``sync`` for a caller already inside ``ingest_lock``: the admin upload (web/corpus_admin.py)
    saves files, indexes them and puts back what could not be indexed under one lock."""
    return _sync_locked(settings, store, roots, Progress())


@dataclass
class _Changed:
    document: ParsedDocument
    stored_hash: str
    existed: bool


def _sync_locked(settings: Settings, store: IndexStore, roots: list[Path], progress: Progress) -> IngestSummary:
    summary = IngestSummary()
    files, summary.skipped, present = discover(roots, int(settings.max_file_mb * 1_000_000))
    needs_reindex = store.reconcile()
    indexed = store.manifest.documents()
    fingerprint = index_fingerprint(settings)
    limits = ReadLimits.from_settings(settings)

    for doc_id in sorted(set(indexed) - present):
        store.remove_document(doc_id)
        summary.removed += 1

    # Pass 1: hash every file (and its sidecar); parse only those whose bytes (or the pipeline) changed.
    changed: list[_Changed] = []
    unchanged: set[str] = set()
    progress.start("reading files", len(files), "file")
    for doc_id, path in sorted(files.items()):
        item = _read(path, doc_id, indexed.get(doc_id), fingerprint, doc_id in needs_reindex, limits, summary)
        if item is True:
            unchanged.add(doc_id)
        elif item:
            changed.append(item)
        progress.advance(1)
    summary.unchanged = len(unchanged)
    progress.finish(f"{len(changed)} new or changed, {len(unchanged)} unchanged, {len(summary.skipped)} skipped")

    # Pass 2: chunk what changed, once per article: near-duplicates of a kept document are listed.
    kept = NearDuplicates()
    for doc_id in sorted(unchanged):
        sig = dedup.decode(indexed[doc_id].signature)
        if sig:
            kept.add(doc_id, sig)
    planned: list[tuple[_Changed, list[Chunk], str]] = []
    for item in changed:
        document = item.document
        sig = dedup.signature(document.text)
        original = kept.find(sig)
        if original:
            summary.duplicates.append(Duplicate(document.path, original))
            if item.existed:
                store.remove_document(document.doc_id)
                summary.removed += 1
            continue
        planned.append((item, chunk_document(document, settings.chunk_chars, settings.chunk_overlap_sentences), dedup.encode(sig)))
        kept.add(document.doc_id, sig)
        if item.existed:
            summary.updated += 1
        else:
            summary.added += 1

    # Pass 3: embed and write them in batches of about INGEST_BATCH_CHUNKS chunks.
    if planned:
        progress.start("embedding chunks", sum(len(chunks) for _, chunks, _ in planned), "chunk")
        pending: list[tuple[DocumentRecord, list[ChunkRecord], list[Chunk], str]] = []
        for number, (item, chunks, sig) in enumerate(planned):
            record, chunk_records = _records(item.document, chunks, store.tokenizer, item.stored_hash, sig)
            pending.append((record, chunk_records, chunks, item.document.text))
            if sum(len(c) for _, _, c, _ in pending) >= INGEST_BATCH_CHUNKS or number == len(planned) - 1:
                store.write_documents(_embedded(store, pending, progress))
                pending.clear()
        progress.finish(f"{count(len(planned), 'document')}")

    progress.start("updating the BM25 index", 0, "")
    store.lexical()  # rebuilds and saves the BM25 matrix if anything changed
    summary.documents, summary.chunks = store.counts()
    progress.finish(f"{count(summary.documents, 'document')}, {count(summary.chunks, 'chunk')} in the index")
    return summary


def _read(path: Path, doc_id: str, previous: DocumentRecord | None, fingerprint: str, reindex: bool,
          limits: ReadLimits, summary: IngestSummary) -> "_Changed | bool | None":
    """True for a file indexed as it is, the parsed document when it is new or changed, None when
    it is skipped (the reason added to ``summary``)."""
    try:
        raw = path.read_bytes()
    except OSError as error:
        summary.skipped.append(Skipped(str(path), f"cannot read file: {error.strerror or error}"))
        return None
    sidecar = metadata.sidecar_for(path)
    stated_raw = _sidecar_bytes(sidecar, summary)
    # A sidecar is part of what the document is: changing it re-indexes the article.
    extra = f"+{hashlib.sha256(stated_raw).hexdigest()[:16]}" if stated_raw is not None else ""
    stored_hash = f"{hashlib.sha256(raw).hexdigest()}{extra}:{fingerprint}"
    stated = None
    if stated_raw is not None:
        try:
            stated = metadata.parse(stated_raw)
        except metadata.MetadataError as error:  # the article is still indexed, without it
            summary.skipped.append(Skipped(str(sidecar), str(error)))
    if previous and previous.content_hash == stored_hash and not reindex:
        return True
    try:
        document = read_document(path, doc_id, raw, limits, stated=stated)
    except DocumentError as error:
        summary.skipped.append(Skipped(str(path), str(error)))
        return None
    except Exception as error:  # one unforeseen parser failure must not stop the whole ingest
        message = " ".join(str(error).split())[:120]
        reason = f"cannot read file ({type(error).__name__}{': ' + message if message else ''})"
        summary.skipped.append(Skipped(str(path), reason))
        return None
    return _Changed(document, stored_hash, previous is not None)


def _sidecar_bytes(sidecar: Path, summary: IngestSummary) -> bytes | None:
    if not sidecar.is_file():
        return None
    try:
        return sidecar.read_bytes()
    except OSError as error:
        summary.skipped.append(Skipped(str(sidecar), f"cannot read file: {error.strerror or error}"))
        return None


def _embedded(
    store: IndexStore, pending: list[tuple[DocumentRecord, list[ChunkRecord], list[Chunk], str]], progress: Progress
) -> list[tuple[DocumentRecord, list[ChunkRecord], list[SentenceVectors]]]:
    """Every distinct sentence of the pending documents, and the clauses of those of more than one,
    embedded in one call (a sentence that two overlapping chunks share is embedded once), then
    handed out to the chunks that hold it. While a progress bar is shown the call is split
    (``progress.embed_slice``) so that the bar moves."""
    keys: dict[tuple[int, int, int], int] = {}  # (document, start, end) of a sentence or clause -> row
    texts: list[str] = []
    ends: list[int] = []  # per chunk, in order: the rows embedded once it is complete
    clauses: dict[tuple[int, int, int], list[tuple[int, int]]] = {}  # a sentence's -> its clauses
    for number, (_, _, chunks, text) in enumerate(pending):
        for chunk in chunks:
            for span in chunk.sentences:
                if (number, span.start, span.end) not in keys:
                    clauses[(number, span.start, span.end)] = split_clauses(text, span.start, span.end)
                    for start, end in [(span.start, span.end), *clauses[(number, span.start, span.end)]]:
                        keys[(number, start, end)] = len(texts)
                        texts.append(text[start:end])
            ends.append(len(texts))
    step = progress.embed_slice or len(texts) or 1
    parts, reported = [], 0
    for first in range(0, len(texts), step):
        parts.append(store.embedder.embed_passages(texts[first : first + step]))
        complete = sum(1 for end in ends if end <= first + step)
        progress.advance(complete - reported)
        reported = complete
    progress.advance(len(ends) - reported)
    vectors = np.concatenate(parts) if len(parts) > 1 else parts[0] if parts else np.zeros((0, 0), np.float32)
    batch = []
    for number, (record, chunk_records, chunks, _) in enumerate(pending):
        per_chunk = []
        for chunk in chunks:
            rows = [keys[(number, s.start, s.end)] for s in chunk.sentences]
            spans = tuple((s.start - chunk.start, s.end - chunk.start) for s in chunk.sentences)
            chunk_clauses = [
                (row, start, end)
                for row, s in enumerate(chunk.sentences)
                for start, end in clauses[(number, s.start, s.end)]
            ]
            per_chunk.append(SentenceVectors(
                spans,
                np.asarray(vectors[rows], dtype=np.float32),
                tuple((row, start - chunk.start, end - chunk.start) for row, start, end in chunk_clauses),
                np.asarray(vectors[[keys[(number, start, end)] for _, start, end in chunk_clauses]], dtype=np.float32),
            ))
        batch.append((record, chunk_records, per_chunk))
    return batch


def _records(
    document: ParsedDocument, chunks: list[Chunk], tokenizer: Tokenizer, stored_hash: str, signature: str
) -> tuple[DocumentRecord, list[ChunkRecord]]:
    flags = document_flags(document.text)
    record = DocumentRecord(
        doc_id=document.doc_id,
        path=document.path,
        content_hash=stored_hash,
        title=document.title,
        metadata=_stored_metadata(document, flags),
        chunk_count=len(chunks),
        signature=signature,
    )
    chunk_records = [
        ChunkRecord(
            chunk_id=c.chunk_id,
            doc_id=c.doc_id,
            position=c.position,
            text=c.text,
            start=c.start,
            end=c.end,
            section=c.section,
            tokens=tuple(tokenizer.tokenize(_lexical_text(c.section, c.text))),
        )
        for c in chunks
    ]
    return record, chunk_records


def _stored_metadata(document: ParsedDocument, flags: str) -> dict:
    stored = dict(document.metadata)
    if flags:  # text that speaks to the model (「忽略之前的所有指令」, a planted hotline): administrators see why
        stored["flags"] = flags
    if document.title_from:
        stored["title_from"] = document.title_from
    return stored


def _lexical_text(section: str, text: str) -> str:
    # A chunk's section heading is searchable with it, so heading words find the passages below.
    return text if not section or text.startswith(section) else f"{section}\n{text}"
