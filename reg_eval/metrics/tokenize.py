"""Tokenisation exactly as the official REG 2025 scorer does it, kept in one place.

BLEU is case-sensitive and splits on any whitespace; ROUGE lower-cases first. Punctuation
stays glued to words in both (`biopsy;` is not `biopsy`), which is part of the official score.
"""

from __future__ import annotations

TOKENISATION: str = "bleu:str.split,rouge:lower+str.split"
"""How both metrics tokenise, as it appears in a score signature."""


def bleu_tokens(text: str) -> list[str]:
    """Case-sensitive whitespace tokens (runs of whitespace collapse, ends are stripped)."""
    return text.split()


def rouge_tokens(text: str) -> list[str]:
    """Lower-cased whitespace tokens."""
    return text.lower().split()
