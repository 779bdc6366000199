"""Read what `reg-eval score` saved (`--output` JSON, `--per-case` JSONL or CSV).

Reports, plots and leaderboards are built from these files, so nothing is scored twice.
Problems name the file and the place, and say how to get a good file.

Results carry their signature as typed fields and their column layout (`columns`); results
saved before either was written (layout 1) still load: the signature's model texts are read
into fields by `Signature.from_dict`, and the layout is rebuilt from the keys the file holds
(see docs/metrics.md, "Saved results").
"""

from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reg_eval.columns import OFFICIAL, OFFICIAL_COMPONENTS, ColumnLayout, merged
from reg_eval.errors import InvalidInputError, UsageError
from reg_eval.io.files import read_input_bytes
from reg_eval.io.jsondoc import decode_utf8, json_lines, parse_json_document
from reg_eval.io.limits import LimitExceeded, current_limits, raise_hint

if TYPE_CHECKING:
    from reg_eval.signature import Signature

COMPONENTS = OFFICIAL_COMPONENTS
SCORE_COLUMNS = OFFICIAL.numeric
LIST_COLUMNS = OFFICIAL.detail
"""Per-case columns that hold keyword lists (joined with "; " in the CSV form)."""
_LAYOUT1_DETAIL_SUFFIXES = ("_missed", "_invented", "_soft", "_extra", "_found")
"""How layout-1 readers told a group's detail columns (fact lists) from numbers: by name.
Used only for per-case files read without the layout of their run."""
_SCORE_HINT = "write it with `reg-eval score ... --output RESULT.json --per-case CASES.jsonl`"


@dataclass(frozen=True)
class SavedResult:
    """One score run as saved by `reg-eval score --output`."""

    name: str
    path: Path
    data: dict[str, Any]

    @property
    def signature(self) -> Signature:
        """The signature as typed fields (either layout; see `Signature.from_dict`)."""
        from reg_eval.signature import Signature

        return Signature.from_dict(self.data["signature"])

    @property
    def layout(self) -> dict[str, ColumnLayout]:
        """The columns of each metric family. Layout-1 results did not carry it: the
        official columns, and each group's numeric and corpus columns from its means and
        corpus values, are what those files hold; their detail columns are not known."""
        saved = self.data.get("columns")
        if isinstance(saved, dict):
            return {
                str(name): ColumnLayout.from_dict(kinds)
                for name, kinds in saved.items()
                if isinstance(kinds, dict)
            }
        layout = {"official": OFFICIAL}
        metrics = self.data.get("metrics")
        for name, group in (metrics.items() if isinstance(metrics, dict) else ()):
            if isinstance(group, dict):
                means = group.get("means")
                corpus = group.get("corpus")
                layout[str(name)] = ColumnLayout(
                    numeric=tuple(means) if isinstance(means, dict) else (),
                    corpus=tuple(corpus) if isinstance(corpus, dict) else (),
                )
        return layout

    @property
    def has_layout(self) -> bool:
        """Whether the file carries its column layout (written since layouts were saved)."""
        return isinstance(self.data.get("columns"), dict)

    @property
    def signature_text(self) -> str:
        return str(self.data["signature"].get("text", ""))

    @property
    def not_comparable_because(self) -> list[str]:
        """Why the run may not stand beside the official table; empty when it may."""
        from reg_eval.comparability import saved_differences

        return saved_differences(self.data)

    @property
    def comparable(self) -> bool:
        """Claimed by the run and shown by its signature (leaderboard models, float32)."""
        return not self.not_comparable_because

    @property
    def profile(self) -> str:
        return str(self.data["signature"].get("profile", "?"))

    @property
    def ranking(self) -> float:
        return float(self.data["ranking"])

    @property
    def components(self) -> dict[str, float]:
        return {name: float(self.data["components"][name]) for name in COMPONENTS}

    @property
    def ci(self) -> dict[str, tuple[float, float]]:
        ci = self.data.get("ci", {})
        return {name: (float(ci[name][0]), float(ci[name][1])) for name in SCORE_COLUMNS}

    @property
    def confidence(self) -> float:
        return float(self.data.get("ci", {}).get("confidence", 0.95))

    @property
    def n_cases(self) -> int:
        return int(self.data["n_cases"])

    @property
    def by_organ(self) -> dict[str, dict[str, Any]]:
        return dict(self.data.get("by_organ", {}))


@dataclass(frozen=True)
class SavedCases:
    """Per-case rows of one run, in file order, with unique ids."""

    path: Path | None
    rows: list[dict[str, Any]]
    signature_text: str = ""
    by_id: dict[str, dict[str, Any]] = field(default_factory=dict, compare=False)
    layout: ColumnLayout | None = None
    """The run's columns, when known (from its result file); None reads by layout-1 names."""

    @property
    def ids(self) -> list[str]:
        return [str(row["id"]) for row in self.rows]

    def is_detail(self, name: str) -> bool:
        """Whether a per-case column holds a list (keywords, facts) rather than a number."""
        return is_detail_column(name, self.layout)


def _read_text(path: Path, what: str) -> str:
    """The file as text, read up to `--max-upload-mb`; what stops it names the file."""
    if not path.exists() and not path.is_symlink():
        raise UsageError(f"{what} {path} does not exist", hint=_SCORE_HINT)
    if path.is_dir():
        raise UsageError(f"{what} {path} is a folder", hint="give the file itself")
    return decode_utf8(read_input_bytes(path, what), str(path))


def result_from_dict(data: dict[str, Any], *, name: str, path: Path) -> SavedResult:
    """Check the keys every consumer needs, so a wrong file fails here, with its name."""
    where = f"{path}"
    if not isinstance(data, dict):
        raise InvalidInputError(f"{where}: expected a JSON object", hint=_SCORE_HINT)
    for key in ("signature", "n_cases", "ranking", "components"):
        if key not in data:
            raise InvalidInputError(
                f"{where}: key {key!r} is missing; this is not a `reg-eval score` result",
                hint=_SCORE_HINT,
            )
    if not isinstance(data["signature"], dict):
        raise InvalidInputError(f"{where}: 'signature' must be an object", hint=_SCORE_HINT)
    if not isinstance(data["components"], dict):
        raise InvalidInputError(f"{where}: 'components' must be an object", hint=_SCORE_HINT)
    for column in COMPONENTS:
        if not _is_number(data["components"].get(column)):
            raise InvalidInputError(
                f"{where}: components.{column} is missing or not a number", hint=_SCORE_HINT
            )
    if not _is_number(data["ranking"]):
        raise InvalidInputError(f"{where}: 'ranking' is not a number", hint=_SCORE_HINT)
    ci = data.get("ci")
    if not isinstance(ci, dict) or any(
        not (isinstance(ci.get(c), list) and len(ci[c]) == 2 and all(map(_is_number, ci[c])))
        for c in SCORE_COLUMNS
    ):
        raise InvalidInputError(
            f"{where}: 'ci' must give [low, high] for {', '.join(SCORE_COLUMNS)}",
            hint=_SCORE_HINT,
        )
    _check_by_organ(data.get("by_organ"), where)
    return SavedResult(name, path, data)


def _check_by_organ(by_organ: object, where: str) -> None:
    """Per-organ rows feed tables and plots: counts must be counts, scores numbers."""
    if by_organ is None:
        return
    if not isinstance(by_organ, dict):
        raise InvalidInputError(f"{where}: 'by_organ' must be an object", hint=_SCORE_HINT)
    for organ, row in by_organ.items():
        place = f"{where}: by_organ[{json.dumps(organ, ensure_ascii=True)}]"
        if not isinstance(row, dict):
            raise InvalidInputError(f"{place} must be an object", hint=_SCORE_HINT)
        count = row.get("n_cases")
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            shown = json.dumps(count, ensure_ascii=True)[:40]
            raise InvalidInputError(
                f"{place}.n_cases is {shown}: it must be a whole number of cases (0 or more)",
                hint=_SCORE_HINT,
            )
        for column in SCORE_COLUMNS:
            if (column in row or column == "ranking") and not _is_number(row.get(column)):
                raise InvalidInputError(
                    f"{place}.{column} is missing or not a number", hint=_SCORE_HINT
                )
        ci = row.get("ci", {})
        if not isinstance(ci, dict) or any(
            not (isinstance(bounds, list) and len(bounds) == 2 and _bounds_ok(name, bounds))
            for name, bounds in ci.items()
        ):
            raise InvalidInputError(
                f"{place}.ci must map each score to [low, high]", hint=_SCORE_HINT
            )


def load_result(path: str | Path, *, name: str | None = None) -> SavedResult:
    """A `reg-eval score --output` file; `name` defaults to the file name without suffix."""
    path = Path(path)
    text = _read_text(path, "result file")
    data = parse_json_document(text.encode("utf-8"), str(path), hint=_SCORE_HINT)
    return result_from_dict(data, name=name or path.stem, path=path)


def run_names(paths: list[Path]) -> list[str]:
    """Short, distinct labels: file stems, with the parent folder where stems collide."""
    stems = [p.stem for p in paths]
    names = [
        f"{p.parent.name}/{p.stem}" if stems.count(p.stem) > 1 else p.stem for p in paths
    ]
    seen: dict[str, int] = {}
    unique = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        unique.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return unique


def _bounds_ok(column: str, bounds: list[object]) -> bool:
    """Numbers; a further metric undefined on every case of the organ has [null, null]."""
    if all(map(_is_number, bounds)):
        return True
    return column not in SCORE_COLUMNS and bounds == [None, None]


def _is_number(value: object) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(float(value))
    )


def is_detail_column(name: str, layout: ColumnLayout | None = None) -> bool:
    """Per-case lists such as `missed_keywords` or `clinical_missed`: as the run's layout
    declares them, or, without a layout (layout-1 files), by the names those runs used."""
    if layout is not None:
        return name in layout.detail
    return name in LIST_COLUMNS or name.endswith(_LAYOUT1_DETAIL_SUFFIXES)


def run_layout(result: SavedResult) -> ColumnLayout | None:
    """One layout over every family of a saved run; None for a layout-1 result, whose
    detail columns are not recorded."""
    return merged(result.layout.values()) if result.has_layout else None


def cases_from_rows(
    rows: list[dict[str, Any]],
    *,
    path: Path | None,
    signature_text: str = "",
    layout: ColumnLayout | None = None,
) -> SavedCases:
    by_id: dict[str, dict[str, Any]] = {}
    where = str(path) if path else "per-case rows"
    for index, row in enumerate(rows):
        line = index + 1
        if "id" not in row or row["id"] in (None, ""):
            raise InvalidInputError(f"{where}: row {line} has no 'id'", hint=_SCORE_HINT)
        case_id = str(row["id"])
        if case_id in by_id:
            raise InvalidInputError(
                f"{where}: case id {case_id!r} appears twice (row {line})", hint=_SCORE_HINT
            )
        for column in SCORE_COLUMNS:
            if not _is_number(row.get(column)):
                raise InvalidInputError(
                    f"{where}: row {line} (case {case_id!r}): {column!r} is missing or not a "
                    "number",
                    hint=_SCORE_HINT,
                )
        by_id[case_id] = row
    if not rows:
        raise InvalidInputError(f"{where}: there are no cases", hint=_SCORE_HINT)
    return SavedCases(path, rows, signature_text, by_id, layout)


def load_per_case(path: str | Path, *, layout: ColumnLayout | None = None) -> SavedCases:
    """A `reg-eval score --per-case` file, .jsonl or .csv, within `--max-upload-mb`,
    `--max-cases` (rows) and `--max-depth` (each JSON line). `layout` (`run_layout` of the
    run's result file) says which CSV columns hold lists; without it, layout-1 names do."""
    path = Path(path)
    text = _read_text(path, "per-case file")
    limits = current_limits()
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        rows = jsonl_rows(path, text, hint=_SCORE_HINT)
    elif suffix == ".csv":
        rows = []
        reader = csv.DictReader(text.splitlines())
        for row in reader:
            _check_row_count(path, reader.line_num, len(rows), limits.max_cases)
            rows.append(_typed_csv_row(row, layout))
    else:
        raise UsageError(f"per-case file {path}: use a .jsonl or .csv file", hint=_SCORE_HINT)
    signatures = {str(row.get("signature", "")) for row in rows} - {""}
    signature_text = signatures.pop() if len(signatures) == 1 else ""
    return cases_from_rows(rows, path=path, signature_text=signature_text, layout=layout)


def jsonl_rows(path: Path, text: str, *, hint: str) -> list[dict[str, Any]]:
    """The objects of a JSON-lines file's `text`, one a line (blank lines skipped), read by
    `reg_eval.io.jsondoc.json_lines` (`--max-cases`, `--max-depth`, no NaN, no key twice);
    `hint` says how to get a good file."""
    return [row for _, row in json_lines(text, str(path), hint=hint)]


def _check_row_count(path: Path, line: int, rows_so_far: int, max_cases: int) -> None:
    """Reading stops at the first row past `--max-cases`."""
    if rows_so_far >= max_cases:
        raise LimitExceeded(
            f"{path}:{line}: more than {max_cases:,} rows (--max-cases)",
            hint=raise_hint("max_cases"),
        )


def _typed_csv_row(row: dict[str, str], layout: ColumnLayout | None) -> dict[str, Any]:
    typed: dict[str, Any] = {}
    for key, value in row.items():
        if key is None:
            continue
        if is_detail_column(key, layout):
            typed[key] = [part for part in (value or "").split("; ") if part]
        elif key in ("id", "organ", "signature"):
            typed[key] = value
        elif value == "":
            typed[key] = None  # an undefined value (NaN in the scorer) is an empty cell
        else:
            try:
                typed[key] = float(value)
            except (TypeError, ValueError):
                typed[key] = value
    return typed


def check_same_run(result: SavedResult, cases: SavedCases) -> None:
    """The per-case file must come from the same score run as the result file.

    Two runs of one profile share a signature, so the per-case means are compared too.
    """
    where = cases.path or "the per-case rows"
    if cases.signature_text and cases.signature_text != result.signature_text:
        raise InvalidInputError(
            f"{where} and {result.path} come from different score runs (their signatures "
            "differ)",
            hint="give the --output and --per-case files of the same `reg-eval score` run",
        )
    mean = math.fsum(float(row["ranking"]) for row in cases.rows) / len(cases.rows)
    if len(cases.rows) != result.n_cases or abs(mean - result.ranking) > 1e-9:
        raise InvalidInputError(
            f"{where} does not belong to {result.path}: {len(cases.rows)} cases with mean "
            f"ranking {mean:.6f}, against {result.n_cases} cases and {result.ranking:.6f}",
            hint="give the --output and --per-case files of the same `reg-eval score` run, "
            "in the same order",
        )
