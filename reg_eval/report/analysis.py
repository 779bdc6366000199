"""What a report shows, computed once in Python: per-case rows with diffs, facts and deltas,
and the head-to-head numbers of two runs. The HTML layer only lays these out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from reg_eval.io.results import (
    LIST_COLUMNS,
    SCORE_COLUMNS,
    SavedCases,
    SavedResult,
)
from reg_eval.paired import DEFAULT_TEST, DEFAULT_TRIALS, RunCases, paired_tests
from reg_eval.report.diff import word_diff
from reg_eval.stats import DEFAULT_SEED

_NOT_NUMERIC = {"id", "organ", "signature"}


@dataclass(frozen=True)
class ReportRun:
    """One run as the report sees it: its saved result, its per-case rows and its texts."""

    name: str
    result: SavedResult
    cases: SavedCases
    hypotheses: Mapping[str, str] | None = None
    """Generated report per case id; None when the submission file was not given."""


@dataclass(frozen=True)
class HeadToHead:
    """Run B against run A on the same cases; deltas are B − A."""

    names: tuple[str, str]
    n_cases: int
    means: dict[str, tuple[float, float]]
    """Per metric, the means of A and of B over the cases where each is defined."""
    deltas: dict[str, float]
    """Per metric, mean(B − A) over the cases defined in both (NaN: none)."""
    p_values: dict[str, float]
    """Per metric, the paired test over the cases defined in both (NaN: none)."""
    n_paired: dict[str, int]
    """Per metric, the cases defined in both runs: the ones its test uses."""
    test_name: str
    n_trials: int
    seed: int
    wins: tuple[int, int, int]
    """Cases where A is better, where B is better, and ties, on the per-case ranking."""
    by_organ: list[dict[str, Any]]
    largest: tuple[list[dict[str, Any]], list[dict[str, Any]]]
    """The cases A wins by most, and those B wins by most."""
    delta_by_id: dict[str, float] = field(default_factory=dict)


def numeric_columns(cases: SavedCases) -> list[str]:
    """Score columns first, then any further numeric per-case columns (e.g. clinical F1)."""
    extra: list[str] = []
    for row in cases.rows:
        for key, value in row.items():
            if (
                key not in SCORE_COLUMNS
                and key not in _NOT_NUMERIC
                and key not in extra
                and isinstance(value, int | float)
                and not isinstance(value, bool)
            ):
                extra.append(key)
    return [*SCORE_COLUMNS, *extra]


def fact_columns(cases: SavedCases) -> list[str]:
    """Per-case fact lists beyond the KEY keywords, e.g. `clinical_missed`."""
    found: list[str] = []
    for row in cases.rows:
        for key in row:
            if cases.is_detail(key) and key not in LIST_COLUMNS and key not in found:
                found.append(key)
    return found


def fact_text(item: object) -> str:
    """A missed or invented fact as a short phrase, whatever shape the metric gave it."""
    if isinstance(item, str):
        return item
    if isinstance(item, Mapping):
        for key in ("text", "fact", "label", "name", "entity"):
            if isinstance(item.get(key), str):
                extras = [f"{k}: {v}" for k, v in item.items() if k != key and v not in (None, "")]
                return item[key] + (f" ({', '.join(map(str, extras))})" if extras else "")
        return ", ".join(f"{k}: {v}" for k, v in item.items())
    if isinstance(item, list | tuple):
        return " ".join(map(str, item))
    return str(item)


def _as_list(value: object) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, list | tuple):
        return [fact_text(item) for item in value]
    return [fact_text(value)]


def _round(value: float) -> float:
    return round(float(value), 6)


def case_payload(
    run: ReportRun,
    references: Mapping[str, str] | None,
    *,
    numeric: list[str],
    facts: list[str],
    against: ReportRun | None = None,
) -> list[dict[str, Any]]:
    """Compact per-case records for the page: short keys keep a 1,000-case page small."""
    records = []
    for row in run.cases.rows:
        case_id = str(row["id"])
        reference = references.get(case_id) if references is not None else None
        hypothesis = run.hypotheses.get(case_id) if run.hypotheses is not None else None
        record: dict[str, Any] = {
            "id": case_id,
            "organ": str(row.get("organ", "")),
            "v": [_round(row[c]) if isinstance(row.get(c), int | float) else None
                  for c in numeric],
            "d": _diff(reference, hypothesis),
            "mk": _as_list(row.get("missed_keywords")),
            "xk": _as_list(row.get("extra_keywords")),
            "f": [[_fact_label(name), _as_list(row.get(name))] for name in facts],
        }
        if against is not None:
            other = against.cases.by_id[case_id]
            other_hyp = against.hypotheses.get(case_id) if against.hypotheses else None
            record["o"] = _round(other["ranking"])
            record["w"] = _round(float(other["ranking"]) - float(row["ranking"]))
            record["od"] = _diff(reference, other_hyp)
        records.append(record)
    return records


def _fact_label(column: str) -> str:
    group, _, kind = column.rpartition("_")
    return f"{group} {kind}".strip() if group else kind


def _diff(reference: str | None, hypothesis: str | None) -> list[list[str]] | None:
    if reference is None or hypothesis is None:
        return None
    return [[op, text] for op, text in word_diff(reference, hypothesis)]


def head_to_head(
    a: ReportRun,
    b: ReportRun,
    *,
    test: str = DEFAULT_TEST,
    n_trials: int = DEFAULT_TRIALS,
    seed: int = DEFAULT_SEED,
    top: int = 10,
) -> HeadToHead:
    """The paired test of every metric (as `compare` runs it), wins per case and per-organ
    deltas of the ranking."""
    tests = paired_tests(
        RunCases.from_rows(a.name, a.cases.rows),
        [RunCases.from_rows(b.name, b.cases.rows)],
        test=test,
        n=n_trials,
        seed=seed,
    )
    (tested,) = tests.runs
    ids = a.cases.ids
    left = np.array([float(a.cases.by_id[i]["ranking"]) for i in ids])
    right = np.array([float(b.cases.by_id[i]["ranking"]) for i in ids])
    delta = right - left
    wins = (int((delta < 0).sum()), int((delta > 0).sum()), int((delta == 0).sum()))
    organs = [str(a.cases.by_id[i].get("organ", "")) for i in ids]
    by_organ = []
    for organ in sorted(set(organs)):
        mask = np.array([o == organ for o in organs])
        by_organ.append({
            "organ": organ,
            "n": int(mask.sum()),
            "a": float(left[mask].mean()),
            "b": float(right[mask].mean()),
            "delta": float(delta[mask].mean()),
        })
    order = np.argsort(delta, kind="stable")

    def pick(indices: np.ndarray) -> list[dict[str, Any]]:
        return [
            {"id": ids[k], "organ": organs[k], "a": float(left[k]), "b": float(right[k]),
             "delta": float(delta[k])}
            for k in indices
        ]

    a_best = [k for k in order[:top] if delta[k] < 0]
    b_best = [k for k in order[::-1][:top] if delta[k] > 0]
    return HeadToHead(
        names=(a.name, b.name),
        n_cases=tests.n_cases,
        means={m: (tests.baseline_means[m], t.mean) for m, t in tested.metrics.items()},
        deltas={m: t.delta for m, t in tested.metrics.items()},
        p_values={m: t.p_value for m, t in tested.metrics.items()},
        n_paired={m: t.n_paired for m, t in tested.metrics.items()},
        test_name=tests.test_name,
        n_trials=n_trials,
        seed=seed,
        wins=wins,
        by_organ=by_organ,
        largest=(pick(np.array(a_best, dtype=int)), pick(np.array(b_best, dtype=int))),
        delta_by_id={i: float(d) for i, d in zip(ids, delta, strict=True)},
    )
