"""`majority`: every slide gets the most frequent training report, the floor to beat."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from reg_eval.errors import InvalidInputError, UsageError
from reg_eval_baselines.base import Baseline, check_rows, most_frequent
from reg_eval_baselines.state_files import read_state_json, write_state_json

STATE_FILE = "majority.json"


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

    def save(self, run_dir: Path) -> list[Path]:
        if self.report is None:
            raise UsageError("the majority baseline was not fitted", hint="call fit first")
        return [write_state_json(run_dir / STATE_FILE, {"report": self.report})]

    @classmethod
    def load(cls, run_dir: Path, options: dict[str, Any]) -> MajorityBaseline:
        state = read_state_json(run_dir / STATE_FILE)
        if not isinstance(state, dict) or not isinstance(state.get("report"), str):
            raise InvalidInputError(f"{run_dir / STATE_FILE}: no \"report\" string",
                                    hint="train the run again with --force")
        model = cls()
        model.report = state["report"]
        return model
