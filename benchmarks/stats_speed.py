"""Speed of reg_eval.stats on a compare-sized workload, against literal per-draw Python loops.

Workload: 1,000 cases x 5 columns (four components and ranking), two systems. Times the
bootstrap interval (1,000 resamples), approximate randomisation (10,000 trials) and the paired
bootstrap test (10,000 resamples). The literal references draw one resample or one trial at a
time in Python; they run fewer draws (--literal-draws) and their time is scaled linearly to the
full count, which the output says.

    .venv/bin/python benchmarks/stats_speed.py [--cases 1000] [--columns 5] [--literal-draws 200]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np

from reg_eval.stats import approximate_randomization_test, bootstrap_ci, paired_bootstrap_test

GOAL_SECONDS = 1.0


def literal_bootstrap(values: np.ndarray, n_resamples: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    n, k = values.shape
    rows = values.tolist()
    means = []
    for _ in range(n_resamples):
        picks = rng.integers(0, n, size=n)
        totals = [0.0] * k
        for i in picks:
            for j in range(k):
                totals[j] += rows[i][j]
        means.append([total / n for total in totals])
    np.percentile(np.array(means), [2.5, 97.5], axis=0)


def literal_ar(a: np.ndarray, b: np.ndarray, n_trials: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    n, k = a.shape
    diffs = (b - a).tolist()
    observed = [abs(sum(row[j] for row in diffs)) for j in range(k)]
    hits = [0] * k
    for _ in range(n_trials):
        swapped = rng.random(n) < 0.5
        for j in range(k):
            total = 0.0
            for i in range(n):
                total += -diffs[i][j] if swapped[i] else diffs[i][j]
            hits[j] += abs(total) >= observed[j]


def literal_paired_bootstrap(a: np.ndarray, b: np.ndarray, n_resamples: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    n, k = a.shape
    diffs = (b - a).tolist()
    observed = [sum(row[j] for row in diffs) / n for j in range(k)]
    hits = [0] * k
    for _ in range(n_resamples):
        picks = rng.integers(0, n, size=n)
        for j in range(k):
            mean = sum(diffs[i][j] for i in picks) / n
            hits[j] += abs(mean - observed[j]) >= abs(observed[j])


def best_of(repeats: int, run: Callable[[], object]) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--columns", type=int, default=5)
    parser.add_argument("--literal-draws", type=int, default=200)
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    a = rng.uniform(0, 1, size=(args.cases, args.columns))
    b = np.clip(a + rng.normal(0.01, 0.1, size=a.shape), -1, 3)
    workloads = [
        (
            "bootstrap CI",
            1000,
            lambda: bootstrap_ci(a, n_resamples=1000),
            lambda draws: literal_bootstrap(a, draws, 1),
        ),
        (
            "approximate randomisation",
            10000,
            lambda: approximate_randomization_test(a, b, n_trials=10000),
            lambda draws: literal_ar(a, b, draws, 1),
        ),
        (
            "paired bootstrap test",
            10000,
            lambda: paired_bootstrap_test(a, b, n_resamples=10000),
            lambda draws: literal_paired_bootstrap(a, b, draws, 1),
        ),
    ]
    print(f"workload: {args.cases} cases x {args.columns} columns")
    print(
        f"literal loops run {args.literal_draws} draws; their time is scaled linearly to the "
        "full draw count"
    )
    print(f"{'test':<28}{'draws':>7}{'reg-eval s':>12}{'literal s':>12}{'ratio':>9}  goal")
    for name, draws, fast, literal in workloads:
        fast_seconds = best_of(3, fast)
        literal_draws = min(args.literal_draws, draws)
        start = time.perf_counter()
        literal(literal_draws)
        literal_seconds = (time.perf_counter() - start) * draws / literal_draws
        verdict = "ok" if fast_seconds < GOAL_SECONDS else "MISSED"
        print(
            f"{name:<28}{draws:>7}{fast_seconds:>12.3f}{literal_seconds:>12.1f}"
            f"{literal_seconds / fast_seconds:>8.0f}x  < {GOAL_SECONDS:.0f} s: {verdict}"
        )


if __name__ == "__main__":
    main()
