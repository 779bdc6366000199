"""The organisers' slide lists: `corrupted_id.csv` (excluded) and `revised_list.csv`.

They name slides in whichever column they have (`id_list`, `file_path`, ...), with or
without `.tiff` and sometimes with a folder; ids are compared by stem.

A list is read under the shared input limits (`reg_eval.io.limits`): at most
`--max-upload-mb` as stored and `--max-cases` rows; a FIFO or device is refused by its type
before it is opened. A quote never closed, a quoted field running over lines and a field
longer than `MAX_FIELD_CHARS` are errors with the line they start on.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from reg_eval.errors import InvalidInputError, UsageError
from reg_eval.io.files import read_input_bytes
from reg_eval.io.limits import LimitExceeded, current_limits, raise_hint
from reg_eval.slides import bounds
from reg_eval.slides.tiff import slide_stem

MAX_FIELD_CHARS = 4_096
"""Longest cell of a list: a slide id, or a path to one."""

ID_COLUMNS = ("id_list", "id", "slide_id", "file_path", "file_name", "filename", "path",
              "slide", "name")


@dataclass(frozen=True)
class SlideList:
    """Slide stems named by one list file, and the column they came from."""

    path: Path
    column: str
    stems: frozenset[str]

    def __contains__(self, slide_name: object) -> bool:
        return isinstance(slide_name, str) and slide_stem(slide_name) in self.stems


def _read_bytes(path: Path) -> bytes:
    kind = bounds.file_kind(path)
    if kind is not None and kind.startswith("missing"):
        raise UsageError(f"cannot read slide list {path}: no such file",
                         hint="check the path")
    if kind is not None:
        raise UsageError(f"cannot read slide list {path}: it is {kind}, not a regular file",
                         hint="pass a CSV file with one slide id a row")
    return read_input_bytes(path, "slide list")


def _rows(path: Path, data: bytes) -> Iterator[tuple[int, list[str]]]:
    """(line where the row starts, cells) of every row; located errors for broken quoting.

    The bytes are decoded as they are parsed, so a list near the size limit is never held
    as text whole; parsing stops at `--max-cases` rows."""
    limits = current_limits()
    text = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8-sig", newline="")
    reader = csv.reader(text, strict=True)
    count = 0
    while True:
        start = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except UnicodeDecodeError:
            raise UsageError(f"cannot read slide list {path}: line {start} is not UTF-8",
                             hint="save the list as UTF-8 CSV") from None
        except csv.Error as exc:
            reason = str(exc)
            if "field larger than field limit" in reason:
                reason = (f"a field runs past {csv.field_size_limit():,} characters (a slide "
                          "id has a few dozen; a quote opened there and never closed?)")
            elif "unexpected end of data" in reason:
                reason = "a quote opened on this line is never closed"
            raise InvalidInputError(f"slide list {path}, line {start}: {reason}",
                                    hint="close every quote; slide ids need no quotes") from None
        for cell in row:
            if "\n" in cell or "\r" in cell:
                raise InvalidInputError(
                    f"slide list {path}, line {start}: a quoted field runs over lines "
                    f"{start} to {reader.line_num} (a quote left open merges rows)",
                    hint="close every quote; slide ids need no quotes")
            if len(cell) > MAX_FIELD_CHARS:
                raise InvalidInputError(
                    f"slide list {path}, line {start}: a field of {len(cell):,} characters, "
                    f"more than the {MAX_FIELD_CHARS:,} a slide id or path may have",
                    hint="the list names one slide a row")
        yield start, row
        count += 1
        if count > limits.max_cases + 1:
            raise LimitExceeded(
                f"slide list {path} has more than {limits.max_cases:,} rows (--max-cases)",
                hint=raise_hint("max_cases"))


def read_slide_list(path: Path) -> SlideList:
    """Read the id column of a list CSV; an unknown layout is an error naming its columns."""
    path = Path(path)
    rows = _rows(path, _read_bytes(path))
    first = next(rows, None)
    if first is None or not any(cell.strip() for cell in first[1]):
        raise InvalidInputError(f"slide list {path} is empty",
                                hint="the first line names the column, e.g. 'id_list'")
    header = [cell.strip() for cell in first[1]]
    lowered = [cell.lower() for cell in header]
    column_index = next((lowered.index(name) for name in ID_COLUMNS if name in lowered), None)
    if column_index is None and len(header) == 1 and not header[0].lower().endswith(
        (".tif", ".tiff", ".svs")
    ):
        column_index = 0
    if column_index is None:
        raise InvalidInputError(
            f"slide list {path}: no id column among the columns {header}",
            hint=f"name the column with the slide ids one of {', '.join(ID_COLUMNS)}",
        )
    stems: set[str] = set()
    for line_no, row in rows:
        if not row or not any(cell.strip() for cell in row):
            continue
        if column_index >= len(row):
            raise InvalidInputError(
                f"slide list {path}, line {line_no}: no value in column "
                f"'{header[column_index]}'",
                hint="every row needs a slide id in that column",
            )
        value = row[column_index].strip()
        if value:
            stems.add(slide_stem(value))
    return SlideList(path, header[column_index], frozenset(stems))
