"""Literal references written from the spec, and seeded REG-like report pairs to compare on.

The references are deliberately naive (nested loops, a textbook DP, plain Python floats) so
they can be checked against the spec by eye; the package code must equal them exactly.
"""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest

ORGANS = [
    "Stomach", "Lung", "Prostate", "Breast", "Colon", "Urinary bladder", "Bladder", "Rectum",
    "Uterine cervix", "Thyroid", "stomach", "LUNG",
]
PROCEDURES = [
    "biopsy;", "biopsy:", "endoscopic biopsy;", "core-needle biopsy;", "transurethral resection;",
    "excision;", "biopsy", "punch biopsy;",
]
FINDINGS = [
    "Chronic gastritis", "Adenocarcinoma", "Invasive carcinoma of no special type, grade II",
    "No tumor present", "Acinar adenocarcinoma, Gleason's score 7 (3+4), grade group 2",
    "Tubular adenoma with low grade dysplasia", "Papillary urothelial carcinoma, low grade",
    "Chronic active gastritis with intestinal metaplasia", "Squamous cell carcinoma",
    "no tumor present", "Note) The specimen is fragmented.", "Ductal carcinoma in situ",
    "Chronic gastritis chronic gastritis chronic gastritis",
]
SEPARATORS = ["\n  ", " ", "\n", "\t", "  ", "\r\n  ", " \n "]


def _report(rng: random.Random) -> str:
    lines = [f"{rng.choice(ORGANS)}, {rng.choice(PROCEDURES)}"]
    for _ in range(rng.choice([1, 1, 1, 2, 3])):
        lines.append(rng.choice(FINDINGS))
    text = rng.choice(SEPARATORS).join(lines)
    if rng.random() < 0.1:
        text = f"  {text}\n"
    return text


def _mutate(rng: random.Random, text: str) -> str:
    """A hypothesis derived from a reference the way generated reports go wrong."""
    choice = rng.randrange(10)
    tokens = text.split()
    if choice == 0:
        return text
    if choice == 1:
        return text.lower()
    if choice == 2:
        return text.replace(";", ":")
    if choice == 3 and tokens:
        del tokens[rng.randrange(len(tokens))]
        return " ".join(tokens)
    if choice == 4:
        return " ".join(tokens * rng.choice([2, 3]))
    if choice == 5:
        return ""
    if choice == 6 and tokens:
        i = rng.randrange(len(tokens))
        return " ".join(tokens[:i] + tokens[i : i + 4] + tokens[i:])
    if choice == 7:
        return _report(rng)
    if choice == 8:
        return "\n".join(tokens[: rng.randrange(6)])
    return text.upper() if rng.random() < 0.3 else " ".join(reversed(tokens))


def make_report_pairs(n: int, seed: int) -> list[tuple[str, str]]:
    """`n` (reference, hypothesis) pairs; references repeat, as in real REG test sets."""
    rng = random.Random(seed)
    pool = [_report(rng) for _ in range(max(1, n // 4))] + ["", "a b c d", "x"]
    pairs = []
    for _ in range(n):
        ref = rng.choice(pool)
        hyp = rng.choice(pool) if rng.random() < 0.15 else _mutate(rng, ref)
        pairs.append((ref, hyp))
    return pairs


@pytest.fixture(scope="session")
def report_pairs() -> list[tuple[str, str]]:
    return make_report_pairs(3000, seed=2025)


WORKED_VALUES: list[tuple[str, str, float, float]] = [
    ("a b c d", "a b c d a b c d", 0.4, 0.666667),
    ("a b c d a b c d a b c d", "a b c d a b c d a b c d", 2.333333, 1.0),
    ("Lung, biopsy;\n  Adenocarcinoma", "Lung, biopsy;\n  Adenocarcinoma", 0.0, 1.0),
    (
        "Stomach, endoscopic biopsy;\n  Chronic gastritis",
        "Stomach, endoscopic biopsy; Chronic gastritis",
        1.0,
        1.0,
    ),
    (
        "Breast, core-needle biopsy;\n  Invasive carcinoma of no special type, grade II",
        "Breast, core-needle biopsy;\n  Invasive carcinoma of no special type, grade II".lower(),
        0.375,
        1.0,
    ),
    ("Prostate, biopsy;\n  No tumor present", "Prostate, biopsy: No tumor present", 0.0, 0.8),
    ("Prostate, biopsy;\n  No tumor present", "", 0.0, 0.0),
]
"""The spec's worked values: (reference, hypothesis, BLEU, ROUGE), BLEU and ROUGE to 1e-6."""


@pytest.fixture(scope="session")
def worked_values() -> list[tuple[str, str, float, float]]:
    return WORKED_VALUES


def literal_bleu(reference: str, hypothesis: str) -> float:
    """Straight from the spec: list the 4-grams, add min(count_H, count_R) per position."""
    ref = reference.split()
    hyp = hypothesis.split()
    ref_grams = []
    for i in range(len(ref) - 3):
        ref_grams.append((ref[i], ref[i + 1], ref[i + 2], ref[i + 3]))
    hyp_grams = []
    for i in range(len(hyp) - 3):
        hyp_grams.append((hyp[i], hyp[i + 1], hyp[i + 2], hyp[i + 3]))
    if len(hyp_grams) == 0:
        return 0
    total = 0
    for gram in hyp_grams:
        count_h = 0
        for other in hyp_grams:
            if other == gram:
                count_h += 1
        count_r = 0
        for other in ref_grams:
            if other == gram:
                count_r += 1
        total += min(count_h, count_r)
    return total / len(hyp_grams)


def literal_lcs(a: list[str], b: list[str]) -> int:
    """The textbook O(len(a) * len(b)) dynamic programme."""
    table = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            if a[i - 1] == b[j - 1]:
                table[i][j] = table[i - 1][j - 1] + 1
            else:
                table[i][j] = max(table[i - 1][j], table[i][j - 1])
    return table[len(a)][len(b)]


def literal_rouge(reference: str, hypothesis: str) -> float:
    """Straight from the spec: lower-case, split, P and R from the LCS, then F1."""
    ref = reference.lower().split()
    hyp = hypothesis.lower().split()
    lcs = literal_lcs(ref, hyp)
    p = lcs / len(hyp) if len(hyp) > 0 else 0
    r = lcs / len(ref) if len(ref) > 0 else 0
    if p + r == 0:
        return 0
    return 2 * p * r / (p + r)


@pytest.fixture(scope="session", name="literal_bleu")
def literal_bleu_fixture() -> Callable[[str, str], float]:
    return literal_bleu


@pytest.fixture(scope="session", name="literal_lcs")
def literal_lcs_fixture() -> Callable[[list[str], list[str]], int]:
    return literal_lcs


@pytest.fixture(scope="session", name="literal_rouge")
def literal_rouge_fixture() -> Callable[[str, str], float]:
    return literal_rouge
