"""Conversion from CSV/TSV, JSON Lines and folders of texts into a submission list."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from reg_eval.errors import InvalidInputError, UsageError
from reg_eval.io.convert import convert_to_submission, detect_format, id_from_file_name

Write = Callable[..., Path]


def read(path: Path) -> list[dict[str, str]]:
    return json.loads(path.read_text(encoding="utf-8"))


def test_csv_with_quoted_multiline_reports(write_file: Write, tmp_path: Path) -> None:
    src = write_file(
        '\ufeffid,report,model\r\nPIT_01_00001_01.tiff,"Lung, biopsy;\n  Adenocarcinoma",m1\r\n'
        'PIT_01_00002_01.tiff,"Prostate, biopsy;\n  No tumor present",m1\r\n', "preds.csv")
    out = tmp_path / "out.json"
    converted = convert_to_submission(src, out)
    assert read(out) == [
        {"id": "PIT_01_00001_01.tiff", "report": "Lung, biopsy;\n  Adenocarcinoma"},
        {"id": "PIT_01_00002_01.tiff", "report": "Prostate, biopsy;\n  No tumor present"},
    ]
    assert converted.input_format == "csv" and "model" in converted.notes[0]


def test_tsv(write_file: Write, tmp_path: Path) -> None:
    src = write_file("report\tid\nLung, biopsy;\tPIT_01_00001_01.tiff\n", "preds.tsv")
    convert_to_submission(src, tmp_path / "o.json")
    assert read(tmp_path / "o.json") == [{"id": "PIT_01_00001_01.tiff", "report": "Lung, biopsy;"}]


def test_csv_missing_column_names_what_was_found(write_file: Write, tmp_path: Path) -> None:
    src = write_file("slide,text\na,b\n", "p.csv")
    with pytest.raises(InvalidInputError, match="'slide', 'text'"):
        convert_to_submission(src, tmp_path / "o.json")
    tabbed = write_file("id\treport\na\tb\n", "t.csv")
    with pytest.raises(InvalidInputError) as info:
        convert_to_submission(tabbed, tmp_path / "o.json")
    assert "--format tsv" in (info.value.hint or "")
    assert not (tmp_path / "o.json").exists()


def test_jsonl(write_file: Write, tmp_path: Path) -> None:
    src = write_file('{"id": "a.tiff", "report": "x", "score": 1}\n\n{"report": "y", "id": "b"}\n',
                     "p.jsonl")
    converted = convert_to_submission(src, tmp_path / "o.json")
    assert read(tmp_path / "o.json") == [{"id": "a.tiff", "report": "x"},
                                         {"id": "b", "report": "y"}]
    assert "score (1 lines)" in converted.notes[0]


@pytest.mark.parametrize(
    ("line", "words"),
    [('{"id": "a", "report": NaN}', "NaN"), ("[1]", "not a JSON object"),
     ('{"id": "a"}', "has no 'report'"), ('{"id": "a", "report": null}', "non-string"),
     ('{"id": "a", "report": "\\ud800"}', "surrogate"), ("{", "not valid JSON")],
)
def test_jsonl_errors_name_the_line(write_file: Write, tmp_path: Path, line: str,
                                    words: str) -> None:
    src = write_file('{"id": "ok", "report": "fine"}\n' + line + "\n", "p.jsonl")
    with pytest.raises(InvalidInputError, match=":2:") as info:
        convert_to_submission(src, tmp_path / "o.json")
    assert words in str(info.value)


def test_folder_of_texts(tmp_path: Path) -> None:
    folder = tmp_path / "reports"
    folder.mkdir()
    (folder / "PIT_01_00002_01.txt").write_text("Lung, biopsy;\n  Adenocarcinoma\n")
    (folder / "PIT_01_00001_01.tiff.txt").write_bytes(b"Colon;\r\n  Tubular adenoma\r\n")
    (folder / "notes.md").write_text("ignored")
    (folder / ".hidden.txt").write_text("ignored")
    converted = convert_to_submission(folder, tmp_path / "o.json")
    assert read(tmp_path / "o.json") == [
        {"id": "PIT_01_00001_01.tiff", "report": "Colon;\r\n  Tubular adenoma"},
        {"id": "PIT_01_00002_01.tiff", "report": "Lung, biopsy;\n  Adenocarcinoma"},
    ]
    assert converted.input_format == "dir" and "skipped 1" in converted.notes[0]


def test_id_from_file_name() -> None:
    assert id_from_file_name("PIT_01_00012_01.txt") == "PIT_01_00012_01.tiff"
    assert id_from_file_name("PIT_01_00012_01.tiff.txt") == "PIT_01_00012_01.tiff"


def test_refuses_to_overwrite(write_file: Write, tmp_path: Path) -> None:
    src = write_file("id,report\na,b\n", "p.csv")
    out = write_file("keep me", "o.json")
    with pytest.raises(UsageError, match="already exists"):
        convert_to_submission(src, out)
    assert out.read_text() == "keep me"
    convert_to_submission(src, out, force=True)
    assert read(out) == [{"id": "a", "report": "b"}]


def test_format_detection(write_file: Write, tmp_path: Path) -> None:
    assert detect_format(tmp_path) == "dir"
    assert detect_format(write_file("{}", "x.json")) == "jsonl"
    with pytest.raises(UsageError, match="already a JSON"):
        detect_format(write_file("[]", "y.json"))
    with pytest.raises(UsageError, match="--format"):
        detect_format(write_file("x", "z.xlsx"))
    with pytest.raises(UsageError, match="unknown format"):
        detect_format(tmp_path, "xml")
    with pytest.raises(UsageError, match="no such"):
        detect_format(tmp_path / "missing.txt")


def test_not_utf8_input(write_file: Write, tmp_path: Path) -> None:
    src = write_file("id,report\na,caf\u00e9\n".encode("cp1252"), "p.csv")
    with pytest.raises(InvalidInputError, match="not valid UTF-8"):
        convert_to_submission(src, tmp_path / "o.json")


# -- rows that do not match the header are refused, never cut ---------------------------------

UNQUOTED = (
    "id,report\n"
    "PIT_01_00011_01.tiff,\"Lung, biopsy; Adenocarcinoma\"\n"
    "PIT_01_00012_01.tiff,Prostate, biopsy; Acinar adenocarcinoma\n"
)


def test_unquoted_report_with_commas_is_refused_with_line_and_fix(
    write_file: Write, tmp_path: Path
) -> None:
    out = tmp_path / "o.json"
    with pytest.raises(InvalidInputError) as info:
        convert_to_submission(write_file(UNQUOTED, "p.csv"), out)
    message, hint = info.value.message, info.value.hint or ""
    assert "p.csv:3:" in message and "3 cells" in message and "header has 2" in message
    assert 'PIT_01_00012_01.tiff,"Prostate, biopsy; Acinar adenocarcinoma"' in hint
    assert not out.exists()


def test_every_bad_row_is_counted(write_file: Write, tmp_path: Path) -> None:
    rows = "".join(f"PIT_01_{n:05d}_01.tiff,Lung, biopsy\n" for n in range(8))
    with pytest.raises(InvalidInputError, match=r"p.csv:2:.*8 rows like this, at lines 2, 3, 4"):
        convert_to_submission(write_file("id,report\n" + rows, "p.csv"), tmp_path / "o.json")


def test_row_with_fewer_cells_than_the_header_is_refused(
    write_file: Write, tmp_path: Path
) -> None:
    # An unquoted line break splits a report over two rows; the second has one cell.
    src = write_file("id\treport\torgan\nPIT_01_00001_01.tiff\tLung, biopsy;\tlung\n"
                     "PIT_01_00002_01.tiff\tProstate, biopsy;\n  Adenocarcinoma\tprostate\n",
                     "p.tsv")
    with pytest.raises(InvalidInputError, match=r"p.tsv:3: the row has 2 cells but the header "
                       "has 3"):
        convert_to_submission(src, tmp_path / "o.json")
    assert not (tmp_path / "o.json").exists()


def test_unclosed_quote_names_the_line_where_the_row_starts(
    write_file: Write, tmp_path: Path
) -> None:
    src = write_file('id,report\nPIT_01_00001_01.tiff,"Lung\nPIT_01_00002_01.tiff,x\n',
                     "p.csv")
    with pytest.raises(InvalidInputError) as info:
        convert_to_submission(src, tmp_path / "o.json")
    assert info.value.message.startswith(f"{src}:2: a quote opened")


def test_jsonl_key_twice_in_one_object_is_refused(write_file: Write, tmp_path: Path) -> None:
    src = write_file('{"id": "a", "report": "Lung, biopsy", "report": "x"}\n', "p.jsonl")
    with pytest.raises(InvalidInputError, match=r"p.jsonl:1:.*'report' appears twice"):
        convert_to_submission(src, tmp_path / "o.json")


def test_text_after_a_closing_quote_is_refused_not_merged(
    write_file: Write, tmp_path: Path
) -> None:
    src = write_file('id,report\nPIT_01_00001_01.tiff,"Lung" biopsy\n', "p.csv")
    with pytest.raises(InvalidInputError, match=r"p.csv:2: not valid CSV"):
        convert_to_submission(src, tmp_path / "o.json")
