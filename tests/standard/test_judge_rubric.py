"""The severity-rubric prompt and the strict reading of a judge's grade."""

from __future__ import annotations

import pytest

from reg_eval.standard.judge_rubric import CATEGORIES, Grade, grading_prompt, parse_grade


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('{"grade": 0, "category": "none"}', Grade(0, "none")),
        ('The reports agree on the tumour.\n{"grade": 3, "category": "diagnosis"}',
         Grade(3, "diagnosis")),
        ('draft {"grade": 1, "category": "finding"}\nfinal:\n{"grade": 4, "category": '
         '"malignancy"}\n', Grade(4, "malignancy")),
        ('```json\n{"grade": 2, "category": "grade"}\n```', Grade(2, "grade")),
        ('{"category": "value", "grade": 2}', Grade(2, "value")),
    ],
)
def test_valid_answers(content: str, expected: Grade) -> None:
    assert parse_grade(content) == expected


@pytest.mark.parametrize(
    "content",
    [
        None,
        "",
        "grade 3, diagnosis",
        '{"grade": 5, "category": "diagnosis"}',
        '{"grade": -1, "category": "diagnosis"}',
        '{"grade": 2.5, "category": "grade"}',
        '{"grade": "2", "category": "grade"}',
        '{"grade": true, "category": "grade"}',
        '{"grade": 2, "category": "Grade"}',
        '{"grade": 2, "category": "staging"}',
        '{"grade": 0, "category": "value"}',
        '{"grade": 3, "category": "none"}',
        '{"grade": 2, "category": "grade", "confidence": 0.9}',
        '{"grade": 2}',
        '{"grade": 2, "category": "grade"} but I am not sure',
        "{'grade': 2, 'category': 'grade'}",
    ],
)
def test_anything_else_is_unparseable(content: str | None) -> None:
    assert parse_grade(content) is None


def test_prompt_holds_both_reports_the_rubric_and_the_answer_format() -> None:
    prompt = grading_prompt("Prostate, biopsy;\n  Acinar adenocarcinoma {x}", "No tumor present")
    assert "<reference>\nProstate, biopsy;\n  Acinar adenocarcinoma {x}\n</reference>" in prompt
    assert "<generated>\nNo tumor present\n</generated>" in prompt
    assert prompt.endswith('{"grade": <0-4>, "category": "<category>"}')
    for name in CATEGORIES:
        assert f"\n{name} - " in prompt
    assert "4 - critical: malignancy wrong" in prompt
