"""The index as one thing: manifest (SQLite), vectors (Chroma) and BM25, kept in step.

Writers (ingest) go through ``write_documents`` / ``remove_document`` / ``reconcile``; readers
(retrieval) ask for ``lexical()`` and ``collection``. Every change bumps the manifest generation,
which is how a running server notices an ingest and reloads the BM25 matrix.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

from index.embedding import Embedder
from index.lexical import BM25Index
from index.manifest import ChunkRecord, DocumentRecord, Manifest, SentenceVectors
from index.text import Tokenizer
from index import vector_store
from settings import Settings


class IndexStore:
    def __init__(self, settings: Settings, embedder: Embedder, *, rebuild_on_model_change: bool = False):
        self.settings = settings
        self.embedder = embedder
        self.tokenizer = Tokenizer.from_settings(settings)
        self.manifest = Manifest(settings.manifest_path)
        self.client = vector_store.open_client(settings)
        self.model_changed = False
        try:
            self.collection = self._open_collection()
        except vector_store.ModelMismatchError:
            if not rebuild_on_model_change:
                raise
            # Ingest with a new model: start the index over, every document gets re-embedded.
            vector_store.delete_collection(self.client, settings.collection)
            self.manifest.clear()
            self.collection = self._open_collection()
            self.model_changed = True
        self._lexical: BM25Index | None = None
        self._lexical_lock = threading.Lock()

    def _open_collection(self) -> Any:
        return vector_store.open_collection(
            self.client,
            self.settings.collection,
            model_id=self.embedder.model_name,
            dimension=lambda: self.embedder.dimension,
            create=True,
            backend=self.embedder.backend,
        )

    # --- reading ------------------------------------------------------------------------------

    def counts(self) -> tuple[int, int]:
        return self.manifest.counts()

    def lexical(self) -> BM25Index:
        """The BM25 index for the current manifest generation (loaded or rebuilt as needed)."""
        generation = self.manifest.generation
        current = self._lexical
        if current is not None and current.generation == generation:
            return current
        with self._lexical_lock:
            if self._lexical is not None and self._lexical.generation == generation:
                return self._lexical
            loaded = BM25Index.load(self.settings.lexical_dir)
            if loaded is None or loaded.generation != generation:
                loaded = self.rebuild_lexical(generation)
            self._lexical = loaded
            return loaded

    def rebuild_lexical(self, generation: int | None = None) -> BM25Index:
        generation = self.manifest.generation if generation is None else generation
        chunks = self.manifest.all_chunks()
        lexical = BM25Index.build([c.chunk_id for c in chunks], [c.tokens for c in chunks], generation)
        try:
            lexical.save(self.settings.lexical_dir)
        except OSError:
            pass  # a read-only storage dir still serves from memory
        return lexical

    # --- writing ------------------------------------------------------------------------------

    def write_documents(self, batch: list[tuple[DocumentRecord, list[ChunkRecord], list[SentenceVectors]]]) -> None:
        """The vectors of every document in ``batch`` first (one upsert, within Chroma's batch size),
        then their manifest rows and sentence vectors in one transaction: a crash in between leaves
        the old hashes in the manifest, and the next sync redoes those documents.

        A chunk's vector is the normalised mean of its sentences' vectors: with multilingual-e5 it
        retrieves better than the chunk embedded whole (docs/evaluation.md), and it costs nothing more."""
        chunks = [c for _, doc_chunks, _ in batch for c in doc_chunks]
        sentences = {c.chunk_id: v for _, doc_chunks, vectors in batch for c, v in zip(doc_chunks, vectors)}
        new_ids = [c.chunk_id for c in chunks]
        stale = vector_store.ids_for_documents(self.collection, [d.doc_id for d, _, _ in batch]) - set(new_ids)
        if stale:
            vector_store.delete_ids(self.collection, self.client, sorted(stale))
        vector_store.upsert_chunks(
            self.collection,
            self.client,
            ids=new_ids,
            embeddings=[chunk_vector(sentences[c.chunk_id]) for c in chunks],
            documents=[c.text for c in chunks],
            metadatas=[_chunk_metadata(d, c) for d, doc_chunks, _ in batch for c in doc_chunks],
        )
        self.manifest.replace_documents([(d, doc_chunks) for d, doc_chunks, _ in batch], sentences)

    def remove_document(self, doc_id: str) -> None:
        ids = vector_store.ids_for_documents(self.collection, [doc_id])
        if ids:
            vector_store.delete_ids(self.collection, self.client, sorted(ids))
        self.manifest.remove_document(doc_id)

    def reconcile(self) -> set[str]:
        """Make Chroma hold exactly the manifest's chunks.

        Deletes vectors the manifest does not list (left by an interrupted write) and returns
        the documents whose vectors are missing, which the caller must re-index.
        """
        listed = self.manifest.chunk_ids()
        stored = vector_store.all_ids(self.collection)
        orphans = stored - listed
        if orphans:
            vector_store.delete_ids(self.collection, self.client, sorted(orphans))
        missing = listed - stored
        return {chunk_id.rsplit("#", 1)[0] for chunk_id in missing}


def chunk_vector(sentences: SentenceVectors) -> list[float]:
    mean = sentences.vectors.astype(np.float32).mean(axis=0)
    norm = float(np.linalg.norm(mean))
    return (mean / norm if norm else mean).tolist()


def _chunk_metadata(document: DocumentRecord, chunk: ChunkRecord) -> dict[str, str | int]:
    # Chroma metadata must be flat and never None.
    return {
        "doc_id": document.doc_id,
        "title": document.title,
        "position": chunk.position,
        "start": chunk.start,
        "end": chunk.end,
        "section": chunk.section,
    }
