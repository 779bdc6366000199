"""Values written right after a term: grades, scores, counts and percentages.

Each reader looks only at the text that directly follows the matched term (after an
optional ":", "=", "is" or "of"), so "grade II" and "grade: 2" give the same value and a
number further along the sentence is never picked up. Values are normalised so that two
spellings of the same value compare equal: roman numerals become arabic, "3+4=7" becomes
"7 (3+4)", "30 %" becomes "30%", "1.5 cm" becomes "15 mm", "two of 15" becomes "2/15",
"ER: strongly positive" becomes "positive".
"""

from __future__ import annotations

import re
from collections.abc import Callable

_ROMAN = {"i": "1", "ii": "2", "iii": "3", "iv": "4", "v": "5"}
_LEAD = r"\s*(?:[:=\-–(]|\bis\b|\bof\b|\bwas\b|\bare\b)?\s*"
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


_NUMBER_WORDS = {
    word: str(index)
    for index, word in enumerate(
        [
            "zero",
            "one",
            "two",
            "three",
            "four",
            "five",
            "six",
            "seven",
            "eight",
            "nine",
            "ten",
            "eleven",
            "twelve",
            "thirteen",
            "fourteen",
            "fifteen",
            "sixteen",
            "seventeen",
            "eighteen",
            "nineteen",
            "twenty",
        ]
    )
}
_NUMBER = rf"(\d{{1,3}}|{'|'.join(sorted(_NUMBER_WORDS, key=len, reverse=True))})"
_NODE_COUNT = re.compile(
    rf"{_LEAD}(?:in\s+)?{_NUMBER}\s*(?:/|\bof\b|\bout\s+of\b)\s*{_NUMBER}(?![\d.])",
    re.IGNORECASE,
)
_UNIT_MM = {"mm": 1.0, "cm": 10.0, "µm": 0.001, "um": 0.001, "micrometer": 0.001}
_DECIMAL = r"\d{1,4}(?:[.,]\d{1,3})?"
_SIZE = re.compile(
    rf"{_LEAD}(?:(?:approximately|about|up\s+to|at\s+least|ca\.?|measuring)\s*)?"
    rf"(<|>|≤|≥|less\s+than|more\s+than|greater\s+than)?\s*"
    rf"({_DECIMAL}(?:\s*(?:x|×|by|\*)\s*{_DECIMAL}){{0,2}})\s*"
    r"(mm|cm|µm|um|millimet(?:er|re)s?|centimet(?:er|re)s?|micromet(?:er|re)s?)(?![a-z])",
    re.IGNORECASE,
)
_COMPARATORS = {"less than": "<", "more than": ">", "greater than": ">", "≤": "<=", "≥": ">="}
_TNM = re.compile(
    r"(?:\s?[:=]?\s?)(is|x|[0-4](?:mi|[a-d][1-3]?)?)(\s*\((?:i|mol|sn|m|\d+)[+-]?\)|mi)?"
    r"(?![0-9])",
    re.IGNORECASE,
)
_STAGE = re.compile(rf"{_LEAD}(iv|iii|ii|i|[0-4])([a-c][1-3]?)?(?![\w+])", re.IGNORECASE)
_STATUS_WORDS = (
    ("not amplified", "not amplified"),
    ("non-amplified", "not amplified"),
    ("amplified", "amplified"),
    ("strongly positive", "positive"),
    ("block-type positive", "positive"),
    ("block positive", "positive"),
    ("diffuse strong", "positive"),
    ("weakly positive", "positive"),
    ("focally positive", "positive"),
    ("diffusely positive", "positive"),
    ("positive", "positive"),
    ("pos", "positive"),
    ("negative", "negative"),
    ("neg", "negative"),
    ("equivocal", "equivocal"),
    ("borderline", "equivocal"),
    ("low positive", "low"),
    ("retained", "retained"),
    ("intact", "retained"),
    ("preserved", "retained"),
    ("proficient", "retained"),
    ("lost", "lost"),
    ("loss", "lost"),
    ("absent", "lost"),
    ("deficient", "lost"),
    ("wild-type", "wild-type"),
    ("wild type", "wild-type"),
    ("wildtype", "wild-type"),
    ("aberrant", "aberrant"),
    ("mutant", "aberrant"),
    ("overexpressed", "aberrant"),
    ("overexpression", "aberrant"),
    ("null", "aberrant"),
    ("high", "high"),
    ("low", "low"),
    ("mutated", "mutated"),
    ("not detected", "negative"),
    ("detected", "positive"),
    ("not identified", "negative"),
    ("not expressed", "negative"),
    ("expressed", "positive"),
    ("unstable", "unstable"),
    ("unmethylated", "unmethylated"),
    ("non-methylated", "unmethylated"),
    ("methylated", "methylated"),
    ("stable", "stable"),
)


def _words_alternation(words: list[str]) -> str:
    ordered = sorted(words, key=len, reverse=True)
    return "|".join(r"\s+".join(re.escape(part) for part in word.split()) for word in ordered)


_STATUS_ALTERNATION = _words_alternation([word for word, _ in _STATUS_WORDS])
_STATUS = re.compile(
    rf"{_LEAD}(?:status\s*[:=]?\s*|expression\s*[:=]?\s*|immunohistochemistry\s*[:=]?\s*)?"
    rf"(?:(?:score\s*[:=]?\s*)?([0-3])\s*\+|score\s*[:=]?\s*([0-3])\b|(\+)(?![\w+])|(\()?\s*([−-])\s*(?(4)\)|(?=$|[\s,;.)]))"
    rf"|({_STATUS_ALTERNATION})\b)",
    re.IGNORECASE,
)
_STATUS_OF = {" ".join(word.split()): value for word, value in _STATUS_WORDS}
_MARGIN_WORDS = (
    ("not involved", "negative"),
    ("uninvolved", "negative"),
    ("free of tumor", "negative"),
    ("free of tumour", "negative"),
    ("free of carcinoma", "negative"),
    ("free", "negative"),
    ("clear", "negative"),
    ("negative", "negative"),
    ("close", "close"),
    ("involved", "positive"),
    ("positive", "positive"),
    ("cannot be assessed", "not assessable"),
    ("not assessable", "not assessable"),
    ("indeterminate", "not assessable"),
)
_MARGIN_ALTERNATION = _words_alternation([word for word, _ in _MARGIN_WORDS])
_MARGIN = re.compile(
    rf"{_LEAD}(?:(?:are|is|were)\s+)?(?:all\s+)?({_MARGIN_ALTERNATION})\b",
    re.IGNORECASE,
)


_LONE_COUNT = re.compile(rf"{_LEAD}{_NUMBER}\b(?!\s*(?:%|mm|cm|/))", re.IGNORECASE)


_FIRST_NUMBER = re.compile(rf"\b{_NUMBER}\b|\d", re.IGNORECASE)


def first_number(text: str) -> int:
    """Offset of the first number (digits or a number word) in `text`; 0 when none."""
    found = _FIRST_NUMBER.search(text)
    return found.start() if found else 0


def _number(token: str) -> str:
    return _NUMBER_WORDS.get(token.lower(), str(int(token)) if token.isdigit() else token)


def read_node_count(following: str) -> str | None:
    """ ": 2/15", "2 of 15", "(two of fifteen)" -> "2/15"; a lone count -> "2"."""
    found = _NODE_COUNT.match(following)
    if found:
        return f"{_number(found.group(1))}/{_number(found.group(2))}"
    found = _LONE_COUNT.match(following)
    return _number(found.group(1)) if found else None


def _millimetres(written: str, unit: str) -> str:
    factor = next(f for prefix, f in _UNIT_MM.items() if unit.lower().startswith(prefix[:2]))
    dimensions = [float(d.replace(",", ".")) for d in re.split(r"\s*(?:x|×|by|\*)\s*", written)]
    value = max(dimensions) * factor
    return f"{value:.3f}".rstrip("0").rstrip(".") + " mm"


def read_size(following: str) -> str | None:
    """ "1.5 cm" -> "15 mm"; "2.0 x 1.5 x 1.0 cm" -> "20 mm" (the greatest dimension)."""
    found = _SIZE.match(following)
    if not found:
        return None
    comparator, written, unit = found.groups()
    prefix = ""
    if comparator:
        key = " ".join(comparator.lower().split())
        prefix = _COMPARATORS.get(key, key)
    unit = unit.lower()
    if unit.startswith("micro"):
        unit = "µm"
    elif unit.startswith("milli"):
        unit = "mm"
    elif unit.startswith("centi"):
        unit = "cm"
    return prefix + _millimetres(written, unit)


def read_tnm(following: str) -> str | None:
    """The category right after "pT", "pN", "pM": "2a" (pT2a), "is", "x", "0(i+)", "1mi"."""
    found = _TNM.match(following)
    if not found:
        return None
    suffix = "".join((found.group(2) or "").split()).lower()
    return found.group(1).lower() + suffix


def read_stage(following: str) -> str | None:
    """ "stage IIIA" -> "3a"; "FIGO stage IB1" -> "1b1"."""
    found = _STAGE.match(following)
    if not found:
        return None
    return _arabic(found.group(1)) + (found.group(2) or "").lower()


def read_status(following: str) -> str | None:
    """A marker's result: "positive", "negative", "3+", "20%", "retained", "lost", "high"."""
    percent = read_percent(following)
    if percent is not None:
        return percent
    found = _STATUS.match(following)
    if not found:
        return None
    score, bare_score, plus, _bracket, minus, word = found.groups()
    if score is not None:
        return f"{score}+"
    if bare_score is not None:
        return "0" if bare_score == "0" else f"{bare_score}+"
    if plus is not None:
        return "positive"
    if minus is not None:
        return "negative"
    return _STATUS_OF[" ".join(word.lower().split())]


def read_margin(following: str) -> str | None:
    """ "Margins: negative", "margins are free", "involved" -> negative/positive/close; or a
    distance ("2 mm")."""
    found = _MARGIN.match(following)
    if found:
        written = " ".join(found.group(1).lower().split())
        for word, value in _MARGIN_WORDS:
            if word == written:
                return value
    return read_size(following)


READERS: dict[str, Callable[[str], str | None]] = {
    "ordinal": read_ordinal,
    "ordinal_or_tier": read_ordinal_or_tier,
    "count": read_count,
    "percent": read_percent,
    "gleason": read_gleason,
    "node_count": read_node_count,
    "size": read_size,
    "tnm": read_tnm,
    "stage": read_stage,
    "status": read_status,
    "margin": read_margin,
}
"""Value kind (as named in the lexicon) -> reader of the text after the term."""

_EXTENT: dict[str, tuple[re.Pattern[str], ...]] = {
    "ordinal": (_ORDINAL,),
    "ordinal_or_tier": (_TIER, _ORDINAL),
    "count": (_COUNT,),
    "percent": (_PERCENT,),
    "gleason": (_GLEASON_SUM_FIRST, _GLEASON_PATTERNS_FIRST, _GLEASON_SUM_ONLY),
    "node_count": (_NODE_COUNT, _LONE_COUNT),
    "size": (_SIZE,),
    "tnm": (_TNM,),
    "stage": (_STAGE,),
    "status": (_PERCENT, _STATUS),
    "margin": (_MARGIN, _SIZE),
}


def value_end(kind: str, following: str) -> int:
    """How many characters of `following` the value of this kind was read from (0: none).

    The extractor reads no other fact from those characters: "Margins: free of carcinoma"
    is a margin status, not also a carcinoma.
    """
    ends = [found.end() for pattern in _EXTENT[kind] if (found := pattern.match(following))]
    return max(ends, default=0)
