"""The one loader for submissions and ground truth: bytes in, cases and findings out.

It reads the list item by item with the standard library's C scanner (`raw_decode`), so it
knows where each item starts and can name line and column, and it stays fast on 100,000
cases. Nothing but `UsageError` (the file cannot be read at all) and `LimitExceeded` (the file
is larger than `--max-upload-mb`) ever leaves it; every problem with the content becomes a
`Finding`, the other limits (`reg_eval.io.limits`) included.

The bytes are decoded by `reg_eval.io.jsondoc` (the one defensive decoding); this module scans
the list and locates its items; each item is judged by `reg_eval.io.items`.
"""

from __future__ import annotations

import bisect
import codecs
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reg_eval.io.files import CONVERT_FOLDER_HINT, read_input_bytes
from reg_eval.io.findings import Finding, HasFindings, make_finding, shown
from reg_eval.io.items import (
    EXAMPLE_ITEM,
    check_duplicates,
    check_item,
    describe,
)
from reg_eval.io.jsondoc import (
    UTF8_BOM_HINT,
    UTF8_BOM_MESSAGE,
    JsonScanner,
    ListScanError,
    decode_text,
    scan_list,
    syntax_hint,
)
from reg_eval.io.limits import Limits, current_limits, depth_finding, raise_hint
from reg_eval.io.records import Case
from reg_eval.io.sniff import table_header

_WHITESPACE = re.compile(r"[ \t\n\r]*")


@dataclass
class LoadResult(HasFindings):
    """What a file holds: every well-formed case (duplicates kept) and every finding."""

    path: Path
    cases: list[Case] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    parsed: bool = False  # the top-level list was read, so cases are meaningful
    _positions: _Positions | None = field(default=None, repr=False)
    _item_starts: list[int] = field(default_factory=list, repr=False)
    # ids of items that carry a string id but are not well-formed (bad report, ...)
    broken_ids: list[str] = field(default_factory=list, repr=False)
    values: list[Any] = field(default_factory=list, repr=False)
    """The decoded items of the top-level list, as read (for callers that need the raw JSON,
    such as the grand-challenge reader telling a job list from a submission)."""
    limits: Limits = field(default_factory=current_limits, repr=False)

    @property
    def n_items(self) -> int:
        """Items in the top-level list, well-formed or not (0 when it was not read)."""
        return len(self._item_starts)

    def where(self, index: int, case_id: str | None = None) -> dict[str, Any]:
        """Keyword arguments that locate item `index` in a Finding."""
        out: dict[str, Any] = {"file": str(self.path), "index": index}
        if self._positions is not None and 0 <= index < len(self._item_starts):
            out["line"], out["column"] = self._positions.line_column(self._item_starts[index])
        if case_id is not None:
            out["id"] = shown(case_id, 200)
        return out


    def where_key(self, index: int, key: str, case_id: str | None = None) -> dict[str, Any]:
        """Like `where`, but at the item's `key` (for a finding on that key's value)."""
        out = self.where(index, case_id)
        if self._positions is not None and 0 <= index < len(self._item_starts):
            match = re.compile(rf'"{re.escape(key)}"[ \t\n\r]*:').search(
                self._positions.text, self._item_starts[index]
            )
            if match:
                out["line"], out["column"] = self._positions.line_column(match.start())
        return out


class _Positions:
    """Offsets in the decoded text to 1-based line and column, computed on first use."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._newlines: list[int] | None = None

    def line_column(self, offset: int) -> tuple[int, int]:
        if self._newlines is None:
            self._newlines = [m.start() for m in re.finditer("\n", self.text)]
        before = bisect.bisect_left(self._newlines, offset)
        line_start = self._newlines[before - 1] + 1 if before else 0
        return before + 1, offset - line_start + 1


def load_cases(path: str | Path, *, limits: Limits | None = None) -> LoadResult:
    """Read a submission or ground-truth file (same format) into cases and findings."""
    path = Path(path)
    limits = limits or current_limits()
    data = read_input_bytes(path, limits=limits, folder_hint=CONVERT_FOLDER_HINT)
    return parse_submission(data, path, limits=limits)


def parse_submission(data: bytes, path: Path, *, limits: Limits | None = None) -> LoadResult:
    """The loader on bytes already read; `path` is only used to name the file in findings."""
    result = LoadResult(path=path, limits=limits or current_limits())
    file = str(path)
    text, problem = decode_text(data, bom="strip", limits=result.limits)
    if data.startswith(codecs.BOM_UTF8) and (problem is None or problem.code != "E014"):
        # Read on (json.load would not): the finding names the fix, the cases are still checked.
        result.findings.append(make_finding(
            "E002", UTF8_BOM_MESSAGE, file=file, line=1, column=1, hint=UTF8_BOM_HINT,
        ))
    if problem is not None:
        result.findings.append(problem.finding(file))
        return result
    _parse_text(str(text), result)
    return result


def _syntax_finding(
    message: str, offset: int, positions: _Positions, file: str, hint: str | None = None
) -> Finding:
    line, column = positions.line_column(offset)
    if hint is None:
        hint = syntax_hint(message)
    return make_finding(
        "E003", f"invalid JSON: {message}", file=file, line=line, column=column, hint=hint
    )


def _decode_error(
    exc: Exception, offset: int, positions: _Positions, file: str, limits: Limits
) -> Finding:
    if isinstance(exc, json.JSONDecodeError):
        return _syntax_finding(exc.msg, exc.pos, positions, file)
    if isinstance(exc, RecursionError):
        return depth_finding(None, limits, file=file, offset=offset, positions=positions)
    return _syntax_finding(f"a value cannot be read ({shown(str(exc))})", offset, positions, file)


def _parse_text(text: str, result: LoadResult) -> None:
    file = str(result.path)
    positions = _Positions(text)
    result._positions = positions
    decoder = JsonScanner()
    skip = _WHITESPACE.match
    offset = skip(text, 0).end()
    if offset == len(text):
        what = "empty" if not text else "only whitespace"
        result.findings.append(_syntax_finding(
            f"the file is {what}", offset, positions, file,
            hint=f"a submission is a JSON list of objects such as [{EXAMPLE_ITEM}]",
        ))
        return
    if text[offset] != "[":
        table = table_header(text)
        if table is not None:
            delimiter, first_line = table
            result.findings.append(make_finding(
                "E003",
                f"the file is a table with {delimiter}-separated columns (first line: "
                f"{shown(first_line, 60)!r}), not JSON",
                file=file, line=1, column=1,
                hint="convert it: `reg-eval convert FILE --format "
                f"{'tsv' if delimiter == 'tab' else 'csv'} --out predictions.json` (a table "
                "with the columns id and report), then upload predictions.json",
            ))
            return
        _not_a_list(text, offset, decoder, positions, result)
        return

    items: list[tuple[int, Any, int]] = []  # (start offset, value, NaN/Infinity tokens inside)
    try:
        for item in scan_list(text, offset, decoder):
            items.append((item.start, item.value, item.non_standard))
            if len(items) > result.limits.max_cases:
                line, column = positions.line_column(item.start)
                result.findings.append(make_finding(
                    "E014",
                    f"the list holds more than {result.limits.max_cases:,} items "
                    "(--max-cases); reading stopped there",
                    file=file, line=line, column=column, index=len(items) - 1,
                    hint=raise_hint("max_cases"),
                ))
                return
    except ListScanError as exc:
        if exc.cause is not None:
            result.findings.append(
                _decode_error(exc.cause, exc.offset, positions, file, result.limits))
        else:
            result.findings.append(
                _syntax_finding(exc.message, exc.offset, positions, file, hint=exc.hint))
        return

    result.parsed = True
    result._item_starts = [start for start, _, _ in items]
    result.values = [value for _, value, _ in items]
    if not items:
        result.findings.append(make_finding(
            "E012", "the list holds no cases", file=file, line=1, column=1,
            hint=f"each case is an object such as {EXAMPLE_ITEM}",
        ))
        return
    for index, (_, value, non_standard) in enumerate(items):
        check_item(index, value, non_standard, result)
    check_duplicates(result)


def _not_a_list(
    text: str, offset: int, decoder: JsonScanner, positions: _Positions, result: LoadResult
) -> None:
    file = str(result.path)
    try:
        value, end = decoder.value_at(text, offset)
    except (ValueError, RecursionError) as exc:
        result.findings.append(_decode_error(exc, offset, positions, file, result.limits))
        return
    rest = _WHITESPACE.match(text, end).end()
    line, column = positions.line_column(offset)
    if rest < len(text):
        if isinstance(value, dict):
            second_line, _ = positions.line_column(rest)
            result.findings.append(make_finding(
                "E004",
                f"the file holds one JSON object after another (JSON Lines?), not a list; the "
                f"second value starts on line {second_line}",
                file=file, line=line, column=column,
                hint="convert it: `reg-eval convert FILE --format jsonl --out predictions.json`",
            ))
        else:
            result.findings.append(_syntax_finding(
                "extra data after the first JSON value", rest, positions, file,
                hint="a submission is exactly one JSON list",
            ))
        return
    hint = f"write a list of objects: [{EXAMPLE_ITEM}, ...]"
    if isinstance(value, dict):
        list_keys = [key for key, inner in value.items() if isinstance(inner, list)]
        if list_keys:
            key = json.dumps(list_keys[0], ensure_ascii=False)
            hint = (
                f"the cases seem to sit under the key {shown(key)}; make that list the whole "
                f"file, e.g. `jq '.[{shown(key)}]' FILE > predictions.json`"
            )
        elif "id" in value and "report" in value:
            hint = "this is a single case: wrap it in [ ... ]"
        elif value and all(isinstance(inner, str) for inner in value.values()):
            hint = (
                "the object maps ids to reports; write a list of {\"id\": ..., \"report\": ...} "
                "objects: `jq '[to_entries[] | {id: .key, report: .value}]' FILE`"
            )
    result.findings.append(make_finding(
        "E004", f"the top level is {describe(value)}, not a list of cases",
        file=file, line=line, column=column, hint=hint,
    ))


