"""The official REG 2025 "BLEU": a 4-gram precision with per-occurrence counting.

For every 4-gram position in the hypothesis, the official scorer adds
`min(count_H(g), count_R(g))` and divides by the number of hypothesis 4-grams. A repeated
4-gram is therefore credited once per occurrence rather than clipped once, so the value can
exceed 1. There is no brevity penalty, no lower-order n-gram and no smoothing, and a
hypothesis under four tokens scores 0 even when it matches exactly.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np

from reg_eval.metrics.base import Metric, per_distinct_pair
from reg_eval.metrics.tokenize import bleu_tokens

NGRAM_ORDER = 4


def ngram_counts(tokens: Sequence[str], order: int = NGRAM_ORDER) -> Counter[tuple[str, ...]]:
    """Counts of each n-gram of `tokens` (empty when there are fewer than `order` tokens)."""
    return Counter(zip(*(tokens[i:] for i in range(order)), strict=False))


def bleu4(ref_tokens: Sequence[str], hyp_tokens: Sequence[str]) -> float:
    """The official 4-gram score of one hypothesis against one reference.

    Summing `min(count_H, count_R)` once per position equals summing
    `count_H * min(count_H, count_R)` once per distinct 4-gram; both are exact integers, so the
    final division gives the same float as the literal per-position loop.
    """
    hyp_counts = ngram_counts(hyp_tokens)
    n_hyp = sum(hyp_counts.values())
    if n_hyp == 0:
        return 0.0
    ref_counts = ngram_counts(ref_tokens)
    matched = sum(
        count * min(count, ref_counts[gram])
        for gram, count in hyp_counts.items()
        if gram in ref_counts
    )
    return matched / n_hyp


class Bleu4(Metric[str]):
    """`bleu4` over raw texts, with the official tokenisation."""

    name = "bleu4"

    def options(self) -> dict[str, str]:
        return {"tok": "str.split", "case": "mixed", "count": "per-occurrence", "bp": "none"}

    def case_stats(self, refs: Sequence[str], hyps: Sequence[str]) -> np.ndarray:
        return per_distinct_pair(
            refs, hyps, lambda ref, hyp: bleu4(bleu_tokens(ref), bleu_tokens(hyp))
        )
