"""Read what the REG 2026 commands saved: `score-cot --output` (Metric A, or A, B and the
overall score with `--grounding-*`) and `score-grounding --output` (Metric B).

`leaderboard` and `report` show them; nothing is scored again. Problems name the file and say
how to get a good one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reg_eval.errors import InvalidInputError
from reg_eval.io.jsondoc import load_json_document

KINDS = ("A", "B", "overall")
_HINT = ("write it with `reg-eval score-cot ... --output RESULT.json` or `reg-eval "
         "score-grounding ... --output RESULT.json`")


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and \
        math.isfinite(float(value))


def reg2026_kind(data: object) -> str | None:
    """'overall', 'B' or 'A' for a REG 2026 result object, None for anything else."""
    if not isinstance(data, dict) or not isinstance(data.get("signature"), dict):
        return None
    computed = str(data["signature"].get("computed", ""))
    if computed.startswith("reg2026-overall"):
        return "overall"
    if computed.startswith("reg2026-metric-b"):
        return "B"
    if computed.startswith("reg2026-metric-a"):
        return "A"
    return None


@dataclass(frozen=True)
class Reg2026Saved:
    """One saved REG 2026 run; `a`, `b`, `overall` are None where the run did not compute
    them."""

    name: str
    path: Path
    kind: str
    data: dict[str, Any]

    @property
    def signature_text(self) -> str:
        return str(self.data["signature"].get("text", ""))

    @property
    def comparable(self) -> bool:
        return bool(self.data["signature"].get("comparable_with_leaderboard", False))

    @property
    def metric_a(self) -> dict[str, Any] | None:
        if self.kind == "A":
            return self.data
        return self.data.get("metric_a") if self.kind == "overall" else None

    @property
    def metric_b(self) -> dict[str, Any] | None:
        if self.kind == "B":
            return self.data
        return self.data.get("metric_b") if self.kind == "overall" else None

    @property
    def a(self) -> float | None:
        part = self.metric_a
        return float(part["A"]) if part is not None else None

    @property
    def b(self) -> float | None:
        part = self.metric_b
        return float(part["B"]) if part is not None else None

    @property
    def overall(self) -> float | None:
        return float(self.data["overall"]) if self.kind == "overall" else None

    def ci(self, metric: str) -> tuple[float, float] | None:
        part = self.metric_a if metric == "A" else self.metric_b
        if part is None:
            return None
        bounds = part.get("ci", {}).get(metric)
        return (float(bounds[0]), float(bounds[1])) if bounds else None


def _check(data: dict[str, Any], kind: str, where: str) -> None:
    need: list[tuple[dict[str, Any] | None, str, str]] = []
    if kind in ("A", "overall"):
        part = data if kind == "A" else data.get("metric_a")
        need.append((part, "A", "metric_a" if kind == "overall" else ""))
    if kind in ("B", "overall"):
        part = data if kind == "B" else data.get("metric_b")
        need.append((part, "B", "metric_b" if kind == "overall" else ""))
    if kind == "overall" and not _number(data.get("overall")):
        raise InvalidInputError(f"{where}: 'overall' is missing or not a number", hint=_HINT)
    for part, key, holder in need:
        place = f"{holder}." if holder else ""
        if not isinstance(part, dict) or not _number(part.get(key)):
            raise InvalidInputError(f"{where}: '{place}{key}' is missing or not a number",
                                    hint=_HINT)
        bounds = part.get("ci", {}).get(key) if isinstance(part.get("ci"), dict) else None
        if bounds is not None and not (
            isinstance(bounds, list) and len(bounds) == 2 and all(map(_number, bounds))
        ):
            raise InvalidInputError(f"{where}: '{place}ci.{key}' must be [low, high]",
                                    hint=_HINT)


def load_reg2026_result(path: str | Path, *, name: str | None = None) -> Reg2026Saved:
    """A saved REG 2026 result, its keys checked, or an InvalidInputError naming the file."""
    path = Path(path)
    data = load_json_document(path, "result file", hint=_HINT)
    kind = reg2026_kind(data)
    if kind is None:
        raise InvalidInputError(
            f"{path}: not a REG 2026 result (its signature's 'computed' names no REG 2026 "
            "metric)", hint=_HINT,
        )
    _check(data, kind, str(path))
    return Reg2026Saved(name or path.stem, path, kind, data)


def is_reg2026_file(path: str | Path) -> bool:
    """True when `path` holds a REG 2026 result (read within the input limits)."""
    try:
        return reg2026_kind(load_json_document(Path(path), "result file")) is not None
    except InvalidInputError:
        return False


def load_reg2026_rows(path: str | Path) -> list[dict[str, Any]]:
    """The rows of a REG 2026 `--per-case` JSON-lines file, each line an object, read as
    `load_per_case` reads a REG 2025 one."""
    from reg_eval.io.files import read_input_bytes
    from reg_eval.io.jsondoc import decode_utf8
    from reg_eval.io.results import jsonl_rows

    path = Path(path)
    if path.suffix.lower() != ".jsonl":
        raise InvalidInputError(f"{path}: the REG 2026 rows are read from a .jsonl file",
                                hint="write them with --per-case ROWS.jsonl")
    text = decode_utf8(read_input_bytes(path, "per-case file"), str(path))
    return jsonl_rows(path, text, hint=_HINT)
