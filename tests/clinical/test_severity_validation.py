"""The hand-graded validation sets: their shape, and the ordering test (graver errors must
score lower on the headline clinical score) on both.

`severity_pairs.jsonl` holds short REG-style pairs written one by one; the harder
`severity_pairs_hard.jsonl` holds model-style generated reports (sections, generic
morphology, hedges) against narrative and REG-style references, composed by
`scripts/make_hard_severity_pairs.py`, each graded by the rubric from the error introduced.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy.stats import kendalltau

from reg_eval.clinical.group import HEADLINE, ClinicalGroup
from reg_eval.clinical.sections import sections_of
from reg_eval.groups import ScoringContext

DATA = Path(__file__).resolve().parent / "data"
FIRST = DATA / "severity_pairs.jsonl"
HARD = DATA / "severity_pairs_hard.jsonl"
GENERATOR = Path(__file__).resolve().parents[2] / "scripts" / "make_hard_severity_pairs.py"


def _read(path: Path) -> list[dict[str, Any]]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


@pytest.fixture(scope="module", params=[FIRST, HARD], ids=["first", "hard"])
def pairs(request: pytest.FixtureRequest) -> list[dict[str, Any]]:
    return _read(request.param)


def test_the_pairs_cover_what_the_rubric_asks(pairs: list[dict[str, Any]]) -> None:
    assert len(pairs) >= 200
    assert len({pair["organ"] for pair in pairs}) >= 15
    assert len({pair["id"] for pair in pairs}) == len(pairs)
    for pair in pairs:
        assert {"id", "organ", "grade", "error", "ref", "hyp"} <= set(pair), pair["id"]
        assert pair["grade"] in range(5) and pair["error"].strip() and pair["ref"].strip()
    counts = np.bincount([pair["grade"] for pair in pairs], minlength=5)
    assert (counts >= 25).all(), counts


def test_the_hard_set_reads_like_model_output_and_is_mostly_bad() -> None:
    pairs = _read(HARD)
    assert len(pairs) >= 300
    grades = np.array([pair["grade"] for pair in pairs])
    assert (grades >= 3).mean() > 0.5  # most generated reports are of the bad grades
    assert {pair["ref_style"] for pair in pairs} == {"line", "narrative"}
    assert {"final-contradicts-body", "body-contradicts", "wrong-organ", "wrong-tumour",
            "hedged", "generic-only"} <= {pair["error_type"] for pair in pairs}
    for pair in pairs:
        text = pair["hyp"].lower()
        assert "diagnosis" in text, pair["id"]
        assert "histological findings" in text or "microscopic description" in text, pair["id"]
        # The scorer finds its diagnosis section; a reference has no headings.
        assert sections_of(pair["hyp"]).has_diagnosis_section, pair["id"]
        assert not sections_of(pair["ref"]).has_headings, pair["id"]
    words = sorted(len(pair["hyp"].split()) for pair in pairs)
    assert 70 <= words[len(words) // 2] <= 110
    narrative = sorted(len(p["ref"].split()) for p in pairs if p["ref_style"] == "narrative")
    assert 30 <= narrative[len(narrative) // 2] <= 60


def test_the_hard_set_is_what_its_generator_writes() -> None:
    spec = importlib.util.spec_from_file_location("make_hard_severity_pairs", GENERATOR)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it loads
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[spec.name]
    assert module.build() == HARD.read_text(encoding="utf-8")


def test_graver_errors_score_lower(pairs: list[dict[str, Any]]) -> None:
    result = ClinicalGroup().compute(
        [pair["ref"] for pair in pairs], [pair["hyp"] for pair in pairs], ScoringContext()
    )
    assert result.headline == HEADLINE == "clinical_weighted"
    headline = result.per_case[HEADLINE]
    grades = np.array([pair["grade"] for pair in pairs])
    defined = ~np.isnan(headline)
    means = [headline[defined & (grades == g)].mean() for g in range(5)]
    assert all(a > b for a, b in pairwise(means)), means
    tau = kendalltau(headline[defined], 4 - grades[defined]).statistic
    assert tau > 0.5, tau


def test_no_field_accuracy_runs_against_the_grades(pairs: list[dict[str, Any]]) -> None:
    """A column that ranks worse reports higher must not sit in any summary."""
    result = ClinicalGroup().compute(
        [pair["ref"] for pair in pairs], [pair["hyp"] for pair in pairs], ScoringContext()
    )
    grades = np.array([pair["grade"] for pair in pairs])
    for name, values in result.per_case.items():
        defined = ~np.isnan(values)
        if defined.sum() < 20 or np.ptp(values[defined]) == 0:
            continue
        tau = kendalltau(values[defined], 4 - grades[defined]).statistic
        assert tau >= 0, (name, tau)
