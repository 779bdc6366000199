"""Values compared as values, each rule with a case on both sides of its tolerance."""

from __future__ import annotations

import pytest

from reg_eval.clinical.value_match import read_percent, read_size_mm, read_stage, values_agree


@pytest.mark.parametrize(
    ("reference", "hypothesis", "agree"),
    [
        # Gleason: patterns decide the grade group
        ("7 (3+4)", "7 (3+4)", True),
        ("7 (3+4)", "7 (4+3)", False),
        ("7 (3+4)", "7", False),  # the hypothesis does not say which pattern leads
        ("7", "7 (4+3)", True),  # the reference says only the sum
        ("7", "8 (4+4)", False),
        # percentages: 5 points either way, comparators as intervals, receptor cut-offs
        ("30%", "30%", True),
        ("30%", "35%", True),
        ("30%", "25.5%", True),
        ("30%", "36%", False),
        ("<5%", "3%", True),
        ("<5%", "12%", False),
        (">50%", "60%", True),
        ("0.5%", "2%", False),  # negative against low positive: opposite sides of 1%
        ("8%", "12%", False),  # low positive against positive: opposite sides of 10%
        ("12%", "15%", True),
        # sizes: the largest dimension in mm, 1 mm or 5%
        ("12 mm", "1.2 cm", True),
        ("12 mm", "13 mm", True),
        ("12 mm", "14 mm", False),
        ("2.5x1.0 cm", "25 mm", True),
        ("40 mm", "42 mm", True),  # 5% of 40 mm
        ("40 mm", "43 mm", False),
        ("12 mm", "12", False),  # a size against a bare number
        # counts and ordinal grades: categories
        ("2", "2", True),
        ("2", "3", False),
        ("12/10 hpf", "12/10 HPF", True),
        ("12/10 hpf", "12/2 mm2", False),
        ("01", "1", True),
        # ranges: the hypothesis must be consistent with the reference
        ("2-3", "3", True),
        ("3", "2-3", False),
        ("1-3", "2-3", True),
        # TNM: same category, the hypothesis equal or finer
        ("pT2", "pT2a", True),
        ("pT2a", "pT2", False),
        ("pT2a", "T2a", True),  # prefix letters are not compared
        ("pT2", "pT3", False),
        ("pN1mi", "ypN1", True),
        ("pT2", "pN2", False),
        ("2", "2a", True),  # t_category=2 against t_category=2a
        ("2a", "2", False),
        ("1c", "1b", False),
        ("is", "is", True),
        # text
        ("high", "High", True),
        ("high", "intermediate", False),
        ("moderate", "moderate-poor", False),
        # missing values
        (None, "7 (3+4)", True),
        (None, None, True),
        ("7 (3+4)", None, False),
    ],
)
def test_values_agree(reference: str | None, hypothesis: str | None, agree: bool) -> None:
    assert values_agree(reference, hypothesis) is agree


def test_readers() -> None:
    assert read_size_mm("2.5 x 1.0 cm") == 25.0
    assert read_size_mm("about 3 cm") is None
    assert read_percent("<5 %") is not None and read_percent("<5 %").high == 5.0
    assert read_stage("ypT1c") == ("t", "1", "c")
    assert read_stage("pTis") == ("t", "is", "")
    assert read_stage("grade 2") is None
    assert read_stage("2a") == ("", "2", "a")
    assert read_stage("12") is None
