"""Who produced a cached entity set or vector: the key of every cache entry and signature.

Two results may share a cache entry only when the same model (name plus revision and file
hash), the same precision, the same options, the same device type and the same versions of
the libraries that compute them produced them. The signature shows the same fields, so a
number never claims a computation other than the one that ran.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from importlib import metadata

KEY_LAYOUT = "2"
"""Version of what a cache key covers. Layout 1 had no device type, library versions or hub
file hash; entries written under it are never read as if they matched a layout-2 key."""


@dataclass(frozen=True)
class ModelIdentity:
    role: str
    """What the model is used for: "emb" (REG embedding), "key" (entities), "sent-emb"."""
    name: str
    """Hub name, spaCy package name, or the path as the user gave it."""
    revision: str | None = None
    """Hub commit or package version; None for a folder or file on disk."""
    sha256: str | None = None
    """Hash of the model files: the weights file, a folder's files, a hub snapshot's file
    hashes, or an installed pipeline package's recorded file hashes."""
    precision: str | None = None
    """float32, bfloat16 or float16 for neural embeddings; None for rule-based models."""
    options: tuple[tuple[str, str], ...] = field(default_factory=tuple)
    """Settings that change the output, such as max_length=512 or pooling=mean."""
    device_type: str | None = None
    """Where the model runs, resolved ("cpu" or "cuda", never "auto"); set by the backend."""
    libraries: tuple[tuple[str, str], ...] = field(default_factory=tuple)
    """Versions of the libraries whose code computes the output (torch, transformers,
    spaCy, ...); set by the backend."""

    def running(self, *, device_type: str, libraries: Sequence[str]) -> ModelIdentity:
        """This model as a backend runs it: on `device_type`, with the installed libraries."""
        return replace(self, device_type=device_type, libraries=library_versions(libraries))

    def describe(self) -> str:
        """A short human-readable form for signatures:
        name@rev|sha256:…|float32|cpu|torch=2.13.0|…|max_length=512."""
        parts = [self.name + (f"@{self.revision}" if self.revision else "")]
        if self.sha256:
            parts.append(f"sha256:{self.sha256[:16]}")
        if self.precision:
            parts.append(self.precision)
        if self.device_type:
            parts.append(self.device_type)
        parts.extend(f"{name}={version}" for name, version in self.libraries)
        parts.extend(f"{key}={value}" for key, value in self.options)
        return "|".join(parts)

    def cache_namespace(self) -> str:
        """A stable key over every field and the key layout, partitioning the on-disk cache."""
        blob = json.dumps(
            {"key_layout": KEY_LAYOUT, **asdict(self)}, sort_keys=True, separators=(",", ":")
        )
        digest = hashlib.sha256(blob.encode("utf-8")).hexdigest()[:32]
        return f"{self.role}-k{KEY_LAYOUT}-{digest}"


def library_versions(names: Sequence[str]) -> tuple[tuple[str, str], ...]:
    """Installed versions from package metadata (no import); "absent" when not installed."""
    versions = []
    for name in names:
        try:
            versions.append((name, metadata.version(name)))
        except metadata.PackageNotFoundError:
            versions.append((name, "absent"))
    return tuple(versions)
