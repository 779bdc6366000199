"""The organisers' slide lists: `corrupted_id.csv` (excluded) and `revised_list.csv`.

They name slides in whichever column they have (`id_list`, `file_path`, ...), with or
without `.tiff` and sometimes with a folder; ids are compared by stem.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from reg_eval.errors import InvalidInputError, UsageError
from reg_eval.slides.tiff import slide_stem

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


def read_slide_list(path: Path) -> SlideList:
    """Read the id column of a list CSV; an unknown layout is an error naming its columns."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        raise UsageError(f"cannot read slide list {path}: {reason}",
                         hint="pass a CSV file with one slide id a row") from None
    rows = list(csv.reader(text.splitlines()))
    if not rows or not any(cell.strip() for cell in rows[0]):
        raise InvalidInputError(f"slide list {path} is empty",
                                hint="the first line names the column, e.g. 'id_list'")
    header = [cell.strip() for cell in rows[0]]
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
    for line_no, row in enumerate(rows[1:], start=2):
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
    return SlideList(Path(path), header[column_index], frozenset(stems))
