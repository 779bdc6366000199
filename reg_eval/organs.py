"""The organ of a case, from the reference report's first field.

REG reports open with "<Organ>, <procedure>;". Per-organ breakdowns must treat spelling
variants as one organ: "Urinary bladder" and "Bladder" are one, colon and rectum are
Colorectum.
"""

from __future__ import annotations

import re

ORGANS = (
    "Breast",
    "Prostate",
    "Stomach",
    "Lung",
    "Colorectum",
    "Uterine cervix",
    "Urinary bladder",
)
UNKNOWN_ORGAN = "Other"

_SYNONYMS: dict[str, str] = {
    "breast": "Breast",
    "prostate": "Prostate",
    "prostate gland": "Prostate",
    "stomach": "Stomach",
    "gastric": "Stomach",
    "lung": "Lung",
    "colorectum": "Colorectum",
    "colon": "Colorectum",
    "rectum": "Colorectum",
    "rectosigmoid": "Colorectum",
    "sigmoid colon": "Colorectum",
    "ascending colon": "Colorectum",
    "descending colon": "Colorectum",
    "transverse colon": "Colorectum",
    "cecum": "Colorectum",
    "caecum": "Colorectum",
    "large intestine": "Colorectum",
    "uterine cervix": "Uterine cervix",
    "cervix": "Uterine cervix",
    "cervix uteri": "Uterine cervix",
    "urinary bladder": "Urinary bladder",
    "bladder": "Urinary bladder",
}

_LEADING_NUMBER = re.compile(r"^\s*(?:\d+\s*[.)]\s*)?")
_FIRST_FIELD = re.compile(r"[,;:\n]")


def organ_of(report: str) -> str:
    """Normalised organ named by a report's first field, or "Other"."""
    text = _LEADING_NUMBER.sub("", report, count=1)
    field = _FIRST_FIELD.split(text, maxsplit=1)[0]
    key = " ".join(field.lower().split())
    if key in _SYNONYMS:
        return _SYNONYMS[key]
    # "Right breast", "Lung, right upper lobe": fall back to the last word that names an organ.
    for word_count in (2, 1):
        words = key.split()
        for start in range(len(words) - word_count, -1, -1):
            candidate = " ".join(words[start : start + word_count])
            if candidate in _SYNONYMS:
                return _SYNONYMS[candidate]
    return UNKNOWN_ORGAN
