from __future__ import annotations

import pytest

from reg_eval.io.ids import explain_id_fix, is_valid_id, suggest_id


@pytest.mark.parametrize("case_id", ["PIT_01_05664_01.tiff", "PIT_99_00000_00.tiff"])
def test_valid_ids(case_id: str) -> None:
    assert is_valid_id(case_id)
    assert suggest_id(case_id) is None


@pytest.mark.parametrize(
    ("case_id", "fixed", "reason"),
    [
        ("PIT_01_05664_01", "PIT_01_05664_01.tiff", "add the .tiff suffix"),
        ("PIT_01_05664_01.TIFF", "PIT_01_05664_01.tiff", "lower case"),
        ("pit_01_05664_01.tiff", "PIT_01_05664_01.tiff", "PIT in upper case"),
        ("PIT_01_05664_01.tif", "PIT_01_05664_01.tiff", "replace the .tif suffix"),
        (" PIT_01_05664_01.tiff\n", "PIT_01_05664_01.tiff", "whitespace"),
    ],
)
def test_near_misses_get_a_fix(case_id: str, fixed: str, reason: str) -> None:
    assert not is_valid_id(case_id)
    assert suggest_id(case_id) == fixed
    assert reason in explain_id_fix(case_id, fixed)


@pytest.mark.parametrize(
    "case_id", ["PIT_1_05664_01.tiff", "slide-44", "", "PIT_01_5664_01.tiff", "XIT_01_05664_01"]
)
def test_no_guess_when_digits_or_shape_differ(case_id: str) -> None:
    assert not is_valid_id(case_id)
    assert suggest_id(case_id) is None
