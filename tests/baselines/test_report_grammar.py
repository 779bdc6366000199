from __future__ import annotations

import re

import numpy as np
import pytest

from reg_eval_baselines.report_grammar import ORGANS, Report, sample_report

# ISUP grade groups, written out from the definition.
ISUP = {(3, 3): 1, (3, 4): 2, (4, 3): 3, (4, 4): 4, (3, 5): 4, (5, 3): 4,
        (4, 5): 5, (5, 4): 5, (5, 5): 5}
SITES = {"Breast", "Prostate", "Stomach", "Lung", "Colon", "Rectum", "Uterine cervix",
         "Urinary bladder"}


@pytest.fixture(scope="module")
def reports() -> list[Report]:
    rng = np.random.default_rng(7)
    return [sample_report(rng) for _ in range(3000)]


def test_all_seven_organs(reports: list[Report]) -> None:
    organs = {f.organ for r in reports for f in r.findings}
    assert organs == set(ORGANS)
    assert len(ORGANS) == 7


def test_report_shape(reports: list[Report]) -> None:
    for report in reports:
        lines = report.text.rstrip(" ").split("\n")
        if len(report.findings) == 1:
            site, _, procedure = lines[0].partition(", ")
            assert site in SITES, report.text
            assert lines[0].endswith(";") and procedure
            assert all(line.startswith("  ") and line[2] != " " for line in lines[1:])
        else:
            numbered = [line for line in lines if re.match(r"^\s*\d\. ", line)]
            assert [int(line.strip()[0]) for line in numbered] == list(
                range(1, len(report.findings) + 1)
            )


def test_style_examples_occur(reports: list[Report]) -> None:
    texts = {r.text for r in reports}
    assert "Stomach, endoscopic biopsy;\n  Chronic gastritis" in texts
    assert "Lung, biopsy;\n  Adenocarcinoma" in texts
    assert "Prostate, biopsy;\n  No tumor present" in texts
    assert "Breast, core-needle biopsy;\n  Invasive carcinoma of no special type, grade II" in texts
    assert any(t.endswith(" ") for t in texts)
    assert any(t.startswith("1. ") and "\n2. " in t for t in texts)
    assert any("\n  1. " in t and "\n  2. " in t for t in texts)


def test_gleason_fields_consistent(reports: list[Report]) -> None:
    pattern = re.compile(
        r"Gleason's score (\d+) \((\d)\+(\d)\), grade group (\d), tumor volume: (\d+)%"
    )
    seen = 0
    for report in reports:
        for match in pattern.finditer(report.text):
            score, primary, secondary, group, volume = map(int, match.groups())
            assert score == primary + secondary
            assert group == ISUP[(primary, secondary)]
            assert 0 < volume <= 100
            seen += 1
    assert seen > 50


def test_nottingham_components_consistent(reports: list[Report]) -> None:
    pattern = re.compile(
        r"grade (I+)\n\s+\(Tubule formation: (\d), Nuclear grade: (\d), Mitoses: (\d)\)"
    )
    seen = 0
    for report in reports:
        for match in pattern.finditer(report.text):
            total = sum(int(v) for v in match.groups()[1:])
            expected = "I" if total <= 5 else ("II" if total <= 7 else "III")
            assert match.group(1) == expected
            seen += 1
    assert seen > 10


def test_latent_matches_text(reports: list[Report]) -> None:
    for report in reports:
        for finding in report.findings:
            assert finding.text.split("\n")[0].rstrip() in report.text
            if finding.diagnosis == "acinar adenocarcinoma":
                assert f"grade group {finding.grade}," in finding.text


def test_seeded() -> None:
    a = [sample_report(np.random.default_rng(3)).text for _ in range(3)]
    b = [sample_report(np.random.default_rng(3)).text for _ in range(3)]
    assert a == b
