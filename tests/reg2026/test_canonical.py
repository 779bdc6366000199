"""Canonical questions, next questions and ids against the literal spec reference."""

from __future__ import annotations

import pytest
from cot_literal import canon, canon_next

from reg_eval.reg2026.canonical import (
    END_MARKER,
    canonical_next_question,
    canonical_text,
    field_text,
    normalise_case_id,
)

QUESTIONS = [
    "What is the organ?",
    "  What IS the\t organ ?!.  ",
    "What is the pridominant pattern?",
    "What is the Pridominant pattern",
    "What is the number of dianoses to includes?",
    "What is the number of diagnosises to include?",
    "pridominantly includes_x includes.",
    "What is the #1 diagnosis?",
    "Is there any abnormality present?\n",
    "",
    "...",
    "Résumé, étape: ÉTAPE!",
]


@pytest.mark.parametrize("text", QUESTIONS)
def test_canonical_text_matches_literal_reference(text: str) -> None:
    assert canonical_text(text) == canon(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("What is the pridominant pattern?", "what is the predominant pattern"),
        (
            "What is the number of dianoses to includes?",
            "what is the number of diagnoses to include",
        ),
        ("diagnosises", "diagnoses"),
        ("pridominantly", "pridominantly"),
        ("  A   b\n c ;:  ", "a b c"),
    ],
)
def test_aliases_are_whole_words(text: str, expected: str) -> None:
    assert canonical_text(text) == expected


@pytest.mark.parametrize(
    "text",
    ["", "   ", "end", "END", "Stop.", "finish", "Finished!", "none", "None", "null",
     "no next question", "No further question.", "  no   FURTHER question ?", None],
)
def test_every_way_of_ending_becomes_the_end_marker(text: str | None) -> None:
    assert canonical_next_question(text) == END_MARKER
    assert canon_next(text) == "__END__"


@pytest.mark.parametrize("text", ["ending", "no further questions", "What next?", "end it"])
def test_other_next_questions_stay_questions(text: str) -> None:
    assert canonical_next_question(text) == canon_next(text) != END_MARKER


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("PIT_01_00001_01.tiff", "PIT_01_00001_01"),
        ("PIT_01_00001_01.TIFF", "PIT_01_00001_01"),
        ("PIT_01_00001_01.svs", "PIT_01_00001_01"),
        ("PIT_01_00001_01.SvS", "PIT_01_00001_01"),
        (" PIT_01_00001_01.tiff ", "PIT_01_00001_01"),
        ("PIT_01_00001_01.tif", "PIT_01_00001_01.tif"),
        ("PIT_01_00001_01", "PIT_01_00001_01"),
        ("a.tiff.tiff", "a.tiff"),
    ],
)
def test_case_ids_lose_one_svs_or_tiff_suffix(raw: str, expected: str) -> None:
    assert normalise_case_id(raw) == expected


@pytest.mark.parametrize(
    ("value", "expected"), [(None, ""), ("", ""), (0, ""), (False, ""), (3, "3"), ("x", "x")]
)
def test_fields_read_like_the_organisers_code(value: object, expected: str) -> None:
    assert field_text(value) == expected
