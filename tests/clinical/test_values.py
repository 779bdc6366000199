from __future__ import annotations

import pytest

from reg_eval.clinical.values import (
    READERS,
    read_count,
    read_gleason,
    read_margin,
    read_node_count,
    read_ordinal,
    read_ordinal_or_tier,
    read_percent,
    read_size,
    read_stage,
    read_status,
    read_tnm,
    value_end,
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


@pytest.mark.parametrize(
    ("reader", "following", "expected"),
    [
        (read_size, ": 1.5 cm", "15 mm"),
        (read_size, " 2.0 x 1.5 x 1.0 cm", "20 mm"),
        (read_size, " less than 1 mm", "<1 mm"),
        (read_size, " 12mm", "12 mm"),
        (read_size, " 0,8 cm", "8 mm"),
        (read_size, " 500 µm", "0.5 mm"),
        (read_size, " 12 cores", None),
        (read_tnm, "2a", "2a"),
        (read_tnm, "0(i+)", "0(i+)"),
        (read_tnm, "1mi", "1mi"),
        (read_tnm, "is", "is"),
        (read_tnm, "X", "x"),
        (read_tnm, "5", None),
        (read_stage, " IIIA", "3a"),
        (read_stage, " IB1", "1b1"),
        (read_stage, " 2", "2"),
        (read_stage, " unknown", None),
        (read_node_count, ": 2/15", "2/15"),
        (read_node_count, " (two of fifteen)", "2/15"),
        (read_node_count, " 3 out of 12", "3/12"),
        (read_node_count, ": 18", "18"),
        (read_node_count, ": 18 mm", None),
        (read_status, ": positive (90%)", "positive"),
        (read_status, ": 90%", "90%"),
        (read_status, " 3+", "3+"),
        (read_status, " score 0", "0"),
        (read_status, "-positive", "positive"),
        (read_status, "+", "positive"),
        (read_status, " (-)", "negative"),
        (read_status, " retained", "retained"),
        (read_status, ": loss of expression", "lost"),
        (read_status, " wild type", "wild-type"),
        (read_status, ": not amplified", "not amplified"),
        (read_status, " cells", None),
        (read_margin, ": negative", "negative"),
        (read_margin, " are free of tumour", "negative"),
        (read_margin, " involved", "positive"),
        (read_margin, " not involved", "negative"),
        (read_margin, ": close", "close"),
        (read_margin, " 2 mm", "2 mm"),
        (read_margin, " of the specimen", None),
    ],
)
def test_new_value_readers(reader: object, following: str, expected: str | None) -> None:
    assert reader(following) == expected  # type: ignore[operator]


def test_value_end_is_where_the_value_stops() -> None:
    following = ": free of carcinoma, closest 2 mm"
    assert following[: value_end("margin", following)] == ": free of carcinoma"
    assert value_end("size", " 1.5 cm thick") == len(" 1.5 cm")
    assert value_end("status", " cells") == 0
