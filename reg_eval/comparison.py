"""Paired significance of run-versus-run differences, on cached per-case statistics.

Each run is scored once; the tests resample its per-case numbers, never the texts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from reg_eval.errors import InvalidInputError, UsageError
from reg_eval.scoring import ScoreResult
from reg_eval.signature import Signature

TESTS = {"ar": "paired approximate randomization", "bs": "paired bootstrap"}


@dataclass(frozen=True)
class RunComparison:
    """One system against the baseline, per metric."""

    name: str
    means: dict[str, float]
    deltas: dict[str, float]
    p_values: dict[str, float]
    p_adjusted: dict[str, float]
    n_paired: dict[str, int] = field(default_factory=dict)
    """Per metric, the cases where it is defined in both runs (the test uses only those)."""


@dataclass(frozen=True)
class Comparison:
    signature: Signature
    baseline: str
    baseline_means: dict[str, float]
    runs: list[RunComparison]
    n_cases: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "signature": self.signature.to_dict(),
            "n_cases": self.n_cases,
            "baseline": {
                "name": self.baseline,
                "means": {k: _json_number(v) for k, v in self.baseline_means.items()},
            },
            "runs": [
                {
                    "name": run.name,
                    "means": {k: _json_number(v) for k, v in run.means.items()},
                    "delta": {k: _json_number(v) for k, v in run.deltas.items()},
                    "p_value": {k: _json_number(v) for k, v in run.p_values.items()},
                    "p_holm": {k: _json_number(v) for k, v in run.p_adjusted.items()},
                    "n_paired": run.n_paired,
                }
                for run in self.runs
            ],
        }


def _matrix(result: ScoreResult, names: Sequence[str]) -> np.ndarray:
    columns = result.columns
    return np.column_stack([columns[name] for name in names])


def _nanmean(values: np.ndarray) -> float:
    kept = values[~np.isnan(values)]
    return float(kept.mean()) if kept.size else float("nan")


def _json_number(value: float) -> float | None:
    return None if np.isnan(value) else value


def _p_values(a: np.ndarray, b: np.ndarray, *, test: str, n: int, seed: int) -> np.ndarray:
    """p per column over the cases defined (not NaN) in both runs; NaN where there is none.

    Columns defined on every case share one set of trials, as before; a column with
    undefined cases is tested on its paired-defined cases alone.
    """
    from reg_eval.stats import approximate_randomization_test, paired_bootstrap_test

    def run(left: np.ndarray, right: np.ndarray) -> np.ndarray:
        if test == "ar":
            return approximate_randomization_test(left, right, n_trials=n, seed=seed)
        return paired_bootstrap_test(left, right, n_resamples=n, seed=seed)

    p = np.full(a.shape[1], np.nan)
    both = ~np.isnan(a) & ~np.isnan(b)
    complete = both.all(axis=0)
    if complete.any():
        p[complete] = run(a[:, complete], b[:, complete])
    for j in np.flatnonzero(~complete):
        rows = both[:, j]
        if rows.any():
            p[j] = float(run(a[rows, j], b[rows, j]))
    return p


def _holm_defined(p_values: np.ndarray) -> np.ndarray:
    """Holm over the runs whose p-value is defined; NaN stays NaN."""
    from reg_eval.stats import holm

    adjusted = np.full(p_values.shape, np.nan)
    defined = ~np.isnan(p_values)
    adjusted[defined] = holm(p_values[defined])
    return adjusted


def compare_results(
    names: Sequence[str],
    results: Sequence[ScoreResult],
    *,
    test: str = "ar",
    n: int = 10_000,
    seed: int = 12345,
) -> Comparison:
    """Test every run against the first; Holm-correct across runs for each metric."""
    if test not in TESTS:
        raise UsageError(f"unknown test {test!r}", hint="use ar or bs")
    if len(results) < 2:
        raise UsageError("compare needs at least two runs: the baseline first, then the others")
    if n < 1:
        raise UsageError("--n must be at least 1")
    base = results[0]
    for name, result in zip(names[1:], results[1:], strict=True):
        if result.alignment.ids != base.alignment.ids:
            raise InvalidInputError(
                f"{name} was scored on other cases than {names[0]}",
                hint="paired tests need the same cases in both runs; use --missing error or "
                "--missing empty so every ground-truth case is scored",
            )
    names_in_all = [c for c in base.columns if all(c in r.columns for r in results[1:])]
    base_matrix = _matrix(base, names_in_all)
    others = [_matrix(result, names_in_all) for result in results[1:]]
    raw = np.vstack([_p_values(base_matrix, other, test=test, n=n, seed=seed) for other in others])
    adjusted = np.column_stack([_holm_defined(raw[:, j]) for j in range(raw.shape[1])])
    base_means = {c: _nanmean(base_matrix[:, j]) for j, c in enumerate(names_in_all)}
    runs = []
    for i, (name, other) in enumerate(zip(names[1:], others, strict=True)):
        both = ~np.isnan(base_matrix) & ~np.isnan(other)
        runs.append(
            RunComparison(
                name=name,
                means={c: _nanmean(other[:, j]) for j, c in enumerate(names_in_all)},
                deltas={
                    c: _nanmean(np.where(both[:, j], other[:, j] - base_matrix[:, j], np.nan))
                    for j, c in enumerate(names_in_all)
                },
                p_values=dict(zip(names_in_all, raw[i].tolist(), strict=True)),
                p_adjusted=dict(zip(names_in_all, adjusted[i].tolist(), strict=True)),
                n_paired={c: int(both[:, j].sum()) for j, c in enumerate(names_in_all)},
            )
        )
    fields = dict(base.signature.fields)
    fields.pop("boot", None)
    fields.update({"test": TESTS[test], "trials": str(n), "seed": str(seed)})
    fields["correction"] = "holm" if len(runs) > 1 else "none"
    signature = Signature.build(
        f"compare:{test}:{base.signature.computed}",
        fields,
        comparable_with_leaderboard=base.signature.comparable_with_leaderboard,
        not_comparable_because=base.signature.not_comparable_because,
    )
    return Comparison(signature, names[0], base_means, runs, len(base.alignment.ids))
