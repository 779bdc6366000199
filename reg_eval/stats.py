"""Confidence intervals and paired significance tests over per-case statistics.

Everything works on arrays of per-case values (one row per case, one column per metric), so a
submission is never re-scored: a bootstrap resample or a randomisation trial only re-weights
cases. All columns share the same resamples or swaps, so results across metrics come from one
experiment. Every function is deterministic for a given seed (`numpy.random.default_rng`) and
independent of how many columns are passed. `docs/statistics.md` explains the methods.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from reg_eval.errors import InvalidInputError

DEFAULT_SEED = 12345

_CHUNK_CELLS = 2_000_000
"""Resamples or trials are drawn in blocks of about this many (case x draw) cells, so memory
stays in the tens of megabytes whatever the number of draws. The block size depends only on the
number of cases, never on the number of columns, so the random stream is the same for any k."""


def _as_cases(values: np.ndarray | Sequence[float], what: str) -> tuple[np.ndarray, bool]:
    """Per-case values as a float64 (n, k) array, and whether the input was one column."""
    array = np.asarray(values, dtype=np.float64)
    if array.ndim not in (1, 2):
        raise InvalidInputError(
            f"{what}: expected per-case values of shape (n,) or (n, k), got shape {array.shape}",
            hint="pass one row per case and one column per metric",
        )
    if array.shape[0] == 0:
        raise InvalidInputError(
            f"{what}: there are no cases", hint="statistics need at least one scored case"
        )
    if not np.isfinite(array).all():
        raise InvalidInputError(
            f"{what}: per-case values must be finite numbers (found NaN or infinity)",
            hint="check the per-case scores that were passed in",
        )
    one_column = array.ndim == 1
    return (array[:, None] if one_column else array), one_column


def _as_pair(
    a: np.ndarray | Sequence[float], b: np.ndarray | Sequence[float], what: str
) -> tuple[np.ndarray, bool]:
    """The per-case differences b - a as an (n, k) array, checking the two systems pair up."""
    a2, one_column = _as_cases(a, f"{what} (system A)")
    b2, _ = _as_cases(b, f"{what} (system B)")
    if a2.shape != b2.shape or np.ndim(a) != np.ndim(b):
        raise InvalidInputError(
            f"{what}: the two systems' per-case values do not pair up "
            f"(shapes {np.shape(a)} and {np.shape(b)})",
            hint="score both submissions on the same cases, in the same order",
        )
    return b2 - a2, one_column


def _block_sizes(total: int, n_cases: int) -> list[int]:
    block = max(1, _CHUNK_CELLS // max(n_cases, 1))
    return [min(block, total - start) for start in range(0, total, block)]


def _result(values: np.ndarray, one_column: bool) -> np.ndarray:
    return values[0] if one_column else values


def _check_count(count: int, name: str) -> None:
    if count < 1:
        raise InvalidInputError(f"{name} must be at least 1, got {count}")


def _resampled_means(values: np.ndarray, n_resamples: int, seed: int) -> np.ndarray:
    """(n_resamples, k) means of bootstrap resamples of the rows of `values`.

    Each mean is numpy's pairwise sum over a gathered copy, so it does not depend on the BLAS
    build or thread count: the same seed gives byte-identical intervals on any machine.
    """
    n, k = values.shape
    rng = np.random.default_rng(seed)
    columns = np.ascontiguousarray(values.T)
    means = np.empty((n_resamples, k), dtype=np.float64)
    start = 0
    for size in _block_sizes(n_resamples, n):
        picks = rng.integers(0, n, size=(size, n))
        for j in range(k):
            means[start : start + size, j] = columns[j][picks].mean(axis=1)
        start += size
    return means


def bootstrap_means(
    values: np.ndarray | Sequence[float], *, n_resamples: int = 1000, seed: int = DEFAULT_SEED
) -> np.ndarray:
    """The (n_resamples,) means of bootstrap resamples of one column of per-case values: the
    draws behind `bootstrap_ci`, for statistics that combine several resampled means."""
    _check_count(n_resamples, "n_resamples")
    cases, _ = _as_cases(values, "bootstrap_means")
    return _resampled_means(cases[:, :1], n_resamples, seed)[:, 0]


def bootstrap_ci(
    values: np.ndarray | Sequence[float],
    *,
    n_resamples: int = 1000,
    seed: int = DEFAULT_SEED,
    confidence: float = 0.95,
) -> tuple[np.ndarray, np.ndarray]:
    """Percentile bootstrap interval of the mean over cases: (low, high).

    For values of shape (n,) both bounds are 0-d arrays; for (n, k) they have shape (k,) and
    every column is resampled with the same case indices.
    """
    _check_count(n_resamples, "n_resamples")
    if not 0.0 < confidence < 1.0:
        raise InvalidInputError(f"confidence must lie strictly between 0 and 1, got {confidence}")
    cases, one_column = _as_cases(values, "bootstrap_ci")
    means = _resampled_means(cases, n_resamples, seed)
    tail = (1.0 - confidence) / 2.0 * 100.0
    low, high = np.percentile(means, [tail, 100.0 - tail], axis=0)
    return _result(low, one_column), _result(high, one_column)


def defined_mean(values: np.ndarray) -> float:
    """Mean over the non-NaN values; NaN when there is none (never a silent 0 or 1)."""
    kept = np.asarray(values, dtype=np.float64)
    kept = kept[~np.isnan(kept)]
    return float(kept.mean()) if kept.size else float("nan")


def bootstrap_ci_defined(
    matrix: np.ndarray, *, n_resamples: int, seed: int, confidence: float
) -> tuple[np.ndarray, np.ndarray]:
    """`bootstrap_ci` per column of an (n, k) matrix that may hold NaN (undefined values).

    Columns defined on every case share one set of resamples; a column with undefined cases
    is resampled over its defined cases only, and has no interval (NaN) when it is defined
    nowhere.
    """
    lo = np.full(matrix.shape[1], np.nan)
    hi = np.full(matrix.shape[1], np.nan)
    complete = ~np.isnan(matrix).any(axis=0)
    if complete.any():
        clo, chi = bootstrap_ci(
            matrix[:, complete], n_resamples=n_resamples, seed=seed, confidence=confidence
        )
        lo[complete], hi[complete] = clo, chi
    for j in np.flatnonzero(~complete):
        column = matrix[:, j]
        kept = column[~np.isnan(column)]
        if kept.size:
            clo, chi = bootstrap_ci(
                kept, n_resamples=n_resamples, seed=seed, confidence=confidence
            )
            lo[j], hi[j] = float(clo), float(chi)
    return lo, hi


def _sum_tolerance(diffs: np.ndarray) -> np.ndarray:
    """Per column, how far two sums of the same terms, added in other orders, may drift apart.

    A resample or trial whose statistic ties the observed one must count as "at least as
    extreme"; without this margin a rounding difference could decide a tie. The margin is far
    below any difference between systems that matters (about 1e-14 of the summed |b - a|).
    """
    return 64.0 * np.finfo(np.float64).eps * np.abs(diffs).sum(axis=0)


def paired_bootstrap_test(
    a: np.ndarray | Sequence[float],
    b: np.ndarray | Sequence[float],
    *,
    n_resamples: int = 10000,
    seed: int = DEFAULT_SEED,
) -> np.ndarray:
    """Two-sided p-values for mean(b - a) = 0 by the shifted (centred) paired bootstrap.

    Cases are resampled with replacement (the same indices for both systems and every
    column). Subtracting the observed mean difference from each resampled one shifts the
    bootstrap distribution to the null hypothesis; p is the share of shifted resamples at
    least as far from 0 as the observed difference, counted as (hits + 1) / (n_resamples + 1).
    """
    _check_count(n_resamples, "n_resamples")
    diffs, one_column = _as_pair(a, b, "paired_bootstrap_test")
    observed = diffs.mean(axis=0)
    means = _resampled_means(diffs, n_resamples, seed)
    extreme = np.abs(means - observed) >= np.abs(observed) - _sum_tolerance(diffs) / diffs.shape[0]
    p_values = (extreme.sum(axis=0) + 1.0) / (n_resamples + 1.0)
    return _result(p_values, one_column)


def approximate_randomization_test(
    a: np.ndarray | Sequence[float],
    b: np.ndarray | Sequence[float],
    *,
    n_trials: int = 10000,
    seed: int = DEFAULT_SEED,
) -> np.ndarray:
    """Two-sided p-values for "A and B are exchangeable" by paired approximate randomisation.

    In each trial every case's pair of values is swapped with probability 1/2 (the same swaps
    for every column), which flips the sign of that case's difference. p is the share of
    trials whose |mean difference| is at least the observed one, counted as
    (hits + 1) / (n_trials + 1) so the observed arrangement counts as one trial.
    """
    _check_count(n_trials, "n_trials")
    diffs, one_column = _as_pair(a, b, "approximate_randomization_test")
    n, k = diffs.shape
    observed = np.abs(diffs.sum(axis=0))
    threshold = observed - _sum_tolerance(diffs)
    rng = np.random.default_rng(seed)
    hits = np.zeros(k, dtype=np.int64)
    for size in _block_sizes(n_trials, n):
        swapped = rng.random((size, n)) < 0.5
        signs = np.where(swapped, -1.0, 1.0)
        hits += (np.abs(signs @ diffs) >= threshold).sum(axis=0)
    p_values = (hits + 1.0) / (n_trials + 1.0)
    return _result(p_values, one_column)


def holm(p_values: Sequence[float] | np.ndarray) -> np.ndarray:
    """Holm-Bonferroni adjusted p-values, in the input order.

    The i-th smallest of m p-values is multiplied by (m - i + 1); a running maximum keeps the
    adjusted values in the same order as the raw ones, and they are capped at 1.
    """
    raw = np.asarray(p_values, dtype=np.float64).ravel()
    m = raw.size
    if m == 0:
        return raw.copy()
    order = np.argsort(raw, kind="stable")
    scaled = raw[order] * (m - np.arange(m))
    adjusted_sorted = np.minimum(np.maximum.accumulate(scaled), 1.0)
    adjusted = np.empty(m, dtype=np.float64)
    adjusted[order] = adjusted_sorted
    return adjusted
