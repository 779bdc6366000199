"""Paired significance of run-versus-run differences, on cached per-case statistics.

Each run is scored once; the tests resample its per-case numbers, never the texts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
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
            "baseline": {"name": self.baseline, "means": self.baseline_means},
            "runs": [
                {
                    "name": run.name,
                    "means": run.means,
                    "delta": run.deltas,
                    "p_value": run.p_values,
                    "p_holm": run.p_adjusted,
                }
                for run in self.runs
            ],
        }


def _matrix(result: ScoreResult, names: Sequence[str]) -> np.ndarray:
    columns = result.columns
    return np.column_stack([columns[name] for name in names])


def compare_results(
    names: Sequence[str],
    results: Sequence[ScoreResult],
    *,
    test: str = "ar",
    n: int = 10_000,
    seed: int = 12345,
) -> Comparison:
    """Test every run against the first; Holm-correct across runs for each metric."""
    from reg_eval.stats import approximate_randomization_test, holm, paired_bootstrap_test

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
    raw: list[np.ndarray] = []
    for result in results[1:]:
        other = _matrix(result, names_in_all)
        if test == "ar":
            raw.append(approximate_randomization_test(base_matrix, other, n_trials=n, seed=seed))
        else:
            raw.append(paired_bootstrap_test(base_matrix, other, n_resamples=n, seed=seed))
    raw_matrix = np.vstack(raw)  # runs x metrics
    adjusted = np.column_stack([holm(raw_matrix[:, j]) for j in range(raw_matrix.shape[1])])
    base_means = dict(zip(names_in_all, base_matrix.mean(0).tolist(), strict=True))
    runs = []
    for i, (name, result) in enumerate(zip(names[1:], results[1:], strict=True)):
        means = dict(zip(names_in_all, _matrix(result, names_in_all).mean(0).tolist(), strict=True))
        runs.append(
            RunComparison(
                name=name,
                means=means,
                deltas={k: means[k] - base_means[k] for k in names_in_all},
                p_values=dict(zip(names_in_all, raw_matrix[i].tolist(), strict=True)),
                p_adjusted=dict(zip(names_in_all, adjusted[i].tolist(), strict=True)),
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
