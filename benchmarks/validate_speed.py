"""Time `validate_submission` on a 100,000-case file against a naive literal reference.

The reference is the simplest thing that could check a submission: json.load, then a loop
with isinstance, a regex and a set. It finds far less (no positions, no NaN, no BOM...), so
the ratio says what the extra checks and the positions cost.

    .venv/bin/python benchmarks/validate_speed.py [--cases 100000]
"""

from __future__ import annotations

import argparse
import json
import re
import tempfile
import time
from pathlib import Path

from reg_eval.io.validate import validate_submission

REPORTS = (
    "Breast, core-needle biopsy;\n  Invasive carcinoma of no special type, grade II",
    "Prostate, biopsy;\n  Acinar adenocarcinoma, Gleason's score 7 (3+4), grade group 2, "
    "tumor volume: 30%",
    "Stomach, endoscopic biopsy;\n  Chronic gastritis with intestinal metaplasia",
    "Urinary bladder, transurethral resection;\n  Non-invasive papillary urothelial carcinoma, "
    "high grade",
    "Colon, colonoscopic biopsy;\n  1. Tubular adenoma with low-grade dysplasia\n  2. Chronic "
    "nonspecific colitis",
)


def naive_validate(path: Path) -> tuple[int, int]:
    """Literal reference: load, then check each item in a plain loop."""
    pattern = re.compile(r"PIT_\d\d_\d{5}_\d\d\.tiff")
    with path.open(encoding="utf-8") as handle:
        items = json.load(handle)
    problems = 0
    seen: set[str] = set()
    for item in items:
        if not isinstance(item, dict) or set(item) != {"id", "report"}:
            problems += 1
            continue
        if not isinstance(item["id"], str) or not isinstance(item["report"], str):
            problems += 1
            continue
        if item["id"] in seen or not pattern.fullmatch(item["id"]) or not item["report"].strip():
            problems += 1
        seen.add(item["id"])
    return len(items), problems


def best_of(repeats: int, fn: object, *args: object) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn(*args)  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "predictions.json"
        cases = [
            {"id": f"PIT_{n % 7 + 1:02d}_{n:05d}_{n % 3 + 1:02d}.tiff",
             "report": REPORTS[n % len(REPORTS)]}
            for n in range(args.cases)
        ]
        path.write_text(json.dumps(cases, indent=2), encoding="utf-8")
        report = validate_submission(path)
        assert report.valid and report.n_cases == args.cases, report.errors[:3]
        assert naive_validate(path) == (args.cases, 0)
        size_mb = path.stat().st_size / 1e6
        ours = best_of(args.repeats, validate_submission, path)
        naive = best_of(args.repeats, naive_validate, path)
    print(f"cases: {args.cases:,}  file: {size_mb:.1f} MB  best of {args.repeats}")
    print(f"validate_submission: {ours:.3f} s")
    print(f"naive json.load + loop: {naive:.3f} s")
    print(f"ratio (validate / naive): {ours / naive:.2f}x")


if __name__ == "__main__":
    main()
