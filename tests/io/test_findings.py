from __future__ import annotations

import re
from pathlib import Path

from reg_eval.io.findings import CHECKS, Finding, Severity, make_finding, shown

DOC = Path(__file__).resolve().parents[2] / "docs" / "submission-format.md"


def test_to_dict_omits_none_and_uses_plain_values() -> None:
    finding = Finding("E009", Severity.ERROR, "dup", file="p.json", line=3, index=2)
    assert finding.to_dict() == {
        "code": "E009", "severity": "error", "message": "dup", "file": "p.json", "line": 3,
        "index": 2,
    }


def test_location_names_every_known_place() -> None:
    finding = Finding("E007", Severity.ERROR, "m", file="preds.json", line=3, column=17,
                      index=2, id="PIT_01_00002_01.tiff")
    assert finding.location() == "preds.json:3:17, item 2, id PIT_01_00002_01.tiff"
    assert Finding("E010", Severity.ERROR, "m", file="p.json", id="X").location() == "p.json, id X"
    assert Finding("E003", Severity.ERROR, "m").location() == ""


def test_codes_are_unique_well_formed_and_severity_matches_letter() -> None:
    for code, check in CHECKS.items():
        assert re.fullmatch(r"[EW]\d{3}", code)
        assert check.code == code
        expected = Severity.ERROR if code.startswith("E") else Severity.WARNING
        assert check.severity is expected
    assert len({check.name for check in CHECKS.values()}) == len(CHECKS)
    assert make_finding("W003", "x").severity is Severity.WARNING


def test_every_code_is_documented() -> None:
    doc = DOC.read_text(encoding="utf-8")
    for code, check in CHECKS.items():
        assert code in doc, code
        assert check.name in doc, check.name


def test_shown_escapes_controls_and_surrogates_and_cuts() -> None:
    assert shown("a\x07b\ud800") == "a\\x07b\\ud800"
    assert shown("x" * 100, 10) == "x" * 9 + "…"
    assert shown("Magen, Biopsie") == "Magen, Biopsie"
