"""Canonical forms of REG 2026 chain-of-thought text: what makes two questions the same edge.

Questions and next questions are compared after lower-casing, collapsing whitespace, dropping
trailing punctuation and fixing four known misspellings of the question templates. A next
question that says the chain is over ("", end, stop, none, ...) becomes the `__END__` marker,
so every way of ending a chain lands on the same edge. Answers are never canonicalised: MESS
and the final report compare them as written.
"""

from __future__ import annotations

import re

END_MARKER = "__END__"
"""What every terminal next question turns into."""

END_WORDS: frozenset[str] = frozenset(
    {
        "",
        "end",
        "stop",
        "finish",
        "finished",
        "none",
        "null",
        "no next question",
        "no further question",
    }
)
"""Canonical next questions that mean "the chain ends here"."""

ALIASES: dict[str, str] = {
    "pridominant": "predominant",
    "dianoses": "diagnoses",
    "diagnosises": "diagnoses",
    "includes": "include",
}
"""Whole-word spelling fixes, applied in this order after the other steps."""

FINAL_REPORT_QUESTION = "what is the final pathology report"
"""The canonical question whose answer is scored as the final report."""

_WHITESPACE = re.compile(r"\s+")
_TRAILING = re.compile(r"[\s.,;:!?]+$")
_ALIAS_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(rf"\b{re.escape(wrong)}\b"), right) for wrong, right in ALIASES.items()
)
_ID_SUFFIXES = (".svs", ".tiff")


def field_text(value: object) -> str:
    """A step field as the scorer reads it: a missing or false-like value is "", else str().

    This is how the organisers' code reads `question`, `answer` and `next_question`, so a
    number 0 or `false` also reads as "" and any other number reads as its Python text.
    """
    return str(value) if value else ""


def canonical_text(text: object) -> str:
    """Lower-case, collapse whitespace, strip trailing `[whitespace . , ; : ! ?]`, fix aliases."""
    if text is None:
        return ""
    value = _WHITESPACE.sub(" ", str(text).lower()).strip()
    value = _TRAILING.sub("", value).strip()
    for pattern, right in _ALIAS_PATTERNS:
        value = pattern.sub(right, value)
    return value


def canonical_next_question(text: object) -> str:
    """`canonical_text`, with every way of saying "no next question" turned into `__END__`."""
    value = canonical_text(text)
    return END_MARKER if value in END_WORDS else value


def is_final_report_question(question: object) -> bool:
    return canonical_text(question) == FINAL_REPORT_QUESTION


def normalise_case_id(raw_id: object) -> str:
    """The id cases are matched by: surrounding whitespace and one trailing `.svs` or `.tiff`
    (any letter case) removed. `.tif` is kept, as the organisers' code keeps it."""
    text = str(raw_id).strip()
    lowered = text.lower()
    for suffix in _ID_SUFFIXES:
        if lowered.endswith(suffix):
            return text[: -len(suffix)]
    return text
