"""Bytes that should be one JSON document: the one place that decodes them defensively.

Every JSON reader goes through here: the submission loader and the grounding answers reader
(bytes, then the item-by-item list scan of `scan_list`), JSON-lines files (`json_lines`:
`convert`'s input, per-case files, REG 2026 rows), chain-of-thought files, job outputs,
result, training and id files. Item and line scans share one `JsonScanner`, so a NaN token
or a key written twice in one object is always seen, never silently a float or the last
value.
Whatever the bytes hold (UTF-16, a CSV table, 100,000 nested brackets, a 5,000-digit number)
the answer is the text or value, or one `JsonProblem` that names what the file is, where, and
the fix. A problem becomes a `Finding` for readers that collect findings (`.finding`), or an
`InvalidInputError` (exit 1; `LimitExceeded` for a limit) for readers that stop at the first
problem (`.error`, and `decode_utf8` / `parse_json_document` / `load_json_document`).
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterator
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
    raise_hint,
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


# --- item by item: lists and JSON lines ------------------------------------------------------

_WHITESPACE = re.compile(r"[ \t\n\r]*")


class NonStandardNumber:
    """A NaN/Infinity token: Python's json accepts it, strict JSON parsers refuse it."""

    __slots__ = ("token",)

    def __init__(self, token: str) -> None:
        self.token = token

    def __repr__(self) -> str:
        return self.token


class ObjectWithDuplicateKeys(dict):  # type: ignore[type-arg]
    """A decoded object that had the same key twice (the last value won)."""

    duplicate_keys: list[str]


class JsonScanner:
    """The C scanner, told to keep NaN/Infinity and repeated keys visible.

    The one decoder of JSON values read one at a time. A NaN or Infinity token becomes a
    `NonStandardNumber` (counted in `non_standard`), an object with a repeated key an
    `ObjectWithDuplicateKeys` (its keys also in `repeated_keys`): each reader then says what
    that means for its file, none keeps a value silently.
    """

    def __init__(self) -> None:
        self.non_standard = 0
        self.repeated_keys: list[str] = []
        self._decoder = json.JSONDecoder(
            parse_constant=self._constant, object_pairs_hook=self._object
        )

    def _constant(self, token: str) -> NonStandardNumber:
        self.non_standard += 1
        return NonStandardNumber(token)

    def _object(self, pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        obj = dict(pairs)
        if len(obj) == len(pairs):
            return obj
        dup = ObjectWithDuplicateKeys(obj)
        seen: set[str] = set()
        dup.duplicate_keys = []
        for key, _ in pairs:
            if key in seen and key not in dup.duplicate_keys:
                dup.duplicate_keys.append(key)
            seen.add(key)
        self.repeated_keys.extend(dup.duplicate_keys)
        return dup

    def value_at(self, text: str, offset: int) -> tuple[Any, int]:
        """The value starting at `offset` and the offset after it (JSONDecodeError,
        ValueError or RecursionError when there is none to read)."""
        try:
            return self._decoder.scan_once(text, offset)  # type: ignore[attr-defined]
        except StopIteration:  # no value here: let raw_decode raise the located error
            return self._decoder.raw_decode(text, offset)


@dataclass(frozen=True)
class ScannedItem:
    """One item of a JSON list: where it starts, its value, and what the scanner saw in it."""

    start: int
    value: Any
    non_standard: int
    """NaN/Infinity tokens inside the item."""
    repeated_keys: tuple[str, ...]
    """Keys written twice in one of its objects."""


class ListScanError(ValueError):
    """Why a JSON list cannot be read on: a message, the offset it is about, the fix, and
    the decoder's own exception when an item could not be read (`cause`)."""

    def __init__(self, message: str, offset: int, hint: str | None = None,
                 cause: Exception | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset
        self.hint = hint
        self.cause = cause


def scan_list(text: str, offset: int, scanner: JsonScanner) -> Iterator[ScannedItem]:
    """The items of the JSON list whose `[` is at `offset`, one at a time, then a check that
    only whitespace follows it. Raises `ListScanError` at the first problem; a caller may
    stop early (at `--max-cases`) without the rest being read."""
    skip = _WHITESPACE.match
    offset = skip(text, offset + 1).end()
    count = 0
    if text.startswith("]", offset):
        offset += 1
    else:
        while True:
            start = offset
            before, repeated_before = scanner.non_standard, len(scanner.repeated_keys)
            try:
                value, offset = scanner.value_at(text, offset)
            except (ValueError, RecursionError) as exc:
                raise ListScanError(str(exc), start, cause=exc) from None
            yield ScannedItem(start, value, scanner.non_standard - before,
                              tuple(scanner.repeated_keys[repeated_before:]))
            count += 1
            offset = skip(text, offset).end()
            char = text[offset : offset + 1]
            if char == ",":
                comma = offset
                offset = skip(text, offset + 1).end()
                if text.startswith("]", offset):
                    raise ListScanError(f"a comma after the last item (item {count - 1})",
                                        comma, "remove the comma before ]")
                continue
            if char == "]":
                offset += 1
                break
            if not char:
                message = "the file ends before the list is closed with ]"
            else:
                message = f"expected ',' or ']' after item {count - 1}"
            raise ListScanError(message, offset,
                                "items must be separated by commas and the list closed with ]")
    offset = skip(text, offset).end()
    if offset < len(text):
        raise ListScanError("extra data after the list", offset,
                            "the file is exactly one JSON list; remove what follows the "
                            "closing ]")


def json_lines(
    text: str, where: str, *, hint: str, limits: Limits | None = None
) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) for each non-blank line of a JSON-lines text, within
    `--max-cases` (rows) and `--max-depth` (each line).

    Each line must be one JSON object. NaN/Infinity and a key written twice in one object
    are refused as not JSON (strict parsers refuse the first; of the second only one value
    could be kept). Errors name `where` and the line (`FILE:LINE: ...`); `hint` says how to
    get a good file.
    """
    limits = limits or current_limits()
    rows = 0
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        if rows >= limits.max_cases:
            raise LimitExceeded(f"{where}:{number}: more than {limits.max_cases:,} rows "
                                "(--max-cases)", hint=raise_hint("max_cases"))
        value = _line_value(line, f"{where}:{number}", hint)
        if nesting_depth(value, limits.max_depth) > limits.max_depth:
            raise LimitExceeded(
                f"{where}:{number}: lists and objects nested more than {limits.max_depth} "
                "levels deep (--max-depth)", hint=raise_hint("max_depth"),
            )
        if not isinstance(value, dict):
            raise InvalidInputError(f"{where}:{number}: the line is not a JSON object",
                                    hint=hint)
        rows += 1
        yield number, value


def _line_value(line: str, place: str, hint: str) -> Any:
    """The one JSON value of a line, read by `JsonScanner` and held to the strict policy."""
    scanner = JsonScanner()
    start = _WHITESPACE.match(line).end()
    try:
        value, end = scanner.value_at(line, start)
    except json.JSONDecodeError as exc:
        raise InvalidInputError(f"{place}: not valid JSON ({exc.msg}, column {exc.colno})",
                                hint=syntax_hint(exc.msg) or hint) from None
    except RecursionError:
        raise LimitExceeded(f"{place}: lists and objects nested deeper than can be read",
                            hint=hint) from None
    except ValueError as exc:  # e.g. an integer of more than 4,300 digits
        raise InvalidInputError(f"{place}: not valid JSON (a value cannot be read: "
                                f"{shown(str(exc), 100)})", hint=hint) from None
    end = _WHITESPACE.match(line, end).end()
    if end < len(line):
        raise InvalidInputError(f"{place}: not valid JSON (extra data after the object, "
                                f"column {end + 1})", hint="write one JSON object per line")
    if scanner.non_standard:
        raise InvalidInputError(
            f"{place}: not valid JSON (NaN or Infinity is not allowed in JSON)", hint=hint,
        )
    if scanner.repeated_keys:
        raise InvalidInputError(
            f"{place}: not valid JSON (the key {shown(scanner.repeated_keys[0], 40)!r} appears "
            "twice in one object, and only one value could be kept)", hint=hint,
        )
    return value
