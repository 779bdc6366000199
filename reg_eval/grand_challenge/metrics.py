"""metrics.json, the document grand-challenge reads: per-case values and aggregates, numbers
only, all finite (the platform's leaderboard columns point into it)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from reg_eval.scoring import ScoreResult


def _number(value: Any, where: str) -> float | int:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"metrics.json would hold a non-finite number at {where}")
    return number


def metrics_document(result: ScoreResult) -> dict[str, Any]:
    """`{"case": {id: {column: value}}, "aggregates": {...}}`, numbers only, all finite.

    A value that is undefined for a case (NaN, e.g. `grade_correct` where the reference
    states no grade) is left out of that case; `aggregates.n_defined` counts, per such
    column, the cases its mean is taken over.
    """
    columns = result.columns
    case = {
        case_id: {
            name: _number(values[i], f"case.{case_id}.{name}")
            for name, values in columns.items()
            if not math.isnan(values[i])
        }
        for i, case_id in enumerate(result.alignment.ids)
    }
    means = result.means
    aggregates: dict[str, Any] = {
        name: _number(value, f"aggregates.{name}")
        for name, value in means.items()
        if not math.isnan(value)
    }
    defined = result.defined
    partial = {name: n for name, n in defined.items() if n < result.n_cases}
    if partial:
        aggregates["n_defined"] = partial
    aggregates["n_cases"] = result.n_cases
    aggregates["n_missing"] = len(result.alignment.missing_ids)
    aggregates["n_extra"] = len(result.alignment.extra_ids)
    aggregates["comparable_with_leaderboard"] = int(result.signature.comparable_with_leaderboard)
    aggregates["confidence"] = _number(result.confidence, "aggregates.confidence")
    aggregates["ci"] = {
        name: {
            "lower": _number(low, f"aggregates.ci.{name}.lower"),
            "upper": _number(high, f"aggregates.ci.{name}.upper"),
        }
        for name, (low, high) in result.ci.items()
        if not (math.isnan(low) or math.isnan(high))
    }
    aggregates["by_organ"] = {
        organ: {
            key: _number(value, f"aggregates.by_organ.{organ}.{key}")
            for key, value in table.items()
            if key not in ("ci", "n_defined") and value is not None
        }
        for organ, table in result.by_organ.items()
    }
    corpus = {
        group: {
            key: _number(value, f"aggregates.corpus.{group}.{key}")
            for key, value in g.corpus.items()
            if not math.isnan(value)
        }
        for group, g in result.groups.items()
        if g.corpus
    }
    if corpus:
        aggregates["corpus"] = corpus
    return {"case": case, "aggregates": aggregates}
