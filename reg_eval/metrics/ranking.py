"""The official REG 2025 per-case ranking score and the two-phase final score."""

from __future__ import annotations

from typing import TypeVar

import numpy as np

RANKING_WEIGHTS: dict[str, float] = {"bleu": 0.15, "rouge": 0.15, "key": 0.4, "emb": 0.3}
"""Weights of each component in `ranking`; BLEU and ROUGE share one weight."""

PHASE_WEIGHTS: dict[str, float] = {"phase1": 0.2, "phase2": 0.8}

Score = TypeVar("Score", float, np.ndarray)


def ranking(bleu: Score, rouge: Score, key: Score, emb: Score) -> Score:
    """0.15 * (ROUGE + BLEU) + 0.4 * KEY + 0.3 * EMB, in the official evaluation order."""
    return 0.15 * (rouge + bleu) + 0.4 * key + 0.3 * emb


def final_score(phase1: Score | None, phase2: Score | None) -> float | np.ndarray:
    """0.2 * phase 1 + 0.8 * phase 2; a phase a team did not take part in counts as 0."""
    p1 = 0.0 if phase1 is None else phase1
    p2 = 0.0 if phase2 is None else phase2
    return 0.2 * p1 + 0.8 * p2
