"""`majority`: every slide gets the most frequent training report, the floor to beat."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from baselines.base import Baseline, check_rows, most_frequent
from reg_eval.errors import UsageError


class MajorityBaseline(Baseline):
    name = "majority"

    def __init__(self) -> None:
        self.report: str | None = None

    def fit(self, ids: Sequence[str], features: np.ndarray, reports: Sequence[str]) -> None:
        check_rows(ids, features, reports)
        self.report = most_frequent(reports)

    def generate(self, ids: Sequence[str], features: np.ndarray) -> list[str]:
        if self.report is None:
            raise UsageError("the majority baseline was not fitted", hint="call fit first")
        return [self.report] * len(ids)
