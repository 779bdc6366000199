"""Who produced a cached entity set or vector: the key of every cache entry and signature.

Two results may share a cache entry only when the same model (name plus revision or file
hash), the same precision and the same options produced them.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class ModelIdentity:
    role: str
    """What the model is used for: "emb" (REG embedding), "key" (entities), "sent-emb"."""
    name: str
    """Hub name, spaCy package name, or the path as the user gave it."""
    revision: str | None = None
    """Hub commit, package version, or None when a file hash identifies the model."""
    sha256: str | None = None
    """Hash of the weights file (or of a pipeline's files) when it comes from disk."""
    precision: str | None = None
    """float32, bfloat16 or float16 for neural embeddings; None for rule-based models."""
    options: tuple[tuple[str, str], ...] = field(default_factory=tuple)
    """Settings that change the output, such as max_length=512 or pooling=mean."""

    def describe(self) -> str:
        """A short human-readable form for signatures: name@rev|sha256:…|float32."""
        parts = [self.name + (f"@{self.revision}" if self.revision else "")]
        if self.sha256:
            parts.append(f"sha256:{self.sha256[:16]}")
        if self.precision:
            parts.append(self.precision)
        parts.extend(f"{key}={value}" for key, value in self.options)
        return "|".join(parts)

    def cache_namespace(self) -> str:
        """A stable key over every field, used to partition the on-disk cache."""
        blob = json.dumps(asdict(self), sort_keys=True, separators=(",", ":"))
        return f"{self.role}-" + hashlib.sha256(blob.encode("utf-8")).hexdigest()[:32]
