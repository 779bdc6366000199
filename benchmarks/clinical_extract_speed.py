"""Clinical fact extraction: time to read 1,000 distinct reports, and against another tree.

Workload: 1,000 distinct REG-like reports (an "<Organ>, <procedure>;" line and one to three
diagnosis lines, drawn with a fixed seed from the hand-written lines in
tests/clinical/data/reg_diagnosis_lines.txt, each report made distinct by a numbered
specimen label). Times, in one process: building the pipeline (spaCy import, lexicon load,
entity ruler; what the first report costs) and `FactExtractor.extract_many` over the 1,000
texts (best of --repeats). With --baseline-tree DIR the same measurement runs in a second
interpreter that imports reg_eval from DIR (for example an export of the main branch), and
the ratios are printed.

    .venv/bin/python benchmarks/clinical_extract_speed.py [--reports 1000] [--seed 0]
        [--repeats 3] [--baseline-tree DIR] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LINES = ROOT / "tests" / "clinical" / "data" / "reg_diagnosis_lines.txt"
HEADERS = [
    "Breast, right, core-needle biopsy;",
    "Prostate, biopsy;",
    "Stomach, endoscopic biopsy;",
    "Colon, colonoscopic biopsy;",
    "Lung, transbronchial biopsy;",
    "Urinary bladder, transurethral resection;",
    "Uterine cervix, colposcopic biopsy;",
    "Endometrium, curettage;",
    "Skin, shave biopsy;",
    "Lymph node, excision;",
]


def reports(count: int, seed: int) -> list[str]:
    lines = [
        line
        for line in LINES.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    rng = random.Random(seed)
    texts = []
    for index in range(count):
        body = "\n".join(f"  {line}" for line in rng.sample(lines, rng.randint(1, 3)))
        texts.append(f"{rng.choice(HEADERS)}\n  Specimen {index + 1}:\n{body}")
    return texts


def measure(count: int, seed: int, repeats: int) -> dict[str, float]:
    texts = reports(count, seed)
    start = time.perf_counter()
    from reg_eval.clinical.extract import FactExtractor

    extractor = FactExtractor()
    extractor.extract("Prostate, biopsy;")
    build = time.perf_counter() - start
    best = float("inf")
    facts = 0
    for _ in range(repeats):
        start = time.perf_counter()
        results = extractor.extract_many(texts)
        best = min(best, time.perf_counter() - start)
        facts = sum(len(r) for r in results)
    concepts = len(extractor.lexicon.concepts)
    return {"build_s": build, "extract_s": best, "facts": facts, "concepts": concepts}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--baseline-tree", type=Path, default=None)
    parser.add_argument("--json", action="store_true", help="print one JSON object only")
    args = parser.parse_args()
    result = measure(args.reports, args.seed, args.repeats)
    if args.json:
        print(json.dumps(result))
        return
    print(
        f"this tree: {result['concepts']} concepts; pipeline build {result['build_s']:.2f} s; "
        f"{args.reports} reports in {result['extract_s']:.2f} s "
        f"({1000 * result['extract_s'] / args.reports:.2f} ms/report), {result['facts']} facts"
    )
    if args.baseline_tree is None:
        return
    env = {**os.environ, "PYTHONPATH": str(args.baseline_tree.resolve())}
    command = [sys.executable, __file__, "--json", f"--reports={args.reports}"]
    command += [f"--seed={args.seed}", f"--repeats={args.repeats}"]
    done = subprocess.run(
        command, capture_output=True, text=True, env=env, cwd=args.baseline_tree, check=True
    )
    base = json.loads(done.stdout.strip().splitlines()[-1])
    print(
        f"baseline:  {base['concepts']} concepts; pipeline build {base['build_s']:.2f} s; "
        f"{args.reports} reports in {base['extract_s']:.2f} s, {base['facts']} facts"
    )
    print(
        f"ratio this/baseline: build {result['build_s'] / base['build_s']:.2f}x, "
        f"extraction {result['extract_s'] / base['extract_s']:.2f}x"
    )


if __name__ == "__main__":
    main()
