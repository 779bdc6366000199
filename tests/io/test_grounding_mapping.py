"""The ROI mapping reader: runaway quotes and trailing empty fields."""

from __future__ import annotations

import csv
from pathlib import Path

from reg_eval.io.grounding import read_mapping

HEADER = ("anonymous_id\timage\tvariant\tpaired_anonymous_id\tb3_paired_anonymous_id\tlabel\t"
          "question")
Q = "Is tissue visible in this ROI? Answer briefly"
ROWS = [
    f"000001\troi_000001.jpg\toriginal\tnone\t000003\ttissue\t{Q}",
    f"000002\troi_000002.jpg\tperturbed\tnone\tnone\ttissue\t{Q}",
    f"000003\troi_000003.jpg\toriginal\tnone\tnone\tbackground\t{Q}",
    f"000004\troi_000004.jpg\toriginal\tnone\tnone\tbackground\t{Q}",
]


def write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
    return path


def test_a_stray_quote_that_swallows_rows_is_a_located_error(tmp_path: Path) -> None:
    # Row 2 (file line 3) opens a quote in `image`; it runs to the quote on line 4, so the
    # csv reader returns one row of the header's width holding lines 3 and 4.
    lines = list(ROWS)
    lines[1] = lines[1].replace("\troi_000002.jpg", '\t"roi_000002.jpg')
    lines[2] = lines[2].replace("roi_000003.jpg\toriginal", 'roi_000003.jpg"\toriginal')
    path = write(tmp_path / "rois_mapping.txt", lines)
    # Independent check that the row width alone would not catch it.
    with path.open(newline="", encoding="utf-8") as handle:
        widths = [len(row) for row in csv.reader(handle, delimiter="\t")]
    assert widths == [7, 7, 7, 7]
    loaded = read_mapping(path)
    assert [(f.code, f.line) for f in loaded.errors] == [("E202", 3)]
    assert "line 3 to line 4" in loaded.errors[0].message
    assert not loaded.ok


def test_a_tab_inside_a_quoted_value_is_an_error(tmp_path: Path) -> None:
    lines = list(ROWS)
    lines[3] = lines[3].replace(f"\t{Q}", f'\t"{Q}\tmore"')
    loaded = read_mapping(write(tmp_path / "rois_mapping.txt", lines))
    assert [(f.code, f.line) for f in loaded.errors] == [("E202", 5)]


def test_trailing_empty_fields_are_accepted_with_one_warning(tmp_path: Path) -> None:
    clean = read_mapping(write(tmp_path / "clean.txt", ROWS))
    padded = read_mapping(write(tmp_path / "padded.txt",
                                [ROWS[0], ROWS[1] + "\t", ROWS[2] + "\t\t", ROWS[3] + "\t"]))
    assert padded.ok and not padded.errors
    assert [(f.code, f.line) for f in padded.warnings] == [("W207", 3)]
    assert padded.warnings[0].message.startswith("3 row(s)")
    assert [r.fields for r in padded.rows] == [r.fields for r in clean.rows]
    assert [r.anonymous_id for r in padded.rows] == ["000001", "000002", "000003", "000004"]


def test_non_empty_extra_and_missing_fields_stay_errors(tmp_path: Path) -> None:
    loaded = read_mapping(write(tmp_path / "rois_mapping.txt",
                                [ROWS[0] + "\textra", ROWS[1], ROWS[2][: ROWS[2].rindex("\t")],
                                 ROWS[3]]))
    assert [(f.code, f.line) for f in loaded.errors] == [("E202", 2), ("E202", 4)]
