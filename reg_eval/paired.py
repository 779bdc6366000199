"""Paired significance of runs against a baseline, over per-case values matched by case id.

`compare`, `leaderboard` and `report` all call `paired_tests`, so the same two runs get the
same p-value for each metric whichever command asks. A run is a mapping from case id to
per-case values (NaN where a metric is undefined); the test of one metric uses the cases
where it is defined in both runs, in the baseline's case order, and counts the cases left
out. With more than one run against the baseline the p-values are Holm-adjusted per metric.
`docs/statistics.md` explains the methods.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from reg_eval.errors import InvalidInputError, UsageError
from reg_eval.io.results import SCORE_COLUMNS
from reg_eval.stats import (
    DEFAULT_SEED,
    approximate_randomization_test,
    defined_mean,
    holm,
    paired_bootstrap_test,
)

TESTS = {"ar": "paired approximate randomization", "bs": "paired bootstrap"}
"""The paired tests by their command-line name (`--test`)."""
DEFAULT_TEST = "ar"
DEFAULT_TRIALS = 10_000
"""Trials (ar) or resamples (bs) unless `--n` says otherwise."""

_NOT_METRICS = frozenset({"id", "organ", "signature"})
_MATCH_HINT = (
    "paired tests need the same cases in both runs; score both against the same ground truth "
    "with --missing error or --missing empty"
)


@dataclass(frozen=True)
class RunCases:
    """One run's per-case values by case id: a float column per metric, NaN where undefined."""

    name: str
    ids: tuple[str, ...]
    columns: Mapping[str, np.ndarray]

    @classmethod
    def from_rows(cls, name: str, rows: Sequence[Mapping[str, Any]]) -> RunCases:
        """From per-case rows as `score --per-case` writes them (null: undefined).

        A metric column holds numbers or nulls; `id`, `organ`, `signature` and columns of
        other values (keyword lists, missed and invented facts) are not metrics. The ranking
        and its components come first, as in a score result, then the groups' columns. A
        case lacking a metric that other cases have is an error, never an undefined value.
        """
        names: list[str] = [column for column in SCORE_COLUMNS if rows and column in rows[0]]
        for row in rows:
            names += [key for key in row if key not in _NOT_METRICS and key not in names]
        columns = {}
        for key in names:
            present = [row[key] for row in rows if key in row]
            if not all(_is_value(v) for v in present):
                continue
            if len(present) < len(rows):
                lacking = next(row for row in rows if key not in row)
                raise InvalidInputError(
                    f"{name}: case {str(lacking['id'])!r} has no {key!r} value, which other "
                    "cases of the run have",
                    hint="give the per-case file as `reg-eval score --per-case` wrote it",
                )
            columns[key] = np.array(
                [np.nan if v is None else float(v) for v in present], dtype=np.float64
            )
        return cls(name, tuple(str(row["id"]) for row in rows), columns)


def _is_value(value: object) -> bool:
    return value is None or (isinstance(value, int | float) and not isinstance(value, bool))


def match_cases(base: RunCases, other: RunCases) -> np.ndarray:
    """Row indices into `other` of the baseline's cases, in the baseline's order.

    Both runs must hold the same case ids; otherwise the error names the first case that
    only one of them has, and how many differ each way.
    """
    where = {case_id: index for index, case_id in enumerate(other.ids)}
    base_ids = set(base.ids)
    only_base = [case_id for case_id in base.ids if case_id not in where]
    only_other = [case_id for case_id in other.ids if case_id not in base_ids]
    if only_base or only_other:
        first = (only_base or only_other)[0]
        holder = base.name if only_base else other.name
        raise InvalidInputError(
            f"{other.name} and {base.name} were scored on other cases: case {first!r} is only "
            f"in {holder} ({len(only_base)} only in {base.name}, {len(only_other)} only in "
            f"{other.name})",
            hint=_MATCH_HINT,
        )
    return np.array([where[case_id] for case_id in base.ids], dtype=np.intp)


@dataclass(frozen=True)
class MetricTest:
    """One metric of one run against the baseline."""

    mean: float
    """The run's mean over the cases where the metric is defined."""
    delta: float
    """mean(run - baseline) over the cases defined in both (NaN: none)."""
    p_value: float
    """Two-sided p over those cases (NaN when there is none)."""
    p_holm: float
    """Holm-adjusted across the runs tested against the same baseline."""
    n_paired: int
    """Cases defined in both runs: the ones the test uses; the others are left out."""


def json_number(value: float) -> float | None:
    """JSON has no NaN: an undefined mean, delta or p-value is written as null."""
    return None if math.isnan(value) else value


@dataclass(frozen=True)
class RunTests:
    """One run against the baseline: each metric's test, by metric name."""

    name: str
    metrics: dict[str, MetricTest]

    def to_dict(self) -> dict[str, dict[str, float | int | None]]:
        """Per metric: mean, delta, p_value, p_holm (null where undefined) and n_paired."""
        return {
            metric: {
                "mean": json_number(item.mean),
                "delta": json_number(item.delta),
                "p_value": json_number(item.p_value),
                "p_holm": json_number(item.p_holm),
                "n_paired": item.n_paired,
            }
            for metric, item in self.metrics.items()
        }


@dataclass(frozen=True)
class PairedTests:
    """Every run against the baseline, per metric, from one call of `paired_tests`."""

    baseline: str
    baseline_means: dict[str, float]
    runs: tuple[RunTests, ...]
    n_cases: int
    test: str
    n: int
    seed: int

    @property
    def test_name(self) -> str:
        return TESTS[self.test]

    @property
    def correction(self) -> str:
        return "holm" if len(self.runs) > 1 else "none"

    def run(self, name: str) -> RunTests:
        for item in self.runs:
            if item.name == name:
                return item
        raise KeyError(name)

    def describe(self) -> dict[str, str]:
        """The fields a signature or a table footer gives for this test."""
        return {
            "test": self.test_name,
            "trials": str(self.n),
            "seed": str(self.seed),
            "correction": self.correction,
        }


def check_test(test: str, n: int) -> None:
    """Refuse an unknown test or a count below 1 before any work is done."""
    if test not in TESTS:
        raise UsageError(f"unknown test {test!r}", hint=f"use {' or '.join(TESTS)}")
    if n < 1:
        raise UsageError("--n must be at least 1")


def _p_values(left: np.ndarray, right: np.ndarray, *, test: str, n: int, seed: int) -> np.ndarray:
    if test == "ar":
        return approximate_randomization_test(left, right, n_trials=n, seed=seed)
    return paired_bootstrap_test(left, right, n_resamples=n, seed=seed)


def _matrix(run: RunCases, metrics: Sequence[str], order: np.ndarray | None) -> np.ndarray:
    """(cases, metrics) values of a run, its rows in `order` (the baseline's case order)."""
    matrix = np.empty((len(run.ids), len(metrics)))
    for j, metric in enumerate(metrics):
        matrix[:, j] = np.asarray(run.columns[metric], dtype=np.float64)
    return matrix if order is None else matrix[order]


def _same_cases(
    both: np.ndarray, metrics: Sequence[str]
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Metrics grouped by the cases they are defined on (rows, columns), none left empty.

    Metrics of one group share one set of trials or resamples, which is what a test over
    several columns does anyway. Groups and the column order inside them depend only on the
    metric names and where values are defined, never on the order a caller listed them in.
    """
    groups: dict[bytes, list[int]] = {}
    for j in sorted(range(both.shape[1]), key=lambda index: metrics[index]):
        if both[:, j].any():
            groups.setdefault(np.packbits(both[:, j]).tobytes(), []).append(j)
    return [(both[:, cols[0]], np.array(cols, dtype=np.intp)) for cols in groups.values()]


def paired_tests(
    base: RunCases,
    others: Sequence[RunCases],
    *,
    test: str = DEFAULT_TEST,
    n: int = DEFAULT_TRIALS,
    seed: int = DEFAULT_SEED,
) -> PairedTests:
    """Test every run in `others` against `base` on each metric all runs have.

    A metric's p-value depends only on the two runs' values (in the baseline's case order),
    the test, `n` and `seed`; metrics defined on the same cases share one set of trials.
    Which other runs are tested beside it changes only the Holm adjustment.
    """
    check_test(test, n)
    if not others:
        raise UsageError("a paired test needs at least two runs: the baseline first")
    metrics = [m for m in base.columns if all(m in other.columns for other in others)]
    n_cases = len(base.ids)
    raw = np.full((len(others), len(metrics)), np.nan)
    deltas = np.full_like(raw, np.nan)
    paired = np.zeros(raw.shape, dtype=np.int64)
    means = np.full_like(raw, np.nan)
    for i, other in enumerate(others):
        order = match_cases(base, other)
        left = _matrix(base, metrics, None)
        right = _matrix(other, metrics, order)
        both = ~np.isnan(left) & ~np.isnan(right)
        paired[i] = both.sum(axis=0)
        means[i] = [defined_mean(right[:, j]) for j in range(len(metrics))]
        for rows, columns in _same_cases(both, metrics):
            a, b = left[np.ix_(rows, columns)], right[np.ix_(rows, columns)]
            # column by column: a 1-D mean sums pairwise, as every other mean here does
            deltas[i, columns] = [defined_mean(b[:, k] - a[:, k]) for k in range(len(columns))]
            raw[i, columns] = _p_values(a, b, test=test, n=n, seed=seed)
    adjusted = np.full_like(raw, np.nan)
    for j in range(len(metrics)):
        defined = ~np.isnan(raw[:, j])
        adjusted[defined, j] = holm(raw[defined, j])
    runs = tuple(
        RunTests(
            other.name,
            {
                metric: MetricTest(
                    mean=float(means[i, j]),
                    delta=float(deltas[i, j]),
                    p_value=float(raw[i, j]),
                    p_holm=float(adjusted[i, j]),
                    n_paired=int(paired[i, j]),
                )
                for j, metric in enumerate(metrics)
            },
        )
        for i, other in enumerate(others)
    )
    baseline_means = {m: defined_mean(np.asarray(base.columns[m])) for m in metrics}
    return PairedTests(base.name, baseline_means, runs, n_cases, test, n, seed)
