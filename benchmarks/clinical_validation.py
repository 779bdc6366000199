"""How well each metric column agrees with hand-assigned severity grades, on both sets.

Data: two sets of (reference, generated) report pairs over many organ systems, each graded
0 (clinically equivalent) to 4 (critical: malignancy wrong) by the rubric in
docs/clinical-metrics.md: tests/clinical/data/severity_pairs.jsonl (short REG-style pairs)
and tests/clinical/data/severity_pairs_hard.jsonl (model-style generated reports against
narrative and REG-style references). For every column and set the script prints Pearson r
and Kendall tau-b against the agreement 4 - grade (so higher is better for every metric),
over the cases where the column is defined, and the mean headline clinical score per grade
(the ordering test: graver errors must score lower).

    .venv/bin/python benchmarks/clinical_validation.py                 # every column
    .venv/bin/python benchmarks/clinical_validation.py --no-models     # no EMB, MiniLM
    .venv/bin/python benchmarks/clinical_validation.py --write-docs    # refresh the docs table
    .venv/bin/python benchmarks/clinical_validation.py --pairs FILE    # one other set

Columns: the official components of the offline profile (BLEU-4, ROUGE-L, KEY with the
shipped entity ruler, EMB with SmolLM2-135M, their ranking), the lexical group's ROUGE-L
(rouge-score), every clinical column with the default matching and, unless --no-models,
clinical F1 and the weighted score with soft matching, and the semantic cosine of
all-MiniLM-L6-v2. Run it again after the lexicon changes: --write-docs replaces the table
between the markers in docs/clinical-metrics.md.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
PAIRS = ROOT / "tests" / "clinical" / "data" / "severity_pairs.jsonl"
HARD_PAIRS = ROOT / "tests" / "clinical" / "data" / "severity_pairs_hard.jsonl"
SETS = {"first set": PAIRS, "hard set": HARD_PAIRS}
DOCS = ROOT / "docs" / "clinical-metrics.md"
BEGIN = "<!-- clinical-validation table: begin -->"
END = "<!-- clinical-validation table: end -->"
MAX_GRADE = 4


def load_pairs(path: Path = PAIRS) -> list[dict[str, Any]]:
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        row = json.loads(line)
        if row.get("grade") not in range(MAX_GRADE + 1):
            raise SystemExit(f"{path}, line {number}: grade must be 0-4, got {row.get('grade')!r}")
        rows.append(row)
    return rows


def clinical_columns(
    refs: Sequence[str], hyps: Sequence[str], *, soft: bool, cache: Any = None
) -> dict[str, np.ndarray]:
    """The clinical group's per-case columns, default or soft matching."""
    from reg_eval.clinical.group import ClinicalGroup
    from reg_eval.groups import ScoringContext

    group = ClinicalGroup(soft=soft)
    result = group.compute(list(refs), list(hyps), ScoringContext(cache=cache))
    return dict(result.per_case)


def model_columns(refs: Sequence[str], hyps: Sequence[str]) -> dict[str, np.ndarray]:
    """Official components (offline profile), ROUGE-L, semantic cosine, soft clinical."""
    from reg_eval.scoring import Scorer

    scorer = Scorer(
        "offline",
        metrics="official,lexical,semantic,clinical",
        group_options={"clinical": {"soft": True}},
        device="cpu",
        bootstrap=1,
    )
    result = scorer(list(refs), list(hyps))
    columns = result.columns
    wanted = {
        "ranking": "official ranking (offline profile)",
        "bleu": "BLEU-4 (official)",
        "rouge": "ROUGE-L (official)",
        "key": "KEY (offline entity ruler)",
        "emb": "EMB (SmolLM2-135M)",
        "rougeL": "ROUGE-L (rouge-score)",
        "semantic_cosine": "semantic cosine (MiniLM)",
    }
    out = {label: columns[name] for name, label in wanted.items()}
    for name in ("clinical_f1", "clinical_weighted"):
        out[f"{name} (soft)"] = columns[name]
    return out


def correlations(values: np.ndarray, agreement: np.ndarray) -> tuple[float, float, int]:
    """Pearson r and Kendall tau-b over the defined cases, and how many there are."""
    from scipy.stats import kendalltau, pearsonr

    kept = ~np.isnan(values)
    n = int(kept.sum())
    x, y = values[kept], agreement[kept]
    if n < 3 or np.ptp(x) == 0:
        return math.nan, math.nan, n
    return float(pearsonr(x, y)[0]), float(kendalltau(x, y).statistic), n


def grade_means(values: np.ndarray, grades: np.ndarray) -> list[float]:
    means = []
    for grade in range(MAX_GRADE + 1):
        chosen = values[(grades == grade) & ~np.isnan(values)]
        means.append(float(chosen.mean()) if chosen.size else math.nan)
    return means


def evaluate(pairs: list[dict[str, Any]], *, models: bool) -> dict[str, Any]:
    refs = [pair["ref"] for pair in pairs]
    hyps = [pair["hyp"] for pair in pairs]
    grades = np.array([pair["grade"] for pair in pairs], dtype=np.float64)
    agreement = MAX_GRADE - grades
    columns: dict[str, np.ndarray] = {}
    if models:
        columns.update(model_columns(refs, hyps))
    for name, values in clinical_columns(refs, hyps, soft=False).items():
        columns[name] = values
    rows = []
    for name, values in columns.items():
        r, tau, n = correlations(np.asarray(values, dtype=np.float64), agreement)
        rows.append({"column": name, "pearson": r, "kendall": tau, "n": n})
    from reg_eval.clinical.group import HEADLINE

    weighted = np.asarray(columns[HEADLINE], dtype=np.float64)
    return {
        "headline": HEADLINE,
        "n_pairs": len(pairs),
        "organs": sorted({pair["organ"] for pair in pairs}),
        "grade_counts": [int((grades == g).sum()) for g in range(MAX_GRADE + 1)],
        "rows": rows,
        "weighted_by_grade": grade_means(weighted, grades),
        "weighted_defined_by_grade": [
            int(((grades == g) & ~np.isnan(weighted)).sum()) for g in range(MAX_GRADE + 1)
        ],
    }


def _f(value: float, digits: int = 2) -> str:
    return "—" if math.isnan(value) else f"{value:+.{digits}f}"


def markdown(reports: dict[str, dict[str, Any]], *, command: str) -> str:
    """One table with r, tau and n per set, then the headline's mean per grade per set."""
    lexicon = _lexicon_line()
    names = list(reports)
    first = next(iter(reports.values()))
    headline = first["headline"]
    sizes = "; ".join(
        f"{name}: {r['n_pairs']} pairs, {len(r['organs'])} organ systems, grades 0-4: "
        f"{', '.join(map(str, r['grade_counts']))}"
        for name, r in reports.items()
    )
    lines = [
        f"`{command}`; {lexicon}.",
        f"{sizes}.",
        "Pearson r and Kendall tau-b against agreement = 4 − grade, over the pairs where the "
        f"column is defined (n). **{headline}** is the headline; a tau below 0 is marked ⚠.",
        "",
        "| column | " + " | ".join(f"r ({n}) | tau ({n}) | n ({n})" for n in names) + " |",
        "|---|" + "---|---|---|" * len(names),
    ]
    by_set = {name: {row["column"]: row for row in r["rows"]} for name, r in reports.items()}
    for column in [row["column"] for row in first["rows"]]:
        cells = []
        for name in names:
            row = by_set[name].get(column)
            if row is None:
                cells += ["—", "—", "0"]
                continue
            mark = " ⚠" if not math.isnan(row["kendall"]) and row["kendall"] < 0 else ""
            cells += [_f(row["pearson"]), _f(row["kendall"]) + mark, str(row["n"])]
        label = f"**{column}** (headline)" if column == headline else column
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    lines += [
        "",
        f"Mean `{headline}` (default matching, no soft) per grade:",
        "",
        "| set | grade 0 | grade 1 | grade 2 | grade 3 | grade 4 |",
        "|---|---|---|---|---|---|",
    ]
    for name, report in reports.items():
        means = " | ".join(
            f"{_f(m, 3).lstrip('+')} (n={n})"
            for m, n in zip(report["weighted_by_grade"], report["weighted_defined_by_grade"],
                            strict=True)
        )
        lines.append(f"| {name} | {means} |")
    return "\n".join(lines)


def _lexicon_line() -> str:
    from reg_eval.clinical.lexicon import load_lexicon

    lexicon = load_lexicon()
    return f"lexicon sha256:{lexicon.short_hash} ({len(lexicon.concepts)} concepts)"


def write_docs(table: str, path: Path = DOCS) -> None:
    from reg_eval.io.writers import atomic_write_text

    text = path.read_text(encoding="utf-8")
    if BEGIN not in text or END not in text:
        raise SystemExit(f"{path}: the markers {BEGIN!r} and {END!r} are missing")
    head, _, rest = text.partition(BEGIN)
    _, _, tail = rest.partition(END)
    atomic_write_text(path, f"{head}{BEGIN}\n{table}\n{END}{tail}", force=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=Path, action="append",
                        help="a graded set to read instead of the two in tests/clinical/data "
                        "(repeatable)")
    parser.add_argument("--no-models", action="store_true",
                        help="only the clinical columns, default matching (no EMB, MiniLM)")
    parser.add_argument("--write-docs", action="store_true",
                        help=f"replace the table in {DOCS.relative_to(ROOT)}")
    parser.add_argument("--json", type=Path, help="also write the numbers as JSON")
    args = parser.parse_args(argv)
    sets = {path.name: path for path in args.pairs} if args.pairs else SETS
    if args.write_docs and args.pairs:
        parser.error("--write-docs refreshes the table of the two in-repository sets; "
                     "leave out --pairs")
    reports = {
        name: evaluate(load_pairs(path), models=not args.no_models)
        for name, path in sets.items()
    }
    command = "python benchmarks/clinical_validation.py" + (" --no-models" if args.no_models
                                                            else "")
    table = markdown(reports, command=command)
    print(table)
    if args.json:
        args.json.write_text(json.dumps(reports, indent=2, allow_nan=True) + "\n")
    if args.write_docs:
        write_docs(table)
        print(f"\nwrote the table into {DOCS}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    raise SystemExit(main())
