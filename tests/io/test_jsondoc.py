"""The one defensive JSON decoding: each kind of bad file named once, the same for every reader."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reg_eval.errors import InvalidInputError
from reg_eval.io.jobs import parse_output
from reg_eval.io.jsondoc import (
    decode_json,
    decode_text,
    json_lines,
    load_json_document,
    parse_text,
)
from reg_eval.io.limits import LimitExceeded, Limits
from reg_eval.io.submission import parse_submission
from reg_eval.reg2026.chain import load_predictions

BAD_UTF8 = b'[{"id": "a\xff"}]'
"""Byte 10 (0xff) cannot start a UTF-8 sequence: line 1, byte 11 of the line."""
BAD_UTF8_MESSAGE = (
    "byte 10 (0xff) is not valid UTF-8 (invalid start byte); line 1, byte 11 of the line"
)
UTF16 = json.dumps([{"id": "a", "report": "b"}]).encode("utf-16-le")
UTF16_MESSAGE = (
    "the file looks like UTF-16LE text without a byte-order mark (every second byte is 0), "
    "not UTF-8"
)


@pytest.mark.parametrize(("data", "code", "message", "line", "column"), [
    (BAD_UTF8, "E001", BAD_UTF8_MESSAGE, 1, 11),
    (b"\n\n  \xc3(", "E001",
     "byte 4 (0xc3) is not valid UTF-8 (invalid continuation byte); line 3, byte 3 of the line",
     3, 3),
    (UTF16, "E001", UTF16_MESSAGE, 1, 1),
    (b"\xff\xfe[\x00]\x00", "E001",
     "the file is UTF-16 encoded (it starts with a UTF-16 byte-order mark)", 1, 1),
])
def test_bytes_that_are_not_utf8_are_named_with_their_place(
    data: bytes, code: str, message: str, line: int, column: int
) -> None:
    text, problem = decode_text(data)
    assert text is None and problem is not None
    assert (problem.code, problem.message, problem.line, problem.column) == (
        code, message, line, column)


def test_a_utf8_byte_order_mark_is_dropped_or_refused_as_asked() -> None:
    data = b"\xef\xbb\xbf[1]"
    assert decode_json(data) == ([1], None)
    value, problem = decode_json(data, bom="refuse")
    assert value is None and problem is not None and problem.code == "E002"
    assert "json.load" in problem.message and "utf-8-sig" in (problem.hint or "")
    # The place of a bad byte counts the mark: it is byte 3 of the file.
    _, problem = decode_text(b"\xef\xbb\xbf\xff")
    assert problem is not None and problem.message.startswith("byte 3 (0xff)")


@pytest.mark.parametrize(("text", "code", "message", "line", "column", "hint"), [
    ('{"a": 1,}', "E003", "invalid JSON: Expecting property name enclosed in double quotes",
     1, 9, "keys need double quotes"),
    ("[1,\n 2\n 3]", "E003", "invalid JSON: Expecting ',' delimiter", 3, 2,
     "a comma is missing"),
    ("id,report\nPIT_01_00001_01.tiff,Lung", "E003",
     "the file is a table with comma-separated columns (first line: 'id,report'), not JSON",
     1, 1, "write the file as JSON"),
    ("[" * 40 + "]" * 40, "E016", "lists and objects are nested more than 32 levels deep "
     "(--max-depth)", None, None, "remove the nesting"),
    ("[" * 100_000 + "]" * 100_000, "E016", "lists and objects are nested deeper than the "
     "reader can follow (about 1,000 levels)", None, None, "remove the nesting"),
    ("1" * 5000, "E003", "invalid JSON: a value cannot be read (", None, None, None),
])
def test_text_that_is_not_one_json_document(
    text: str, code: str, message: str, line: int | None, column: int | None, hint: str | None
) -> None:
    value, problem = parse_text(text)
    assert value is None and problem is not None
    assert (problem.code, problem.line, problem.column) == (code, line, column)
    assert problem.message.startswith(message)
    assert (problem.hint is None) if hint is None else hint in (problem.hint or "")


def test_a_file_crowded_with_values_is_refused_before_parsing() -> None:
    limits = Limits(max_cases=1)  # 32 values allowed
    _, problem = decode_text(b"[" + b"1," * 40 + b"1]", limits=limits)
    assert problem is not None and problem.code == "E014"
    assert problem.message.startswith("the file holds up to 42 JSON values")
    with pytest.raises(LimitExceeded, match=r"^x\.json: the file holds up to 42 "):
        raise problem.error("x.json")


def test_every_reader_names_the_same_problem_the_same_way(tmp_path: Path) -> None:
    """The submission loader, the chain-of-thought loader and the whole-document reader."""
    path = tmp_path / "preds.json"
    path.write_bytes(UTF16)
    loaded = parse_submission(UTF16, path)
    chain = load_predictions(path)
    assert [(f.code, f.message, f.line) for f in loaded.findings] == [("E001", UTF16_MESSAGE, 1)]
    assert [(f.code, f.message, f.line) for f in chain.findings] == [("E001", UTF16_MESSAGE, 1)]
    with pytest.raises(InvalidInputError) as caught:
        load_json_document(path)
    assert caught.value.message == f"{path}: {UTF16_MESSAGE}"  # the whole file: no place

    path.write_bytes(BAD_UTF8)
    assert [f.message for f in parse_submission(BAD_UTF8, path).findings] == [BAD_UTF8_MESSAGE]
    assert [f.message for f in load_predictions(path).findings] == [BAD_UTF8_MESSAGE]
    with pytest.raises(InvalidInputError) as caught:
        load_json_document(path)
    assert caught.value.message == f"{path}: {BAD_UTF8_MESSAGE}"  # the message names the place


def test_a_caller_hint_replaces_the_generic_one(tmp_path: Path) -> None:
    path = tmp_path / "scores.json"
    path.write_text("{nope")
    with pytest.raises(InvalidInputError) as caught:
        load_json_document(path, hint="write the scores with reg-eval score --output")
    assert caught.value.message == (
        f"{path}: line 1, column 2: invalid JSON: Expecting property name enclosed in double "
        "quotes")
    assert caught.value.hint == "write the scores with reg-eval score --output"


def test_a_job_output_that_is_not_json_is_its_text_and_deep_json_is_refused() -> None:
    limits = Limits()
    assert parse_output(b'"Lung, biopsy"', "job 1, output r", limits) == (True, "Lung, biopsy")
    assert parse_output(b"Lung, biopsy", "job 1, output r", limits) == (False, "Lung, biopsy")
    with pytest.raises(LimitExceeded, match=r"^job 1, output r: lists and objects are nested"):
        parse_output(b"[" * 50 + b"]" * 50, "job 1, output r", limits)
    with pytest.raises(InvalidInputError, match=r"^job 1, output r: byte 10 \(0xff\)"):
        parse_output(BAD_UTF8, "job 1, output r", limits)


def test_json_lines_reads_objects_with_their_line_numbers() -> None:
    text = '{"a": 1}\n\n  {"b": [2, 3]}  \r\n{"c": "x\u2028y"}\n'
    assert list(json_lines(text, "f.jsonl", hint="h")) == [
        (1, {"a": 1}), (3, {"b": [2, 3]}), (4, {"c": "x\u2028y"})]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"a": 1, "a": 2}', "f.jsonl:2: not valid JSON (the key 'a' appears twice in one "
         "object, and only one value could be kept)"),
        ('{"a": {"b": 1, "b": 1}}', "f.jsonl:2: not valid JSON (the key 'b' appears twice"),
        ('{"a": -Infinity}', "f.jsonl:2: not valid JSON (NaN or Infinity is not allowed"),
        ('{"a": 1} {"b": 2}', "f.jsonl:2: not valid JSON (extra data after the object, "
         "column 10)"),
        ('{"a": 1', "f.jsonl:2: not valid JSON (Expecting ',' delimiter, column 8)"),
        ("[1]", "f.jsonl:2: the line is not a JSON object"),
    ],
)
def test_json_lines_refuses_a_line_with_its_place(line: str, message: str) -> None:
    with pytest.raises(InvalidInputError) as refused:
        list(json_lines('{"ok": 1}\n' + line + "\n", "f.jsonl", hint="h"))
    assert refused.value.message.startswith(message)


def test_json_lines_keeps_to_the_row_and_depth_limits() -> None:
    with pytest.raises(LimitExceeded, match=r"^f.jsonl:3: more than 2 rows \(--max-cases\)"):
        list(json_lines("{}\n{}\n{}\n", "f.jsonl", hint="h", limits=Limits(max_cases=2)))
    with pytest.raises(LimitExceeded, match=r"^f.jsonl:1: .*more than 2 levels deep"):
        list(json_lines('{"a": [[1]]}\n', "f.jsonl", hint="h", limits=Limits(max_depth=2)))
