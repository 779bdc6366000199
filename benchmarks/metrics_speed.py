"""BLEU + ROUGE per case: the literal per-text computation against official_case_stats.

Workload: REG-like report pairs, 1,000 cases by default, about a quarter of the texts
distinct, as in the real test sets. The literal side scores every case on its own with the
spec's nested loops and the textbook LCS dynamic programme; reg-eval's side is
`official_case_stats` (Counter-based 4-grams, rapidfuzz LCS, each distinct pair once), given
empty entity lists and constant vectors so that the time is the text metrics'. Prints both
times, the ratio and the largest per-case |difference|, which must be exactly 0.

    .venv/bin/python benchmarks/metrics_speed.py [--cases 1000] [--distinct 0.25] [--seed 0]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

import numpy as np

from reg_eval.metrics.official import official_case_stats

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from literal_reference import bleu4_literal, rouge_literal

ORGANS = ["Stomach", "Colon", "Rectum", "Prostate", "Breast", "Lung", "Urinary bladder", "Cervix"]
PROCEDURES = ["biopsy;", "endoscopic biopsy;", "core-needle biopsy;", "transurethral resection;"]
FINDINGS = [
    "Chronic active gastritis with intestinal metaplasia",
    "Tubular adenoma with low grade dysplasia",
    "Adenocarcinoma, moderately differentiated",
    "Acinar adenocarcinoma, Gleason's score 7 (4+3), grade group 3, tumor volume: 30%",
    "Invasive carcinoma of no special type, grade II (Tubule formation: 3, Nuclear grade: 2, "
    "Mitoses: 1)",
    "Papillary urothelial carcinoma, high grade, with invasion into lamina propria",
    "No tumor present",
    "Chronic nonspecific cervicitis",
]


def report(rng: random.Random) -> str:
    findings = rng.sample(FINDINGS, rng.choice([1, 1, 2, 3]))
    return "\n  ".join([f"{rng.choice(ORGANS)}, {rng.choice(PROCEDURES)}", *findings])


def workload(cases: int, distinct: float, seed: int) -> tuple[list[str], list[str]]:
    """References and hypotheses drawing from pools of about `distinct * cases` texts each.

    A report generator tends to write the same text for slides with the same diagnosis, so most
    hypotheses are the usual prediction for their reference and (reference, hypothesis) pairs
    repeat too; the rest are drawn at random from the hypothesis pool.
    """
    rng = random.Random(seed)
    size = max(1, round(cases * distinct))
    references = [report(rng) for _ in range(size)]
    hypotheses = [report(rng) for _ in range(size // 2)] + [
        text.lower() for text in rng.sample(references, size - size // 2)
    ]
    usual = {ref: rng.choice(hypotheses) for ref in references}
    refs = [rng.choice(references) for _ in range(cases)]
    hyps = [usual[ref] if rng.random() < 0.7 else rng.choice(hypotheses) for ref in refs]
    return refs, hyps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--distinct", type=float, default=0.25)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    refs, hyps = workload(args.cases, args.distinct, args.seed)
    n = len(refs)
    distinct_texts = len(set(refs) | set(hyps)) / (2 * n)
    distinct_pairs = len(set(zip(refs, hyps, strict=True)))
    print(
        f"workload: {n} cases, {distinct_texts:.0%} of the texts distinct, "
        f"{distinct_pairs} distinct (reference, hypothesis) pairs"
    )

    start = time.perf_counter()
    literal = np.array(
        [[bleu4_literal(r, h), rouge_literal(r, h)] for r, h in zip(refs, hyps, strict=True)]
    )
    literal_seconds = time.perf_counter() - start

    no_entities: list[list[str]] = [[] for _ in range(n)]
    vectors = np.ones((n, 1))
    start = time.perf_counter()
    stats = official_case_stats(refs, hyps, no_entities, no_entities, vectors, vectors)
    fast_seconds = time.perf_counter() - start

    fast = np.column_stack([stats.bleu, stats.rouge])
    max_difference = float(np.abs(fast - literal).max())
    print(f"literal per-text loop     {literal_seconds:8.3f} s")
    print(f"official_case_stats       {fast_seconds:8.3f} s")
    print(f"ratio                     {literal_seconds / fast_seconds:8.1f}x")
    print(f"max |difference|          {max_difference:8.1g}  (must be 0: {max_difference == 0})")
    if max_difference != 0:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
