"""Local score runs ranked together and placed among the official REG 2025 rows.

A local run is placed by its mean ranking score. A run whose signature says it is not
comparable with the leaderboard (another profile, other models) keeps its place in the
table but is marked, because its number measures something else.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reg_eval.columns import OFFICIAL_COMPONENTS
from reg_eval.errors import InvalidInputError, UsageError
from reg_eval.io.results import SavedCases, SavedResult, check_same_run
from reg_eval.paired import (
    DEFAULT_TEST,
    DEFAULT_TRIALS,
    PairedTests,
    RunCases,
    RunTests,
    paired_tests,
)
from reg_eval.stats import DEFAULT_SEED

OFFICIAL_TABLES: dict[str, tuple[str, int | None, str]] = {
    "reg2025-phase1": ("reg2025_phase1.csv", 1, "REG 2025 test phase 1"),
    "reg2025-phase2": ("reg2025_phase2.csv", 2, "REG 2025 test phase 2"),
    "reg2025-final": (
        "reg2025_final.csv",
        None,
        "REG 2025 final ranking (0.2·phase 1 + 0.8·phase 2)",
    ),
}
COMPONENTS_FILE = "reg2025_components.csv"
_CSV_COMPONENTS = {key: key.upper() for key in OFFICIAL_COMPONENTS}
"""The organisers' components file heads each component in capitals (BLEU, ROUGE, ...)."""


def leaderboards_dir() -> Path:
    """The `leaderboards/` folder of the source tree, beside the package."""
    return Path(__file__).resolve().parents[1] / "leaderboards"


@dataclass(frozen=True)
class OfficialRow:
    rank: int
    team: str
    score: float
    components: dict[str, float] | None
    """Published ROUGE, BLEU, KEY and EMB means, where the organisers' paper gives them."""
    source: str


def official_choices() -> list[str]:
    return [*OFFICIAL_TABLES, "none"]


def _read_csv(path: Path) -> list[dict[str, str]]:
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            return list(csv.DictReader(handle))
    except FileNotFoundError:
        raise UsageError(
            f"the official table {path} is missing",
            hint="run from a reg-eval source tree that has leaderboards/, or use --official none",
        ) from None


def load_official(name: str, *, folder: Path | None = None) -> list[OfficialRow]:
    """Rows of one official table, best first; phase tables use each team's best score."""
    if name not in OFFICIAL_TABLES:
        raise UsageError(
            f"unknown official table {name!r}", hint=f"use one of {', '.join(official_choices())}"
        )
    folder = folder or leaderboards_dir()
    file_name, phase, _ = OFFICIAL_TABLES[name]
    path = folder / file_name
    components: dict[str, dict[str, float]] = {}
    if phase is not None and (folder / COMPONENTS_FILE).exists():
        for row in _read_csv(folder / COMPONENTS_FILE):
            if row.get("phase") == str(phase):
                components[row["team"]] = {
                    key: float(row[column]) for key, column in _CSV_COMPONENTS.items()
                }
    score_column = "score" if phase is None else "score_best"
    rows = []
    for line, row in enumerate(_read_csv(path), start=2):
        try:
            rows.append(
                OfficialRow(
                    rank=int(row["rank"]),
                    team=row["team"],
                    score=float(row[score_column]),
                    components=components.get(row["team"]),
                    source=row.get("source", ""),
                )
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidInputError(f"{path}: line {line} is malformed ({exc})") from None
    return sorted(rows, key=lambda r: (r.rank, -r.score))


def official_place(score: float, rows: Sequence[OfficialRow]) -> int:
    """The rank a score would take: one more than the number of rows strictly above it."""
    return 1 + sum(1 for row in rows if row.score > score)


def paired_test_dict(tests: PairedTests, run: RunTests) -> dict[str, Any]:
    """One run's paired tests against the baseline, every metric, as JSON (NaN as null)."""
    return {
        "baseline": tests.baseline,
        **tests.describe(),
        "n_cases": tests.n_cases,
        "metrics": run.to_dict(),
    }


def clinical_headline(result: SavedResult) -> tuple[str, float] | None:
    """(column, mean) of the clinical group's headline in a saved run; None when the run was
    scored without the group. Shown beside the official score, never used to rank."""
    group = (result.data.get("metrics") or {}).get("clinical") or {}
    column = group.get("headline")
    mean = (group.get("means") or {}).get(column) if column else None
    return None if column is None or mean is None else (str(column), float(mean))


@dataclass(frozen=True)
class LocalEntry:
    result: SavedResult
    rank: int
    """Rank among the local runs."""
    place: int | None
    """Rank the run would take among the official rows (None without an official table)."""
    paired: RunTests | None = None
    """This run against the baseline, per metric (None for the baseline, or without
    per-case files)."""
    is_baseline: bool = False

    @property
    def note(self) -> str:
        notes = []
        if self.is_baseline:
            notes.append("baseline")
        reasons = self.result.not_comparable_because
        if reasons:
            notes.append("not comparable: " + "; ".join(reasons))
        return "; ".join(notes)


@dataclass(frozen=True)
class Leaderboard:
    entries: list[LocalEntry]
    official_name: str | None = None
    official: list[OfficialRow] = field(default_factory=list)
    baseline: str | None = None
    tests: PairedTests | None = None
    """The paired tests of every run against the baseline (with per-case files)."""

    @property
    def official_title(self) -> str | None:
        return OFFICIAL_TABLES[self.official_name][2] if self.official_name else None

    def merged(self) -> list[LocalEntry | OfficialRow]:
        """Official and local rows together, best score first; an official row wins ties."""
        items: list[tuple[float, int, LocalEntry | OfficialRow]] = [
            (row.score, 0, row) for row in self.official
        ]
        items += [(entry.result.ranking, 1, entry) for entry in self.entries]
        items.sort(key=lambda item: (-item[0], item[1]))
        return [item[2] for item in items]

    def to_dict(self) -> dict[str, Any]:
        return {
            "official": self.official_name,
            "baseline": self.baseline,
            "runs": [
                {
                    "name": e.result.name,
                    "rank": e.rank,
                    "official_place": e.place,
                    "ranking": e.result.ranking,
                    "components": e.result.components,
                    "clinical_headline": (
                        dict(zip(("column", "mean"), headline, strict=True))
                        if (headline := clinical_headline(e.result))
                        else None
                    ),
                    "ci": {k: list(v) for k, v in e.result.ci.items()},
                    "comparable_with_leaderboard": e.result.comparable,
                    "not_comparable_because": e.result.not_comparable_because,
                    "paired_test": (
                        paired_test_dict(self.tests, e.paired)
                        if self.tests is not None and e.paired is not None
                        else None
                    ),
                    "signature": e.result.signature_text,
                }
                for e in self.entries
            ],
        }


def _pick_baseline(results: Sequence[SavedResult], baseline: str | Path | None) -> int | None:
    if baseline is None:
        return None
    wanted = Path(baseline)
    for index, result in enumerate(results):
        if result.name == str(baseline):
            return index
        try:
            if result.path.resolve() == wanted.resolve():
                return index
        except OSError:
            continue
    raise UsageError(
        f"--baseline {baseline} is not one of the runs given",
        hint="name one of the RESULT.json files listed on the command line",
    )


def build_leaderboard(
    results: Sequence[SavedResult],
    *,
    official: str | None = None,
    baseline: str | Path | None = None,
    per_case: Sequence[SavedCases] | None = None,
    test: str = DEFAULT_TEST,
    n_trials: int = DEFAULT_TRIALS,
    seed: int = DEFAULT_SEED,
    official_dir: Path | None = None,
) -> Leaderboard:
    """Rank local runs; with per-case rows, test each against the baseline on every metric.

    The test is `reg_eval.paired.paired_tests`, the one `compare` and `report` run, so the
    same two runs get the same p-values here as there; with several runs they are
    Holm-adjusted per metric.
    """
    if not results:
        raise UsageError("give at least one RESULT.json from `reg-eval score --output`")
    official_rows = (
        load_official(official, folder=official_dir) if official and official != "none" else []
    )
    base_index = _pick_baseline(results, baseline)
    tests = None
    tested: dict[int, RunTests] = {}
    if per_case:
        if len(per_case) != len(results):
            raise UsageError(
                f"{len(per_case)} --per-case file(s) for {len(results)} run(s)",
                hint="give one --per-case file per RESULT.json, in the same order",
            )
        for result, cases in zip(results, per_case, strict=True):
            check_same_run(result, cases)
        base_index = 0 if base_index is None else base_index
        if len(results) > 1:
            runs = [
                RunCases.from_rows(result.name, cases.rows)
                for result, cases in zip(results, per_case, strict=True)
            ]
            others = [index for index in range(len(runs)) if index != base_index]
            tests = paired_tests(
                runs[base_index], [runs[i] for i in others], test=test, n=n_trials, seed=seed
            )
            tested = dict(zip(others, tests.runs, strict=True))
    order = sorted(range(len(results)), key=lambda i: (-results[i].ranking, results[i].name))
    entries = [
        LocalEntry(
            result=results[i],
            rank=position + 1,
            place=official_place(results[i].ranking, official_rows) if official_rows else None,
            paired=tested.get(i),
            is_baseline=i == base_index,
        )
        for position, i in enumerate(order)
    ]
    return Leaderboard(
        entries=entries,
        official_name=official if official_rows else None,
        official=official_rows,
        baseline=results[base_index].name if base_index is not None else None,
        tests=tests,
    )


@dataclass(frozen=True)
class FinalScore:
    """0.2·phase 1 + 0.8·phase 2 of two local runs, as the organisers ranked teams."""

    phase1: SavedResult | None
    phase2: SavedResult | None
    score: float
    warnings: list[str]

    @property
    def comparable(self) -> bool:
        """Both phases given, and both comparable with the leaderboard."""
        return all(r is not None and r.comparable for r in (self.phase1, self.phase2))

    def to_dict(self) -> dict[str, Any]:
        def phase(result: SavedResult | None) -> dict[str, Any] | None:
            if result is None:
                return None
            return {
                "file": str(result.path),
                "ranking": result.ranking,
                "comparable_with_leaderboard": result.comparable,
                "not_comparable_because": result.not_comparable_because,
                "signature": result.signature_text,
            }

        return {
            "final": self.score,
            "comparable_with_leaderboard": self.comparable,
            "formula": "0.2*phase1 + 0.8*phase2 (a missing phase counts 0)",
            "phase1": phase(self.phase1),
            "phase2": phase(self.phase2),
            "warnings": self.warnings,
        }


def final_from_results(phase1: SavedResult | None, phase2: SavedResult | None) -> FinalScore:
    from reg_eval.metrics.ranking import final_score

    if phase1 is None and phase2 is None:
        raise UsageError("give --phase1, --phase2 or both", hint="each is a RESULT.json")
    warnings = []
    for label, result in (("phase 1", phase1), ("phase 2", phase2)):
        if result is None:
            warnings.append(f"no {label} result: it counts 0, as for teams that skipped it")
        elif not result.comparable:
            warnings.append(
                f"the {label} run ({result.path}) is not comparable with the leaderboard: "
                + "; ".join(result.not_comparable_because)
            )
    if phase1 is not None and phase2 is not None and phase1.profile != phase2.profile:
        warnings.append(
            f"the two phases were scored with different profiles ({phase1.profile} and "
            f"{phase2.profile})"
        )
    score = float(
        final_score(
            None if phase1 is None else phase1.ranking, None if phase2 is None else phase2.ranking
        )
    )
    return FinalScore(phase1, phase2, score, warnings)

