"""Bootstrap intervals and paired tests against literal loops, exact enumeration and hand work."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from reg_eval.errors import InvalidInputError
from reg_eval.stats import (
    approximate_randomization_test,
    bootstrap_ci,
    holm,
    paired_bootstrap_test,
)


@pytest.fixture(scope="module")
def scores() -> np.ndarray:
    """300 cases x 3 columns of score-like values."""
    return np.random.default_rng(5).uniform(0, 1, size=(300, 3))


def literal_percentile(sorted_values: list[float], q: float) -> float:
    """Linear interpolation between order statistics (numpy's default percentile method)."""
    position = (len(sorted_values) - 1) * q / 100
    low = math.floor(position)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (position - low)


# ----------------------------------------------------------------------------------- bootstrap


def test_bootstrap_equals_a_literal_resampling_loop(scores: np.ndarray) -> None:
    values = scores[:, 0]
    n = len(values)
    rng = np.random.default_rng(99)
    means = []
    for _ in range(400):
        picks = rng.integers(0, n, size=n)
        total = 0.0
        for i in picks:
            total += values[i]
        means.append(total / n)
    means.sort()
    low, high = bootstrap_ci(values, n_resamples=400, seed=99, confidence=0.9)
    assert float(low) == pytest.approx(literal_percentile(means, 5), abs=1e-12)
    assert float(high) == pytest.approx(literal_percentile(means, 95), abs=1e-12)


def test_bootstrap_interval_contains_the_mean_and_has_column_shapes(scores: np.ndarray) -> None:
    low, high = bootstrap_ci(scores)
    assert low.shape == high.shape == (3,)
    means = scores.mean(axis=0)
    assert np.all(low < means)
    assert np.all(means < high)
    # About 2 standard errors either side.
    half_width = (high - low) / 2
    standard_error = scores.std(axis=0) / np.sqrt(len(scores))
    assert np.all(np.abs(half_width / standard_error - 1.96) < 0.3)
    one_low, one_high = bootstrap_ci(scores[:, 1])
    assert np.ndim(one_low) == np.ndim(one_high) == 0


def test_bootstrap_is_deterministic_for_a_seed(scores: np.ndarray) -> None:
    first = bootstrap_ci(scores, seed=7)
    again = bootstrap_ci(scores, seed=7)
    other = bootstrap_ci(scores, seed=8)
    assert first[0].tobytes() == again[0].tobytes()
    assert first[1].tobytes() == again[1].tobytes()
    assert first[0].tobytes() != other[0].tobytes()


def test_all_columns_share_the_same_resamples(scores: np.ndarray) -> None:
    values = np.column_stack([scores[:, 0], -scores[:, 0], scores[:, 1]])
    low, high = bootstrap_ci(values, n_resamples=500)
    # The mean of -x in a resample is exactly minus the mean of x in the same resample.
    assert low[1] == pytest.approx(-high[0], abs=1e-12)
    assert high[1] == pytest.approx(-low[0], abs=1e-12)
    # A column's interval does not depend on which other columns came with it.
    alone = bootstrap_ci(scores[:, 1], n_resamples=500)
    assert float(alone[0]) == low[2]
    assert float(alone[1]) == high[2]


def test_bootstrap_with_one_case_or_equal_values() -> None:
    assert bootstrap_ci(np.array([0.25])) == (0.25, 0.25)
    low, high = bootstrap_ci(np.full((40, 2), 0.1))
    assert low.tolist() == [0.1, 0.1]
    assert high.tolist() == [0.1, 0.1]


def test_bootstrap_rejects_bad_input() -> None:
    with pytest.raises(InvalidInputError, match="no cases"):
        bootstrap_ci(np.array([]))
    with pytest.raises(InvalidInputError, match="finite"):
        bootstrap_ci(np.array([0.1, np.nan]))
    with pytest.raises(InvalidInputError, match="confidence"):
        bootstrap_ci(np.array([0.1]), confidence=95)
    with pytest.raises(InvalidInputError, match="shape"):
        bootstrap_ci(np.zeros((2, 2, 2)))


# ------------------------------------------------------------------------------- paired tests

TESTS = [
    pytest.param(lambda a, b, seed: approximate_randomization_test(a, b, seed=seed), id="ar"),
    pytest.param(lambda a, b, seed: paired_bootstrap_test(a, b, seed=seed), id="bootstrap"),
]


@pytest.mark.parametrize("test", TESTS)
def test_identical_systems_give_p_one(test, scores: np.ndarray) -> None:
    assert test(scores, scores.copy(), 1).tolist() == [1.0, 1.0, 1.0]


@pytest.mark.parametrize("test", TESTS)
def test_a_clear_shift_is_significant(test, scores: np.ndarray) -> None:
    better = scores + 0.1 + np.random.default_rng(2).normal(0, 0.05, size=scores.shape)
    p_values = test(scores, better, 1)
    assert np.all(p_values < 0.01)
    assert np.all(p_values > 0)  # the observed arrangement always counts once


@pytest.mark.parametrize("test", TESTS)
def test_a_symmetric_null_is_not_significant(test, scores: np.ndarray) -> None:
    # Differences +d and -d in equal measure: the observed mean difference is exactly 0.
    d = np.random.default_rng(4).uniform(0, 0.2, size=(150, 3))
    a = scores
    b = scores + np.concatenate([d, -d])
    assert test(a, b, 1).tolist() == [1.0, 1.0, 1.0]


@pytest.mark.parametrize("test", TESTS)
def test_columns_are_tested_with_the_same_draws(test, scores: np.ndarray) -> None:
    b = scores + np.random.default_rng(3).normal(0.02, 0.1, size=scores.shape)
    together = test(scores, b, 6)
    for j in range(3):
        assert test(scores[:, j], b[:, j], 6) == together[j]


@pytest.mark.parametrize("test", TESTS)
def test_paired_tests_are_deterministic_and_reject_unpaired_input(test, scores) -> None:
    b = scores + np.random.default_rng(3).normal(0.01, 0.1, size=scores.shape)
    assert test(scores, b, 9).tobytes() == test(scores, b, 9).tobytes()
    with pytest.raises(InvalidInputError, match="pair up"):
        test(scores, b[:-1], 9)
    with pytest.raises(InvalidInputError, match="pair up"):
        test(scores[:, 0], b[:, :1], 9)


def test_ar_equals_a_literal_swapping_loop(scores: np.ndarray) -> None:
    a, b = scores[:60, 0], scores[:60, 0] + np.random.default_rng(8).normal(0.03, 0.1, 60)
    rng = np.random.default_rng(21)
    observed = abs(sum(b) / 60 - sum(a) / 60)
    hits = 0
    for _ in range(2000):
        swapped = rng.random(60) < 0.5
        new_a = [b[i] if swapped[i] else a[i] for i in range(60)]
        new_b = [a[i] if swapped[i] else b[i] for i in range(60)]
        if abs(sum(new_b) / 60 - sum(new_a) / 60) >= observed:
            hits += 1
    assert approximate_randomization_test(a, b, n_trials=2000, seed=21) == (hits + 1) / 2001


def test_ar_agrees_with_an_exact_permutation_test() -> None:
    a = np.array([0.61, 0.40, 0.55, 0.72, 0.30, 0.48, 0.66, 0.52, 0.44, 0.58, 0.35, 0.70])
    b = np.array([0.70, 0.38, 0.63, 0.80, 0.41, 0.47, 0.75, 0.60, 0.43, 0.69, 0.33, 0.79])
    d = b - a
    observed = abs(d.sum())
    patterns = list(itertools.product([1.0, -1.0], repeat=len(d)))
    extreme = sum(abs(np.dot(signs, d)) >= observed - 1e-12 for signs in patterns)
    exact = extreme / len(patterns)
    assert 0.001 < exact < 0.2  # a case where the test has something to decide
    trials = 20000
    p = float(approximate_randomization_test(a, b, n_trials=trials, seed=4))
    monte_carlo_error = math.sqrt(exact * (1 - exact) / trials)
    assert abs(p - exact) < 4 * monte_carlo_error + 1 / trials


def test_paired_bootstrap_equals_a_literal_shifted_loop(scores: np.ndarray) -> None:
    a, b = scores[:80, 2], scores[:80, 2] + np.random.default_rng(12).normal(0.02, 0.1, 80)
    d = [b[i] - a[i] for i in range(80)]
    observed = sum(d) / 80
    rng = np.random.default_rng(17)
    hits = 0
    for _ in range(3000):
        picks = rng.integers(0, 80, size=80)
        resampled = sum(d[i] for i in picks) / 80
        if abs(resampled - observed) >= abs(observed):
            hits += 1
    assert paired_bootstrap_test(a, b, n_resamples=3000, seed=17) == (hits + 1) / 3001


def test_bootstrap_and_ar_agree_roughly(scores: np.ndarray) -> None:
    b = scores + np.random.default_rng(13).normal(0.02, 0.15, size=scores.shape)
    ar = approximate_randomization_test(scores, b, n_trials=4000, seed=1)
    bs = paired_bootstrap_test(scores, b, n_resamples=4000, seed=1)
    assert np.all(np.abs(ar - bs) < 0.05)


def test_draw_counts_must_be_positive(scores: np.ndarray) -> None:
    with pytest.raises(InvalidInputError, match="n_trials"):
        approximate_randomization_test(scores, scores, n_trials=0)
    with pytest.raises(InvalidInputError, match="n_resamples"):
        paired_bootstrap_test(scores, scores, n_resamples=0)


# ------------------------------------------------------------------------------------- Holm


def test_holm_hand_worked_example() -> None:
    # Sorted: 0.005*4 = 0.02, 0.01*3 = 0.03, 0.03*2 = 0.06, 0.04*1 = 0.04 -> raised to 0.06.
    assert holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])


def test_holm_caps_at_one_and_keeps_order() -> None:
    assert holm([0.5, 0.6]).tolist() == [1.0, 1.0]
    assert holm([0.02]).tolist() == [0.02]
    assert holm([]).tolist() == []
    raw = np.random.default_rng(0).uniform(0, 0.3, 12)
    adjusted = holm(raw)
    assert np.all(adjusted >= raw)
    assert np.all(np.diff(adjusted[np.argsort(raw)]) >= 0)
    assert np.all(adjusted <= 1)
