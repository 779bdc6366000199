"""The severity rubric as a judge prompt, and the strict reading of the judge's answer.

The rubric is the one the validation pairs were graded by (docs/clinical-metrics.md,
"Severity grades"): 0 clinically equivalent, 1 minor, 2 moderate, 3 major (management
changes), 4 critical (malignancy wrong), plus the category of the gravest error. The judge
must end its answer with one JSON object `{"grade": G, "category": "C"}`; anything else
(no object, extra keys, a grade outside 0-4, an unknown category, a grade 0 with an error
category or an error grade with "none") is unparseable, scored as missing and counted.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass

RUBRIC_VERSION = "1"
CATEGORIES: dict[str, str] = {
    "none": "no error (grade 0 only)",
    "malignancy": "benign against malignant, either way",
    "diagnosis": "the diagnosis or tumour type wrong, or the primary diagnosis missing",
    "grade": "a histological grade, score or pattern wrong or missing",
    "value": "a measured or tested value wrong or missing (size, biomarker, margin, lymph "
    "nodes, stage)",
    "finding": "a descriptive finding wrong, missing or added (invasion, necrosis, "
    "calcification, ...)",
    "specimen": "the organ, site or procedure wrong",
}
"""The category of the gravest error, named as the judge must name it."""

PROMPT_TEMPLATE = """You are a consultant pathologist. Compare a generated pathology report with \
the reference report written for the same case, and grade how much the generated report's \
errors would matter to the patient. Judge meaning, not wording.

Grades:
0 - clinically equivalent: same diagnosis, values and findings; only wording, order, \
spelling, abbreviations or synonyms differ.
1 - minor: a descriptive finding or detail missing or added, or a value off within what \
observers differ by; no change in management.
2 - moderate: a prognostic or secondary fact wrong or missing (grade one step off, \
lymphovascular invasion omitted or flipped, Gleason 3+4 against 4+3, size, Ki-67 or margin \
distance off); same primary diagnosis and malignancy.
3 - major: management changes, malignancy does not: wrong tumour type, invasive against in \
situ, a management-deciding value wrong (HER2, ER, margin or node status flipped, low against \
high grade), or the primary diagnosis absent (an empty or meaningless report).
4 - critical: malignancy wrong: a cancer called benign or non-neoplastic, or a benign lesion \
called cancer.

Category of the gravest error:
{categories}

Reference report:
<reference>
{reference}
</reference>

Generated report:
<generated>
{generated}
</generated>

End your answer with one JSON object on its own line, and nothing after it:
{{"grade": <0-4>, "category": "<category>"}}"""

_OBJECT = re.compile(r"\{[^{}]*\}")


@dataclass(frozen=True)
class Grade:
    grade: int
    """0 (clinically equivalent) to 4 (malignancy wrong)."""
    category: str
    """One of CATEGORIES."""


def _category_lines() -> str:
    return "\n".join(f"{name} - {meaning}" for name, meaning in CATEGORIES.items())


def grading_prompt(reference: str, generated: str) -> str:
    """The prompt for one (reference, generated) pair."""
    return PROMPT_TEMPLATE.format(
        categories=_category_lines(), reference=reference, generated=generated
    )


def prompt_sha256() -> str:
    """sha256 of the prompt with empty reports: changes whenever the wording does."""
    return hashlib.sha256(grading_prompt("", "").encode("utf-8")).hexdigest()


def parse_grade(content: str | None) -> Grade | None:
    """The grade in the last JSON object of the answer, or None when there is no valid one."""
    if not content:
        return None
    objects = _OBJECT.findall(content)
    if not objects:
        return None
    tail = content[content.rfind(objects[-1]) + len(objects[-1]) :]
    if tail.strip().strip("`").strip():
        return None  # something follows the object
    try:
        value = json.loads(objects[-1])
    except json.JSONDecodeError:
        return None
    if not isinstance(value, dict) or set(value) != {"grade", "category"}:
        return None
    grade, category = value["grade"], value["category"]
    if isinstance(grade, bool) or not isinstance(grade, int) or not 0 <= grade <= 4:
        return None
    if not isinstance(category, str) or category not in CATEGORIES:
        return None
    if (grade == 0) != (category == "none"):
        return None
    return Grade(grade, category)
