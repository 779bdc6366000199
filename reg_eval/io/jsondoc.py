"""One JSON document read whole (result files, training files, id lists, job outputs).

Submissions have their own item-by-item loader (`submission.py`) that turns every problem into
a finding; the files read here are not user submissions item by item, so any problem is one
`InvalidInputError` (exit 1) naming the file, the line and column where known, and the fix.
Whatever the bytes hold (UTF-16, a CSV table, 100,000 nested brackets, a 5,000-digit number)
the caller gets that error or the parsed value, never another exception.
"""

from __future__ import annotations

import codecs
import json
from pathlib import Path
from typing import Any

from reg_eval.errors import InvalidInputError
from reg_eval.io.files import read_input_bytes
from reg_eval.io.findings import shown
from reg_eval.io.limits import (
    LimitExceeded,
    Limits,
    current_limits,
    nesting_depth,
    too_many_values,
)
from reg_eval.io.sniff import table_header, utf16_without_bom


def decode_utf8(data: bytes, where: str) -> str:
    """UTF-8 text (a leading byte-order mark dropped), or an error that says what it is."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise InvalidInputError(
            f"{where}: the file is UTF-16 encoded (it starts with a UTF-16 byte-order mark)",
            hint="save it as UTF-8",
        )
    utf16 = utf16_without_bom(data)
    if utf16 is not None:
        raise InvalidInputError(
            f"{where}: the file looks like {utf16} text without a byte-order mark (every "
            "second byte is 0), not UTF-8",
            hint=f"save it as UTF-8: `iconv -f {utf16} -t UTF-8 FILE > fixed.json`",
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise InvalidInputError(
            f"{where}: byte {exc.start} (line {line}) is not valid UTF-8 ({exc.reason})",
            hint="save the file as UTF-8; text from Excel or Windows is often cp1252: "
            "`iconv -f cp1252 -t utf-8 FILE > fixed`",
        ) from None


def parse_json_document(
    data: bytes, where: str, *, limits: Limits | None = None, hint: str | None = None
) -> Any:
    """The value of a whole JSON file given as bytes; `where` names it in messages."""
    limits = limits or current_limits()
    crowded = too_many_values(data, where, limits)
    if crowded is not None:
        raise crowded
    text = decode_utf8(data, where)
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        table = table_header(text) if exc.pos == len(text) - len(text.lstrip()) else None
        if table is not None:
            raise InvalidInputError(
                f"{where}: the file is a table with {table[0]}-separated columns (first line: "
                f"{shown(table[1], 60)!r}), not JSON",
                hint=hint or "write the file as JSON",
            ) from None
        raise InvalidInputError(
            f"{where}: not valid JSON at line {exc.lineno}, column {exc.colno} ({exc.msg})",
            hint=hint,
        ) from None
    except RecursionError:
        raise LimitExceeded(
            f"{where}: lists and objects nested deeper than can be read (about 1,000 levels)",
            hint=hint,
        ) from None
    except ValueError as exc:  # e.g. an integer of more than 4,300 digits
        raise InvalidInputError(
            f"{where}: a value cannot be read ({shown(str(exc), 100)})", hint=hint
        ) from None
    if nesting_depth(value, limits.max_depth) > limits.max_depth:
        raise LimitExceeded(
            f"{where}: lists and objects nested more than {limits.max_depth} levels deep "
            "(--max-depth)",
            hint=hint,
        )
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
