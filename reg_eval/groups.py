"""Metric groups beside the official score: the interface `reg-eval score --metrics` uses.

The official REG score is always computed. Each extra group (clinical, semantic, lexical,
bertscore) turns the aligned texts into per-case numeric columns, which the scorer
bootstraps, writes per case and hands to `reg-eval compare`, plus optional corpus-level
values, per-case details and breakdowns. A group keeps its own signature fields, so library
signatures (sacreBLEU's, bert-score's) travel with its numbers.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from reg_eval.errors import UsageError

if TYPE_CHECKING:
    import numpy as np

    from reg_eval.cache import FeatureCache


@dataclass(frozen=True)
class ScoringContext:
    """What a group may use from the scorer: device, precision, batching, cache."""

    device: str = "auto"
    dtype: str = "float32"
    batch_size: int = 16
    cache: FeatureCache | None = None
    cache_root: Path | None = None
    progress: bool = False
    organs: Sequence[str] = ()
    """The organ of each case (from the reference), for per-organ breakdowns."""


@dataclass(frozen=True)
class GroupResult:
    name: str
    per_case: dict[str, np.ndarray]
    """Numeric column -> one float64 per case. Means of these get CIs and paired tests."""
    signature: dict[str, str]
    """This group's own signature fields (models with revision/hash, tokenisation, options)."""
    corpus: dict[str, float] = field(default_factory=dict)
    """Corpus-level values that are not means of per-case values (e.g. corpus BLEU)."""
    details: list[dict[str, Any]] | None = None
    """Per-case non-numeric facts, e.g. missed and invented clinical facts."""
    breakdowns: dict[str, Any] = field(default_factory=dict)
    """Further tables, e.g. clinical precision/recall/F1 per category and per organ."""
    headline: str | None = None
    """The column that stands for the group wherever one number is shown or ranked (the
    score table, reports, leaderboards, rewards); its other columns are diagnostics."""


class MetricGroup(Protocol):
    name: str

    def compute(
        self, refs: Sequence[str], hyps: Sequence[str], context: ScoringContext
    ) -> GroupResult: ...


# name -> "module:factory"; imported only when asked for, so unused groups cost nothing.
GROUPS: dict[str, str] = {
    "clinical": "reg_eval.clinical.group:ClinicalGroup",
    "semantic": "reg_eval.standard.semantic:SemanticGroup",
    "lexical": "reg_eval.standard.lexical:LexicalGroup",
    "bertscore": "reg_eval.standard.bertscore:BertScoreGroup",
}
OFFICIAL = "official"


def parse_metric_groups(text: str | Sequence[str]) -> tuple[str, ...]:
    """`official,clinical` -> ("official", "clinical"); unknown names are a usage error."""
    names = [n.strip() for n in (text.split(",") if isinstance(text, str) else text)]
    names = [n for n in names if n]
    unknown = [n for n in names if n != OFFICIAL and n not in GROUPS]
    if unknown:
        known = ", ".join([OFFICIAL, *GROUPS])
        raise UsageError(f"unknown metric group(s): {', '.join(unknown)}", hint=f"use {known}")
    ordered = [OFFICIAL] + [n for n in GROUPS if n in names]
    return tuple(ordered)


def load_group(name: str, **options: Any) -> MetricGroup:
    module_name, _, factory = GROUPS[name].partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        raise UsageError(f"metric group {name!r} is not available: {exc}") from None
    return getattr(module, factory)(**options)
