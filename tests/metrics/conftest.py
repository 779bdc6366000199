"""Literal references written from the spec, and seeded REG-like report pairs to compare on.

The references are deliberately naive (nested loops, a textbook DP, plain Python floats) so
they can be checked against the spec by eye; the package code must equal them exactly.
"""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest

from literal_reference import bleu4_literal, lcs_literal, rouge_literal

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


@pytest.fixture(scope="session", name="literal_bleu")
def literal_bleu_fixture() -> Callable[[str, str], float]:
    """The spec's BLEU written literally (tests/literal_reference.py)."""
    return bleu4_literal


@pytest.fixture(scope="session", name="literal_lcs")
def literal_lcs_fixture() -> Callable[[list[str], list[str]], int]:
    return lcs_literal


@pytest.fixture(scope="session", name="literal_rouge")
def literal_rouge_fixture() -> Callable[[str, str], float]:
    return rouge_literal
