from __future__ import annotations

import pytest

from reg_eval.organs import ORGANS, UNKNOWN_ORGAN, organ_of


@pytest.mark.parametrize(
    ("report", "organ"),
    [
        ("Breast, core-needle biopsy;\n  Invasive carcinoma, NST, grade II", "Breast"),
        ("Prostate, biopsy;\n  No tumor present", "Prostate"),
        ("Stomach, endoscopic biopsy;\n  Chronic gastritis", "Stomach"),
        ("Lung, biopsy;\n  Adenocarcinoma", "Lung"),
        ("Colon, colonoscopic biopsy;\n  Tubular adenoma", "Colorectum"),
        ("Rectum, biopsy;\n  Adenocarcinoma", "Colorectum"),
        ("Uterine cervix, punch biopsy;\n  HSIL (CIN 3)", "Uterine cervix"),
        ("Cervix, cone biopsy;\n  HSIL", "Uterine cervix"),
        ("Urinary bladder, transurethral resection;\n  Urothelial carcinoma", "Urinary bladder"),
        ("Bladder, transurethral resection;\n  Urothelial carcinoma", "Urinary bladder"),
        ("URINARY  BLADDER, TUR;", "Urinary bladder"),
        ("1. Breast, excision;\n  Ductal carcinoma in situ", "Breast"),
        ("Right breast, sono-guided core biopsy;", "Breast"),
        ("Liver, biopsy;\n  Hepatocellular carcinoma", UNKNOWN_ORGAN),
        ("", UNKNOWN_ORGAN),
    ],
)
def test_organ_of_normalises_the_first_field(report: str, organ: str) -> None:
    assert organ_of(report) == organ


def test_the_seven_organ_systems_are_named() -> None:
    assert len(ORGANS) == 7
    assert {organ_of(f"{name}, biopsy;") for name in ORGANS} == set(ORGANS)
