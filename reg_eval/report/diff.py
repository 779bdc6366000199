"""Word-level differences between a reference and a generated report, for display.

Words and punctuation marks are compared as units, so "carcinoma," against "carcinoma" marks
only the comma. Each segment keeps the whitespace that follows it in its own text, so the
hypothesis is rebuilt exactly from the kept and inserted segments.
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher

EQUAL, INSERTED, DELETED = "=", "+", "-"

_TOKEN = re.compile(r"\w+(?:[-'’]\w+)*|[^\w\s]")


def _spans(text: str) -> list[tuple[int, int, str]]:
    return [(m.start(), m.end(), m.group()) for m in _TOKEN.finditer(text)]


def _segment(text: str, tokens: list[tuple[int, int, str]], first: int, stop: int) -> str:
    """Tokens first..stop-1 with the whitespace after them (and before them, for the first)."""
    start = 0 if first == 0 else tokens[first][0]
    end = tokens[stop][0] if stop < len(tokens) else len(text)
    return text[start:end]


def word_diff(reference: str, hypothesis: str) -> list[tuple[str, str]]:
    """Segments (op, text): "=" in both, "-" only in the reference, "+" only in the hypothesis.

    Deleted text comes before inserted text at a replacement, as a reader expects.
    """
    ref_tokens = _spans(reference)
    hyp_tokens = _spans(hypothesis)
    if not ref_tokens and not hyp_tokens:
        return [(EQUAL, hypothesis)] if hypothesis else []
    matcher = SequenceMatcher(
        None, [t[2] for t in ref_tokens], [t[2] for t in hyp_tokens], autojunk=False
    )
    segments: list[tuple[str, str]] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            segments.append((EQUAL, _segment(hypothesis, hyp_tokens, j1, j2)))
            continue
        if i2 > i1:
            segments.append((DELETED, _segment(reference, ref_tokens, i1, i2)))
        if j2 > j1:
            segments.append((INSERTED, _segment(hypothesis, hyp_tokens, j1, j2)))
    if not hyp_tokens and hypothesis:
        segments.append((EQUAL, hypothesis))
    return _merge(_separate_deletions(segments))


def _separate_deletions(segments: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Deleted text sits between hypothesis text; keep a space so words do not run together."""
    out = list(segments)
    for index, (op, text) in enumerate(out):
        if op != DELETED or not text:
            continue
        before = out[index - 1][1] if index > 0 else ""
        after = out[index + 1][1] if index + 1 < len(out) else ""
        if before and (before[-1].isalnum() or before[-1] == "_") and (
            text[0].isalnum() or text[0] == "_"
        ):
            text = " " + text
        if after and (after[0].isalnum() or after[0] == "_") and (
            text[-1].isalnum() or text[-1] == "_"
        ):
            text = text + " "
        out[index] = (op, text)
    return out


def _merge(segments: list[tuple[str, str]]) -> list[tuple[str, str]]:
    merged: list[tuple[str, str]] = []
    for op, text in segments:
        if not text:
            continue
        if merged and merged[-1][0] == op:
            merged[-1] = (op, merged[-1][1] + text)
        else:
            merged.append((op, text))
    return merged
