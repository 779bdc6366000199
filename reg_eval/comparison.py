"""Paired significance of run-versus-run differences, on cached per-case statistics.

Each run is scored once; the tests resample its per-case numbers, never the texts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from reg_eval.errors import UsageError
from reg_eval.paired import (
    DEFAULT_TEST,
    DEFAULT_TRIALS,
    RunCases,
    check_test,
    json_number,
    paired_tests,
)
from reg_eval.scoring import ScoreResult
from reg_eval.signature import Signature
from reg_eval.stats import DEFAULT_SEED


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
                "means": {k: json_number(v) for k, v in self.baseline_means.items()},
            },
            "runs": [
                {
                    "name": run.name,
                    "means": {k: json_number(v) for k, v in run.means.items()},
                    "delta": {k: json_number(v) for k, v in run.deltas.items()},
                    "p_value": {k: json_number(v) for k, v in run.p_values.items()},
                    "p_holm": {k: json_number(v) for k, v in run.p_adjusted.items()},
                    "n_paired": run.n_paired,
                }
                for run in self.runs
            ],
        }


def compare_results(
    names: Sequence[str],
    results: Sequence[ScoreResult],
    *,
    test: str = DEFAULT_TEST,
    n: int = DEFAULT_TRIALS,
    seed: int = DEFAULT_SEED,
) -> Comparison:
    """Test every run against the first; Holm-correct across runs for each metric.

    The test itself is `reg_eval.paired.paired_tests`, the one that `leaderboard` and
    `report` run on saved per-case files, so all three give the same p-values.
    """
    check_test(test, n)
    if len(results) < 2:
        raise UsageError("compare needs at least two runs: the baseline first, then the others")
    runs_cases = [
        RunCases(name, tuple(result.alignment.ids), result.columns)
        for name, result in zip(names, results, strict=True)
    ]
    tested = paired_tests(runs_cases[0], runs_cases[1:], test=test, n=n, seed=seed)
    runs = [
        RunComparison(
            name=run.name,
            means={c: t.mean for c, t in run.metrics.items()},
            deltas={c: t.delta for c, t in run.metrics.items()},
            p_values={c: t.p_value for c, t in run.metrics.items()},
            p_adjusted={c: t.p_holm for c, t in run.metrics.items()},
            n_paired={c: t.n_paired for c, t in run.metrics.items()},
        )
        for run in tested.runs
    ]
    base = results[0]
    fields = dict(base.signature.fields)
    fields.pop("boot", None)
    fields.update(tested.describe())
    signature = Signature.build(
        f"compare:{test}:{base.signature.computed}",
        fields,
        comparable_with_leaderboard=base.signature.comparable_with_leaderboard,
        not_comparable_because=base.signature.not_comparable_because,
    )
    return Comparison(signature, names[0], tested.baseline_means, runs, tested.n_cases)
