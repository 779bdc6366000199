"""Finding a report's diagnosis section: headings in markdown, bold and plain form."""

from __future__ import annotations

from reg_eval.clinical.sections import ALL_DIAGNOSIS, headings, sections_of

MODEL_REPORT = """# Pathology Report
**Specimen:** Prostate, core needle biopsy

## Microscopic Description
Small crowded glands with prominent nucleoli. Necrosis is present.

- Margins: negative

### Final Diagnosis
Prostate, core needle biopsy: Acinar adenocarcinoma, Gleason score 3+4=7.

Comment: Clinical correlation is recommended."""


def _section_text(text: str) -> list[str]:
    return [text[start:end].strip() for start, end in sections_of(text).diagnosis]


def test_a_model_report_has_one_diagnosis_section_ending_at_the_comment() -> None:
    titles = [h.title for h in headings(MODEL_REPORT)]
    # "- Margins: negative" is a field of its section, not a heading.
    assert titles == ["Pathology Report", "Specimen", "Microscopic Description",
                      "Final Diagnosis", "Comment"]
    assert _section_text(MODEL_REPORT) == [
        "Prostate, core needle biopsy: Acinar adenocarcinoma, Gleason score 3+4=7."
    ]
    sections = sections_of(MODEL_REPORT)
    assert sections.has_diagnosis_section
    assert not sections.in_diagnosis(MODEL_REPORT.index("Necrosis"))
    assert sections.in_diagnosis(MODEL_REPORT.index("Acinar"))
    assert not sections.in_diagnosis(MODEL_REPORT.index("Clinical correlation"))


def test_bold_and_plain_headings_with_the_diagnosis_on_the_same_line() -> None:
    text = "Microscopic description: sheets of cells.\n**Diagnosis:** Seminoma.\nNote: none."
    assert _section_text(text) == ["Seminoma."]
    plain = "Histological findings:\nnests of cells\nImpression: Basal cell carcinoma"
    assert _section_text(plain) == ["Basal cell carcinoma"]


def test_a_differential_or_clinical_diagnosis_is_not_the_diagnosis() -> None:
    text = ("## Differential Diagnosis\nLymphoma\n**Clinical diagnosis:** mass\n"
            "## Diagnosis\nReactive")
    assert _section_text(text) == ["Reactive"]


def test_a_report_without_headings_is_all_diagnosis() -> None:
    line = "Prostate, biopsy;\n  Acinar adenocarcinoma, Gleason's score 7 (3+4)"
    sections = sections_of(line)
    assert not sections.has_headings and not sections.has_diagnosis_section
    assert all(sections.in_diagnosis(i) for i in range(len(line)))
    # Headings without a diagnosis section single nothing out either.
    described = "## Microscopic Description\nAdenocarcinoma."
    assert sections_of(described).has_headings
    assert sections_of(described).in_diagnosis(described.index("Adeno"))
    assert ALL_DIAGNOSIS.in_diagnosis(0)
