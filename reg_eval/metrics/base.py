"""A tiny common shape for metrics: a name, a signature and per-case statistics.

Every metric reports one number per case; aggregates, confidence intervals and significance
tests are computed from those numbers (see `reg_eval.stats`), so nothing is ever re-scored.
The signature names everything that changes the number (tokenisation, options), so two scores
can only be set side by side when their signatures agree.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from typing import ClassVar, Generic, TypeVar

import numpy as np

CaseInput = TypeVar("CaseInput")


class Metric(ABC, Generic[CaseInput]):
    """A per-case metric over paired reference and hypothesis inputs of one kind."""

    name: ClassVar[str]

    def options(self) -> Mapping[str, str]:
        """Everything besides the name that changes the number, in a fixed order."""
        return {}

    def signature(self) -> str:
        """`name|key:value|...`, stable across runs, for result files and tables."""
        return "|".join([self.name, *(f"{key}:{value}" for key, value in self.options().items())])

    @abstractmethod
    def case_stats(
        self, refs: Sequence[CaseInput], hyps: Sequence[CaseInput]
    ) -> np.ndarray:
        """One float64 value per case, in input order."""


def check_paired(refs: Sequence[object], hyps: Sequence[object]) -> int:
    """The number of cases; references and hypotheses must pair up one to one."""
    if len(refs) != len(hyps):
        raise ValueError(
            f"references and hypotheses must pair up: {len(refs)} references, "
            f"{len(hyps)} hypotheses"
        )
    return len(refs)


def per_distinct_pair(
    refs: Sequence[str], hyps: Sequence[str], score: Callable[[str, str], float]
) -> np.ndarray:
    """`score(ref, hyp)` for every case, computed once per distinct pair (REG repeats a lot)."""
    n = check_paired(refs, hyps)
    memo: dict[tuple[str, str], float] = {}
    out = np.empty(n, dtype=np.float64)
    for i, pair in enumerate(zip(refs, hyps, strict=True)):
        if pair not in memo:
            memo[pair] = score(*pair)
        out[i] = memo[pair]
    return out
