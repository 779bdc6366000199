"""A grammar of REG-style pathology reports over the seven organ systems of the challenge.

A report names a site and procedure, then one or more diagnoses:
`"Breast, core-needle biopsy;\\n  Invasive carcinoma of no special type, grade II"`.
Each finding carries its latent class (organ, diagnosis, grade), which the synthetic
benchmark turns into slide features; the rest of the text (procedure, tumour volume,
Nottingham components) varies without a trace in the features, as in real slides.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

ORGANS = (
    "breast",
    "prostate",
    "stomach",
    "lung",
    "colorectum",
    "uterine cervix",
    "urinary bladder",
)
ORGAN_WEIGHTS = (0.20, 0.22, 0.15, 0.10, 0.13, 0.10, 0.10)
NO_GRADE = "-"
INDENT = "  "


@dataclass(frozen=True)
class Finding:
    """One site line and one diagnosis, with the latent class that shapes the features."""

    organ: str
    site: str  # "Breast, core-needle biopsy"
    diagnosis: str  # a key, e.g. "invasive carcinoma nst"
    grade: str  # latent grade label, NO_GRADE when the diagnosis has none
    text: str  # the diagnosis line(s) without indent: "Invasive carcinoma ..., grade II"

    @property
    def latent(self) -> tuple[str, str, str]:
        return (self.organ, self.diagnosis, self.grade)


@dataclass(frozen=True)
class Report:
    findings: tuple[Finding, ...]
    text: str


def _pick(
    rng: np.random.Generator, options: tuple[str, ...], weights: tuple[float, ...] = ()
) -> str:
    if weights:
        return options[int(rng.choice(len(options), p=_normalised(weights)))]
    return options[int(rng.integers(len(options)))]


def _normalised(weights: tuple[float, ...]) -> np.ndarray:
    p = np.asarray(weights, dtype=np.float64)
    return p / p.sum()


def _chance(rng: np.random.Generator, probability: float) -> bool:
    return bool(rng.random() < probability)


# Each organ rule returns (procedure, diagnosis key, grade, diagnosis text).
Rule = Callable[[np.random.Generator], tuple[str, str, str, str]]

NOTTINGHAM_GRADE = {3: "I", 4: "I", 5: "I", 6: "II", 7: "II", 8: "III", 9: "III"}


def _breast(rng: np.random.Generator) -> tuple[str, str, str, str]:
    procedure = _pick(
        rng,
        ("core-needle biopsy", "vacuum-assisted biopsy", "excisional biopsy", "mastectomy"),
        (0.6, 0.15, 0.15, 0.1),
    )
    kind = _pick(
        rng,
        ("nst", "lobular", "dcis", "fibroadenoma", "fibrocystic", "benign"),
        (0.45, 0.1, 0.15, 0.12, 0.1, 0.08),
    )
    if kind == "nst":
        tubules, nuclei, mitoses = (int(v) for v in rng.integers(1, 4, size=3))
        grade = NOTTINGHAM_GRADE[tubules + nuclei + mitoses]
        text = f"Invasive carcinoma of no special type, grade {grade}"
        if _chance(rng, 0.4):
            text += (
                f"\n{INDENT}(Tubule formation: {tubules}, Nuclear grade: {nuclei}, "
                f"Mitoses: {mitoses})"
            )
        return procedure, "invasive carcinoma nst", grade, text
    if kind == "lobular":
        return procedure, "invasive lobular carcinoma", NO_GRADE, "Invasive lobular carcinoma"
    if kind == "dcis":
        grade = _pick(rng, ("low", "intermediate", "high"))
        text = f"Ductal carcinoma in situ, {grade} nuclear grade"
        return procedure, "ductal carcinoma in situ", grade, text
    text = {
        "fibroadenoma": "Fibroadenoma",
        "fibrocystic": "Fibrocystic change",
        "benign": "No tumor present",
    }[kind]
    return procedure, text.lower(), NO_GRADE, text


GRADE_GROUP = {(3, 3): 1, (3, 4): 2, (4, 3): 3, (4, 4): 4, (3, 5): 4, (5, 3): 4}


def _grade_group(primary: int, secondary: int) -> int:
    return GRADE_GROUP.get((primary, secondary), 5)


def _prostate(rng: np.random.Generator) -> tuple[str, str, str, str]:
    procedure = _pick(rng, ("biopsy", "needle biopsy", "transurethral resection"), (0.7, 0.2, 0.1))
    kind = _pick(rng, ("acinar", "benign", "hgpin"), (0.6, 0.3, 0.1))
    if kind == "acinar":
        patterns = ((3, 3), (3, 4), (4, 3), (4, 4), (3, 5), (5, 3), (4, 5), (5, 4), (5, 5))
        primary, secondary = patterns[
            int(rng.choice(len(patterns), p=_normalised((20, 22, 14, 12, 3, 3, 10, 8, 8))))
        ]
        group = _grade_group(primary, secondary)
        volume = int(rng.choice((5, 10, 15, 20, 30, 40, 50, 60, 70, 80, 90)))
        text = (
            f"Acinar adenocarcinoma, Gleason's score {primary + secondary} "
            f"({primary}+{secondary}), grade group {group}, tumor volume: {volume}%"
        )
        return procedure, "acinar adenocarcinoma", str(group), text
    if kind == "hgpin":
        text = "High-grade prostatic intraepithelial neoplasia"
        return procedure, "hgpin", NO_GRADE, text
    return procedure, "no tumor", NO_GRADE, "No tumor present"


def _stomach(rng: np.random.Generator) -> tuple[str, str, str, str]:
    procedure = _pick(
        rng, ("endoscopic biopsy", "endoscopic submucosal dissection"), (0.85, 0.15)
    )
    kind = _pick(rng, ("gastritis", "adenoma", "adenocarcinoma", "signet"), (0.45, 0.2, 0.27, 0.08))
    if kind == "gastritis":
        text = _pick(
            rng,
            (
                "Chronic gastritis",
                "Chronic active gastritis",
                "Chronic gastritis with intestinal metaplasia",
            ),
        )
        return procedure, "chronic gastritis", NO_GRADE, text
    if kind == "adenoma":
        grade = _pick(rng, ("low", "high"), (0.7, 0.3))
        return procedure, "tubular adenoma", grade, f"Tubular adenoma with {grade} grade dysplasia"
    if kind == "adenocarcinoma":
        grade = _pick(rng, ("well", "moderately", "poorly"))
        text = f"Tubular adenocarcinoma, {grade} differentiated"
        return procedure, "tubular adenocarcinoma", grade, text
    return procedure, "signet ring cell carcinoma", NO_GRADE, "Signet ring cell carcinoma"


def _lung(rng: np.random.Generator) -> tuple[str, str, str, str]:
    procedure = _pick(
        rng, ("biopsy", "transbronchial biopsy", "wedge resection"), (0.6, 0.25, 0.15)
    )
    kind = _pick(rng, ("adeno", "squamous", "small cell", "benign"), (0.45, 0.25, 0.1, 0.2))
    if kind == "adeno":
        if _chance(rng, 0.5):
            return procedure, "adenocarcinoma", NO_GRADE, "Adenocarcinoma"
        pattern = _pick(rng, ("lepidic", "acinar", "papillary", "solid"))
        return procedure, "adenocarcinoma", pattern, f"Adenocarcinoma, {pattern} predominant"
    if kind == "squamous":
        return procedure, "squamous cell carcinoma", NO_GRADE, "Squamous cell carcinoma"
    if kind == "small cell":
        return procedure, "small cell carcinoma", NO_GRADE, "Small cell carcinoma"
    return procedure, "no tumor", NO_GRADE, "No tumor present"


def _colorectum(rng: np.random.Generator) -> tuple[str, str, str, str]:
    procedure = _pick(
        rng, ("colonoscopic biopsy", "colonoscopic polypectomy", "endoscopic mucosal resection"),
        (0.6, 0.3, 0.1),
    )
    kind = _pick(rng, ("adenoma", "adenocarcinoma", "hyperplastic", "serrated", "colitis"),
                 (0.4, 0.25, 0.15, 0.08, 0.12))
    if kind == "adenoma":
        grade = _pick(rng, ("low", "high"), (0.75, 0.25))
        return procedure, "tubular adenoma", grade, f"Tubular adenoma with {grade} grade dysplasia"
    if kind == "adenocarcinoma":
        grade = _pick(rng, ("well", "moderately", "poorly"), (0.2, 0.65, 0.15))
        return procedure, "adenocarcinoma", grade, f"Adenocarcinoma, {grade} differentiated"
    text = {
        "hyperplastic": "Hyperplastic polyp",
        "serrated": "Sessile serrated lesion",
        "colitis": "Chronic nonspecific colitis",
    }[kind]
    return procedure, text.lower(), NO_GRADE, text


def _cervix(rng: np.random.Generator) -> tuple[str, str, str, str]:
    procedure = _pick(
        rng, ("punch biopsy", "colposcopic biopsy", "loop electrosurgical excision"),
        (0.5, 0.3, 0.2),
    )
    kind = _pick(rng, ("cervicitis", "lsil", "hsil", "scc", "adeno"), (0.3, 0.2, 0.25, 0.17, 0.08))
    if kind == "cervicitis":
        return procedure, "chronic cervicitis", NO_GRADE, "Chronic cervicitis"
    if kind == "lsil":
        text = "Low-grade squamous intraepithelial lesion (LSIL; CIN 1)"
        return procedure, "lsil", "CIN 1", text
    if kind == "hsil":
        cin = _pick(rng, ("CIN 2", "CIN 3"))
        text = f"High-grade squamous intraepithelial lesion (HSIL; {cin})"
        return procedure, "hsil", cin, text
    if kind == "scc":
        return procedure, "squamous cell carcinoma", NO_GRADE, "Squamous cell carcinoma"
    return procedure, "endocervical adenocarcinoma", NO_GRADE, "Endocervical adenocarcinoma"


def _bladder(rng: np.random.Generator) -> tuple[str, str, str, str]:
    procedure = _pick(rng, ("transurethral resection", "cold cup biopsy"), (0.8, 0.2))
    kind = _pick(rng, ("papillary", "invasive", "cis", "cystitis"), (0.35, 0.35, 0.1, 0.2))
    if kind == "papillary":
        grade = _pick(rng, ("low", "high"), (0.6, 0.4))
        text = f"Non-invasive papillary urothelial carcinoma, {grade} grade"
        return procedure, "papillary urothelial carcinoma", grade, text
    if kind == "invasive":
        depth = _pick(rng, ("lamina propria", "muscularis propria"))
        text = f"Invasive urothelial carcinoma, high grade\n{INDENT}(with {depth} invasion)"
        return procedure, "invasive urothelial carcinoma", depth, text
    if kind == "cis":
        return procedure, "urothelial carcinoma in situ", NO_GRADE, "Urothelial carcinoma in situ"
    return procedure, "chronic cystitis", NO_GRADE, "Chronic cystitis"


RULES: dict[str, Rule] = {
    "breast": _breast,
    "prostate": _prostate,
    "stomach": _stomach,
    "lung": _lung,
    "colorectum": _colorectum,
    "uterine cervix": _cervix,
    "urinary bladder": _bladder,
}


def _site_name(organ: str, rng: np.random.Generator) -> str:
    if organ == "colorectum":
        return _pick(rng, ("Colon", "Rectum"), (0.7, 0.3))
    return organ[0].upper() + organ[1:]


def sample_finding(rng: np.random.Generator, organ: str) -> Finding:
    procedure, diagnosis, grade, text = RULES[organ](rng)
    site = f"{_site_name(organ, rng)}, {procedure}"
    return Finding(organ, site, diagnosis, grade, text)


def _indented(text: str, indent: str) -> str:
    return "\n".join(indent + line.lstrip() for line in text.split("\n"))


def render(findings: tuple[Finding, ...], *, shared_site: bool, trailing_space: bool) -> str:
    """The report text: one finding plain, several numbered (per site, or under one site)."""
    if len(findings) == 1:
        only = findings[0]
        text = f"{only.site};\n{_indented(only.text, INDENT)}"
    elif shared_site:
        lines = [f"{findings[0].site};"]
        for number, finding in enumerate(findings, start=1):
            first, *rest = finding.text.split("\n")
            lines.append(f"{INDENT}{number}. {first}")
            lines.extend(INDENT + "   " + line.lstrip() for line in rest)
        text = "\n".join(lines)
    else:
        blocks = [
            f"{number}. {finding.site};\n{_indented(finding.text, INDENT)}"
            for number, finding in enumerate(findings, start=1)
        ]
        text = "\n".join(blocks)
    return text + " " if trailing_space else text


def sample_report(rng: np.random.Generator) -> Report:
    """One report: mostly a single finding; about one in eight numbered, same organ."""
    organ = ORGANS[int(rng.choice(len(ORGANS), p=_normalised(ORGAN_WEIGHTS)))]
    first = sample_finding(rng, organ)
    findings = [first]
    if _chance(rng, 0.12):
        for _ in range(int(rng.integers(1, 3))):
            extra = sample_finding(rng, organ)
            if extra.text not in {f.text for f in findings}:
                findings.append(extra)
    shared_site = len(findings) > 1 and _chance(rng, 0.5)
    if shared_site:
        findings = [Finding(f.organ, first.site, f.diagnosis, f.grade, f.text) for f in findings]
    text = render(tuple(findings), shared_site=shared_site, trailing_space=_chance(rng, 0.08))
    return Report(tuple(findings), text)
