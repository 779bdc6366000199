"""The official REG 2025 ROUGE: F1 of the longest common token subsequence.

Tokens are lower-cased whitespace tokens. The LCS comes from rapidfuzz, which accepts any
sequence of hashables, so whole tokens are compared (not characters).
"""

from __future__ import annotations

from collections.abc import Sequence

from rapidfuzz.distance import LCSseq


def lcs_length(a: Sequence[str], b: Sequence[str]) -> int:
    """Length of the longest common subsequence of two token lists (0 if either is empty)."""
    if not a or not b:
        return 0
    return int(LCSseq.similarity(a, b))


def rouge_lcs_f1(ref_tokens: Sequence[str], hyp_tokens: Sequence[str]) -> float:
    """LCS F1, evaluated in the spec's order so it equals a literal implementation bit for bit."""
    lcs = lcs_length(ref_tokens, hyp_tokens)
    precision = lcs / len(hyp_tokens) if hyp_tokens else 0.0
    recall = lcs / len(ref_tokens) if ref_tokens else 0.0
    if precision + recall == 0:
        return 0.0
    return 2 * precision * recall / (precision + recall)

