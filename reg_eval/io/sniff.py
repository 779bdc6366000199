"""What a file that should be JSON looks like instead, so a message can name it and the fix.

Two mistakes reach the JSON reader as bytes that decode but do not parse: UTF-16 saved
without a byte-order mark (every second byte is 0, which is valid UTF-8) and a CSV or TSV
table saved under a `.json` name. Both used to end as a bare "invalid JSON".
"""

from __future__ import annotations

import re

SAMPLE_BYTES = 4096
_TABLE_DELIMITERS = ((",", "comma"), ("\t", "tab"), (";", "semicolon"))
_JSON_START = re.compile(r'[\[{"\-0-9]|true|false|null|NaN|Infinity')


def utf16_without_bom(data: bytes) -> str | None:
    """'UTF-16LE' or 'UTF-16BE' when the bytes read like ASCII-range UTF-16 text, else None."""
    sample = data[:SAMPLE_BYTES]
    if len(sample) < 4 or b"\x00" not in sample:
        return None
    pairs = len(sample) // 2
    zeros_odd = sample[1 : 2 * pairs : 2].count(0)
    zeros_even = sample[0 : 2 * pairs : 2].count(0)
    if zeros_odd >= 0.6 * pairs and zeros_even <= 0.1 * pairs:
        return "UTF-16LE"
    if zeros_even >= 0.6 * pairs and zeros_odd <= 0.1 * pairs:
        return "UTF-16BE"
    return None


def table_header(text: str) -> tuple[str, str] | None:
    """(delimiter name, first line) when `text` starts like a CSV/TSV table, not like JSON."""
    stripped = text.lstrip()
    if not stripped or _JSON_START.match(stripped):
        return None
    first = stripped.split("\n", 1)[0].rstrip("\r")
    for delimiter, name in _TABLE_DELIMITERS:
        cells = [cell.strip().strip('"').lower() for cell in first.split(delimiter)]
        if len(cells) >= 2 and all(cells):
            return name, first
    return None
