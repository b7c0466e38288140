"""The manifest: which documents are indexed, their chunks and lexical tokens (SQLite).

It is the source of truth the other indexes are checked against: Chroma holds vectors for exactly
the chunk ids listed here, and the BM25 index is built from the tokens stored here. A document's
row is written only after its vectors are in Chroma, in one transaction with its chunks (and with
the other documents of its ingest batch), so a crash leaves either the old state or the new one,
never half of each.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections import OrderedDict
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Iterator

import numpy as np

_SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    doc_id TEXT PRIMARY KEY,
    path TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    title TEXT NOT NULL,
    metadata TEXT NOT NULL,
    chunk_count INTEGER NOT NULL,
    signature TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS chunks (
    chunk_id TEXT PRIMARY KEY,
    doc_id TEXT NOT NULL REFERENCES documents(doc_id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    text TEXT NOT NULL,
    start INTEGER NOT NULL,
    end INTEGER NOT NULL,
    section TEXT NOT NULL,
    tokens TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_by_doc ON chunks(doc_id, position);
CREATE TABLE IF NOT EXISTS sentences (
    chunk_id TEXT PRIMARY KEY REFERENCES chunks(chunk_id) ON DELETE CASCADE,
    spans TEXT NOT NULL,
    vectors BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


_DOCUMENT_COLUMNS = "doc_id, path, content_hash, title, metadata, chunk_count, signature"
_CHUNK_COLUMNS = "chunk_id, doc_id, position, text, start, end, section, tokens"


@dataclass(frozen=True)
class DocumentRecord:
    doc_id: str
    path: str
    content_hash: str
    title: str
    metadata: dict[str, str]
    chunk_count: int
    signature: str = ""  # MinHash of the text, for near-duplicate detection


@dataclass(frozen=True)
class ChunkRecord:
    chunk_id: str
    doc_id: str
    position: int
    text: str
    start: int
    end: int
    section: str
    tokens: tuple[str, ...]


@dataclass(frozen=True)
class SentenceVectors:
    """A chunk's sentences (offsets in the chunk text) and their vectors, one row each, and the
    clauses of its sentences of more than one clause (the sentence's row, offsets) with theirs,
    stored as float16: the evidence step reads them for the retrieved chunks instead of embedding
    sentences per question."""

    spans: tuple[tuple[int, int], ...]
    vectors: np.ndarray
    clauses: tuple[tuple[int, int, int], ...] = ()
    clause_vectors: np.ndarray | None = None

    def similarities(self, query: np.ndarray) -> np.ndarray:
        """Each sentence's cosine with the question, averaged with its closest clause's where that
        is higher. A long sentence's one vector averages all it says, so a question about one of
        its clauses (「每年拿出3亿元资金」 in a sentence about two plans) finds it only diluted;
        the clause alone counts too, half, because a clause out of its sentence can mislead
        (the measurements: docs/answers.md)."""
        query = np.asarray(query, dtype=np.float32)
        own = self.vectors @ query if self.spans else np.zeros(0, dtype=np.float32)
        if not self.clauses or self.clause_vectors is None:
            return own
        rows, firsts = self._clause_groups
        gain = np.maximum.reduceat(self.clause_vectors @ query, firsts) - own[rows]
        similarity = own.copy()
        similarity[rows] += np.maximum(gain, 0.0) / 2
        return similarity

    @cached_property
    def _clause_groups(self) -> tuple[list[int], list[int]]:
        """The sentences that have clauses, and where each one's clauses start (they are stored in
        sentence order). Plain lists: this runs for every candidate passage of every question."""
        rows = [row for row, _, _ in self.clauses]
        firsts = [i for i, row in enumerate(rows) if i == 0 or row != rows[i - 1]]
        return [rows[i] for i in firsts], firsts

    def encode(self) -> tuple[str, bytes]:
        rows = [self.vectors] + ([self.clause_vectors] if self.clauses else [])
        layout = {"sentences": self.spans, "clauses": self.clauses}
        return json.dumps(layout), np.concatenate(rows).astype("<f2").tobytes() if self.spans else b""

    @classmethod
    def decode(cls, layout: str, vectors: bytes) -> "SentenceVectors":
        parsed = json.loads(layout)
        if isinstance(parsed, list):  # stored before clauses were (pipeline version < 8)
            parsed = {"sentences": parsed, "clauses": []}
        spans = tuple(map(tuple, parsed["sentences"]))
        clauses = tuple(map(tuple, parsed["clauses"]))
        matrix = np.frombuffer(vectors, dtype="<f2").astype(np.float32)
        if not spans:
            return cls((), matrix.reshape(0, 0))
        matrix = matrix.reshape(len(spans) + len(clauses), -1)
        return cls(spans, matrix[: len(spans)], clauses, matrix[len(spans) :] if clauses else None)


# Decoded sentence vectors kept in memory: about 27 KB a 300-character chunk with e5 (its sentences
# and clauses, as float32), so about 55 MB at most.
DECODED_CHUNKS = 2048


class Manifest:
    def __init__(self, path: Path):
        self.path = path
        self._local = threading.local()  # this thread's read connection and cached generation
        self._decoded: OrderedDict[str, SentenceVectors] = OrderedDict()  # least recently read first
        self._decoded_key: tuple | None = None  # the generation and file they were read from
        self._decoded_lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.executescript(_SCHEMA)
            columns = {row[1] for row in db.execute("PRAGMA table_info(documents)")}
            if "signature" not in columns:  # manifests written before near-duplicate detection
                db.execute("ALTER TABLE documents ADD COLUMN signature TEXT NOT NULL DEFAULT ''")

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        # Writes: one short-lived connection per transaction (reads use _reader).
        db = sqlite3.connect(self.path, timeout=30)
        try:
            db.execute("PRAGMA foreign_keys = ON")
            db.execute("PRAGMA journal_mode = WAL")
        except sqlite3.OperationalError:
            # A full or read-only disk: WAL mode cannot create its -shm/-wal files, so even reads
            # fail. Nothing can write there, so read the file as it is (writes fail with a clear
            # "readonly database"): the index keeps serving. Only when the file exists.
            db.close()
            if not self.path.exists():
                raise
            db = sqlite3.connect(f"{self.path.resolve().as_uri()}?immutable=1", uri=True, timeout=30)
        try:
            with db:
                yield db
        finally:
            db.close()

    def _reader(self) -> sqlite3.Connection:
        """This thread's read connection, opened once and kept: a request reads several times, and
        opening a connection costs more than the reads. WAL lets it read beside an ingest's writer,
        and in autocommit every statement sees the latest commit. Opened again when the file was
        replaced (``index.publish`` swaps in a new manifest with a rename)."""
        try:
            stat = os.stat(self.path)
            identity = (stat.st_dev, stat.st_ino)
        except FileNotFoundError:
            identity = None
        local = self._local
        if getattr(local, "db", None) is None or local.identity != identity:
            if getattr(local, "db", None) is not None:
                local.db.close()
            local.db, local.identity, local.generation = self._open_reader(), identity, None
        return local.db

    def _open_reader(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode = WAL")  # a published manifest arrives in rollback mode
        except sqlite3.OperationalError:
            # A full or read-only disk: WAL cannot create its -shm file, so even reads fail; read
            # the file as it is.
            db.close()
            if not self.path.exists():
                raise
            db = sqlite3.connect(f"{self.path.resolve().as_uri()}?immutable=1", uri=True, timeout=30, isolation_level=None)
        return db

    # --- reads -------------------------------------------------------------------------------

    def documents(self) -> dict[str, DocumentRecord]:
        rows = self._reader().execute(f"SELECT {_DOCUMENT_COLUMNS} FROM documents").fetchall()
        return {row[0]: _document(row) for row in rows}

    def documents_by_id(self, doc_ids: list[str]) -> dict[str, DocumentRecord]:
        return {row[0]: _document(row) for row in self._select_in("documents", _DOCUMENT_COLUMNS, "doc_id", doc_ids)}

    def chunk_ids(self) -> set[str]:
        return {row[0] for row in self._reader().execute("SELECT chunk_id FROM chunks")}

    def all_chunks(self) -> list[ChunkRecord]:
        rows = self._reader().execute(f"SELECT {_CHUNK_COLUMNS} FROM chunks ORDER BY doc_id, position").fetchall()
        return [_chunk(row) for row in rows]

    def chunks_by_id(self, chunk_ids: list[str]) -> dict[str, ChunkRecord]:
        return {row[0]: _chunk(row) for row in self._select_in("chunks", _CHUNK_COLUMNS, "chunk_id", chunk_ids)}

    def sentence_vectors(self, chunk_ids: list[str]) -> dict[str, SentenceVectors]:
        """The chunks' sentence and clause vectors. Every question reads those of its 30-60
        candidate passages, so decoded ones are kept (the DECODED_CHUNKS most recently read) until
        the manifest changes or is replaced."""
        key = (self.generation, self._local.identity)
        with self._decoded_lock:
            if self._decoded_key != key:
                self._decoded.clear()
                self._decoded_key = key
            found = {c: self._decoded[c] for c in chunk_ids if c in self._decoded}
            for chunk_id in found:
                self._decoded.move_to_end(chunk_id)
        missing = [c for c in dict.fromkeys(chunk_ids) if c not in found]
        rows = self._select_in("sentences", "chunk_id, spans, vectors", "chunk_id", missing)
        decoded = {row[0]: SentenceVectors.decode(row[1], row[2]) for row in rows}
        with self._decoded_lock:
            if self._decoded_key == key:
                self._decoded.update(decoded)
                while len(self._decoded) > DECODED_CHUNKS:
                    self._decoded.popitem(last=False)
        return found | decoded

    def _select_in(self, table: str, columns: str, key: str, values: list[str]) -> list[tuple]:
        if not values:
            return []
        marks = ",".join("?" * len(values))
        return self._reader().execute(f"SELECT {columns} FROM {table} WHERE {key} IN ({marks})", values).fetchall()

    def counts(self) -> tuple[int, int]:
        row = self._reader().execute(
            "SELECT (SELECT COUNT(*) FROM documents), (SELECT COUNT(*) FROM chunks)"  # one snapshot
        ).fetchone()
        return row[0], row[1]

    @property
    def generation(self) -> int:
        """Bumped on every change to the indexed chunks; readers reload when it moves.

        Read from ``meta`` only when ``PRAGMA data_version`` says another connection committed
        since this thread last looked (every write goes through its own connection)."""
        db = self._reader()
        version = db.execute("PRAGMA data_version").fetchone()[0]
        cached = self._local.generation
        if cached is None or cached[0] != version:
            row = db.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
            cached = self._local.generation = (version, int(row[0]) if row else 0)
        return cached[1]

    # --- writes ------------------------------------------------------------------------------

    def replace_documents(
        self,
        batch: list[tuple[DocumentRecord, list[ChunkRecord]]],
        sentences: dict[str, SentenceVectors] | None = None,
    ) -> None:
        """Replace the rows of every document in ``batch``, their chunks and the chunks' sentence
        vectors, in one transaction."""
        with self._connect() as db:
            for document, chunks in batch:
                db.execute("DELETE FROM chunks WHERE doc_id = ?", (document.doc_id,))
                db.execute(
                    f"INSERT OR REPLACE INTO documents({_DOCUMENT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (
                        document.doc_id,
                        document.path,
                        document.content_hash,
                        document.title,
                        json.dumps(document.metadata, ensure_ascii=False),
                        len(chunks),
                        document.signature,
                    ),
                )
                db.executemany(
                    f"INSERT INTO chunks({_CHUNK_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        (c.chunk_id, c.doc_id, c.position, c.text, c.start, c.end, c.section, " ".join(c.tokens))
                        for c in chunks
                    ],
                )
                db.executemany(
                    "INSERT INTO sentences(chunk_id, spans, vectors) VALUES (?, ?, ?)",
                    [(c.chunk_id, *sentences[c.chunk_id].encode()) for c in chunks if sentences and c.chunk_id in sentences],
                )
            _bump_generation(db)

    def remove_document(self, doc_id: str) -> None:
        with self._connect() as db:
            db.execute("DELETE FROM chunks WHERE doc_id = ?", (doc_id,))
            db.execute("DELETE FROM documents WHERE doc_id = ?", (doc_id,))
            _bump_generation(db)

    def clear(self) -> None:
        with self._connect() as db:
            db.execute("DELETE FROM sentences")
            db.execute("DELETE FROM chunks")
            db.execute("DELETE FROM documents")
            _bump_generation(db)


def _bump_generation(db: sqlite3.Connection) -> None:
    db.execute(
        "INSERT INTO meta(key, value) VALUES ('generation', '1') "
        "ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1"
    )


def _document(row: tuple) -> DocumentRecord:
    return DocumentRecord(row[0], row[1], row[2], row[3], json.loads(row[4]), row[5], row[6])


def _chunk(row: tuple) -> ChunkRecord:
    return ChunkRecord(row[0], row[1], row[2], row[3], row[4], row[5], row[6], tuple(row[7].split()))
