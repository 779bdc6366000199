"""Turn CSV/TSV tables, JSON Lines and folders of `<id>.txt` files into a submission list.

Rules (docs/submission-format.md repeats them):
- CSV/TSV: a header row with the columns `id` and `report` (other columns are dropped and
  named in the notes); a UTF-8 byte-order mark is removed; cells are kept as they are. Every
  row must have as many cells as the header: a row with more (an unquoted report holding the
  delimiter) or fewer (a report's line break splitting a row) is refused with its line, and
  nothing is written.
- JSON Lines: one object per non-blank line with string `id` and `report`; other keys are
  dropped and named in the notes; a key twice in one object is refused (one value would be
  lost).
- Folder: every `*.txt` file directly inside it, in name order. The id is the file name
  without `.txt`, plus `.tiff` unless it already ends in `.tiff`
  (`PIT_01_00012_01.txt` and `PIT_01_00012_01.tiff.txt` both give `PIT_01_00012_01.tiff`).
  One final line break is removed from the text (editors add it); the rest is kept.
"""

from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from reg_eval.errors import InvalidInputError, UsageError
from reg_eval.io.files import read_input_bytes
from reg_eval.io.findings import shown
from reg_eval.io.jsondoc import json_lines
from reg_eval.io.limits import LimitExceeded, current_limits, raise_hint
from reg_eval.io.texts import SURROGATE_HINT, surrogate_problem
from reg_eval.io.writers import refuse_existing, write_json

FORMATS = ("auto", "csv", "tsv", "jsonl", "dir")
_SUFFIX_FORMATS = {".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".jsonl": "jsonl",
                   ".ndjson": "jsonl"}


@dataclass
class Converted:
    """Rows ready to write, the input format used, and what was dropped or changed."""

    rows: list[dict[str, str]]
    input_format: str
    notes: list[str] = field(default_factory=list)


def detect_format(path: Path, requested: str = "auto") -> str:
    if requested not in FORMATS:
        raise UsageError(f"unknown format {requested!r}", hint=f"use one of {', '.join(FORMATS)}")
    if requested != "auto":
        return requested
    if path.is_dir():
        return "dir"
    suffix = path.suffix.lower()
    if suffix in _SUFFIX_FORMATS:
        return _SUFFIX_FORMATS[suffix]
    if suffix == ".json" and path.is_file():
        head = read_input_bytes(path).lstrip(codecs.BOM_UTF8).lstrip()
        if head.startswith(b"{"):
            return "jsonl"
        raise UsageError(
            f"{path} is already a JSON file", hint=f"check it with `reg-eval validate {path}`"
        )
    if not path.exists():
        raise UsageError(f"{path}: no such file or folder", hint="check the path")
    raise UsageError(
        f"cannot tell the format of {path} from its name",
        hint="pass --format csv, tsv, jsonl or dir",
    )


def _text(path: Path, data: bytes) -> str:
    """UTF-8 text; UTF-16 (with or without a byte-order mark) and other encodings are named."""
    from reg_eval.io.jsondoc import decode_utf8

    return decode_utf8(data, str(path))


MAX_ROWS_NAMED = 5
"""Rows named in a refusal; the count of all bad rows follows."""


def _row_refusal(
    path: Path, kind: str, header: list[str], bad: list[tuple[int, int, list[str]]]
) -> InvalidInputError:
    """The rows whose cell count differs from the header's, and how to fix them."""
    delimiter = "," if kind == "csv" else "\t"
    shown_delimiter = "a comma" if kind == "csv" else "a tab"
    line, count, cells = bad[0]
    more = ""
    if len(bad) > 1:
        lines = ", ".join(str(row[0]) for row in bad[:MAX_ROWS_NAMED])
        more = f"; {len(bad):,} rows like this, at lines {lines}"
        if len(bad) > MAX_ROWS_NAMED:
            more += ", …"
    columns = ", ".join(header)
    if count > len(header):
        problem = (
            f"the row has {count} cells but the header has {len(header)} "
            f"({columns}): a report holding {shown_delimiter} was split into "
            "several cells"
        )
        example = ""
        if header == ["id", "report"]:
            quoted = '"' + delimiter.join(cells[1:]).replace('"', '""') + '"'
            example = f", e.g. {shown(cells[0] + delimiter + quoted, 100)}"
        hint = (
            f"quote every field that holds the delimiter, a quote or a line break{example} "
            "(csv.writer, pandas' to_csv and spreadsheet exports do this); nothing was written"
        )
    else:
        problem = (
            f"the row has {count} cell{'s' if count != 1 else ''} but the header has "
            f"{len(header)} ({columns}): a report with a line break was split "
            "into several rows, or a cell is missing"
        )
        hint = (
            "quote reports that hold line breaks or the delimiter, and give every row all the "
            "header's columns; nothing was written"
        )
    return InvalidInputError(f"{path}:{line}: {problem}{more}", hint=hint)


def read_table(path: Path, delimiter: str) -> Converted:
    """Rows of a CSV/TSV table; a row whose cell count differs from the header's is refused,
    never cut to the header: an unquoted report holding the delimiter would lose its end."""
    text = _text(path, read_input_bytes(path))
    # strict: a quote left open, or text after a closing quote, is an error instead of rows
    # silently merged into one report or quotes silently dropped.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    kind = "csv" if delimiter == "," else "tsv"
    limits = current_limits()
    start_line = 1
    try:
        header = next(reader, None)
        if header is None:
            raise InvalidInputError(f"{path} is empty", hint="the first row names the columns "
                                    "id and report")
        columns = [c.strip() for c in header]
        missing = [c for c in ("id", "report") if c not in columns]
        if missing:
            found = ", ".join(repr(c) for c in columns)
            raise InvalidInputError(
                f"{path}:1: no column {' or '.join(repr(c) for c in missing)} (found {found})",
                hint="the header row must name the columns id and report"
                + ("" if kind == "tsv" or "\t" not in header[0] else "; the file looks "
                   "tab-separated: pass --format tsv"),
            )
        id_at, report_at = columns.index("id"), columns.index("report")
        rows: list[dict[str, str]] = []
        bad: list[tuple[int, int, list[str]]] = []
        start_line = reader.line_num + 1
        for values in reader:
            line, start_line = start_line, reader.line_num + 1
            if not any(v.strip() for v in values):
                continue
            if len(values) != len(columns):
                bad.append((line, len(values), values))
                continue
            if len(rows) >= limits.max_cases:
                raise LimitExceeded(
                    f"{path}:{line}: more than {limits.max_cases:,} rows (--max-cases)",
                    hint=raise_hint("max_cases"),
                )
            rows.append({"id": values[id_at], "report": values[report_at]})
    except csv.Error as exc:
        if "unexpected end of data" in str(exc):
            raise InvalidInputError(
                f"{path}:{start_line}: a quote opened in the row starting on this line is never "
                "closed, so every later line would be read into this row",
                hint='close the quote; a quote inside a quoted field is written twice ("")',
            ) from None
        raise InvalidInputError(
            f"{path}:{start_line}: not valid {kind.upper()} ({exc})",
            hint='check the quoting in this row: a field is either quoted whole, with inner '
            'quotes written twice (""), or not quoted at all',
        ) from None
    if bad:
        raise _row_refusal(path, kind, columns, bad)
    converted = Converted(rows=rows, input_format=kind)
    dropped = [c for c in columns if c not in ("id", "report")]
    if dropped:
        converted.notes.append(f"dropped columns: {', '.join(dropped)}")
    return converted


def read_jsonl(path: Path) -> Converted:
    text = _text(path, read_input_bytes(path))
    rows: list[dict[str, str]] = []
    dropped: dict[str, int] = {}

    for number, value in json_lines(
        text, str(path),
        hint='each line must hold one JSON object such as {"id": "...", "report": "..."}',
    ):
        for key in ("id", "report"):
            if not isinstance(value.get(key), str):
                problem = "has no" if key not in value else "has a non-string"
                raise InvalidInputError(f"{path}:{number}: the object {problem} {key!r}",
                                        hint=f"each line needs a string {key!r}")
            surrogate = surrogate_problem(value[key])
            if surrogate is not None:
                raise InvalidInputError(f"{path}:{number}: {key!r} {surrogate}",
                                        hint=SURROGATE_HINT)
        for key in value:
            if key not in ("id", "report"):
                dropped[key] = dropped.get(key, 0) + 1
        rows.append({"id": value["id"], "report": value["report"]})
    converted = Converted(rows=rows, input_format="jsonl")
    if dropped:
        converted.notes.append("dropped keys: " + ", ".join(
            f"{shown(key)} ({count} lines)" for key, count in dropped.items()))
    return converted


def id_from_file_name(name: str) -> str:
    """`PIT_01_00012_01.txt` -> `PIT_01_00012_01.tiff`; a stem already ending in .tiff stays."""
    stem = name[: -len(".txt")] if name.lower().endswith(".txt") else name
    return stem if stem.lower().endswith(".tiff") else stem + ".tiff"


def read_text_folder(path: Path) -> Converted:
    if not path.is_dir():
        raise UsageError(f"{path} is not a folder", hint="--format dir needs a folder")
    try:
        entries = sorted(p for p in path.iterdir() if not p.name.startswith("."))
    except OSError as exc:
        raise UsageError(f"cannot list {path} ({exc.strerror or exc})") from None
    files = [p for p in entries if p.is_file() and p.name.lower().endswith(".txt")]
    if not files:
        raise InvalidInputError(f"{path} holds no .txt files",
                                hint="write one <id>.txt file per case")
    limits = current_limits()
    if len(files) > limits.max_cases:
        raise LimitExceeded(f"{path} holds {len(files):,} .txt files, more than "
                            f"{limits.max_cases:,} (--max-cases)", hint=raise_hint("max_cases"))
    rows = []
    for file in files:
        report = _text(file, read_input_bytes(file))
        if report.endswith("\r\n"):
            report = report[:-2]
        elif report.endswith("\n"):
            report = report[:-1]
        rows.append({"id": id_from_file_name(file.name), "report": report})
    converted = Converted(rows=rows, input_format="dir")
    skipped = len(entries) - len(files)
    if skipped:
        converted.notes.append(f"skipped {skipped} entries that are not .txt files")
    return converted


def read_for_conversion(path: Path, input_format: str = "auto") -> Converted:
    fmt = detect_format(path, input_format)
    if fmt == "dir":
        return read_text_folder(path)
    if fmt == "jsonl":
        return read_jsonl(path)
    return read_table(path, "," if fmt == "csv" else "\t")


def convert_to_submission(
    source: str | Path, out: str | Path, *, input_format: str = "auto", force: bool = False
) -> Converted:
    """Read `source`, write the submission list to `out` atomically; refuses to overwrite."""
    source, out = Path(source), Path(out)
    refuse_existing(out, force=force)
    converted = read_for_conversion(source, input_format)
    write_json(out, converted.rows, force=force)
    return converted
