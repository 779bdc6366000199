"""How a submission is scored, as one typed value that every entry point fills explicitly.

Commands fill it from their parsed options, field by field; the Python API, the reward
functions and the grand-challenge entry build it from keyword arguments. A misspelt or renamed
option is an error (the dataclass has no field of that name), never a silent default.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

from reg_eval.profiles import Profile
from reg_eval.stats import DEFAULT_SEED as DEFAULT_SEED

DEFAULT_BOOTSTRAP = 1000
DEFAULT_METRICS = "official,clinical"


@dataclass(frozen=True, kw_only=True)
class RunOptions:
    """How the numbers are computed, whatever the edition: models, device, cache, resampling."""

    emb_model: str | None = None
    """Override of the profile's EMB model: hub name[@revision], a folder or a .gguf file."""
    key_model: str | None = None
    """Override of the profile's KEY spaCy pipeline: a package name or a saved folder."""
    device: str = "auto"
    dtype: str = "float32"
    """Precision of the EMB model; it enters the signature."""
    batch_size: int = 16
    cache: bool = True
    """Read and write the entity and vector cache."""
    cache_dir: str | Path | None = None
    """Cache folder for models, entities and vectors; None: the default (see docs/cache.md)."""
    bootstrap: int = DEFAULT_BOOTSTRAP
    seed: int = DEFAULT_SEED
    progress: bool = False
    """Show progress bars while models run."""

    @classmethod
    def of(cls, base: Any = None, /, **changes: Any) -> Self:
        """Options from `base` with `changes`; an unknown option name is a TypeError.

        `base` is options of this kind, a profile (a name or an object) for the editions'
        subclasses, which have a `profile` field, or None for the defaults.
        """
        known = {item.name for item in dataclasses.fields(cls)}
        unknown = sorted(set(changes) - known)
        if unknown:
            raise TypeError(
                f"unknown scoring option(s): {', '.join(unknown)}; the options are "
                f"{', '.join(sorted(known))}"
            )
        if base is None:
            options = cls()
        elif isinstance(base, cls):
            options = base
        else:
            options = cls(profile=base)  # type: ignore[call-arg]
        return dataclasses.replace(options, **changes) if changes else options

    def run_fields(self) -> dict[str, Any]:
        """The fields every edition shares, by name (to hand them on to another scorer)."""
        return {item.name: getattr(self, item.name) for item in dataclasses.fields(RunOptions)}

    def key(self) -> str:
        """A stable text form of every field, for telling scorers apart (paths as text)."""
        return json.dumps(dataclasses.asdict(self), sort_keys=True, default=str)


@dataclass(frozen=True, kw_only=True)
class ScoringOptions(RunOptions):
    """The REG 2025 scorer's options: `score`, `compare`, `report`, `gc-evaluate`, `Scorer`,
    `score_files`, the reward functions and the `evaluate` module all fill this one type."""

    profile: str | Profile = "offline"
    """A profile name (`reg-eval models list`) or a `Profile`."""
    metrics: str | Sequence[str] = DEFAULT_METRICS
    """Metric groups: "official" is always computed; e.g. "official,clinical,semantic"."""
    group_options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    """Options per metric group, e.g. {"semantic": {"model": "..."}}."""

