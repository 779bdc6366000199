"""Values written right after a term: grades, scores, counts and percentages.

Each reader looks only at the text that directly follows the matched term (after an
optional ":", "=", "is" or "of"), so "grade II" and "grade: 2" give the same value and a
number further along the sentence is never picked up. Values are normalised so that two
spellings of the same value compare equal: roman numerals become arabic, "3+4=7" becomes
"7 (3+4)", "30 %" becomes "30%".
"""

from __future__ import annotations

import re
from collections.abc import Callable

_ROMAN = {"i": "1", "ii": "2", "iii": "3", "iv": "4", "v": "5"}
_LEAD = r"\s*(?:[:=\-–]|\bis\b|\bof\b)?\s*"
_ORD = r"(iv|v|i{1,3}|[1-5])(?![\w+])"
_RANGE = rf"(?:\s*(?:-|–|/|\bto\b)\s*{_ORD})?"
_ORDINAL = re.compile(rf"{_LEAD}(?:grade\s*)?(?:score\s*[:=]?\s*)?{_ORD}{_RANGE}", re.IGNORECASE)
_TIER = re.compile(rf"{_LEAD}(low|intermediate|high)\b", re.IGNORECASE)
_COUNT = re.compile(
    rf"{_LEAD}(\d{{1,3}})(?:\s*/\s*(\d{{1,3}})\s*(hpf|high[- ]power fields?|mm2|mm²))?(?!\d|\.\d)",
    re.IGNORECASE,
)
_PERCENT = re.compile(
    rf"{_LEAD}(?:(?:approximately|about|ca\.?)\s*)?([<>≤≥]\s*)?(\d{{1,3}}(?:\.\d+)?)\s*(?:%|percent\b)",
    re.IGNORECASE,
)
_GLEASON_SUM_FIRST = re.compile(
    rf"{_LEAD}(\d{{1,2}})\s*\(\s*([1-5])\s*\+\s*([1-5])\s*\)", re.IGNORECASE
)
_GLEASON_PATTERNS_FIRST = re.compile(
    rf"{_LEAD}([1-5])\s*\+\s*([1-5])(?:\s*=\s*(\d{{1,2}}))?", re.IGNORECASE
)
_GLEASON_SUM_ONLY = re.compile(rf"{_LEAD}(\d{{1,2}})(?!\d|\.\d|\s*\+)", re.IGNORECASE)


def _arabic(token: str) -> str:
    return _ROMAN.get(token.lower(), token)


def read_ordinal(following: str) -> str | None:
    """ "grade II" -> "2"; "CIN 2-3" -> "2-3"; "III" and "3" are one value."""
    found = _ORDINAL.match(following)
    if not found:
        return None
    low, high = found.group(1), found.group(2)
    return _arabic(low) if high is None else f"{_arabic(low)}-{_arabic(high)}"


def read_ordinal_or_tier(following: str) -> str | None:
    """Nuclear grade is written as a score (1-3) or a tier (low/intermediate/high)."""
    found = _TIER.match(following)
    if found:
        return found.group(1).lower()
    return read_ordinal(following)


def read_count(following: str) -> str | None:
    """ "Mitoses: 1" -> "1"; "12/10 HPF" -> "12/10 hpf"."""
    found = _COUNT.match(following)
    if not found:
        return None
    number, per, unit = found.groups()
    if per is None:
        return number
    return f"{number}/{per} {' '.join(unit.lower().replace('-', ' ').split())}"


def read_percent(following: str) -> str | None:
    """ ": 30 %" -> "30%"; "<5%" keeps its comparator."""
    found = _PERCENT.match(following)
    if not found:
        return None
    comparator = (found.group(1) or "").strip()
    return f"{comparator}{found.group(2)}%"


def read_gleason(following: str) -> str | None:
    """ "7 (3+4)", "3+4=7" and "3 + 4" all become "7 (3+4)"; a bare sum stays "7"."""
    found = _GLEASON_SUM_FIRST.match(following)
    if found:
        total, primary, secondary = found.groups()
        return f"{int(total)} ({primary}+{secondary})"
    found = _GLEASON_PATTERNS_FIRST.match(following)
    if found:
        primary, secondary, total = found.groups()
        written = int(total) if total else int(primary) + int(secondary)
        return f"{written} ({primary}+{secondary})"
    found = _GLEASON_SUM_ONLY.match(following)
    return str(int(found.group(1))) if found else None


READERS: dict[str, Callable[[str], str | None]] = {
    "ordinal": read_ordinal,
    "ordinal_or_tier": read_ordinal_or_tier,
    "count": read_count,
    "percent": read_percent,
    "gleason": read_gleason,
}
"""Value kind (as named in the lexicon) -> reader of the text after the term."""
