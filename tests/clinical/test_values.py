from __future__ import annotations

import pytest

from reg_eval.clinical.values import (
    READERS,
    read_count,
    read_gleason,
    read_ordinal,
    read_ordinal_or_tier,
    read_percent,
)


@pytest.mark.parametrize(
    ("following", "expected"),
    [
        (" II", "2"),
        (" ii, tubules 3", "2"),
        (" 2", "2"),
        (": III", "3"),
        (" I invasive", "1"),
        (" II-III", "2-3"),
        (" 2/3", "2-3"),
        (" grade 3", "3"),
        (" is 1", "1"),
        (" Invasive", None),
        (" group 2", None),
        (" 7", None),
        ("", None),
    ],
)
def test_ordinal_normalises_roman_and_arabic(following: str, expected: str | None) -> None:
    assert read_ordinal(following) == expected


@pytest.mark.parametrize(
    ("following", "expected"),
    [
        (" 7 (3+4)", "7 (3+4)"),
        (" 7 ( 3 + 4 )", "7 (3+4)"),
        (": 3+4=7", "7 (3+4)"),
        (" 4 + 3", "7 (4+3)"),
        (" 9 (4+5), grade group 5", "9 (4+5)"),
        (" 6.", "6"),
        (" 6", "6"),
        (" not assessed", None),
    ],
)
def test_gleason_has_one_spelling_per_value(following: str, expected: str | None) -> None:
    assert read_gleason(following) == expected


@pytest.mark.parametrize(
    ("following", "expected"),
    [
        (": 30%", "30%"),
        (" 30 %", "30%"),
        (" of 5 percent", "5%"),
        (": <5%", "<5%"),
        (" approximately 40%", "40%"),
        (": 30", None),
        (" high", None),
    ],
)
def test_percent(following: str, expected: str | None) -> None:
    assert read_percent(following) == expected


@pytest.mark.parametrize(
    ("following", "expected"),
    [
        (": 1)", "1"),
        (" 3.", "3"),
        (" 12/10 HPF", "12/10 hpf"),
        (": 4/10 high-power fields", "4/10 high power fields"),
        (" numerous", None),
    ],
)
def test_count(following: str, expected: str | None) -> None:
    assert read_count(following) == expected


@pytest.mark.parametrize(
    ("following", "expected"),
    [
        (": high", "high"),
        (" Intermediate", "intermediate"),
        (": 2", "2"),
        (" III", "3"),
        (" x", None),
    ],
)
def test_ordinal_or_tier(following: str, expected: str | None) -> None:
    assert read_ordinal_or_tier(following) == expected


def test_every_value_kind_has_a_reader() -> None:
    assert set(READERS) == {
        "ordinal",
        "ordinal_or_tier",
        "count",
        "percent",
        "gleason",
        "node_count",
        "size",
        "tnm",
        "stage",
        "status",
        "margin",
    }
