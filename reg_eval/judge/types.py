"""What a judge is, how it generates, and what it answers: the values every backend shares.

A judge's verdicts are cached and printed beside scores, so who the judge is (model, weights
hash, precision, server) and how it was asked (token budget, thinking, sampling, seed) are
plain values that enter cache keys and signatures alike.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from reg_eval.identity import ModelIdentity
from reg_eval.stats import DEFAULT_SEED

DEFAULT_MAX_NEW_TOKENS = 32768
"""The organisers' judge budget: long enough for Qwen3's thinking to finish."""


@dataclass(frozen=True)
class GenerationSettings:
    """How a judge generates; None means the model's own `generation_config` (or, for a
    served model, the server's default, which vLLM also takes from the model)."""

    max_new_tokens: int = DEFAULT_MAX_NEW_TOKENS
    enable_thinking: bool = True
    temperature: float | None = None
    """0 asks for greedy decoding."""
    top_p: float | None = None
    top_k: int | None = None
    seed: int = DEFAULT_SEED
    """Sample i of a prompt is drawn with seed + i, so every run draws the same samples."""

    def __post_init__(self) -> None:
        if self.max_new_tokens < 1:
            raise ValueError("max_new_tokens must be at least 1")
        if self.temperature is not None and self.temperature < 0:
            raise ValueError("temperature must be 0 (greedy) or more")
        if self.top_p is not None and not 0 < self.top_p <= 1:
            raise ValueError("top_p must be in (0, 1]")
        if self.top_k is not None and self.top_k < 1:
            raise ValueError("top_k must be at least 1")

    def sample_seed(self, sample_index: int) -> int:
        """The seed of sample `sample_index` (the organisers' votes are samples 0..N-1)."""
        if sample_index < 0:
            raise ValueError("sample_index must be 0 or more")
        return self.seed + sample_index

    def fields(self) -> dict[str, object]:
        """Every field by name ("model-default" for None), for signatures and cache keys."""
        return {
            item.name: "model-default" if getattr(self, item.name) is None
            else getattr(self, item.name)
            for item in dataclasses.fields(self)
        }


@dataclass(frozen=True)
class JudgeIdentity:
    """Which judge answered: enough to tell two judges' verdicts apart, never a secret."""

    backend: str
    """"transformers" or "openai"."""
    model: str
    """The model's name or path as given."""
    file_hash: str | None
    """sha256 over the weights, config and tokenizer files; None for a served model."""
    revision: str | None
    """Hub commit of a cached snapshot; None for folders and served models."""
    precision: str
    """"bfloat16", "float16", "float32", or "served" when a server decides."""
    base_url: str | None
    """The server's address (openai backend only); an API key never enters it."""
    device_type: str | None = None
    """"cpu" or "cuda" for a local model (resolved, never "auto"); None for a served one."""
    libraries: tuple[tuple[str, str], ...] = ()
    """Versions of the libraries that generate (torch, transformers, tokenizers) for a local
    model: a verdict made by one build is not served to a run of another."""

    def fields(self) -> dict[str, object]:
        values = {item.name: getattr(self, item.name) for item in dataclasses.fields(self)}
        values["libraries"] = [list(pair) for pair in self.libraries]
        return values

    def model_identity(self) -> ModelIdentity:
        """The judge as signatures hold models (role "judge"); the backend and the server
        address travel as options."""
        options = [("backend", self.backend)]
        if self.base_url:
            options.append(("base_url", self.base_url))
        return ModelIdentity(
            role="judge",
            name=self.model,
            revision=self.revision,
            sha256=self.file_hash,
            precision=self.precision,
            options=tuple(options),
            device_type=self.device_type,
            libraries=self.libraries,
        )

    def describe(self) -> str:
        """One line: backend:model@revision|sha256:…|precision|device|library=version|url."""
        parts = [f"{self.backend}:{self.model}" + (f"@{self.revision}" if self.revision else "")]
        if self.file_hash:
            parts.append(f"sha256:{self.file_hash[:16]}")
        parts.append(self.precision)
        if self.device_type:
            parts.append(self.device_type)
        parts.extend(f"{name}={version}" for name, version in self.libraries)
        if self.base_url:
            parts.append(self.base_url)
        return "|".join(parts)


@dataclass(frozen=True)
class JudgeReply:
    """One generation, split as the organisers' judge splits it."""

    content: str | None
    """The text after the last `</think>` (all of it when there is none); None when a server
    returned no content at all."""
    reasoning: str
    """The thinking before `</think>` ("" when there is none)."""
    raw: str
    """The whole generated text."""


class Judge(Protocol):
    """A model that answers prompts; sample i of each prompt is repeatable."""

    identity: JudgeIdentity
    settings: GenerationSettings

    def generate(self, prompts: Sequence[str], *, sample_index: int = 0) -> list[JudgeReply]:
        """One reply per prompt, in order."""
        ...
