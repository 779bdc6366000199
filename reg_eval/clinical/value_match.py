"""Values compared as values: Gleason scores, percentages, sizes, counts, ranges and stages.

A fact's value is a normalised string (see `reg_eval.clinical.values`). Two values of the same
concept agree when the hypothesis value is *consistent with* the reference value within a
tolerance, read from the strings themselves, so a new value kind in the lexicon needs no
change here:

- `7 (3+4)`, a Gleason sum with its patterns: sum and both patterns equal (`7 (3+4)` is
  not `7 (4+3)`: grade group 2 against 3); a reference `7` accepts any hypothesis sum of 7;
- `30%`, `<5%`, `>50%`, intervals of percent: within `PERCENT_TOLERANCE` points of each
  other, and never on opposite sides of a receptor cut-off (`PERCENT_THRESHOLDS`);
- `12 mm`, `1.2 cm`, `2.5x1.0 cm`, the largest dimension in mm: within
  `max(SIZE_TOLERANCE_MM, SIZE_TOLERANCE_RELATIVE x reference)`;
- `2`, `II` (already arabic), `12/10 hpf`, a number with its unit: equal numbers and units
  (grades, scores and counts are categories, a step is a different category);
- `2-3`, a range: the hypothesis range lies inside the reference range (`CIN 3` is
  consistent with `CIN 2-3`; `CIN 2-3` is not consistent with `CIN 3`);
- `pT2a`, `ypN1mi`, `T2`, or `2a` where the concept names the letter (`t_category`), a TNM
  category (prefix letters p, c, y, r, a, u ignored): same letter and number; the
  hypothesis equals the reference or is finer (`pT2a` agrees with `pT2`; `pT2` does not
  agree with `pT2a`);
- anything else, text: equal after lower-casing and collapsing space.

A reference fact without a value accepts any value of its concept (the reference does not
say, so nothing can be wrong); a hypothesis without a value never matches a reference value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

PERCENT_TOLERANCE = 5.0
"""Percentage points. Visual estimates of tumour volume, Ki-67 or receptor staining differ
between pathologists by about this much; larger gaps change a category."""
PERCENT_THRESHOLDS = (1.0, 10.0)
"""Receptor-status cut-offs (negative < 1%, low positive 1-10%): two values on opposite sides
never agree, whatever the tolerance."""
SIZE_TOLERANCE_MM = 1.0
"""Sizes are measured to the millimetre."""
SIZE_TOLERANCE_RELATIVE = 0.05
"""...or 5% of the reference size, whichever is larger."""

_GLEASON = re.compile(r"^(\d{1,2})(?:\s*\((\d)\s*\+\s*(\d)\))?$")
_PERCENT = re.compile(r"^([<>≤≥]?)\s*(\d+(?:\.\d+)?)\s*%$")
_SIZE = re.compile(
    r"^(\d+(?:\.\d+)?)(?:\s*[x×]\s*(\d+(?:\.\d+)?))?(?:\s*[x×]\s*(\d+(?:\.\d+)?))?\s*(mm|cm)$"
)
_NUMBER = re.compile(r"^(\d+(?:\.\d+)?)(?:\s*/\s*(\d+(?:\.\d+)?)\s*(.*))?$")
_RANGE = re.compile(r"^(\d+(?:\.\d+)?)\s*-\s*(\d+(?:\.\d+)?)$")
_STAGE = re.compile(
    r"^(?:y?[prcau]{0,2}(?=[tnm]))?([tnm])?\s*([0-4x]|is)([a-d])?(mi|\(?sn\)?|\(?i[+-]\)?)?$"
)


@dataclass(frozen=True)
class Interval:
    low: float
    high: float
    unit: str = ""


def _text(value: str) -> str:
    return " ".join(value.lower().split())


def read_percent(value: str) -> Interval | None:
    found = _PERCENT.match(_text(value))
    if not found:
        return None
    comparator, number = found.group(1), float(found.group(2))
    if comparator in ("<", "≤"):
        return Interval(0.0, number, "%")
    if comparator in (">", "≥"):
        return Interval(number, 100.0, "%")
    return Interval(number, number, "%")


def read_size_mm(value: str) -> float | None:
    """The largest dimension, in millimetres ("2.5x1.0 cm" -> 25.0)."""
    found = _SIZE.match(_text(value))
    if not found:
        return None
    dims = [float(d) for d in found.groups()[:3] if d is not None]
    scale = 10.0 if found.group(4) == "cm" else 1.0
    return max(dims) * scale


def read_stage(value: str) -> tuple[str, str, str] | None:
    """("t", "2", "a") for "pT2a"; the prefix (p, c, y, r, a, u) is not compared. The
    letter may be absent where the concept names it (`t_category=2a`): ("", "2", "a")."""
    found = _STAGE.match(_text(value).replace(" ", ""))
    if not found:
        return None
    return found.group(1) or "", found.group(2), found.group(3) or ""


def _gleason(value: str) -> tuple[int, tuple[int, int] | None] | None:
    found = _GLEASON.match(_text(value))
    if not found:
        return None
    total, primary, secondary = found.groups()
    patterns = (int(primary), int(secondary)) if primary is not None else None
    return int(total), patterns


def values_agree(reference: str | None, hypothesis: str | None) -> bool:
    """Is the hypothesis value consistent with the reference value (see the module table)?"""
    if reference is None:
        return True
    if hypothesis is None:
        return False
    ref, hyp = _text(reference), _text(hypothesis)
    if ref == hyp:
        return True
    for compare in (_agree_gleason, _agree_percent, _agree_size, _agree_stage, _agree_number):
        verdict = compare(ref, hyp)
        if verdict is not None:
            return verdict
    return False


def _agree_gleason(ref: str, hyp: str) -> bool | None:
    r, h = _gleason(ref), _gleason(hyp)
    if r is None or h is None or (r[1] is None and h[1] is None):
        return None  # plain numbers: compared as numbers
    if r[0] != h[0]:
        return False
    return r[1] is None or r[1] == h[1]


def _agree_percent(ref: str, hyp: str) -> bool | None:
    r, h = read_percent(ref), read_percent(hyp)
    if r is None or h is None:
        return None if r is None and h is None else False
    for threshold in PERCENT_THRESHOLDS:
        if (r.high < threshold <= h.low) or (h.high < threshold <= r.low):
            return False
    gap = max(h.low - r.high, r.low - h.high, 0.0)
    return gap <= PERCENT_TOLERANCE


def _agree_size(ref: str, hyp: str) -> bool | None:
    r, h = read_size_mm(ref), read_size_mm(hyp)
    if r is None or h is None:
        return None if r is None and h is None else False
    return abs(r - h) <= max(SIZE_TOLERANCE_MM, SIZE_TOLERANCE_RELATIVE * r) + 1e-9


def _agree_stage(ref: str, hyp: str) -> bool | None:
    r, h = read_stage(ref), read_stage(hyp)
    if r is None or h is None:
        lettered = (r is not None and r[0]) or (h is not None and h[0])
        return False if lettered else None  # "2" against "01" or "2-3": numbers decide
    if r[:2] != h[:2]:
        return False
    return r[2] == "" or r[2] == h[2]


def _interval(value: str) -> Interval | None:
    found = _RANGE.match(value)
    if found:
        low, high = sorted((float(found.group(1)), float(found.group(2))))
        return Interval(low, high)
    found = _NUMBER.match(value)
    if found:
        number, per, unit = found.groups()
        unit_text = f"/{float(per):g} {_text(unit or '')}".rstrip() if per else ""
        return Interval(float(number), float(number), unit_text)
    return None


def _agree_number(ref: str, hyp: str) -> bool | None:
    r, h = _interval(ref), _interval(hyp)
    if r is None or h is None:
        return None if r is None and h is None else False
    return r.unit == h.unit and r.low <= h.low and h.high <= r.high
