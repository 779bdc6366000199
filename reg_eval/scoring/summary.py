"""Means and bootstrap CIs overall and per organ, from per-case columns of either edition."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from reg_eval.scoring.result import json_number


def summarise(
    columns: dict[str, np.ndarray],
    organs: Sequence[str],
    *,
    n_resamples: int,
    seed: int,
    confidence: float = 0.95,
) -> tuple[dict[str, tuple[float, float]], dict[str, dict[str, Any]]]:
    """Bootstrap CIs overall and per organ, all from the same per-case statistics.

    Undefined (NaN) values are left out of each column's mean and interval; `n_defined`
    in each organ row counts, per column, the cases that are defined.
    """
    from reg_eval.stats import bootstrap_ci_defined, defined_mean

    names = list(columns)
    matrix = np.column_stack([columns[name] for name in names])
    kw = {"n_resamples": n_resamples, "seed": seed, "confidence": confidence}
    lo, hi = bootstrap_ci_defined(matrix, **kw)
    ci = {name: (float(lo[j]), float(hi[j])) for j, name in enumerate(names)}
    by_organ: dict[str, dict[str, Any]] = {}
    organ_array = np.asarray(organs)
    for organ in sorted(set(organs)):
        rows = matrix[organ_array == organ]
        olo, ohi = bootstrap_ci_defined(rows, **kw)
        defined = (~np.isnan(rows)).sum(axis=0)
        by_organ[organ] = {
            "n_cases": int(rows.shape[0]),
            **{name: json_number(defined_mean(rows[:, j])) for j, name in enumerate(names)},
            "ci": {
                name: [json_number(float(olo[j])), json_number(float(ohi[j]))]
                for j, name in enumerate(names)
            },
            "n_defined": {
                name: int(defined[j])
                for j, name in enumerate(names)
                if defined[j] < rows.shape[0]
            },
        }
    return ci, by_organ
