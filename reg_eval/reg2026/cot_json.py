"""One chain-of-thought JSON file, read whole: every problem becomes a finding.

The organisers' template reads these files with `json.load`, so a UTF-8 byte-order mark is an
error here (it is only a warning-level fix for REG 2025 submissions); UTF-16, tables saved as
JSON, deep nesting and oversized files are named as such.
"""

from __future__ import annotations

import codecs
import json
from pathlib import Path
from typing import Any

from reg_eval.io.files import read_input_bytes
from reg_eval.io.findings import Finding, make_finding, shown
from reg_eval.io.limits import current_limits, depth_finding, nesting_depth, too_many_values
from reg_eval.io.sniff import table_header, utf16_without_bom


def read_json(path: Path, findings: list[Finding]) -> tuple[bool, Any]:
    """(parsed, value); problems become findings. Unreadable files raise UsageError."""

    data = read_input_bytes(path)
    file = str(path)
    if data.startswith(codecs.BOM_UTF8):
        findings.append(make_finding(
            "E002", "the file starts with a UTF-8 byte-order mark, which json.load refuses",
            file=file, line=1, column=1, hint="save it as UTF-8 without a byte-order mark",
        ))
        return False, None
    crowded = too_many_values(data, file, current_limits())
    if crowded is not None:
        findings.append(make_finding("E014", crowded.message, file=file, hint=crowded.hint))
        return False, None
    utf16 = utf16_without_bom(data)
    if utf16 is not None or data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        findings.append(make_finding(
            "E001", f"the file is {utf16 or 'UTF-16'} text, not UTF-8", file=file, line=1,
            hint=f"save it as UTF-8: `iconv -f {utf16 or 'UTF-16'} -t UTF-8 FILE > fixed.json`",
        ))
        return False, None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        findings.append(make_finding(
            "E001", f"byte {exc.start} is not valid UTF-8 ({exc.reason})",
            file=file, line=data.count(b"\n", 0, exc.start) + 1, hint="save the file as UTF-8",
        ))
        return False, None
    limits = current_limits()
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        table = table_header(text)
        findings.append(make_finding(
            "E003", f"invalid JSON: {exc.msg}" if table is None else
            f"the file is a table with {table[0]}-separated columns, not JSON",
            file=file, line=exc.lineno, column=exc.colno,
        ))
        return False, None
    except RecursionError:
        findings.append(depth_finding(None, limits, file=file))
        return False, None
    except ValueError as exc:  # an integer of more than 4,300 digits
        findings.append(make_finding(
            "E003", f"invalid JSON: a value cannot be read ({shown(str(exc), 100)})", file=file,
        ))
        return False, None
    if nesting_depth(value, limits.max_depth) > limits.max_depth:
        findings.append(depth_finding(0, limits, file=file))
        return False, None
    return True, value
