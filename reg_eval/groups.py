"""Metric groups beside the official score: the interface `reg-eval score --metrics` uses.

The official REG score is always computed. Each extra group (clinical, semantic, lexical,
bertscore) turns the aligned texts into per-case numeric columns, which the scorer
bootstraps, writes per case and hands to `reg-eval compare`, plus optional corpus-level
values, per-case details and breakdowns. A group keeps its own signature fields, so library
signatures (sacreBLEU's, bert-score's) travel with its numbers, and declares its columns
(`layout`: numeric, detail and corpus), which saved results carry.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from reg_eval.columns import ColumnLayout
from reg_eval.errors import UsageError
from reg_eval.signature import SignedModel

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
    signature: dict[str, str | SignedModel]
    """This group's own signature fields: settings as text (tokenisation, options, library
    signatures), models as typed `SignedModel`s."""
    corpus: dict[str, float] = field(default_factory=dict)
    """Corpus-level values that are not means of per-case values (e.g. corpus BLEU)."""
    details: list[dict[str, Any]] | None = None
    """Per-case non-numeric facts, e.g. missed and invented clinical facts."""
    breakdowns: dict[str, Any] = field(default_factory=dict)
    """Further tables, e.g. clinical precision/recall/F1 per category and per organ."""
    layout: ColumnLayout | None = None
    """The group's declared columns; every column it wrote must be declared there."""

    def __post_init__(self) -> None:
        if self.layout is None:
            return
        written = {
            "numeric": set(self.per_case),
            "detail": {self.detail_column(key) for row in self.details or () for key in row},
            "corpus": set(self.corpus),
        }
        for kind, names in written.items():
            undeclared = sorted(names - set(getattr(self.layout, kind)))
            if undeclared:
                raise ValueError(
                    f"metric group {self.name!r} wrote {kind} column(s) it does not declare: "
                    + ", ".join(undeclared)
                )

    def detail_column(self, key: str) -> str:
        """The per-case column of a detail (`missed` of `clinical` is `clinical_missed`)."""
        return f"{self.name}_{key}"

    def columns(self) -> ColumnLayout:
        """The declared layout; for a result built without one, the columns it holds."""
        if self.layout is not None:
            return self.layout
        details = tuple(dict.fromkeys(
            self.detail_column(key) for row in self.details or () for key in row
        ))
        return ColumnLayout(tuple(self.per_case), details, tuple(self.corpus))
    headline: str | None = None
    """The column that stands for the group wherever one number is shown or ranked (the
    score table, reports, leaderboards, rewards); its other columns are diagnostics."""


class MetricGroup(Protocol):
    name: str

    @property
    def layout(self) -> ColumnLayout:
        """Every column the group may write, by kind (see reg_eval.columns)."""
        ...

    def compute(
        self, refs: Sequence[str], hyps: Sequence[str], context: ScoringContext
    ) -> GroupResult: ...


def check_pairs(refs: Sequence[str], hyps: Sequence[str]) -> None:
    """A group computes over aligned pairs: unequal lengths are a caller's mistake (the
    scorer aligns and checks user input first), so a ValueError, not a user-facing error."""
    if len(refs) != len(hyps):
        raise ValueError(f"{len(refs)} references but {len(hyps)} hypotheses")


# name -> "module:factory"; imported only when asked for, so unused groups cost nothing.
GROUPS: dict[str, str] = {
    "clinical": "reg_eval.clinical.group:ClinicalGroup",
    "semantic": "reg_eval.standard.semantic:SemanticGroup",
    "lexical": "reg_eval.standard.lexical:LexicalGroup",
    "bertscore": "reg_eval.standard.bertscore:BertScoreGroup",
    "judge": "reg_eval.standard.judge_grade:JudgeGroup",
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
