"""Bytes that should be one JSON document: the one place that decodes them defensively.

Every JSON reader goes through here: the submission loader (for the bytes before its
item-by-item scan), chain-of-thought files, job outputs, result, training and id files.
Whatever the bytes hold (UTF-16, a CSV table, 100,000 nested brackets, a 5,000-digit number)
the answer is the text or value, or one `JsonProblem` that names what the file is, where, and
the fix. A problem becomes a `Finding` for readers that collect findings (`.finding`), or an
`InvalidInputError` (exit 1; `LimitExceeded` for a limit) for readers that stop at the first
problem (`.error`, and `decode_utf8` / `parse_json_document` / `load_json_document`).
"""

from __future__ import annotations

import codecs
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from reg_eval.errors import InvalidInputError
from reg_eval.io.files import read_input_bytes
from reg_eval.io.findings import Finding, make_finding, shown
from reg_eval.io.limits import (
    LimitExceeded,
    Limits,
    current_limits,
    nesting_depth,
    too_many_values,
)
from reg_eval.io.sniff import table_header, utf16_without_bom

BomPolicy = Literal["strip", "refuse"]
"""A leading UTF-8 byte-order mark: dropped, or a problem (for files the organisers' template
reads with `json.load`, which refuses it)."""

UTF8_BOM_MESSAGE = (
    "the file starts with a UTF-8 byte-order mark (bytes EF BB BF); strict JSON parsers, "
    "Python's json.load among them, refuse it"
)
UTF8_BOM_HINT = (
    "strip it: `sed -i '1s/^\\xEF\\xBB\\xBF//' FILE`, or in Python read with "
    "encoding='utf-8-sig' and write back with encoding='utf-8'"
)
SYNTAX_HINTS = (
    ("Invalid control character", "a raw line break or tab inside a string: write it as \\n "
     "or \\t"),
    ("Expecting property name", "keys need double quotes, and no comma may come before }"),
    ("Expecting value", "a value is missing or is not JSON (single quotes, a trailing comma, "
     "Python's None/True/False?)"),
    ("Unterminated string", "a string is not closed with a double quote"),
    ("Invalid \\escape", "a backslash inside a string must be written \\\\"),
    ("Expecting ',' delimiter", "a comma is missing between two values"),
    ("Expecting ':' delimiter", "a colon is missing between a key and its value"),
)
"""The likely fix for each of the standard library's JSON syntax messages."""
_LIMIT_CODES = ("E014", "E016")


@dataclass(frozen=True)
class JsonProblem:
    """Why bytes are not the JSON expected: a finding code, the message (without the file
    name), the place where known, and the fix."""

    code: str
    """E001 not UTF-8, E002 UTF-8 byte-order mark, E003 not JSON, E014 too many values,
    E016 nested too deep (the codes of `reg_eval.io.findings`)."""
    message: str
    hint: str | None = None
    line: int | None = None
    column: int | None = None
    say_place: bool = True
    """Whether `error` puts the line and column before the message: not for a problem of the
    whole file (its encoding, its size, a table), nor when the message names its place."""

    def finding(self, file: str, **where: Any) -> Finding:
        """The problem as a finding on `file` (`where` adds the item's index or id)."""
        place = {k: v for k, v in (("line", self.line), ("column", self.column)) if v}
        return make_finding(self.code, self.message, file=file, hint=self.hint,
                            **place, **where)

    def error(self, where: str, *, hint: str | None = None) -> InvalidInputError:
        """The problem as an exception naming `where`; `hint` replaces the generic one."""
        place = ""
        if self.line and self.say_place:
            place = f"line {self.line}, column {self.column}: " if self.column else (
                f"line {self.line}: ")
        kind = LimitExceeded if self.code in _LIMIT_CODES else InvalidInputError
        return kind(f"{where}: {place}{self.message}", hint=hint or self.hint)


def syntax_hint(message: str) -> str | None:
    """The likely fix for a JSON syntax message of the standard library, if one is known."""
    return next((hint for prefix, hint in SYNTAX_HINTS if message.startswith(prefix)), None)


def decode_text(
    data: bytes, *, bom: BomPolicy = "strip", limits: Limits | None = None
) -> tuple[str, None] | tuple[None, JsonProblem]:
    """(text, None) for UTF-8 bytes of a sane size, else (None, the problem).

    Checked in order: the number of JSON values the bytes could hold (`--max-cases`, counted
    without parsing), UTF-16 with or without a byte-order mark, a UTF-8 byte-order mark (by
    `bom`), then UTF-8 itself (the place of the first bad byte).
    """
    limits = limits or current_limits()
    crowded = too_many_values(data, "the file", limits)
    if crowded is not None:
        return None, JsonProblem("E014", crowded.message, crowded.hint, 1, 1, say_place=False)
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return None, JsonProblem(
            "E001", "the file is UTF-16 encoded (it starts with a UTF-16 byte-order mark)",
            "save it as UTF-8 (without a byte-order mark)", 1, 1, say_place=False,
        )
    skipped = 0
    if data.startswith(codecs.BOM_UTF8):
        if bom == "refuse":
            return None, JsonProblem("E002", UTF8_BOM_MESSAGE, UTF8_BOM_HINT, 1, 1,
                                     say_place=False)
        skipped = len(codecs.BOM_UTF8)
    utf16 = utf16_without_bom(data[skipped:])
    if utf16 is not None:
        return None, JsonProblem(
            "E001", f"the file looks like {utf16} text without a byte-order mark (every "
            "second byte is 0), not UTF-8",
            f"save it as UTF-8: `iconv -f {utf16} -t UTF-8 FILE > fixed.json`, or in Python "
            f"read it with encoding='{utf16.lower().replace('utf-', 'utf_')}' and write it "
            "with encoding='utf-8'", 1, 1, say_place=False,
        )
    try:
        return data[skipped:].decode("utf-8"), None
    except UnicodeDecodeError as exc:
        offset = exc.start + skipped
        line = data.count(b"\n", 0, offset) + 1
        column = offset - (data.rfind(b"\n", 0, offset) + 1) + 1
        return None, JsonProblem(
            "E001",
            f"byte {offset} (0x{data[offset]:02x}) is not valid UTF-8 ({exc.reason}); "
            f"line {line}, byte {column} of the line",
            "save the file as UTF-8; text from Excel or Windows is often cp1252: "
            "`iconv -f cp1252 -t utf-8 FILE > fixed.json`",
            line, column, say_place=False,
        )


def parse_text(
    text: str, *, limits: Limits | None = None
) -> tuple[Any, None] | tuple[None, JsonProblem]:
    """(value, None) for one whole JSON document within `--max-depth`, else (None, problem)."""
    limits = limits or current_limits()
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        table = table_header(text) if exc.pos == len(text) - len(text.lstrip()) else None
        if table is not None:
            return None, JsonProblem(
                "E003", f"the file is a table with {table[0]}-separated columns (first line: "
                f"{shown(table[1], 60)!r}), not JSON", "write the file as JSON", 1, 1,
                say_place=False,
            )
        return None, JsonProblem("E003", f"invalid JSON: {exc.msg}", syntax_hint(exc.msg),
                                 exc.lineno, exc.colno)
    except RecursionError:
        return None, JsonProblem(
            "E016", "lists and objects are nested deeper than the reader can follow (about "
            "1,000 levels)", "remove the nesting",
        )
    except ValueError as exc:  # e.g. an integer of more than 4,300 digits
        return None, JsonProblem("E003", f"invalid JSON: a value cannot be read "
                                 f"({shown(str(exc), 100)})")
    if nesting_depth(value, limits.max_depth) > limits.max_depth:
        return None, JsonProblem(
            "E016", f"lists and objects are nested more than {limits.max_depth} levels deep "
            "(--max-depth)", "remove the nesting",
        )
    return value, None


def decode_json(
    data: bytes, *, bom: BomPolicy = "strip", limits: Limits | None = None
) -> tuple[Any, None] | tuple[None, JsonProblem]:
    """`decode_text` then `parse_text`: the value of a whole JSON file, or its problem."""
    text, problem = decode_text(data, bom=bom, limits=limits)
    if problem is not None:
        return None, problem
    return parse_text(str(text), limits=limits)


def decode_utf8(data: bytes, where: str) -> str:
    """UTF-8 text (a leading byte-order mark dropped), or an error that says what it is."""
    text, problem = decode_text(data)
    if problem is not None:
        raise problem.error(where)
    return str(text)


def parse_json_document(
    data: bytes, where: str, *, limits: Limits | None = None, hint: str | None = None
) -> Any:
    """The value of a whole JSON file given as bytes; `where` names it in messages, `hint`
    (when given) is the fix shown for any problem."""
    value, problem = decode_json(data, limits=limits)
    if problem is not None:
        raise problem.error(where, hint=hint)
    return value


def load_json_document(
    path: str | Path, what: str = "file", *, limits: Limits | None = None,
    hint: str | None = None,
) -> Any:
    """Read and parse a whole JSON file, up to the limits (see `parse_json_document`)."""
    path = Path(path)
    limits = limits or current_limits()
    return parse_json_document(
        read_input_bytes(path, what, limits=limits), str(path), limits=limits, hint=hint
    )
