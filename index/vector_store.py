"""The Chroma collection that holds chunk vectors (embedded PersistentClient or a server).

The collection records which embedding model, backend and dimension built it, so a query with
another model or backend is refused instead of silently returning nonsense.
"""

from __future__ import annotations

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
            return chromadb.HttpClient(
                host=settings.chroma_host, port=settings.chroma_port or 8000, settings=chroma_settings
            )
        settings.chroma_dir.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(settings.chroma_dir), settings=chroma_settings)
    except Exception as error:  # chromadb raises plain Exception/ValueError for connection failures
        where = (
            f"the Chroma server at {settings.chroma_host}:{settings.chroma_port or 8000}"
            if settings.chroma_host
            else f"the Chroma store in {settings.chroma_dir}"
        )
        raise VectorStoreError(f"cannot open {where}: {error}") from error


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
    batch = max(1, max_batch_size(client))
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
    batch = max(1, max_batch_size(client))
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

    @property
    def inner(self) -> Any:
        return self._collection

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._collection, name)
        if not callable(attribute):
            return attribute

        def call(*args: Any, **kwargs: Any) -> Any:
            from chromadb.errors import NotFoundError

            try:
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
