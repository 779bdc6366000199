"""The grounding answers file read item by item: the same list scan and key check as a
submission, with the answers' own finding codes."""

from __future__ import annotations

from pathlib import Path

import pytest

from reg_eval.io.grounding import read_answers

GOOD = '{"id": "000001", "image": "a.png", "question": "Q?", "answer": "Tumour."}'


def _read(tmp_path: Path, text: str) -> list[tuple[str, str, int | None]]:
    path = tmp_path / "answers.json"
    path.write_text(text, encoding="utf-8")
    return [(f.code, f.message, f.line) for f in read_answers(path).findings]


def test_a_good_answers_list_has_no_findings(tmp_path: Path) -> None:
    path = tmp_path / "answers.json"
    path.write_text(f"[\n{GOOD}\n]\n", encoding="utf-8")
    answers = read_answers(path)
    assert answers.findings == [] and answers.answers["000001"].answer == "Tumour."
    assert answers.answers["000001"].line == 2


def test_a_key_twice_is_found_on_its_item_line(tmp_path: Path) -> None:
    twice = GOOD[:-1] + ', "answer": "Normal."}'
    assert _read(tmp_path, f"[\n{GOOD},\n{twice}\n]") == [
        ("E013", "the key 'answer' appears twice in one object", 3)]


@pytest.mark.parametrize(
    ("text", "finding"),
    [
        (f"[{GOOD},]", ("E003", "not valid JSON (a comma after the last item (item 0))", 1)),
        (f"[\n{GOOD}", ("E003", "not valid JSON (the file ends before the list is closed "
                        "with ])", 2)),
        (f"[{GOOD}] []", ("E003", "not valid JSON (extra data after the list)", 1)),
        ("[\n{\"id\": }]", ("E003", "not valid JSON (Expecting value)", 2)),
        (GOOD, ("E004", "the answers file is not a JSON list", 1)),
    ],
    ids=["trailing-comma", "unclosed", "extra-data", "syntax", "not-a-list"],
)
def test_a_broken_list_is_one_located_finding(
    tmp_path: Path, text: str, finding: tuple[str, str, int]
) -> None:
    assert _read(tmp_path, text) == [finding]


def test_nan_is_read_as_the_organisers_read_it_and_flagged(tmp_path: Path) -> None:
    found = _read(tmp_path, "[" + GOOD.replace('"Tumour."', "NaN") + "]")
    assert found == [("W205", "`answer` is NaN, not a string; read as 'nan'", 1)]
