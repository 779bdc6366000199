"""A small NegEx-style rule set: which concept mentions a report states as absent or uncertain.

Rules (version "negex-v2"; any change to the lists below needs a new version, since it
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
  "non-invasive" are concept text, not a terminator or a trigger);
- in heading form, an answer of "no" or "none" after a colon negates the heading
  ("Lymphovascular invasion: No");
- uncertainty uses the same scopes with its own triggers: before the concept ("suspicious
  for", "suggestive of", "possible", "cannot rule out", ...) or after it ("cannot be
  excluded", "is suspected", "indeterminate", ...). "Consistent with", "compatible with" and
  "in keeping with" are affirmations, as pathologists use them for a firm diagnosis that
  rests on the whole picture; they mark nothing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

RULES_VERSION = "negex-v2"

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
    "none identified",
    "none seen",
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
UNCERTAIN_PRE_TRIGGERS = (
    "suspicious for",
    "suspicious of",
    "suggestive of",
    "suggesting",
    "worrisome for",
    "concerning for",
    "equivocal for",
    "indeterminate for",
    "cannot exclude",
    "can not exclude",
    "cannot rule out",
    "can not rule out",
    "rule out",
    "possible",
    "possibly",
    "probable",
    "probably",
    "likely",
    "presumed",
    "questionable",
    "favor",
    "favour",
    "favoring",
    "favouring",
    "suspected",
)
UNCERTAIN_POST_TRIGGERS = (
    "cannot be excluded",
    "can not be excluded",
    "cannot be ruled out",
    "can not be ruled out",
    "not excluded",
    "not ruled out",
    "not be excluded",
    "is suspected",
    "is suspicious",
    "suspicious",
    "is possible",
    "is favored",
    "is favoured",
    "is likely",
    "indeterminate",
    "cannot be determined",
    "equivocal",
    "questionable",
)
UNCERTAIN_PSEUDO_TRIGGERS = (
    "consistent with",
    "compatible with",
    "in keeping with",
    "unlikely",
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


def _trigger_regex(kinds: dict[str, str]) -> re.Pattern[str]:
    # One alternation, longest first, so "negative for" (pre) wins over "negative" (post).
    return re.compile(rf"\b(?:{_alternation(list(kinds))})\b", re.IGNORECASE)


_KIND_OF_TRIGGER = {
    **{phrase: "pre" for phrase in PRE_TRIGGERS},
    **{phrase: "post" for phrase in POST_TRIGGERS},
    **{phrase: "pseudo" for phrase in PSEUDO_TRIGGERS},
}
_KIND_OF_UNCERTAIN_TRIGGER = {
    **{phrase: "pre" for phrase in UNCERTAIN_PRE_TRIGGERS},
    **{phrase: "post" for phrase in UNCERTAIN_POST_TRIGGERS},
    **{phrase: "pseudo" for phrase in UNCERTAIN_PSEUDO_TRIGGERS},
}
_TRIGGER = _trigger_regex(_KIND_OF_TRIGGER)
_UNCERTAIN_TRIGGER = _trigger_regex(_KIND_OF_UNCERTAIN_TRIGGER)
_HEADING_ANSWER = re.compile(
    r":\s*(?:no|none)\b(?=[ \t]*(?:$|[\n,;.)]))", re.IGNORECASE | re.MULTILINE
)
_TERMINATOR_WORD = re.compile(rf"\b(?:{_alternation(TERMINATOR_WORDS)})\b", re.IGNORECASE)
_WORD = re.compile(r"\S+")


def negated_flags(text: str, spans: Sequence[tuple[int, int]]) -> list[bool]:
    """For each concept span (start, end) in `text`: is it stated as absent?"""
    heading = [(m.start(), "post") for m in _HEADING_ANSWER.finditer(text)]
    return _flags(text, spans, _TRIGGER, _KIND_OF_TRIGGER, heading)


def uncertain_flags(text: str, spans: Sequence[tuple[int, int]]) -> list[bool]:
    """For each concept span (start, end) in `text`: is it stated as uncertain?"""
    return _flags(text, spans, _UNCERTAIN_TRIGGER, _KIND_OF_UNCERTAIN_TRIGGER, [])


def _flags(
    text: str,
    spans: Sequence[tuple[int, int]],
    trigger_regex: re.Pattern[str],
    kinds: dict[str, str],
    extra: list[tuple[int, str]],
) -> list[bool]:
    inside = _covered(len(text), spans)
    boundaries = sorted(
        [i for i, char in enumerate(text) if char in TERMINATOR_CHARS and not inside[i]]
        + [m.start() for m in _TERMINATOR_WORD.finditer(text) if not inside[m.start()]]
    )
    word_starts = [m.start() for m in _WORD.finditer(text)]
    word_ends = [m.end() for m in _WORD.finditer(text)]
    flags = [False] * len(spans)
    triggers = [
        (m.start(), m.end(), kinds[" ".join(m.group(0).lower().split())])
        for m in trigger_regex.finditer(text)
    ] + [(start, start + 1, kind) for start, kind in extra]
    for trigger_start, trigger_end, kind in triggers:
        if inside[trigger_start] or kind == "pseudo":
            continue
        if kind == "pre":
            scope_start = trigger_end
            after = [b for b in boundaries if b >= scope_start]
            later_words = [s for s in word_starts if s >= scope_start]
            too_far = len(later_words) > MAX_SCOPE_WORDS
            limit = later_words[MAX_SCOPE_WORDS] if too_far else len(text)
            scope_end = min(after[0] if after else len(text), limit)
            for index, (start, _end) in enumerate(spans):
                if scope_start <= start < scope_end:
                    flags[index] = True
        else:
            scope_end = trigger_start
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
