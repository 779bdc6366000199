"""Who produced a cached entity set or vector: the key of every cache entry and signature.

Two results may share a cache entry only when the same model (name plus revision and file
hash), the same precision, the same options, the same device type and the same versions of
the libraries that compute them produced them. The signature holds the same fields as typed
values, so a number never claims a computation other than the one that ran. The type sits in
the lowest layer, beside the signature, because both the cache and every signature use it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from importlib import metadata
from typing import Any

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
        """A short human-readable form for signature lines, with no `|` inside:
        name@rev(sha256:…,float32,cpu,torch=2.13.0,…,max_length=512)."""
        parts = []
        if self.sha256:
            parts.append(f"sha256:{self.sha256[:16]}")
        if self.precision:
            parts.append(self.precision)
        if self.device_type:
            parts.append(self.device_type)
        parts.extend(f"{name}={version}" for name, version in self.libraries)
        parts.extend(f"{key}={value}" for key, value in self.options)
        name = self.name + (f"@{self.revision}" if self.revision else "")
        return name + (f"({','.join(parts)})" if parts else "")

    def option(self, key: str) -> str | None:
        """The value of one output-changing option (`max_length`), or None."""
        return dict(self.options).get(key)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form: every field by name; options and libraries as objects."""
        return {
            "role": self.role,
            "name": self.name,
            "revision": self.revision,
            "sha256": self.sha256,
            "precision": self.precision,
            "device_type": self.device_type,
            "libraries": dict(self.libraries),
            "options": dict(self.options),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ModelIdentity:
        """Read `to_dict()` back; a field that is absent or not text is None."""

        def text(key: str) -> str | None:
            value = data.get(key)
            return value if isinstance(value, str) else None

        def pairs(key: str) -> tuple[tuple[str, str], ...]:
            value = data.get(key)
            if not isinstance(value, Mapping):
                return ()
            return tuple((str(k), str(v)) for k, v in value.items())

        return cls(
            role=text("role") or "",
            name=text("name") or "",
            revision=text("revision"),
            sha256=text("sha256"),
            precision=text("precision"),
            options=pairs("options"),
            device_type=text("device_type"),
            libraries=pairs("libraries"),
        )

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
