"""`knn`: retrieve the report of the most similar training slide (cosine on pooled features).

REG reports are templated, so copying a neighbour's report is a strong baseline. With
`vote`, the k nearest reports vote and identical texts pool their votes; a tie goes to
the text whose first occurrence is nearer. Ties in similarity go to the earlier
training case, so the output never depends on sort stability.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from reg_eval.errors import InvalidInputError, UsageError
from reg_eval_baselines.base import Baseline, check_rows
from reg_eval_baselines.state_files import (
    read_arrays,
    read_state_json,
    write_arrays,
    write_state_json,
)

BLOCK_ROWS = 1024  # test rows per similarity block, to bound memory on large sets
STD_FLOOR = 1e-12
ARRAYS_FILE = "knn.npz"  # pooled training features and standardisation statistics
TABLE_FILE = "knn.json"  # training ids, reports and the options


class KnnBaseline(Baseline):
    name = "knn"

    def __init__(self, k: int = 5, *, standardise: bool = False, vote: bool = False) -> None:
        if k < 1:
            raise UsageError(f"--k {k}: need at least one neighbour")
        self.k = k
        self.standardise = standardise
        self.vote = vote
        self.mean: np.ndarray | None = None
        self.scale: np.ndarray | None = None
        self.train_features: np.ndarray | None = None
        self.train_unit: np.ndarray | None = None
        self.ids: list[str] = []
        self.reports: list[str] = []

    def _project(self, features: np.ndarray) -> np.ndarray:
        """Standardise (training statistics) if asked, then scale rows to unit length."""
        assert self.mean is not None and self.scale is not None
        rows = np.asarray(features, dtype=np.float64)
        if self.standardise:
            rows = (rows - self.mean) / self.scale
        norms = np.linalg.norm(rows, axis=1, keepdims=True)
        return np.divide(rows, norms, out=np.zeros_like(rows), where=norms > 0)

    def fit(self, ids: Sequence[str], features: np.ndarray, reports: Sequence[str]) -> None:
        check_rows(ids, features, reports)
        train = np.asarray(features, dtype=np.float64)
        self.mean = train.mean(axis=0)
        std = train.std(axis=0)
        self.scale = np.where(std > STD_FLOOR, std, 1.0)
        self.train_features = train
        self.train_unit = self._project(train)
        self.ids = list(ids)
        self.reports = list(reports)

    def neighbours(self, features: np.ndarray) -> np.ndarray:
        """Indices of the k nearest training cases per row, nearest first."""
        if self.train_unit is None:
            raise UsageError("the knn baseline was not fitted", hint="call fit first")
        if features.ndim != 2 or features.shape[1] != self.train_unit.shape[1]:
            raise InvalidInputError(
                f"features have shape {features.shape}; the training features had "
                f"dimension {self.train_unit.shape[1]}"
            )
        k = min(self.k, self.train_unit.shape[0])
        order = np.arange(self.train_unit.shape[0])
        found = []
        for start in range(0, features.shape[0], BLOCK_ROWS):
            sims = self._project(features[start : start + BLOCK_ROWS]) @ self.train_unit.T
            for row in sims:
                # lexsort: last key first; nearest first, then the earlier training case
                found.append(np.lexsort((order, -row))[:k])
        return np.array(found, dtype=np.int64).reshape(-1, k)

    def _voted(self, nearest: np.ndarray) -> str:
        votes: dict[str, int] = {}
        for index in nearest:
            text = self.reports[int(index)]
            votes[text] = votes.get(text, 0) + 1
        best = max(votes.values())
        # dict order is the order of first occurrence, i.e. by nearness
        return next(text for text, count in votes.items() if count == best)

    def generate(self, ids: Sequence[str], features: np.ndarray) -> list[str]:
        check_rows(ids, features, None)
        if not ids:
            return []
        nearest = self.neighbours(features)
        if self.vote:
            return [self._voted(row) for row in nearest]
        return [self.reports[int(row[0])] for row in nearest]

    def save(self, run_dir: Path) -> list[Path]:
        if self.train_features is None or self.mean is None or self.scale is None:
            raise UsageError("the knn baseline was not fitted", hint="call fit first")
        arrays = {"features": self.train_features, "mean": self.mean, "scale": self.scale}
        table = {"k": self.k, "standardise": self.standardise, "vote": self.vote,
                 "ids": self.ids, "reports": self.reports}
        return [write_arrays(run_dir / ARRAYS_FILE, arrays),
                write_state_json(run_dir / TABLE_FILE, table)]

    @classmethod
    def load(cls, run_dir: Path, options: dict[str, Any]) -> KnnBaseline:
        table = read_state_json(run_dir / TABLE_FILE)
        arrays = read_arrays(run_dir / ARRAYS_FILE)
        missing = [k for k in ("features", "mean", "scale") if k not in arrays]
        if not isinstance(table, dict) or missing or len(table.get("reports", [])) != len(
            arrays.get("features", [])
        ):
            raise InvalidInputError(
                f"{run_dir}: {ARRAYS_FILE} and {TABLE_FILE} do not belong together",
                hint="train the run again with --force",
            )
        model = cls(int(table["k"]), standardise=bool(table["standardise"]),
                    vote=bool(table["vote"]))
        model.mean, model.scale = arrays["mean"], arrays["scale"]
        model.train_features = arrays["features"]
        model.train_unit = model._project(model.train_features)
        model.ids, model.reports = list(table["ids"]), list(table["reports"])
        return model
