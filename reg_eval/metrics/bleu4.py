"""The official REG 2025 "BLEU": a 4-gram precision with per-occurrence counting.

For every 4-gram position in the hypothesis, the official scorer adds
`min(count_H(g), count_R(g))` and divides by the number of hypothesis 4-grams. A repeated
4-gram is therefore credited once per occurrence rather than clipped once, so the value can
exceed 1. There is no brevity penalty, no lower-order n-gram and no smoothing, and a
hypothesis under four tokens scores 0 even when it matches exactly.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

NGRAM_ORDER = 4

NgramCounts = Mapping[tuple[str, ...], int]


def ngram_counts(tokens: Sequence[str], order: int = NGRAM_ORDER) -> Counter[tuple[str, ...]]:
    """Counts of each n-gram of `tokens` (empty when there are fewer than `order` tokens)."""
    return Counter(zip(*(tokens[i:] for i in range(order)), strict=False))


def bleu4_from_counts(ref_counts: NgramCounts, hyp_counts: NgramCounts) -> float:
    """The official 4-gram score from the 4-gram counts of a reference and a hypothesis.

    The statistics form of `bleu4`, so that each distinct text is counted once however many
    cases it appears in. Summing `min(count_H, count_R)` once per position equals summing
    `count_H * min(count_H, count_R)` once per distinct 4-gram; both are exact integers, so
    the final division gives the same float as the literal per-position loop.
    """
    n_hyp = sum(hyp_counts.values())
    if n_hyp == 0:
        return 0.0
    matched = 0
    for gram, count in hyp_counts.items():
        ref_count = ref_counts.get(gram)
        if ref_count:
            matched += count * min(count, ref_count)
    return matched / n_hyp


def bleu4(ref_tokens: Sequence[str], hyp_tokens: Sequence[str]) -> float:
    """The official 4-gram score of one hypothesis against one reference."""
    return bleu4_from_counts(ngram_counts(ref_tokens), ngram_counts(hyp_tokens))
