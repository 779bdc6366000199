"""The one loader for submissions and ground truth: bytes in, cases and findings out.

It reads the list item by item with the standard library's C scanner (`raw_decode`), so it
knows where each item starts and can name line and column, and it stays fast on 100,000
cases. Nothing but `UsageError` (the file cannot be read at all) and `LimitExceeded` (the file
is larger than `--max-upload-mb`) ever leaves it; every problem with the content becomes a
`Finding`, the other limits (`reg_eval.io.limits`) included.
"""

from __future__ import annotations

import bisect
import codecs
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reg_eval.io.files import read_input_bytes
from reg_eval.io.findings import Finding, HasFindings, make_finding, shown
from reg_eval.io.ids import explain_id_fix, is_valid_id, suggest_id
from reg_eval.io.jsondoc import UTF8_BOM_HINT, UTF8_BOM_MESSAGE, decode_text, syntax_hint
from reg_eval.io.limits import (
    Limits,
    current_limits,
    depth_finding,
    nesting_depth,
    raise_hint,
)
from reg_eval.io.records import Case
from reg_eval.io.sniff import table_header
from reg_eval.io.texts import (
    SURROGATE_CHARS,
    SURROGATE_HINT,
    length_hint,
    length_problem,
    surrogate_problem,
)
from reg_eval.io.tokens import BERT_MAX_TOKENS, estimate_bert_tokens, may_exceed

KNOWN_KEYS = ("id", "report")
EXAMPLE_ITEM = '{"id": "PIT_01_00012_01.tiff", "report": "Lung, biopsy;\\n  Adenocarcinoma"}'

_WHITESPACE = re.compile(r"[ \t\n\r]*")
_CONTROL_CHARS = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
_CONTROL = re.compile(f"[{_CONTROL_CHARS}]")
_CONTROL_OR_SURROGATE = re.compile(f"[{_CONTROL_CHARS}{SURROGATE_CHARS}]")
_ID_ALIASES = ("ID", "Id", "case_id", "slide_id", "image_id", "filename", "file", "name", "wsi")
_REPORT_ALIASES = (
    "Report", "REPORT", "text", "prediction", "pred", "generated_report", "caption", "output",
)



class NonStandardNumber:
    """A NaN/Infinity token: Python's json accepts it, strict JSON parsers refuse it."""

    __slots__ = ("token",)

    def __init__(self, token: str) -> None:
        self.token = token

    def __repr__(self) -> str:
        return self.token


class _ObjectWithDuplicateKeys(dict):  # type: ignore[type-arg]
    """A decoded object that had the same key twice (the last value won)."""

    duplicate_keys: list[str]


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
    return parse_submission(read_input_bytes(path, limits=limits), path, limits=limits)


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


def describe(value: Any) -> str:
    """A value's JSON kind in words, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"a boolean ({'true' if value else 'false'})"
    if isinstance(value, NonStandardNumber):
        return f"{value.token}, a number token that strict JSON does not allow"
    if isinstance(value, int | float):
        return f"a number ({shown(repr(value), 30)})"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return f"a list of {len(value)} item{'s' if len(value) != 1 else ''}"
    return "an object"


class _Decoder:
    """The C scanner, told to keep NaN/Infinity and duplicate keys visible."""

    def __init__(self) -> None:
        self.non_standard = 0
        self._decoder = json.JSONDecoder(
            parse_constant=self._constant, object_pairs_hook=self._object
        )

    def _constant(self, token: str) -> NonStandardNumber:
        self.non_standard += 1
        return NonStandardNumber(token)

    @staticmethod
    def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        obj = dict(pairs)
        if len(obj) == len(pairs):
            return obj
        dup = _ObjectWithDuplicateKeys(obj)
        seen: set[str] = set()
        dup.duplicate_keys = []
        for key, _ in pairs:
            if key in seen and key not in dup.duplicate_keys:
                dup.duplicate_keys.append(key)
            seen.add(key)
        return dup

    def value_at(self, text: str, offset: int) -> tuple[Any, int]:
        try:
            return self._decoder.scan_once(text, offset)  # type: ignore[attr-defined]
        except StopIteration:  # no value here: let raw_decode raise the located error
            return self._decoder.raw_decode(text, offset)


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
    decoder = _Decoder()
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
    offset = skip(text, offset + 1).end()
    if text.startswith("]", offset):
        offset += 1
    else:
        while True:
            start = offset
            before = decoder.non_standard
            try:
                value, offset = decoder.value_at(text, offset)
            except (ValueError, RecursionError) as exc:
                result.findings.append(_decode_error(exc, start, positions, file, result.limits))
                return
            items.append((start, value, decoder.non_standard - before))
            if len(items) > result.limits.max_cases:
                line, column = positions.line_column(start)
                result.findings.append(make_finding(
                    "E014",
                    f"the list holds more than {result.limits.max_cases:,} items "
                    "(--max-cases); reading stopped there",
                    file=file, line=line, column=column, index=len(items) - 1,
                    hint=raise_hint("max_cases"),
                ))
                return
            offset = skip(text, offset).end()
            char = text[offset : offset + 1]
            if char == ",":
                comma = offset
                offset = skip(text, offset + 1).end()
                if text.startswith("]", offset):
                    result.findings.append(_syntax_finding(
                        f"a comma after the last item (item {len(items) - 1})", comma,
                        positions, file, hint="remove the comma before ]",
                    ))
                    return
                continue
            if char == "]":
                offset += 1
                break
            if not char:
                message = "the file ends before the list is closed with ]"
            else:
                message = f"expected ',' or ']' after item {len(items) - 1}"
            result.findings.append(_syntax_finding(
                message, offset, positions, file,
                hint="items must be separated by commas and the list closed with ]",
            ))
            return
    offset = skip(text, offset).end()
    if offset < len(text):
        result.findings.append(_syntax_finding(
            "extra data after the list", offset, positions, file,
            hint="a submission is exactly one JSON list; remove what follows the closing ]",
        ))
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
        _check_item(index, value, non_standard, result)
    _check_duplicates(result)


def _not_a_list(
    text: str, offset: int, decoder: _Decoder, positions: _Positions, result: LoadResult
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


def _alias_hint(item: dict[str, Any], key: str) -> str:
    aliases = _ID_ALIASES if key == "id" else _REPORT_ALIASES
    for alias in aliases:
        if alias in item:
            return f'rename the key "{alias}" to "{key}"'
    return f"each case needs both keys, e.g. {EXAMPLE_ITEM}"


def _check_item(index: int, item: Any, non_standard: int, result: LoadResult) -> None:
    # Fast path for the usual well-formed item: no location is computed unless needed.
    if type(item) is dict and len(item) == 2 and not non_standard:
        case_id = item.get("id")
        report = item.get("report")
        if (
            type(case_id) is str and type(report) is str and is_valid_id(case_id)
            and report.strip() and not _CONTROL_OR_SURROGATE.search(report)
            and not may_exceed(report) and len(report) <= result.limits.max_report_chars
        ):
            result.cases.append(Case(id=case_id, report=report, index=index))
            return
    _check_item_fully(index, item, non_standard, result)


def _check_item_fully(index: int, item: Any, non_standard: int, result: LoadResult) -> None:
    add = result.findings.append
    if not isinstance(item, dict):
        add(make_finding(
            "E005", f"item {index} is {describe(item)}, not an object",
            hint=f"each item is an object such as {EXAMPLE_ITEM}", **result.where(index),
        ))
        return
    case_id = item.get("id")
    known_id = case_id if isinstance(case_id, str) else None
    where = result.where(index, known_id)
    # The item itself is level 2 (inside the list): its own depth counts from there.
    depth = nesting_depth(item, result.limits.max_depth - 1) + 1
    if depth > result.limits.max_depth:
        add(depth_finding(depth, result.limits, **where))
        if known_id is not None:
            result.broken_ids.append(known_id)
        return
    if isinstance(item, _ObjectWithDuplicateKeys):
        keys = ", ".join(json.dumps(shown(k), ensure_ascii=False) for k in item.duplicate_keys)
        add(make_finding(
            "E013", f"the item has the key {keys} more than once (only the last value is read)",
            hint="keep one of them", **where,
        ))
    well_formed = True
    in_known_keys = 0
    for key in KNOWN_KEYS:
        if key not in item:
            well_formed = False
            add(make_finding(
                "E006", f'the item has no "{key}" key', hint=_alias_hint(item, key), **where
            ))
            continue
        value = item[key]
        if isinstance(value, NonStandardNumber):
            in_known_keys += 1
        if not isinstance(value, str):
            well_formed = False
            add(make_finding(
                "E007", f'"{key}" is {describe(value)}, not a string',
                hint='write the value in double quotes; an empty report is ""'
                if key == "report" else 'ids are strings such as "PIT_01_00012_01.tiff"',
                **result.where_key(index, key, known_id),
            ))
    if non_standard > in_known_keys:
        add(make_finding(
            "E008", "the item holds NaN or Infinity, which strict JSON parsers refuse",
            hint="write null or a string instead, or drop the key", **where,
        ))
    unknown = [key for key in item if key not in KNOWN_KEYS]
    if unknown:
        names = ", ".join(json.dumps(shown(k), ensure_ascii=False) for k in unknown)
        add(make_finding(
            "W006", f"unknown key{'s' if len(unknown) > 1 else ''} {names} (only \"id\" and "
            "\"report\" are read)", hint="drop the extra keys", **where,
        ))
    if not well_formed:
        if known_id is not None:
            result.broken_ids.append(known_id)
        return
    report = item["report"]
    too_long = length_problem(report, result.limits)
    if too_long is not None:
        add(make_finding("E015", f"the report {too_long}", hint=length_hint(report), **where))
        result.broken_ids.append(case_id)
        return
    result.cases.append(Case(id=case_id, report=report, index=index))
    for key, text in (("id", case_id), ("report", report)):
        surrogate = surrogate_problem(text)
        if surrogate is not None:
            add(make_finding("E011", f'"{key}" {surrogate}', hint=SURROGATE_HINT, **where))
    if not is_valid_id(case_id):
        fixed = suggest_id(case_id)
        add(make_finding(
            "W002", f'the id "{shown(case_id)}" does not match PIT_NN_NNNNN_NN.tiff',
            hint=explain_id_fix(case_id, fixed) if fixed else
            "ids look like PIT_01_00012_01.tiff: institution, slide and crop numbers",
            **where,
        ))
    if not report.strip():
        add(make_finding(
            "W003", "the report is empty" if not report else "the report holds only whitespace",
            hint="an empty report scores 0 on BLEU, ROUGE and KEY; EMB may still be non-zero",
            **where,
        ))
    else:
        control = _CONTROL.search(report)
        if control:
            count = len(_CONTROL.findall(report))
            more = f" ({count} in all)" if count > 1 else ""
            add(make_finding(
                "W004", f"the report holds the control character U+{ord(control.group()):04X} "
                f"at character {control.start()}{more}",
                hint="remove it; only line breaks and tabs belong in a report", **where,
            ))
        if may_exceed(report):
            estimate = estimate_bert_tokens(report)
            if estimate > BERT_MAX_TOKENS:
                add(make_finding(
                    "W005", f"the report has an estimated {estimate} BERT-like tokens; EMB "
                    f"reads only the first {BERT_MAX_TOKENS}",
                    hint="text past the limit does not count for EMB (an estimate; the real "
                    "count depends on the tokenizer)", **where,
                ))


def _check_duplicates(result: LoadResult) -> None:
    if len({case.id for case in result.cases}) == len(result.cases):
        return
    by_id: dict[str, list[Case]] = {}
    for case in result.cases:
        by_id.setdefault(case.id, []).append(case)
    for case_id, group in by_id.items():
        if len(group) < 2:
            continue
        places = []
        for case in group:
            line = result.where(case.index).get("line")
            places.append(f"{case.index} (line {line})" if line else str(case.index))
        differ = len({case.report for case in group}) > 1
        add = "with different reports; " if differ else ""
        result.findings.append(make_finding(
            "E009",
            f"the id appears {len(group)} times, as items {', '.join(places)}; {add}the "
            "official scorer silently keeps the last one",
            hint="keep one report per id", **result.where(group[1].index, case_id),
        ))
