"""REG 2026 Metric B inputs: the ROI mapping (`rois_mapping.txt`) and the answers to its ROIs.

The mapping is a tab-separated table, read as the organisers read it (Python's `csv` reader
with a tab delimiter, every value stripped, rows in file order). The answers are a JSON list of
`{"id", "image", "question", "answer"}`. Both are read within the shared input limits and every
problem becomes a located finding (file, line, id) instead of the crash or silent skip of the
organisers' scorer. Whether a finding stops scoring is its severity: errors do, warnings
describe rows that score 0 or are not scored, exactly as the organisers' scorer treats them.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reg_eval.errors import InvalidInputError
from reg_eval.io.files import read_input_bytes
from reg_eval.io.findings import Finding, HasFindings, make_finding, shown
from reg_eval.io.jsondoc import (
    JsonScanner,
    ListScanError,
    NonStandardNumber,
    decode_utf8,
    scan_list,
)
from reg_eval.io.limits import LimitExceeded, current_limits, nesting_depth

REQUIRED_COLUMNS: tuple[str, ...] = (
    "anonymous_id",
    "image",
    "variant",
    "paired_anonymous_id",
    "b3_paired_anonymous_id",
    "label",
    "question",
)
"""The columns the organisers' scorer requires."""
ALL_COLUMNS: tuple[str, ...] = (
    "row_index",
    "anonymous_id",
    "image_path",
    "image",
    "variant",
    "paired_anonymous_id",
    "b3_paired_anonymous_id",
    "pair_id",
    "label",
    "slide_id",
    "x",
    "y",
    "magnification",
    "patch_size",
    "question",
)
"""The columns of the organisers' example mapping, in their order (what `probes` writes)."""
NO_PARTNER = "none"
LABELS = ("tissue", "background")
VARIANTS = ("original", "perturbed")
ANSWER_KEYS = ("id", "image", "question", "answer")


@dataclass(frozen=True)
class RoiRow:
    """One mapping row, values stripped; `line` is where it ends in the file (from 1)."""

    anonymous_id: str
    image: str
    variant: str
    paired_anonymous_id: str
    b3_paired_anonymous_id: str
    label: str
    question: str
    line: int
    fields: Mapping[str, str] = field(default_factory=dict)

    @property
    def pair_id(self) -> str:
        return self.fields.get("pair_id", "")


@dataclass
class RoiMapping(HasFindings):
    """A read mapping: rows in file order, and what was found wrong with it."""

    path: Path
    rows: list[RoiRow] = field(default_factory=list)
    columns: tuple[str, ...] = ()
    findings: list[Finding] = field(default_factory=list)

    @property
    def by_id(self) -> dict[str, RoiRow]:
        """Rows by anonymous_id; a repeated id keeps its last row, as the organisers' dict."""
        return {row.anonymous_id: row for row in self.rows}


@dataclass(frozen=True)
class RoiAnswer:
    """One answer as given: `image`, `question` and `answer` keep their JSON values."""

    id: str
    image: Any
    question: Any
    answer: Any
    source: str
    """Where it came from: 'answers.json:12' or 'job <pk>, output <path>'."""
    index: int | None = None
    line: int | None = None

    @property
    def text(self) -> str:
        """The answer as the judge sees it: `str(answer or "").strip()`."""
        return str(self.answer or "").strip()


@dataclass
class RoiAnswers(HasFindings):
    """Answers by id (in the order given) and the findings of reading them."""

    path: Path
    answers: dict[str, RoiAnswer] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)


# --- the mapping ---------------------------------------------------------------------------


def _finding(code: str, message: str, **where: Any) -> Finding:
    return make_finding(code, message, **where)


def read_mapping(path: str | Path) -> RoiMapping:
    """Read and check `rois_mapping.txt`; problems are findings, never exceptions.

    A file that cannot be read at all (missing, over `--max-upload-mb`, not UTF-8) raises.
    """
    path = Path(path)
    limits = current_limits()
    data = read_input_bytes(
        path, "ROI mapping", limits=limits,
        folder_hint="pass the tab-separated mapping file itself (rois_mapping.txt; in the "
        "organisers' ground truth, metric_B/rois_mapping.txt)",
    )
    text = decode_utf8(data, str(path))
    mapping = RoiMapping(path)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter="\t")
    previous_limit = csv.field_size_limit(max(limits.max_report_chars, 131_072))
    try:
        _read_rows(mapping, reader, path, limits.max_cases)
    finally:
        csv.field_size_limit(previous_limit)
    if mapping.ok:
        mapping.findings.extend(_row_findings(mapping))
    return mapping


def _read_rows(mapping: RoiMapping, reader: Any, path: Path, max_cases: int) -> None:
    """The header and rows of the table, as findings where they are malformed."""
    file = str(path)
    text_header_hint = "\\t".join(ALL_COLUMNS)
    try:
        header = next(reader, None)
        if header is None:
            mapping.findings.append(_finding(
                "E201", "the file is empty: no header line", file=file, line=1,
                hint="the first line names the columns, tab-separated: " + text_header_hint,
            ))
            return
        mapping.columns = tuple(header)
        missing = [name for name in REQUIRED_COLUMNS if name not in header]
        if missing:
            tabs = "" if len(header) > 1 else " (the header holds no tab)"
            mapping.findings.append(_finding(
                "E201", f"missing column(s): {', '.join(missing)}{tabs}", file=file, line=1,
                hint="columns are tab-separated; the required ones are "
                + ", ".join(REQUIRED_COLUMNS),
            ))
            return
        trailing: list[int] = []
        previous = reader.line_num
        for values in reader:
            line, start = reader.line_num, previous + 1
            previous = line
            if not values:
                continue  # a blank line: the csv reader skips it too
            if len(mapping.rows) >= max_cases:
                raise LimitExceeded(
                    f"{path}: more than {max_cases:,} rows (--max-cases); reading stops",
                    hint="pass --max-cases with a larger value",
                )
            if line > start or any(_RUN_ON.search(value) for value in values):
                mapping.findings.append(_finding(
                    "E202", f"a quoted field runs on from line {start} to line {line}, "
                    "swallowing tabs or line breaks (and any rows between)",
                    file=file, line=start,
                    hint="a value that starts with a double quote is read up to the next "
                    "quote; remove the quote, or double it inside a quoted value",
                ))
                continue
            if len(values) > len(header) and not any(v.strip() for v in values[len(header):]):
                trailing.append(line)  # the organisers' reader files these under key None
                values = values[: len(header)]
            if len(values) != len(header):
                mapping.findings.append(_finding(
                    "E202", f"{len(values)} fields where the header has {len(header)}",
                    file=file, line=line,
                    hint="every row needs one value per column, separated by tabs",
                ))
                continue
            row = {name: value.strip() for name, value in zip(header, values, strict=True)}
            mapping.rows.append(RoiRow(
                anonymous_id=row["anonymous_id"],
                image=row["image"],
                variant=row["variant"],
                paired_anonymous_id=row["paired_anonymous_id"],
                b3_paired_anonymous_id=row["b3_paired_anonymous_id"],
                label=row["label"],
                question=row["question"],
                line=line,
                fields=row,
            ))
        if trailing:
            mapping.findings.append(_finding(
                "W207", f"{len(trailing)} row(s) end with empty field(s) after the last column "
                "(a trailing tab), first at this line; ignored, as the organisers' reader does",
                file=file, line=trailing[0],
                hint="remove the trailing tab(s)",
            ))
    except csv.Error as exc:
        mapping.findings.append(_finding(
            "E202", f"the table cannot be read here ({exc})", file=file, line=reader.line_num,
            hint="a field with an unmatched double quote runs on; remove or double the quote",
        ))


_RUN_ON = re.compile(r"[\t\r\n]")
"""A tab or line break inside one value: a quote opened a field that ran on."""


def _row_findings(mapping: RoiMapping) -> list[Finding]:
    """Duplicate or empty ids, labels and variants outside their sets, pairs pointing nowhere."""
    file = str(mapping.path)
    found: list[Finding] = []
    first_line: dict[str, int] = {}
    for row in mapping.rows:
        rid = row.anonymous_id
        if not rid:
            found.append(_finding("E203", "empty anonymous_id", file=file, line=row.line))
        elif rid in first_line:
            found.append(_finding(
                "E203", f"anonymous_id also on line {first_line[rid]}", file=file,
                line=row.line, id=rid, hint="each ROI needs its own anonymous_id",
            ))
        else:
            first_line[rid] = row.line
    by_id = mapping.by_id
    for row in mapping.rows:
        where = {"file": file, "line": row.line, "id": row.anonymous_id or None}
        if row.label not in LABELS:
            found.append(_finding(
                "W201", f"label {shown(row.label, 40)!r} is neither tissue nor background; the "
                "row is in no part of Metric B", hint="labels are lower-case", **where,
            ))
        if row.variant not in VARIANTS:
            found.append(_finding(
                "W201", f"variant {shown(row.variant, 40)!r} is neither original nor perturbed; "
                "the row is in no part of Metric B", hint="variants are lower-case", **where,
            ))
        if row.label != "tissue" or row.variant != "original":
            continue
        for column, part, want in (
            ("paired_anonymous_id", "B2", ("tissue", "perturbed")),
            ("b3_paired_anonymous_id", "B3", ("background", "original")),
        ):
            partner_id = row.fields[column]
            if partner_id == NO_PARTNER:
                continue
            partner = by_id.get(partner_id)
            if partner is None:
                found.append(_finding(
                    "E204", f"{column} {shown(partner_id, 40)!r} is no anonymous_id of the "
                    f"mapping ({part} cannot pair it)",
                    hint=f"point it at a mapped ROI, or write {NO_PARTNER!r}", **where,
                ))
            elif (partner.label, partner.variant) != want:
                found.append(_finding(
                    "W206", f"{part} partner {shown(partner_id, 40)} is {partner.label} "
                    f"{partner.variant}, not {want[0]} {want[1]}; it is paired all the same",
                    **where,
                ))
    return found


# --- the answers ---------------------------------------------------------------------------


def _as_organisers_read(value: Any) -> Any:
    """NaN/Infinity as the organisers' `json.load` reads them (floats), so the answer checks
    say what a non-string value becomes there."""
    if isinstance(value, NonStandardNumber):
        return float(value.token)
    if isinstance(value, dict):
        return {key: _as_organisers_read(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_as_organisers_read(item) for item in value]
    return value


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def read_answers(path: str | Path) -> RoiAnswers:
    """Read and check a JSON list of `{"id", "image", "question", "answer"}`."""
    path = Path(path)
    limits = current_limits()
    file = str(path)
    text = decode_utf8(read_input_bytes(path, "answers file", limits=limits), file)
    result = RoiAnswers(path)
    start = len(text) - len(text.lstrip())
    if not text.startswith("[", start):
        try:
            json.loads(text)  # the syntax error, if any, is the better message
        except json.JSONDecodeError as exc:
            result.findings.append(make_finding(
                "E003", f"not valid JSON ({exc.msg})", file=file, line=exc.lineno,
                column=exc.colno,
            ))
            return result
        except RecursionError:
            raise LimitExceeded(f"{file}: lists and objects nested deeper than can be read"
                                ) from None
        except ValueError as exc:  # e.g. an integer of more than 4,300 digits
            result.findings.append(make_finding(
                "E003", f"not valid JSON (a value cannot be read: {shown(str(exc), 100)})",
                file=file, line=1,
            ))
            return result
        result.findings.append(make_finding(
            "E004", "the answers file is not a JSON list", file=file, line=1,
            hint='write [{"id": ..., "image": ..., "question": ..., "answer": ...}, ...]',
        ))
        return result
    items: list[tuple[int, Any]] = []
    try:
        for item in scan_list(text, start, JsonScanner()):
            if item.repeated_keys:
                result.findings.append(make_finding(
                    "E013", f"the key {shown(item.repeated_keys[0], 40)!r} appears twice in one "
                    "object", file=file, line=_line_of(text, item.start), index=len(items),
                ))
                return result
            items.append((item.start, _as_organisers_read(item.value) if item.non_standard
                          else item.value))
    except ListScanError as exc:
        if isinstance(exc.cause, RecursionError):
            raise LimitExceeded(f"{file}: lists and objects nested deeper than can be read"
                                ) from None
        if isinstance(exc.cause, json.JSONDecodeError):
            message, line, column = exc.cause.msg, exc.cause.lineno, exc.cause.colno
        else:
            line = _line_of(text, exc.offset)
            message = exc.message
            column = exc.offset - (text.rfind("\n", 0, exc.offset) + 1) + 1
        result.findings.append(make_finding(
            "E003", f"not valid JSON ({message})", file=file, line=line, column=column,
            hint=exc.hint,
        ))
        return result
    if len(items) > limits.max_cases:
        raise LimitExceeded(
            f"{file}: {len(items):,} answers, more than --max-cases {limits.max_cases:,}",
            hint="pass --max-cases with a larger value",
        )
    for index, (offset, item) in enumerate(items):
        line = _line_of(text, offset)
        if nesting_depth(item, limits.max_depth) >= limits.max_depth:
            raise LimitExceeded(
                f"{file}:{line}: lists and objects nested more than {limits.max_depth} levels "
                "deep (--max-depth)",
            )
        add_answer(result, item, source=f"{file}:{line}", file=file, index=index, line=line)
    return result


def add_answer(
    result: RoiAnswers, item: Any, *, source: str, file: str, index: int | None = None,
    line: int | None = None,
) -> None:
    """Check one answer object and keep it, or record why it cannot be kept."""
    where = {"file": file, "index": index, "line": line}
    if not isinstance(item, dict):
        result.findings.append(make_finding(
            "E005", f"the item is a {type(item).__name__}, not an object", **where,
        ))
        return
    raw_id = item.get("id")
    shown_id = shown(str(raw_id), 60) if "id" in item else None
    missing = [key for key in ANSWER_KEYS if key not in item]
    if missing:
        result.findings.append(make_finding(
            "E205", f"missing key(s): {', '.join(missing)}", id=shown_id,
            hint='each answer is {"id", "image", "question", "answer"}; copy image and '
            "question from the ROI's mapping row", **where,
        ))
        return
    roi_id = str(raw_id)
    limit = current_limits().max_report_chars
    for key in ANSWER_KEYS:
        if isinstance(item[key], str) and len(item[key]) > limit:
            result.findings.append(make_finding(
                "E015", f"`{key}` holds {len(item[key]):,} characters, over --max-report-chars "
                f"{limit:,}", id=shown_id,
                hint="an answer is a sentence or two; pass --max-report-chars to accept it",
                **where,
            ))
            return
    for key in ANSWER_KEYS:
        if not isinstance(item[key], str):
            read_as = str(item[key] or "").strip() if key == "answer" else str(item[key])
            consequence = (
                f"read as {shown(read_as, 40)!r}" if key in ("id", "answer")
                else "it cannot equal the mapping's text, so the ROI scores 0"
            )
            result.findings.append(make_finding(
                "W205", f"`{key}` is {json.dumps(item[key])[:40]}, not a string; {consequence}",
                id=shown_id, **where,
            ))
    if roi_id in result.answers:
        earlier = result.answers[roi_id]
        result.findings.append(make_finding(
            "E009", f"a second answer for this ROI (the first: {earlier.source})", id=shown_id,
            hint="give one answer per ROI", **where,
        ))
        return
    result.answers[roi_id] = RoiAnswer(
        id=roi_id, image=item["image"], question=item["question"], answer=item["answer"],
        source=source, index=index, line=line,
    )


def cross_findings(mapping: RoiMapping, answers: RoiAnswers) -> list[Finding]:
    """Answers against the mapping: unknown ids, missing answers, image or question that
    differ from the mapping row (the organisers compare them exactly, the mapping's stripped)."""
    found: list[Finding] = []
    by_id = mapping.by_id
    for answer in answers.answers.values():
        where = {"file": str(answers.path), "index": answer.index, "line": answer.line,
                 "id": shown(answer.id, 60)}
        row = by_id.get(answer.id)
        if row is None:
            found.append(make_finding(
                "W202", "no mapping row has this id; the answer is not scored",
                hint="answer ids are the mapping's anonymous_id", **where,
            ))
            continue
        for key in ("image", "question"):
            expected = getattr(row, key)
            given = getattr(answer, key)
            if given != expected:
                found.append(make_finding(
                    "W203", f"{key} {shown(str(given), 60)!r} differs from the mapping's "
                    f"{shown(expected, 60)!r} (line {row.line}); the ROI and its pairs score 0",
                    hint=f"copy {key} from the mapping row exactly", **where,
                ))
    for row in mapping.rows:
        if row.anonymous_id and row.anonymous_id not in answers.answers:
            found.append(make_finding(
                "W204", "no answer for this ROI; it and its pairs score 0",
                file=str(mapping.path), line=row.line, id=row.anonymous_id,
            ))
    return found


def require_valid(loaded: RoiMapping | RoiAnswers, what: str) -> None:
    """Raise the errors of a read input as one located InvalidInputError (exit 1)."""
    if loaded.ok:
        return
    lines = [f"  {f.code} {f.name}: {f.message} [{f.location()}]"
             + (f"\n    hint: {f.hint}" if f.hint else "") for f in loaded.errors[:20]]
    if len(loaded.errors) > 20:
        lines.append(f"  … and {len(loaded.errors) - 20} more")
    raise InvalidInputError(
        f"the {what} {loaded.path} is not valid:\n" + "\n".join(lines),
        hint=f"run `reg-eval validate --kind grounding {loaded.path}` for every finding",
    )


def mapping_text(rows: Sequence[Mapping[str, object]]) -> str:
    """A mapping table in the organisers' columns (for probe sets): header, then one line per
    row; values must not hold tabs or line breaks."""
    lines = ["\t".join(ALL_COLUMNS)]
    for row in rows:
        values = [str(row.get(name, "")) for name in ALL_COLUMNS]
        if any("\t" in v or "\n" in v or "\r" in v for v in values):
            raise ValueError(f"a mapping value holds a tab or line break: {values!r}")
        lines.append("\t".join(values))
    return "\n".join(lines) + "\n"
