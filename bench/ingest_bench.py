"""Ingest end to end (ingest.sync.sync, real IndexStore, real model) against raw model.encode.

The floor is the embedding model's own encode (as the backend setting says) on the sentences of a
sample of the chunks the ingest embedded (ingest embeds sentences; a chunk's vector is their mean),
with the same batch size: what the hardware does for the embedding alone, counted in chunks/s. The
ratio ingest chunks/s ÷ encode chunks/s is the share of the floor the pipeline reaches.
The ingest is also split into stages by wrapping the store's methods in timers (no code in
index/ or ingest/ is changed): embedding, vector + manifest writes, the BM25 rebuild, and the
rest (discover, read, clean, chunk, tokenize, near-duplicate signatures).
"""

from __future__ import annotations

import random
import time
from pathlib import Path

from bench.stats import timed
from index.store import IndexStore
from ingest.sync import sync
from settings import Settings


class _Timer:
    def __init__(self) -> None:
        self.seconds = 0.0
        self.calls = 0

    def wrap(self, function):
        def timed_call(*args, **kwargs):
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - started
                self.calls += 1

        return timed_call


class _TimedEmbedder:
    """Forwards to the real embedder; counts the time spent in embed_passages."""

    def __init__(self, inner, timer: _Timer):
        self._inner = inner
        self.embed_passages = timer.wrap(inner.embed_passages)

    def __getattr__(self, name):
        return getattr(self._inner, name)


def run_ingest(settings: Settings, embedder, corpus_folder: Path, *, encode_sample: int, seed: int = 7,
               profiler=None) -> tuple[dict, IndexStore]:
    result: dict = {}
    store = IndexStore(settings, embedder, rebuild_on_model_change=True)
    embed, write, manifest, lexical = _Timer(), _Timer(), _Timer(), _Timer()
    store.embedder = _TimedEmbedder(embedder, embed)
    store.write_documents = write.wrap(store.write_documents)
    store.manifest.replace_documents = manifest.wrap(store.manifest.replace_documents)
    store.lexical = lexical.wrap(store.lexical)

    if profiler is not None:
        profiler.start()
    started = time.perf_counter()
    summary = sync(settings, store, [corpus_folder])
    seconds = time.perf_counter() - started
    if profiler is not None:
        profiler.stop()
    store.embedder = embedder
    chunks = summary.chunks
    result["ingest"] = {
        "documents": summary.documents,
        "chunks": chunks,
        "added": summary.added,
        "duplicates": len(summary.duplicates),
        "skipped": len(summary.skipped),
        "seconds": round(seconds, 3),
        "chunks_per_s": round(chunks / seconds, 2),
        "stages_s": {
            "embed": round(embed.seconds, 3),
            "vector_and_manifest_write": round(write.seconds, 3),
            "of_which_manifest": round(manifest.seconds, 3),
            "bm25_rebuild": round(lexical.seconds, 3),
            "read_clean_chunk_tokenize_dedup": round(seconds - embed.seconds - write.seconds - lexical.seconds, 3),
        },
    }

    # Re-ingest with nothing changed, as a second `python -m ingest` would: a fresh store object.
    again: dict = {}
    with timed(again, "seconds"):
        second_store = IndexStore(settings, embedder, rebuild_on_model_change=True)
        second = sync(settings, second_store, [corpus_folder])
    again.update(documents=second.documents, unchanged=second.unchanged, added=second.added, updated=second.updated)
    again["ms_per_document"] = round(1000 * again["seconds"] / max(second.documents, 1), 3)
    # The floor: hashing every file's bytes (what "unchanged" must at least cost).
    again["floor_hash_files_s"] = _hash_all(corpus_folder)
    result["reingest"] = again

    # The floor: raw encode of the sentences and clauses of a sample of the chunks, same batch size.
    chunks_all = store.manifest.all_chunks()
    sample = chunks_all if len(chunks_all) <= encode_sample else random.Random(seed).sample(chunks_all, encode_sample)
    stored = store.manifest.sentence_vectors([c.chunk_id for c in sample])
    texts = [c.text[a:b] for c in sample for a, b in stored[c.chunk_id].spans]
    texts += [c.text[a:b] for c in sample for _, a, b in stored[c.chunk_id].clauses]
    model = embedder.model()
    from bench.stats import CpuWatch

    watch = CpuWatch()
    started = time.perf_counter()
    model.encode(texts, query=False, batch_size=settings.embed_batch_size)
    encode_seconds = time.perf_counter() - started
    encode_rate = len(sample) / encode_seconds
    result["raw_encode"] = {
        "chunks": len(sample),
        "texts": len(texts),
        "seconds": round(encode_seconds, 3),
        "chunks_per_s": round(encode_rate, 2),
        "batch_size": settings.embed_batch_size,
        "other_load_cores": watch.other_cores(),
    }
    result["ingest"]["share_of_encode_rate"] = round(result["ingest"]["chunks_per_s"] / encode_rate, 3)
    result["ingest"]["embed_chunks_per_s_inside_ingest"] = round(chunks / max(embed.seconds, 1e-9), 2)
    return result, store


def _hash_all(folder: Path) -> float:
    import hashlib

    started = time.perf_counter()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        hashlib.sha256(path.read_bytes()).hexdigest()
    return round(time.perf_counter() - started, 3)
