"""Where a statement stands in a report: the diagnosis section or the description.

A surgical pathology report ends in a diagnosis ("Final Diagnosis", "Diagnosis",
"Impression", "Conclusion"): the lines the clinician acts on and the pathologist signs. The
description ("Microscopic Description", "Histological Findings", "Gross") is the evidence
for it. This module finds the diagnosis sections of a report as character spans; pure
string work, no lexicon. A report without section headings (a REG diagnosis line, a short
summary) is all diagnosis.

Headings are recognised in three forms: markdown (`## Final Diagnosis`, any title), and a
known section name in bold (`**Diagnosis:**`) or at the start of a line followed by a colon
(`Final diagnosis:`, `Microscopic description:`). Other "Name: value" lines ("Margins:
negative", "**Tumour size:** 2 cm") are not headings: they belong to the section they stand
in.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

DIAGNOSIS_NAMES = re.compile(
    r"\b(final\s+diagnos[ie]s|diagnos[ie]s|pathologic(al)?\s+diagnos[ie]s|impression|"
    r"conclusions?|interpretation|final\s+report)\b",
    re.IGNORECASE,
)
"""Section names that hold the report's diagnosis."""
NOT_DIAGNOSIS = re.compile(r"\b(differential|clinical|provisional|working)\b", re.IGNORECASE)
"""A "differential diagnosis" or "clinical diagnosis" lists possibilities or the request,
not the pathologist's conclusion."""
KNOWN_NAMES = re.compile(
    r"^(final\s+diagnos[ie]s|diagnos[ie]s|pathologic(al)?\s+diagnos[ie]s|impression|"
    r"conclusions?|interpretation|differential\s+diagnos[ie]s|clinical\s+(history|"
    r"information|diagnosis|details)|specimen(s)?(\s+type)?|gross(\s+description)?|"
    r"macroscopic(\s+description)?|microscopic(\s+(description|findings|examination))?|"
    r"histolog(y|ical|ic)(\s+(findings|description|examination))?|histopathology|"
    r"findings|description|comments?|notes?|immunohistochemistry|ancillary\s+studies|"
    r"summary|synoptic\s+report)$",
    re.IGNORECASE,
)
"""Section names recognised at the start of a plain line ("Microscopic description:")."""
_MARKDOWN = re.compile(r"^[ \t]{0,3}#{1,6}[ \t]+(?P<title>[^\n]+?)[ \t#]*$", re.MULTILINE)
_BOLD = re.compile(
    r"^[ \t]*(\*\*|__)(?P<title>[^*_\n]{1,60}?)[ \t]*:?[ \t]*(\*\*|__)[ \t]*:?",
    re.MULTILINE,
)
_HEADING_MARKS = ("#", "**", "__", ":")
_PLAIN = re.compile(r"^[ \t]*(?P<title>[A-Za-z][A-Za-z ]{1,40}?)[ \t]*:", re.MULTILINE)


@dataclass(frozen=True)
class Heading:
    start: int
    """Where the heading line begins."""
    end: int
    """Where the heading itself ends (its section's text follows)."""
    title: str

    @property
    def is_diagnosis(self) -> bool:
        return bool(DIAGNOSIS_NAMES.search(self.title)) and not NOT_DIAGNOSIS.search(self.title)


def headings(text: str) -> list[Heading]:
    """The section headings of a report, in order."""
    found: dict[int, Heading] = {}
    for pattern, known_only in ((_MARKDOWN, False), (_BOLD, True), (_PLAIN, True)):
        for match in pattern.finditer(text):
            title = match.group("title").strip().strip("*_:").strip()
            if not title or (known_only and not KNOWN_NAMES.match(title)):
                continue
            found.setdefault(match.start(), Heading(match.start(), match.end(), title))
    return [found[start] for start in sorted(found)]


@dataclass(frozen=True)
class Sections:
    """The diagnosis spans of one report; empty when the report has no headings."""

    diagnosis: tuple[tuple[int, int], ...]
    has_headings: bool

    def in_diagnosis(self, offset: int) -> bool:
        """Is the character at `offset` part of the report's diagnosis? Everything is, in a
        report without headings; in a report with headings but no diagnosis section
        nothing is singled out either (all text counts as diagnosis)."""
        if not self.diagnosis:
            return True
        return any(start <= offset < end for start, end in self.diagnosis)

    @property
    def has_diagnosis_section(self) -> bool:
        return bool(self.diagnosis)


ALL_DIAGNOSIS = Sections((), False)
"""For a report read without its text (facts only): nothing is singled out."""


def sections_of(text: str) -> Sections:
    """Find the diagnosis sections: from a diagnosis heading to the next heading."""
    if not any(mark in text for mark in _HEADING_MARKS):
        return ALL_DIAGNOSIS  # every heading form has one of them: most REG lines skip here
    found = headings(text)
    spans: list[tuple[int, int]] = []
    for index, heading in enumerate(found):
        if not heading.is_diagnosis:
            continue
        end = found[index + 1].start if index + 1 < len(found) else len(text)
        spans.append((heading.end, end))
    return Sections(tuple(spans), bool(found))


def sections_of_many(texts: Sequence[str]) -> list[Sections]:
    return [sections_of(text) for text in texts]
