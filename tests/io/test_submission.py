"""The loader: every check from a file the test writes, places checked the plain way."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path

import pytest

from reg_eval.errors import UsageError
from reg_eval.io.findings import Finding, Severity
from reg_eval.io.records import Case
from reg_eval.io.submission import LoadResult, load_cases

Write = Callable[..., Path]
Make = Callable[..., dict[str, str]]
LineCol = Callable[[str, int], tuple[int, int]]


def codes(result: LoadResult) -> list[str]:
    return [f.code for f in result.findings]


def only(result: LoadResult, code: str) -> Finding:
    found = [f for f in result.findings if f.code == code]
    assert len(found) == 1, result.findings
    return found[0]


def test_valid_file_gives_cases_in_order(write_cases: Write, case: Make) -> None:
    items = [case(1), case(2, "Stomach, endoscopic biopsy;\n  Chronic gastritis"), case(3)]
    result = load_cases(write_cases(items))
    assert result.ok and result.findings == []
    assert result.cases == [Case(d["id"], d["report"], i) for i, d in enumerate(items)]


def test_accepts_str_path(write_cases: Write, case: Make) -> None:
    assert load_cases(str(write_cases([case(1)]))).ok


# -- E001 not UTF-8 ---------------------------------------------------------------------------

def test_not_utf8_names_the_byte_offset(write_file: Write) -> None:
    data = b'[\n  {"id": "PIT_01_00001_01.tiff", "report": "carcinome \xe0 cellules"}\n]'
    result = load_cases(write_file(data))
    finding = only(result, "E001")
    offset = data.index(b"\xe0")
    assert f"byte {offset}" in finding.message
    assert (finding.line, finding.column) == (2, offset - data.index(b"\n") )
    assert finding.severity is Severity.ERROR and not result.ok and result.cases == []


def test_utf16_is_named(write_file: Write, case: Make) -> None:
    result = load_cases(write_file(json.dumps([case(1)]).encode("utf-16")))
    assert "UTF-16" in only(result, "E001").message


# -- E002 BOM ---------------------------------------------------------------------------------

def test_bom_is_an_error_with_a_fix_but_the_rest_is_still_read(
    write_file: Write, case: Make
) -> None:
    result = load_cases(write_file(b"\xef\xbb\xbf" + json.dumps([case(1)]).encode()))
    finding = only(result, "E002")
    assert "utf-8-sig" in (finding.hint or "") and "sed" in (finding.hint or "")
    assert codes(result) == ["E002"] and len(result.cases) == 1 and not result.ok


# -- E003 syntax ------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "marker"),
    [
        ('[\n  {"id": "PIT_01_00001_01.tiff", "report": "a"}\n  {"id": "b"}\n]', '{"id": "b"'),
        ('[\n  {"id": "PIT_01_00001_01.tiff", "report": "a",}\n]', "}\n]"),
        ('[\n  {"id": "PIT_01_00001_01.tiff", "report": \'a\'}\n]', "'a'"),
        ('[\n  {"id": "PIT_01_00001_01.tiff", "report": "a"},\n]', ",\n]"),
        ('[\n  {"id": "PIT_01_00001_01.tiff", "report": "a\nb"}\n]', "\nb"),
        ('[\n  {"id": "PIT_01_00001_01.tiff", "report": "a"}\n] x', "x"),
        ('[\n  {"id": "PIT_01_00001_01.tiff", "report": "a"}', None),
    ],
)
def test_syntax_errors_name_line_and_column(
    write_file: Write, text: str, marker: str | None, line_column: LineCol
) -> None:
    finding = only(load_cases(write_file(text)), "E003")
    try:
        json.loads(text)
    except ValueError:
        pass
    else:  # pragma: no cover - the cases above are all invalid
        pytest.fail("test input should be invalid JSON")
    if marker is None:
        assert finding.line == text.count("\n") + 1
    else:
        assert (finding.line, finding.column) == line_column(text, text.index(marker))


@pytest.mark.parametrize("text", ["", "   \n\t "])
def test_empty_file_is_a_syntax_error(write_file: Write, text: str) -> None:
    assert codes(load_cases(write_file(text))) == ["E003"]


def test_deep_nesting_and_huge_numbers_do_not_escape(write_file: Write) -> None:
    assert codes(load_cases(write_file("[" * 200_000))) == ["E016"]
    assert codes(load_cases(write_file("[" + "1" * 5000 + "]"))) == ["E003"]


# -- E004 top level ---------------------------------------------------------------------------

def test_dict_wrapper_hint_names_the_key(write_cases: Write, case: Make) -> None:
    finding = only(load_cases(write_cases({"team": "x", "predictions": [case(1)]})), "E004")
    assert '"predictions"' in (finding.hint or "")


def test_id_to_report_mapping_hint(write_cases: Write) -> None:
    finding = only(load_cases(write_cases({"PIT_01_00001_01.tiff": "Lung, biopsy"})), "E004")
    assert "to_entries" in (finding.hint or "")


def test_json_lines_hint(write_file: Write, case: Make) -> None:
    text = "\n".join(json.dumps(case(n)) for n in range(3)) + "\n"
    finding = only(load_cases(write_file(text, "preds.jsonl")), "E004")
    assert "JSON Lines" in finding.message and "reg-eval convert" in (finding.hint or "")
    assert finding.line == 1


@pytest.mark.parametrize("value", ['"text"', "12", "null", "true"])
def test_scalar_top_level(write_file: Write, value: str) -> None:
    assert codes(load_cases(write_file(value))) == ["E004"]


# -- E005 .. E008 items -----------------------------------------------------------------------

def test_item_not_object_is_located(write_file: Write, case: Make, line_column: LineCol) -> None:
    text = json.dumps([case(1), "PIT_01_00002_01.tiff", case(3)], indent=2)
    result = load_cases(write_file(text))
    finding = only(result, "E005")
    assert finding.index == 1
    assert (finding.line, finding.column) == line_column(text, text.index('"PIT_01_00002'))
    assert [c.index for c in result.cases] == [0, 2]


def test_missing_keys_name_index_and_id(write_cases: Write, case: Make) -> None:
    result = load_cases(write_cases([case(1), {"id": "PIT_01_00002_01.tiff"},
                                     {"ID": "PIT_01_00003_01.tiff", "text": "x"}]))
    missing = [f for f in result.findings if f.code == "E006"]
    assert [(f.index, f.id) for f in missing] == [
        (1, "PIT_01_00002_01.tiff"), (2, None), (2, None)]
    assert '"report"' in missing[0].message
    assert 'rename the key "ID"' in (missing[1].hint or "")
    assert 'rename the key "text"' in (missing[2].hint or "")
    assert len(result.cases) == 1


@pytest.mark.parametrize(
    ("value", "words"),
    [
        (None, "null"), (3, "number"), (2.5, "number"), (["a"], "list"), ({"a": "b"}, "object"),
        (True, "boolean"), (math.nan, "NaN"), (math.inf, "Infinity"), (-math.inf, "-Infinity"),
    ],
)
def test_non_string_report(
    write_cases: Write, value: object, words: str, case: Make, line_column: LineCol
) -> None:
    items = [case(1), {"id": "PIT_01_00002_01.tiff", "report": value}]
    path = write_cases(items)
    text = path.read_text()
    result = load_cases(path)
    finding = only(result, "E007")
    assert words in finding.message and finding.index == 1
    assert finding.id == "PIT_01_00002_01.tiff"
    key_at = text.index('"report"', text.index("PIT_01_00002"))
    assert (finding.line, finding.column) == line_column(text, key_at)
    assert "E008" not in codes(result)  # NaN in the report is told once, as E007
    assert [c.index for c in result.cases] == [0]


def test_non_string_id(write_cases: Write) -> None:
    finding = only(load_cases(write_cases([{"id": 12, "report": "x"}])), "E007")
    assert '"id"' in finding.message and finding.id is None


def test_nan_under_another_key(write_cases: Write, case: Make) -> None:
    result = load_cases(write_cases([dict(case(1), score=math.nan)]))
    assert sorted(codes(result)) == ["E008", "W006"]
    assert len(result.cases) == 1


# -- E009 duplicates, E011 surrogates, E012 empty list, E013 duplicate keys -------------------

def test_duplicate_ids_list_every_position(
    write_cases: Write, case: Make, line_column: LineCol
) -> None:
    items = [case(1), case(2), case(1, "other"), case(3), case(1)]
    path = write_cases(items)
    text = path.read_text()
    result = load_cases(path)
    finding = only(result, "E009")
    assert finding.id == "PIT_01_00001_01.tiff" and finding.index == 2
    starts = [i for i in range(len(text)) if text.startswith("{", i)]
    for index in (0, 2, 4):
        line, _ = line_column(text, starts[index])
        assert f"{index} (line {line})" in finding.message
    assert "different reports" in finding.message
    assert len(result.cases) == 5  # duplicates are kept


def test_lone_surrogate(write_file: Write) -> None:
    result = load_cases(write_file('[{"id": "PIT_01_00001_01.tiff", "report": "a\\ud800b"}]'))
    assert codes(result) == ["E011"]


def test_empty_list(write_file: Write) -> None:
    assert codes(load_cases(write_file("[ ]"))) == ["E012"]


def test_duplicate_key_in_one_object(write_file: Write) -> None:
    text = '[{"id": "PIT_01_00001_01.tiff", "report": "a", "report": "b"}]'
    result = load_cases(write_file(text))
    assert codes(result) == ["E013"]
    assert result.cases[0].report == "b"


# -- warnings ---------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("case_id", "hint_part"),
    [("PIT_01_00001_01", "add the .tiff suffix: PIT_01_00001_01.tiff"),
     ("pit_01_00001_01.TIFF", "PIT_01_00001_01.tiff"),
     ("slide 1", "ids look like")],
)
def test_id_pattern(write_cases: Write, case_id: str, hint_part: str) -> None:
    result = load_cases(write_cases([{"id": case_id, "report": "x"}]))
    finding = only(result, "W002")
    assert hint_part in (finding.hint or "") and finding.id == case_id
    assert result.ok


@pytest.mark.parametrize("report", ["", " \n\t "])
def test_empty_report(write_cases: Write, report: str, case: Make) -> None:
    result = load_cases(write_cases([case(1, report)]))
    assert codes(result) == ["W003"] and result.ok


def test_control_character(write_cases: Write, case: Make) -> None:
    result = load_cases(write_cases([case(1, "Lung,\tbiopsy;\r\n  Adeno\x0ccarcinoma\x07")]))
    finding = only(result, "W004")
    assert "U+000C" in finding.message and "character 22" in finding.message
    assert "2 in all" in finding.message
    assert load_cases(write_cases([case(1, "a\tb\r\nc")], "ok.json")).findings == []


def test_report_too_long_is_an_estimate(write_cases: Write, case: Make) -> None:
    long_report = " ".join(["adenocarcinoma"] * 150)  # 150 words of 4 pieces each
    result = load_cases(write_cases([case(1, long_report), case(2, "x " * 400)]))
    finding = only(result, "W005")
    assert "estimated 602" in finding.message and finding.index == 0


def test_unknown_keys(write_cases: Write, case: Make) -> None:
    finding = only(load_cases(write_cases([dict(case(1), score=1, model="m")])), "W006")
    assert '"score", "model"' in finding.message


# -- usage errors -----------------------------------------------------------------------------

def test_missing_file_and_folder_are_usage_errors(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no such file"):
        load_cases(tmp_path / "nope.json")
    with pytest.raises(UsageError, match="folder"):
        load_cases(tmp_path)


def test_unreadable_file_is_a_usage_error(write_cases: Write, case: Make) -> None:
    import os

    path = write_cases([case(1)])
    path.chmod(0)
    try:
        if os.access(path, os.R_OK):
            pytest.skip("running as a user who can read any file (root)")
        with pytest.raises(UsageError, match="permission"):
            load_cases(path)
    finally:
        path.chmod(0o644)


def test_read_failures_become_usage_errors(
    write_cases: Write, case: Make, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(UsageError, match="cannot read"):
        load_cases(tmp_path / ("x" * 300 + ".json"))  # name too long for the file system
    path = write_cases([case(1)])

    def refuse(self: Path, *args: object, **kwargs: object) -> bytes:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "open", refuse)
    with pytest.raises(UsageError, match="permission denied"):
        load_cases(path)


# -- what a file that is not UTF-8 JSON looks like --------------------------------------------

@pytest.mark.parametrize(("codec", "name"), [("utf-16-le", "UTF-16LE"), ("utf-16-be", "UTF-16BE")])
def test_utf16_without_a_byte_order_mark_is_named_with_the_fix(
    write_file: Write, codec: str, name: str
) -> None:
    text = json.dumps([{"id": "PIT_01_00001_01.tiff", "report": "Lung, biopsy"}])
    path = write_file(text.encode(codec), "predictions.json")
    finding = only(load_cases(path), "E001")
    assert f"looks like {name} text without a byte-order mark" in finding.message
    assert f"iconv -f {name} -t UTF-8" in (finding.hint or "")
    assert "invalid JSON" not in finding.message


@pytest.mark.parametrize(("content", "delimiter", "fmt"), [
    ("id,report\nPIT_01_00001_01.tiff,\"Lung, biopsy\"\n", "comma", "csv"),
    ("id\treport\nPIT_01_00001_01.tiff\tLung\n", "tab", "tsv"),
    ("\ufeffslide_id;text\nPIT_01_00001_01.tiff;Lung\n", "semicolon", "csv"),
])
def test_a_table_saved_as_json_is_named_with_the_convert_line(
    write_file: Write, content: str, delimiter: str, fmt: str
) -> None:
    path = write_file(content.encode("utf-8"), "predictions.json")
    findings = load_cases(path).errors
    table = [f for f in findings if f.code == "E003"]
    assert len(table) == 1
    assert f"a table with {delimiter}-separated columns" in table[0].message
    assert f"reg-eval convert FILE --format {fmt}" in (table[0].hint or "")
    assert table[0].line == 1


def test_json_that_merely_starts_oddly_is_not_called_a_table(write_file: Write) -> None:
    finding = only(load_cases(write_file(b"[1, 2,", "predictions.json")), "E003")
    assert "table" not in finding.message


def test_a_folder_of_reports_is_pointed_to_convert(tmp_path: Path) -> None:
    with pytest.raises(UsageError) as caught:
        load_cases(tmp_path)
    assert "is a folder" in str(caught.value)
    assert "reg-eval convert FOLDER" in str(caught.value.hint)
