"""One item of a submission list: when it is a case, and everything wrong with it.

The list scan (`reg_eval.io.submission`) hands over each decoded item with the number of
NaN/Infinity tokens inside it; here an item becomes a `Case` or findings (missing or non-string
keys, NaN, unknown keys, the id's shape, an empty, odd or over-long report, a lone surrogate),
and ids given twice are found. The usual well-formed item takes a fast path that computes no
location.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from reg_eval.io.findings import make_finding, shown
from reg_eval.io.ids import explain_id_fix, is_valid_id, suggest_id
from reg_eval.io.jsondoc import NonStandardNumber, ObjectWithDuplicateKeys
from reg_eval.io.limits import depth_finding, nesting_depth
from reg_eval.io.records import Case
from reg_eval.io.texts import (
    SURROGATE_CHARS,
    SURROGATE_HINT,
    length_hint,
    length_problem,
    surrogate_problem,
)
from reg_eval.io.tokens import BERT_MAX_TOKENS, estimate_bert_tokens, may_exceed

if TYPE_CHECKING:
    from reg_eval.io.submission import LoadResult

KNOWN_KEYS = ("id", "report")
EXAMPLE_ITEM = '{"id": "PIT_01_00012_01.tiff", "report": "Lung, biopsy;\\n  Adenocarcinoma"}'

_CONTROL_CHARS = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
_CONTROL = re.compile(f"[{_CONTROL_CHARS}]")
_CONTROL_OR_SURROGATE = re.compile(f"[{_CONTROL_CHARS}{SURROGATE_CHARS}]")
_ID_ALIASES = ("ID", "Id", "case_id", "slide_id", "image_id", "filename", "file", "name", "wsi")
_REPORT_ALIASES = (
    "Report", "REPORT", "text", "prediction", "pred", "generated_report", "caption", "output",
)


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


def _alias_hint(item: dict[str, Any], key: str) -> str:
    aliases = _ID_ALIASES if key == "id" else _REPORT_ALIASES
    for alias in aliases:
        if alias in item:
            return f'rename the key "{alias}" to "{key}"'
    return f"each case needs both keys, e.g. {EXAMPLE_ITEM}"


def check_item(index: int, item: Any, non_standard: int, result: LoadResult) -> None:
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
    if isinstance(item, ObjectWithDuplicateKeys):
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


def check_duplicates(result: LoadResult) -> None:
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
