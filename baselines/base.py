"""The one interface every baseline offers: fit on training slides, generate for test slides,
and keep the fitted state in a run directory."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from reg_eval.errors import InvalidInputError


class Baseline(ABC):
    """Pooled slide features (one float64 row per id) in, one report per id out."""

    name: ClassVar[str]

    @abstractmethod
    def fit(self, ids: Sequence[str], features: np.ndarray, reports: Sequence[str]) -> None:
        """Learn from training slides; `features[i]` and `reports[i]` belong to `ids[i]`."""

    @abstractmethod
    def generate(self, ids: Sequence[str], features: np.ndarray) -> list[str]:
        """One report per id, in the order given."""

    @abstractmethod
    def save(self, run_dir: Path) -> list[Path]:
        """Write the fitted state into `run_dir` (atomically, file by file); the files."""

    @classmethod
    @abstractmethod
    def load(cls, run_dir: Path, options: dict[str, Any]) -> Baseline:
        """The fitted baseline back from `run_dir`; `options` are those it was made with,
        plus generation-time settings."""


def check_rows(ids: Sequence[str], features: np.ndarray, reports: Sequence[str] | None) -> None:
    """Shapes agree before any model sees them."""
    if features.ndim != 2 or features.shape[0] != len(ids):
        raise InvalidInputError(
            f"features have shape {features.shape}, expected ({len(ids)}, D): one row per id"
        )
    if reports is not None and len(reports) != len(ids):
        raise InvalidInputError(f"{len(reports)} reports for {len(ids)} ids")
    if reports is not None and not ids:
        raise InvalidInputError("no training cases to fit on", hint="check the --train file")


def most_frequent(reports: Sequence[str]) -> str:
    """The most frequent text; among equals, the one that occurs first."""
    counts: dict[str, int] = {}
    for report in reports:
        counts[report] = counts.get(report, 0) + 1
    best = max(counts.values())
    return next(report for report in reports if counts[report] == best)
