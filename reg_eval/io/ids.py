"""The REG slide id pattern and the fixes that turn a near-miss into a valid id."""

from __future__ import annotations

import re

ID_PATTERN = re.compile(r"PIT_\d\d_\d{5}_\d\d\.tiff")
_STEM = re.compile(r"PIT_\d\d_\d{5}_\d\d", re.IGNORECASE)
_WITH_SUFFIX = re.compile(r"(PIT_\d\d_\d{5}_\d\d)(\.[A-Za-z0-9]{1,5})?", re.IGNORECASE)


def is_valid_id(case_id: str) -> bool:
    return ID_PATTERN.fullmatch(case_id) is not None


def suggest_id(case_id: str) -> str | None:
    """The valid id this one was probably meant to be, or None when there is no safe guess.

    Covers a missing or different suffix (`.tif`, `.svs`, none), letter case, and surrounding
    whitespace; digits are never changed.
    """
    candidate = case_id.strip()
    match = _WITH_SUFFIX.fullmatch(candidate)
    if match is None or not _STEM.fullmatch(match.group(1)):
        return None
    stem = match.group(1)
    fixed = "PIT" + stem[3:] + ".tiff"
    if fixed == case_id or not is_valid_id(fixed):
        return None
    return fixed


def explain_id_fix(case_id: str, fixed: str) -> str:
    """Say what differs between an id and its suggested fix."""
    stripped = case_id.strip()
    reasons: list[str] = []
    if stripped != case_id:
        reasons.append("remove the surrounding whitespace")
    stem, _, suffix = stripped.partition(".")
    if not suffix:
        reasons.append("add the .tiff suffix")
    elif suffix.lower() != "tiff":
        reasons.append(f"replace the .{suffix} suffix with .tiff")
    elif suffix != "tiff":
        reasons.append("write the suffix in lower case (.tiff)")
    if stem[:3] != "PIT":
        reasons.append("write PIT in upper case")
    reason = "; ".join(reasons) if reasons else "fix the spelling"
    return f"{reason}: {fixed}"
