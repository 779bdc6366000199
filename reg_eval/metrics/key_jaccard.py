"""The official REG 2025 KEY: Jaccard similarity of lower-cased entity sets.

Entities come from a backend (a spaCy pipeline); this module only turns entity texts into
keywords and compares keyword sets, so it is testable with plain lists.
"""

from __future__ import annotations

from collections.abc import Iterable, Set

KEY_MIN_CHARS = 3


def keywords(entity_texts: Iterable[str], min_chars: int = KEY_MIN_CHARS) -> frozenset[str]:
    """Lower-cased entity texts; the length test is on the original text, as officially."""
    return frozenset(text.lower() for text in entity_texts if len(text) >= min_chars)


def key_jaccard(ref_keywords: Set[str], hyp_keywords: Set[str]) -> float:
    """|R ∩ H| / |R ∪ H|, and 0 (not 1) when both sets are empty, as the official scorer does."""
    union = len(ref_keywords | hyp_keywords)
    if union == 0:
        return 0.0
    return len(ref_keywords & hyp_keywords) / union

