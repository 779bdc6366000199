"""The organisers' CSV lists, read by whichever id column they hold."""

from __future__ import annotations

from pathlib import Path

import pytest

from reg_eval.errors import InvalidInputError, UsageError
from reg_eval.slides.lists import read_slide_list


@pytest.mark.parametrize(("text", "column"), [
    ("id_list\nPIT_01_00002_01\nPIT_01_00003_01.tiff\n", "id_list"),
    ("file_path,note\n/data/PIT_01_00002_01.tiff,x\nPIT_01_00003_01,y\n", "file_path"),
    ("slides\nPIT_01_00002_01.tiff\nPIT_01_00003_01\n\n", "slides"),
])
def test_id_columns(tmp_path: Path, text: str, column: str) -> None:
    path = tmp_path / "list.csv"
    path.write_text(text)
    listed = read_slide_list(path)
    assert listed.column == column
    assert listed.stems == {"PIT_01_00002_01", "PIT_01_00003_01"}
    assert "PIT_01_00002_01.tiff" in listed and "PIT_01_00002_01" in listed
    assert "PIT_01_00004_01.tiff" not in listed


def test_unknown_columns_are_named(tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    path.write_text("case,score\nPIT_01_00002_01,1\n")
    with pytest.raises(InvalidInputError, match=r"\['case', 'score'\]"):
        read_slide_list(path)


def test_missing_and_empty(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="cannot read slide list"):
        read_slide_list(tmp_path / "nope.csv")
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(InvalidInputError, match="empty"):
        read_slide_list(tmp_path / "empty.csv")
