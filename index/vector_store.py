"""The Chroma collection that holds chunk vectors (embedded PersistentClient or a server).

The collection records which embedding model, backend and dimension built it, so a query with
another model or backend is refused instead of silently returning nonsense.
"""

from __future__ import annotations

import threading
from typing import Any, Callable

import chromadb
from chromadb.config import Settings as ChromaSettings

from settings import Settings


class VectorStoreError(RuntimeError):
    """Chroma cannot be reached or used; the message is meant for users."""


class VectorStoreUnavailable(VectorStoreError):
    """Chroma stopped answering (server down or unreachable); it may come back without a restart."""


class ModelMismatchError(VectorStoreError):
    """The index was built with another embedding model (or backend) than the one configured."""


def open_client(settings: Settings) -> Any:
    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    try:
        if settings.chroma_host:
            client = chromadb.HttpClient(
                host=settings.chroma_host, port=settings.chroma_port or 8000, settings=chroma_settings
            )
            _bound_requests(client, settings.chroma_timeout_s)
            return client
        settings.chroma_dir.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(settings.chroma_dir), settings=chroma_settings)
    except Exception as error:  # chromadb raises plain Exception/ValueError for connection failures
        where = (
            f"the Chroma server at {settings.chroma_host}:{settings.chroma_port or 8000}"
            if settings.chroma_host
            else f"the Chroma store in {settings.chroma_dir}"
        )
        raise VectorStoreError(f"cannot open {where}: {error}") from error


def _bound_requests(client: Any, seconds: float) -> None:
    """chromadb's HTTP client waits forever (timeout=None): a hung or unreachable server would hold
    every question that asks it. Bounded, such a server is "cannot be reached", like a stopped one."""
    import httpx

    session = getattr(getattr(client, "_server", None), "_session", None)  # chromadb internals
    if session is not None:
        session.timeout = httpx.Timeout(seconds, connect=min(seconds, 5.0))


def open_collection(
    client: Any, name: str, model_id: str, dimension: Callable[[], int], *, create: bool, backend: str = "torch"
) -> Any | None:
    """The collection, checked against the configured model. ``None`` if absent and not creating.

    ``dimension`` is only called to create a collection: asking for it may load the model.
    """
    try:
        existing = {c.name if hasattr(c, "name") else str(c) for c in client.list_collections()}
    except Exception as error:
        raise VectorStoreError(f"cannot use Chroma collection {name!r}: {error}") from error
    if name not in existing:
        if not create:
            return None
        # dimension() may fail to load the model: its own error
        metadata = {"embed_model": model_id, "embed_backend": backend, "embed_dim": dimension()}
    try:
        if name not in existing:
            return GuardedCollection(client, client.create_collection(
                name, configuration={"hnsw": {"space": "cosine"}}, metadata=metadata, embedding_function=None
            ))
        collection = client.get_collection(name, embedding_function=None)
    except Exception as error:
        raise VectorStoreError(f"cannot use Chroma collection {name!r}: {error}") from error
    built_with = (collection.metadata or {}).get("embed_model")
    if built_with != model_id:  # the same model always gives the same dimension
        raise ModelMismatchError(
            f"the index was built with embedding model {built_with!r}, but GUANWEN_EMBED_MODEL is now "
            f"{model_id!r}. Re-ingest to rebuild the index with the new model: .venv/bin/python -m ingest"
        )
    # int8 vectors are close to torch's (cosine ~0.985), not equal: mixing them would skew the ranking.
    built_on = (collection.metadata or {}).get("embed_backend", "torch")  # indexes from before backends: torch
    if built_on != backend:
        raise ModelMismatchError(
            f"the index was built with embedding backend {built_on!r}, but GUANWEN_EMBED_BACKEND is now "
            f"{backend!r}. Re-ingest to rebuild the index with the new backend: .venv/bin/python -m ingest"
        )
    return GuardedCollection(client, collection)


def delete_collection(client: Any, name: str) -> None:
    try:
        client.delete_collection(name)
    except Exception:  # absent already: nothing to delete
        pass


def upsert_chunks(
    collection: Any,
    client: Any,
    ids: list[str],
    embeddings: list[list[float]],
    documents: list[str],
    metadatas: list[dict[str, str | int | float | bool]],
) -> None:
    batch = max(1, max_batch_size(getattr(collection, "client", client)))  # a reopened store's client
    for i in range(0, len(ids), batch):
        collection.upsert(
            ids=ids[i : i + batch],
            embeddings=embeddings[i : i + batch],
            documents=documents[i : i + batch],
            metadatas=metadatas[i : i + batch],
        )


def ids_for_documents(collection: Any, doc_ids: list[str]) -> set[str]:
    if not doc_ids:
        return set()
    where = {"doc_id": doc_ids[0]} if len(doc_ids) == 1 else {"doc_id": {"$in": doc_ids}}
    return set(collection.get(where=where, include=[])["ids"])


def all_ids(collection: Any, page: int = 5000) -> set[str]:
    ids: set[str] = set()
    offset = 0
    while True:
        got = collection.get(include=[], limit=page, offset=offset)["ids"]
        ids.update(got)
        if len(got) < page:
            return ids
        offset += page


def delete_ids(collection: Any, client: Any, ids: list[str]) -> None:
    batch = max(1, max_batch_size(getattr(collection, "client", client)))  # a reopened store's client
    for i in range(0, len(ids), batch):
        collection.delete(ids=ids[i : i + batch])


# --- failures a person can act on -----------------------------------------------------------------
# chromadb surfaces a stopped server as raw httpx errors and a full or read-only disk as sqlite or
# internal errors, from whichever call hits it first. Every call on the collection goes through
# GuardedCollection so callers (the web layer, ingest) see one exception type with a useful message.


def describe(client: Any) -> str:
    """Where the vectors live, for messages: 'the Chroma server at host:port' or the store's folder."""
    try:
        chroma = client.get_settings()
    except Exception:
        return "the Chroma store"
    if chroma.chroma_server_host and not chroma.is_persistent:
        return f"the Chroma server at {chroma.chroma_server_host}:{chroma.chroma_server_http_port}"
    return f"the Chroma store in {chroma.persist_directory}"


def translate(error: Exception, where: str) -> VectorStoreError | None:
    """The VectorStoreError for a chromadb failure, or None for an error that is a bug of ours."""
    import sqlite3

    import httpx
    from chromadb.errors import ChromaError

    if isinstance(error, VectorStoreError):
        return error
    if isinstance(error, (httpx.TransportError, ConnectionError)):
        return VectorStoreUnavailable(
            f"{where} cannot be reached ({error or type(error).__name__}). Is it running? "
            "Questions that need the vectors fail until it answers again; no restart of guanwen is needed."
        )
    if isinstance(error, (ChromaError, httpx.HTTPError, OSError, sqlite3.Error)):
        return VectorStoreError(f"{where} failed: {error or type(error).__name__}")
    return None


def max_batch_size(client: Any) -> int:
    try:
        return int(client.get_max_batch_size())
    except Exception as error:
        raise (translate(error, describe(client)) or error) from error


class GuardedCollection:
    """A Chroma collection whose failures arrive as VectorStoreError (VectorStoreUnavailable when
    the server is down). A collection deleted and created again under the same name (an ingest
    with a new model, a server reset) is looked up again by name, so long-running readers follow it.
    Everything else is the chromadb collection's own behaviour."""

    def __init__(self, client: Any, collection: Any):
        self._client = client
        self._collection = collection
        self._where = describe(client)
        self._generation: Callable[[], int] | None = None
        self._seen = 0
        self._retired: Any = None  # the previous embedded system, stopped at the next reopen
        self._reopen_lock = threading.Lock()

    @property
    def inner(self) -> Any:
        return self._collection

    @property
    def client(self) -> Any:
        return self._client

    def follow(self, generation: Callable[[], int]) -> None:
        """Keep an embedded store current with ``generation`` (the manifest's): an embedded Chroma
        client keeps querying the vectors it loaded and never sees what another process (ingest)
        wrote since, so it is reopened when the generation moves. A Chroma server needs none of this."""
        self._generation = generation
        self._seen = generation()

    def _refresh(self) -> None:
        if self._generation is None:
            return
        now = self._generation()
        if now == self._seen:
            return
        with self._reopen_lock:
            if now == self._seen:
                return
            chroma = self._client.get_settings()
            if chroma.is_persistent:
                from chromadb.api.shared_system_client import SharedSystemClient

                # chromadb keeps one system per folder per process: forget it to get a fresh one.
                # The old one is stopped only at the next reopen, so questions still running on it
                # finish undisturbed.
                identifier = SharedSystemClient._get_identifier_from_settings(chroma)
                old = SharedSystemClient._identifier_to_system.pop(identifier, None)
                try:
                    client = chromadb.PersistentClient(path=chroma.persist_directory, settings=ChromaSettings(anonymized_telemetry=False))
                    collection = client.get_collection(self._collection.name, embedding_function=None)
                except Exception as error:
                    if old is not None:  # keep serving what we had
                        SharedSystemClient._identifier_to_system[identifier] = old
                    raise (translate(error, self._where) or error) from error
                if self._retired is not None:
                    try:
                        self._retired.stop()
                    except Exception:  # releasing an old system must not fail a question
                        pass
                self._retired = old
                self._client, self._collection = client, collection
            self._seen = now

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._collection, name)
        if not callable(attribute):
            return attribute

        def call(*args: Any, **kwargs: Any) -> Any:
            from chromadb.errors import NotFoundError

            try:
                self._refresh()
                try:
                    return getattr(self._collection, name)(*args, **kwargs)
                except NotFoundError:
                    self._refind()
                    return getattr(self._collection, name)(*args, **kwargs)
            except Exception as error:
                translated = translate(error, self._where)
                if translated is None:
                    raise
                raise translated from error

        return call

    def _refind(self) -> None:
        found = self._client.get_collection(self._collection.name, embedding_function=None)
        built_with = (found.metadata or {}).get("embed_model")
        if built_with != (self._collection.metadata or {}).get("embed_model"):
            raise ModelMismatchError(
                f"the index was rebuilt with embedding model {built_with!r}; restart guanwen with that "
                "GUANWEN_EMBED_MODEL to answer from it"
            )
        self._collection = found

    def check(self) -> str | None:
        """None when the vectors answer; otherwise why not (for /healthz)."""
        try:
            self.count()
        except VectorStoreError as error:
            return str(error)
        return None
