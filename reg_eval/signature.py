"""Signatures: what a number is, so that no score travels without one.

A signature names what was computed, with which models (name, revision or file hash,
precision, device, library versions, options), which tokenisation, how cases were matched,
and the reg-eval version. It is a typed value: settings are scalar fields and each model is a
nested `ModelIdentity` with the way the metric used it. The JSON form keeps these as fields;
the one-line text (for terminals and tables) is only a rendering, and nothing parses it back.

Results saved before signatures were typed hold each model as one text
(`name@rev|sha256:…|float32|cpu|torch=…|max_length=512`); `Signature.from_dict` reads those
texts once, on loading, into the same typed fields (see docs/metrics.md).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from reg_eval._version import __version__
from reg_eval.identity import ModelIdentity

SIGNATURE_LAYOUT = 2
"""Version of the JSON form. Layout 1 (no `layout` key) held each model as one text."""
Scalar = str | int | float | bool
MODEL_ROLES = ("emb", "key", "mess")
"""Fields that name a model; in layout-1 files their text is read back into a model."""
_RESERVED = (
    "layout", "reg_eval_version", "computed", "comparable_with_leaderboard",
    "not_comparable_because", "text",
)
_PRECISION = re.compile(r"b?float\d+")
_DEVICES = ("cpu", "cuda", "mps")
_LIBRARIES = frozenset({
    "torch", "transformers", "tokenizers", "spacy", "thinc", "sentence-transformers",
    "sentence_transformers", "scispacy", "llama-cpp-python", "gguf", "numpy",
})
"""Library names that layout-1 texts wrote as `name=version` before the model's options."""


@dataclass(frozen=True)
class SignedModel:
    """A model as one number used it: who it is, and what the metric did with its output."""

    identity: ModelIdentity
    usage: tuple[tuple[str, str], ...] = ()
    """How the metric used the output and that is not part of the model's cache key, such as
    min_chars=3 for KEY or clamp=0-1 for REG 2026."""

    def setting(self, key: str) -> str | None:
        """A usage setting, else a model option (`max_length`), else None."""
        return dict(self.usage).get(key, self.identity.option(key))

    def describe(self) -> str:
        """name@rev(sha256:…,float32,…){min_chars=3}: one field of a signature line."""
        used = ",".join(f"{key}={value}" for key, value in self.usage)
        return self.identity.describe() + (f"{{{used}}}" if used else "")

    def to_dict(self) -> dict[str, Any]:
        return {**self.identity.to_dict(), "usage": dict(self.usage)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SignedModel:
        usage = data.get("usage")
        pairs = usage.items() if isinstance(usage, Mapping) else ()
        return cls(ModelIdentity.from_dict(data), tuple((str(k), str(v)) for k, v in pairs))

    @classmethod
    def from_layout1_text(cls, role: str, text: str) -> SignedModel:
        """A model as layout-1 signatures wrote it, `name@rev|sha256:…|float32|cpu|lib=ver|
        key=value|flag`: libraries are known by name, bare words are usage flags."""
        first, *rest = text.split("|")
        name, sep, revision = first.partition("@")
        sha256 = precision = device = None
        libraries: list[tuple[str, str]] = []
        options: list[tuple[str, str]] = []
        usage: list[tuple[str, str]] = []
        for part in rest:
            key, eq, value = part.partition("=")
            if part.startswith("sha256:"):
                sha256 = part.removeprefix("sha256:")
            elif _PRECISION.fullmatch(part):
                precision = part
            elif part in _DEVICES:
                device = part
            elif eq and key in _LIBRARIES:
                libraries.append((key, value))
            elif eq and key == "min_chars":
                usage.append((key, value))
            elif eq:
                options.append((key, value))
            else:
                usage.append((part, "yes"))
        identity = ModelIdentity(
            role=role, name=name, revision=revision if sep else None, sha256=sha256,
            precision=precision, options=tuple(options), device_type=device,
            libraries=tuple(libraries),
        )
        return cls(identity, tuple(usage))


Value = Scalar | SignedModel


@dataclass(frozen=True)
class Signature:
    computed: str
    """What the number is, e.g. "reg2025-ranking" or "compare:ar"."""
    fields: tuple[tuple[str, Value], ...] = field(default_factory=tuple)
    """Settings (text, whole numbers, flags) and models, in the order they are shown."""
    comparable_with_leaderboard: bool = False
    not_comparable_because: tuple[str, ...] = ()
    """Why the number may not stand beside the official table (empty when it may)."""
    version: str = __version__
    """The reg-eval version that computed the number (a saved result keeps its own)."""

    @classmethod
    def build(
        cls,
        computed: str,
        fields: Mapping[str, Value | None],
        *,
        comparable_with_leaderboard: bool,
        not_comparable_because: Sequence[str] = (),
    ) -> Signature:
        """A signature; any reason given makes it not comparable, whatever the flag says.
        Fields whose value is None are left out; a value that is neither a JSON scalar nor a
        model (a path, say) is kept as its text."""
        items = tuple(
            (key, value if isinstance(value, Scalar | SignedModel) else str(value))
            for key, value in fields.items()
            if value is not None
        )
        reasons = tuple(not_comparable_because)
        return cls(computed, items, comparable_with_leaderboard and not reasons, reasons)

    def value(self, key: str) -> Value | None:
        """The typed value of a field, or None."""
        return dict(self.fields).get(key)

    def get(self, key: str) -> str | None:
        """A field as the signature line shows it, or None."""
        value = self.value(key)
        return None if value is None else _text(value)

    def model(self, key: str) -> SignedModel | None:
        """The model named by a field (`emb`, `key`, `mess`), or None."""
        value = self.value(key)
        return value if isinstance(value, SignedModel) else None

    @property
    def models(self) -> dict[str, SignedModel]:
        return {key: value for key, value in self.fields if isinstance(value, SignedModel)}

    def format(self) -> str:
        """One line: `reg-eval:0.1.0|computed:…|key:value|…|comparable:no`."""
        parts = [f"reg-eval:{self.version}", f"computed:{self.computed}"]
        parts.extend(f"{key}:{_text(value)}" for key, value in self.fields)
        parts.append("comparable:" + ("yes" if self.comparable_with_leaderboard else "no"))
        return "|".join(parts)

    def to_dict(self) -> dict[str, object]:
        """The JSON form: typed fields, each model as a nested object, and the line as `text`."""
        return {
            "layout": SIGNATURE_LAYOUT,
            "reg_eval_version": self.version,
            "computed": self.computed,
            **{
                key: value.to_dict() if isinstance(value, SignedModel) else value
                for key, value in self.fields
            },
            "comparable_with_leaderboard": self.comparable_with_leaderboard,
            **(
                {"not_comparable_because": list(self.not_comparable_because)}
                if self.not_comparable_because
                else {}
            ),
            "text": self.format(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Signature:
        """Read a saved signature of either layout back into typed fields.

        Layout 2 holds each model as an object. Layout 1 held the model fields (`emb`,
        `key`, `mess`) as texts, read here into models; its other fields stay as saved.
        """
        fields: list[tuple[str, Value]] = []
        for key, value in data.items():
            if key in _RESERVED or value is None:
                continue
            if isinstance(value, Mapping) and isinstance(value.get("name"), str):
                fields.append((key, SignedModel.from_dict(value)))
            elif isinstance(value, str) and key in MODEL_ROLES:
                fields.append((key, SignedModel.from_layout1_text(key, value)))
            elif isinstance(value, Scalar):
                fields.append((key, value))
        reasons = data.get("not_comparable_because")
        return cls(
            computed=str(data.get("computed", "")),
            fields=tuple(fields),
            comparable_with_leaderboard=data.get("comparable_with_leaderboard") is True,
            not_comparable_because=(
                tuple(str(reason) for reason in reasons)
                if isinstance(reasons, list)
                else ()
            ),
            version=str(data.get("reg_eval_version", "?")),
        )

    def __str__(self) -> str:
        return self.format()


def _text(value: Value) -> str:
    if isinstance(value, SignedModel):
        return value.describe()
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)
