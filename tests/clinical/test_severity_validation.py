"""The hand-graded validation pairs: their shape, and the ordering test (graver errors must
score lower on the weighted clinical score)."""

from __future__ import annotations

import json
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy.stats import kendalltau

from reg_eval.clinical.group import ClinicalGroup
from reg_eval.groups import ScoringContext

PAIRS = Path(__file__).resolve().parent / "data" / "severity_pairs.jsonl"


@pytest.fixture(scope="module")
def pairs() -> list[dict[str, Any]]:
    lines = PAIRS.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def test_the_pairs_cover_what_the_rubric_asks(pairs: list[dict[str, Any]]) -> None:
    assert len(pairs) >= 200
    assert len({pair["organ"] for pair in pairs}) >= 15
    assert len({pair["id"] for pair in pairs}) == len(pairs)
    for pair in pairs:
        assert set(pair) == {"id", "organ", "grade", "error", "ref", "hyp"}, pair["id"]
        assert pair["grade"] in range(5) and pair["error"].strip() and pair["ref"].strip()
    counts = np.bincount([pair["grade"] for pair in pairs], minlength=5)
    assert (counts >= 30).all(), counts


def test_graver_errors_score_lower(pairs: list[dict[str, Any]]) -> None:
    result = ClinicalGroup().compute(
        [pair["ref"] for pair in pairs], [pair["hyp"] for pair in pairs], ScoringContext()
    )
    weighted = result.per_case["clinical_weighted"]
    grades = np.array([pair["grade"] for pair in pairs])
    defined = ~np.isnan(weighted)
    means = [weighted[defined & (grades == g)].mean() for g in range(5)]
    assert all(a > b for a, b in pairwise(means)), means
    tau = kendalltau(weighted[defined], 4 - grades[defined]).statistic
    assert tau > 0.3, tau
