"""A small NegEx-style rule set: which concept mentions a report states as absent.

Rules (version "negex-v1"; any change to the lists below needs a new version, since it
changes scores):
- a pre-negation trigger ("no", "negative for", "without", "no evidence of", "absence of",
  ...) negates the concepts that start after it, up to the end of its scope;
- a post-negation trigger ("not identified", "absent", "negative", ...) negates the concepts
  that end before it, back to the start of its scope;
- a scope ends at punctuation ( , ; . newline and brackets), at a conjunction that turns the
  sentence ("but", "however", "with", "which", ...), or after a few words. "and"/"or" do not
  end it: "no necrosis or lymphovascular invasion" negates both. A colon does not end it,
  so "Lymphovascular invasion: not identified" is a negation;
- pseudo-triggers ("no special type", "cannot be excluded", "no further") are read first
  and hide the trigger words inside them;
- trigger words and punctuation inside a matched concept do not count ("H. pylori",
  "non-invasive" are concept text, not a terminator or a trigger).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

RULES_VERSION = "negex-v1"

PRE_TRIGGERS = (
    "no evidence of",
    "no evidence for",
    "no signs of",
    "no sign of",
    "negative for",
    "absence of",
    "free of",
    "without",
    "no",
    "not",
    "nor",
)
POST_TRIGGERS = (
    "not identified",
    "not seen",
    "not present",
    "not detected",
    "not found",
    "not observed",
    "absent",
    "negative",
)
PSEUDO_TRIGGERS = (
    "no special type",
    "no change",
    "not only",
    "no further",
    "without further",
    "not excluded",
    "not be excluded",
    "cannot be excluded",
    "cannot be ruled out",
)
TERMINATOR_WORDS = (
    "but",
    "however",
    "although",
    "though",
    "except",
    "with",
    "which",
    "whereas",
    "apart from",
    "aside from",
)
TERMINATOR_CHARS = ",;.\n()[]"
MAX_SCOPE_WORDS = 8
"""NegEx's window: a trigger reaches this many words at most."""


def _alternation(phrases: Sequence[str]) -> str:
    ordered = sorted(phrases, key=len, reverse=True)
    return "|".join(r"\s+".join(map(re.escape, phrase.split())) for phrase in ordered)


_KIND_OF_TRIGGER = {
    **{phrase: "pre" for phrase in PRE_TRIGGERS},
    **{phrase: "post" for phrase in POST_TRIGGERS},
    **{phrase: "pseudo" for phrase in PSEUDO_TRIGGERS},
}
# One alternation, longest first, so "negative for" (pre) wins over "negative" (post).
_TRIGGER = re.compile(rf"\b(?:{_alternation(list(_KIND_OF_TRIGGER))})\b", re.IGNORECASE)
_TERMINATOR_WORD = re.compile(rf"\b(?:{_alternation(TERMINATOR_WORDS)})\b", re.IGNORECASE)
_WORD = re.compile(r"\S+")


def negated_flags(text: str, spans: Sequence[tuple[int, int]]) -> list[bool]:
    """For each concept span (start, end) in `text`: is it stated as absent?"""
    inside = _covered(len(text), spans)
    boundaries = sorted(
        [i for i, char in enumerate(text) if char in TERMINATOR_CHARS and not inside[i]]
        + [m.start() for m in _TERMINATOR_WORD.finditer(text) if not inside[m.start()]]
    )
    word_starts = [m.start() for m in _WORD.finditer(text)]
    word_ends = [m.end() for m in _WORD.finditer(text)]
    flags = [False] * len(spans)
    for trigger in _TRIGGER.finditer(text):
        kind = _KIND_OF_TRIGGER[" ".join(trigger.group(0).lower().split())]
        if inside[trigger.start()] or kind == "pseudo":
            continue
        if kind == "pre":
            scope_start = trigger.end()
            after = [b for b in boundaries if b >= scope_start]
            later_words = [s for s in word_starts if s >= scope_start]
            too_far = len(later_words) > MAX_SCOPE_WORDS
            limit = later_words[MAX_SCOPE_WORDS] if too_far else len(text)
            scope_end = min(after[0] if after else len(text), limit)
            for index, (start, _end) in enumerate(spans):
                if scope_start <= start < scope_end:
                    flags[index] = True
        else:
            scope_end = trigger.start()
            before = [b for b in boundaries if b < scope_end]
            earlier_words = [e for e in word_ends if e <= scope_end]
            limit = (
                earlier_words[-MAX_SCOPE_WORDS - 1] if len(earlier_words) > MAX_SCOPE_WORDS else 0
            )
            scope_start = max(before[-1] + 1 if before else 0, limit)
            for index, (start, end) in enumerate(spans):
                if start >= scope_start and end <= scope_end:
                    flags[index] = True
    return flags


def _covered(length: int, spans: Sequence[tuple[int, int]]) -> list[bool]:
    covered = [False] * length
    for start, end in spans:
        for i in range(start, min(end, length)):
            covered[i] = True
    return covered
