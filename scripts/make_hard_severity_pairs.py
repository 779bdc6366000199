"""Write tests/clinical/data/severity_pairs_hard.jsonl: the second, harder severity set.

Each pair is a reference (a REG-style diagnosis line or a short narrative summary) and a
generated report written the way report-generation models write: markdown sections
("Histological Findings", "Microscopic Description", "Final Diagnosis"), generic morphology
that fits most tumours, hedges, long finding lists, notes. The generated report is composed
from hand-written parts (per case: sites, procedures, correct and erroneous diagnoses,
site-specific descriptions; shared: headings, generic morphology, notes), and the **grade is
fixed by the error introduced**, from the rubric in docs/clinical-metrics.md ("Severity
grades"), before any score is computed; the `error` field says why.

How the rubric is read for reports with a body and a final diagnosis: the final diagnosis
is what the treating clinician acts on, so the grade follows the error of the final
diagnosis. A body that contradicts a correct final diagnosis is a secondary statement wrong
with the primary diagnosis and its malignancy unchanged: grade 2 (the report must be
amended, the management does not change). A right tumour named in the wrong organ changes
the management (staging, primary against metastasis): grade 3, as a wrong tumour type.

Deterministic: `python scripts/make_hard_severity_pairs.py` rewrites the same bytes (fixed
seed, ordered parts). `--check` exits 1 when the file differs from what it would write.
"""

from __future__ import annotations

import argparse
import json
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "tests" / "clinical" / "data" / "severity_pairs_hard.jsonl"
SEED = 20261207

Alt = tuple[str, str]
"""(final diagnosis text, why it is wrong)."""


@dataclass(frozen=True)
class Case:
    key: str
    organ: str
    """Organ system, as in the first set."""
    malignant: bool
    sites: tuple[str, ...]
    procedures: tuple[str, ...]
    ref_line: str
    ref_story: str
    correct: tuple[str, ...]
    """Final diagnoses that say what the reference says (synonyms, other order)."""
    minor: tuple[Alt, ...]
    """Grade 1: a descriptive finding added or left out, a value within observer variation."""
    moderate: tuple[Alt, ...]
    """Grade 2: a prognostic or secondary fact wrong, same diagnosis and malignancy."""
    major: tuple[Alt, ...]
    """Grade 3: wrong tumour type in the right organ, in situ for invasive, a
    management-deciding value flipped."""
    critical: tuple[Alt, ...]
    """Grade 4: malignancy wrong."""
    body: tuple[str, ...]
    """Description that fits the reference diagnosis in this organ."""
    other_site: tuple[str, str]
    """(site, procedure) of another organ where the same tumour name would be read."""
    hedge_target: str
    """The diagnosis as a generated report hedges it ("suspicious for ...")."""
    findings: tuple[str, ...] = field(default=())
    """Lines of a findings list that fit the reference."""
    own_generic: tuple[str, ...] = field(default=())
    """Generic description for a lesion that is neither plainly benign nor malignant
    (intraepithelial lesions, adenomas), used in place of the shared pools."""


GENERIC_MALIGNANT = (
    "The neoplastic cells show marked nuclear pleomorphism with vesicular chromatin and "
    "prominent nucleoli.",
    "Mitotic figures are readily identified, including atypical forms.",
    "Foci of necrosis are present.",
    "The surrounding stroma shows a desmoplastic reaction.",
    "The cells have enlarged hyperchromatic nuclei and an increased nuclear to cytoplasmic "
    "ratio.",
    "There is an infiltrative growth pattern with loss of normal architecture.",
    "Scattered apoptotic bodies and brisk mitotic activity are noted.",
    "Areas of haemorrhage and geographic necrosis are seen.",
    "A patchy chronic inflammatory infiltrate surrounds the tumour.",
    "The tumour cells are arranged in sheets, nests and cords.",
)
GENERIC_BENIGN = (
    "The cells are bland with uniform, round nuclei and inconspicuous nucleoli.",
    "No significant cytological atypia is identified.",
    "Mitotic activity is not increased.",
    "There is no necrosis.",
    "The architecture is preserved.",
    "The stroma is unremarkable apart from mild oedema.",
    "A mild chronic inflammatory infiltrate is present.",
)
INTRODUCTIONS = (
    "Sections of the submitted tissue were examined at multiple levels.",
    "H&E-stained sections show the lesion described below.",
    "The specimen consists of several fragments of tan tissue, entirely submitted.",
    "Multiple sections were reviewed.",
    "The material is adequate for evaluation.",
)
DESCRIPTION_HEADINGS = (
    "## Histological Findings",
    "## Microscopic Description",
    "**Microscopic Description:**",
    "### Histological Findings",
    "**Histological findings:**",
    "Microscopic description:",
)
DIAGNOSIS_HEADINGS = (
    "## Final Diagnosis",
    "**Final Diagnosis:**",
    "### Diagnosis",
    "**Diagnosis:**",
    "## Diagnosis",
    "Final diagnosis:",
)
OPENINGS = (
    "# Pathology Report",
    "## Specimen",
    "**Specimen:**",
    "",
    "",
)
NOTES = (
    "Note: Clinical and radiological correlation is recommended.",
    "Comment: Immunohistochemistry may be performed to support the diagnosis if clinically "
    "indicated.",
    "Note: Findings were reviewed in the context of the submitted clinical information.",
    "Comment: Correlation with imaging findings is advised.",
    "",
    "",
)
GENERIC_FINDINGS = (
    "- Nuclear pleomorphism: marked",
    "- Mitotic activity: increased",
    "- Necrosis: present",
    "- Stromal desmoplasia: present",
    "- Chronic inflammation: mild",
)
HEDGES = ("Suspicious for {}", "Findings suspicious for {}", "Possible {}; further workup "
          "recommended", "Atypical proliferation, suspicious for {}")
GENERIC_ONLY = (
    "Malignant neoplasm, see description; further immunohistochemical workup is recommended "
    "for classification",
    "Poorly differentiated malignant neoplasm; classification deferred to "
    "immunohistochemistry",
    "Malignant tumour, not further classified on the submitted material",
)


CASES: tuple[Case, ...] = (
    Case(
        key="breast-nst", organ="breast", malignant=True,
        sites=("Breast, left", "Left breast", "Breast"),
        procedures=("core needle biopsy", "ultrasound-guided core biopsy", "core biopsy"),
        ref_line="Breast, left, core needle biopsy; Invasive carcinoma of no special type, "
        "grade II, ER positive, HER2 negative",
        ref_story="Core needle biopsies of a left breast mass show invasive carcinoma of no "
        "special type, Nottingham grade 2, forming glands in less than three quarters of the "
        "tumour, with moderate nuclear atypia. Estrogen receptor is strongly positive and "
        "HER2 is negative (score 1+).",
        correct=("Invasive ductal carcinoma (NST), Nottingham grade 2; ER positive, HER2 "
                 "negative",
                 "Invasive breast carcinoma of no special type, grade II, ER-positive, "
                 "HER2-negative"),
        minor=(("Invasive ductal carcinoma, Nottingham grade 2, ER positive, HER2 negative, "
                "with associated microcalcifications", "microcalcification added"),
               ("Invasive carcinoma of no special type, grade 2, ER positive",
                "HER2 result left out of a line that keeps ER; minor in a core"),),
        moderate=(("Invasive ductal carcinoma, Nottingham grade 3, ER positive, HER2 negative",
                   "Nottingham grade one step off"),
                  ("Invasive ductal carcinoma, grade 2, with lymphovascular invasion, ER "
                   "positive, HER2 negative", "lymphovascular invasion invented")),
        major=(("Invasive lobular carcinoma, classic type, ER positive",
                "lobular for no special type"),
               ("Ductal carcinoma in situ, intermediate nuclear grade",
                "in situ for invasive carcinoma"),
               ("Invasive ductal carcinoma, grade 2, ER positive, HER2 positive (3+)",
                "HER2 flipped to positive")),
        critical=(("Fibroadenoma; no evidence of malignancy", "benign lesion for carcinoma"),
                  ("Fibrocystic change with usual ductal hyperplasia; negative for malignancy",
                   "benign for carcinoma")),
        body=("Infiltrating nests and tubules of ductal epithelial cells are set in a "
              "fibrous stroma, with tubule formation in under 75% of the tumour.",),
        other_site=("Lung, right lower lobe", "transbronchial biopsy"),
        hedge_target="invasive carcinoma",
        findings=("- Tubule formation: 3", "- ER: positive", "- HER2: negative (1+)"),
    ),
    Case(
        key="breast-fa", organ="breast", malignant=False,
        sites=("Breast, right", "Right breast", "Breast"),
        procedures=("core needle biopsy", "needle core biopsy", "core biopsy"),
        ref_line="Breast, right, core needle biopsy; Fibroadenoma",
        ref_story="Core biopsies from a well-circumscribed right breast nodule in a young "
        "woman show a fibroadenoma, with compressed, slit-like ducts lined by two cell layers "
        "in a bland, evenly cellular stroma. There is no atypia and no malignancy.",
        correct=("Fibroadenoma", "Fibroadenoma, no atypia or malignancy identified"),
        minor=(("Fibroadenoma with focal stromal calcification", "calcification added"),),
        moderate=(("Fibroadenoma with usual ductal hyperplasia",
                   "epithelial hyperplasia invented within a benign lesion"),),
        major=(("Benign phyllodes tumour", "phyllodes tumour for fibroadenoma: excision with "
                "margins"),
               ("Atypical ductal hyperplasia arising in a fibroadenoma",
                "atypia invented: excision")),
        critical=(("Invasive ductal carcinoma, Nottingham grade 1", "carcinoma for a benign "
                   "lesion"),
                  ("Ductal carcinoma in situ, low nuclear grade", "DCIS for a benign lesion")),
        body=("The lesion is composed of compressed, slit-like ducts lined by epithelial and "
              "myoepithelial cells within a uniformly cellular fibrous stroma.",),
        other_site=("Thyroid, left lobe", "fine needle aspiration"),
        hedge_target="phyllodes tumour",
    ),
    Case(
        key="prostate-acinar", organ="prostate", malignant=True,
        sites=("Prostate", "Prostate, right base", "Prostate gland"),
        procedures=("core needle biopsy", "needle biopsy", "biopsy"),
        ref_line="Prostate, core needle biopsy; Acinar adenocarcinoma, Gleason's score 7 "
        "(3+4), grade group 2, tumor volume: 30%",
        ref_story="Needle core biopsies of the prostate show acinar adenocarcinoma, Gleason "
        "score 3+4=7, grade group 2, involving about 30% of the submitted tissue. "
        "The small, crowded glands have enlarged nuclei with prominent nucleoli, with a "
        "minor component of fused glands.",
        correct=("Acinar adenocarcinoma, Gleason score 3+4=7 (grade group 2), tumour volume "
                 "30%",
                 "Prostatic adenocarcinoma, acinar type, Gleason 7 (3+4), ISUP grade group 2, "
                 "about 30% of tissue"),
        minor=(("Acinar adenocarcinoma, Gleason score 3+4=7, grade group 2, tumour volume "
                "25%", "tumour volume within observer variation"),
               ("Acinar adenocarcinoma, Gleason score 3+4=7, grade group 2, with high-grade "
                "prostatic intraepithelial neoplasia", "HGPIN added"),),
        moderate=(("Acinar adenocarcinoma, Gleason score 4+3=7 (grade group 3)",
                   "Gleason 4+3 for 3+4"),
                  ("Acinar adenocarcinoma, Gleason score 3+4=7, grade group 2, tumour volume "
                   "60%", "tumour volume doubled")),
        major=(("Acinar adenocarcinoma, Gleason score 3+3=6 (grade group 1)",
                "grade group 1 for 2: surveillance instead of treatment"),
               ("Ductal adenocarcinoma of the prostate", "ductal for acinar type"),
               ("Small cell neuroendocrine carcinoma", "small cell for acinar carcinoma")),
        critical=(("Benign prostatic tissue with chronic inflammation; no carcinoma "
                   "identified", "benign for carcinoma"),
                  ("Benign prostatic hyperplasia", "hyperplasia for carcinoma"),
                  ("Atypical small acinar proliferation (ASAP); no definitive carcinoma",
                   "ASAP for carcinoma")),
        body=("Small, crowded glands lined by a single layer of cells with enlarged nuclei "
              "and prominent nucleoli infiltrate between benign glands, with fused glands in "
              "a minority.",),
        other_site=("Urinary bladder", "transurethral resection"),
        hedge_target="adenocarcinoma",
        findings=("- Gleason pattern: 3+4", "- Perineural invasion: present"),
    ),
    Case(
        key="prostate-benign", organ="prostate", malignant=False,
        sites=("Prostate", "Prostate, left apex", "Prostate gland"),
        procedures=("core needle biopsy", "needle biopsy", "biopsy"),
        ref_line="Prostate, core needle biopsy; No tumor present",
        ref_story="Twelve systematic needle cores of the prostate show benign prostatic "
        "glands and stroma with patchy chronic inflammation and focal atrophy. No carcinoma "
        "and no high-grade prostatic intraepithelial neoplasia are identified.",
        correct=("Benign prostatic tissue; negative for carcinoma",
                 "No tumour present; benign prostatic glands and stroma"),
        minor=(("Benign prostatic tissue with focal glandular atrophy; negative for "
                "carcinoma", "atrophy stated"),),
        moderate=(("Benign prostatic tissue with high-grade prostatic intraepithelial "
                   "neoplasia", "HGPIN invented"),),
        major=(("Atypical small acinar proliferation, suspicious for carcinoma",
                "ASAP: repeat biopsy for a benign core"),),
        critical=(("Acinar adenocarcinoma, Gleason score 3+3=6 (grade group 1)",
                   "carcinoma for benign tissue"),
                  ("Prostatic adenocarcinoma, Gleason score 4+4=8, grade group 4",
                   "high-grade carcinoma for benign tissue")),
        body=("The cores contain benign glands with a preserved basal cell layer and "
              "papillary infoldings, and fibromuscular stroma.",),
        other_site=("Urinary bladder", "biopsy"),
        hedge_target="adenocarcinoma",
    ),
    Case(
        key="colon-adeno", organ="colorectum", malignant=True,
        sites=("Colon, sigmoid", "Sigmoid colon", "Colon"),
        procedures=("endoscopic biopsy", "colonoscopic biopsy", "biopsy"),
        ref_line="Colon, sigmoid, endoscopic biopsy; Adenocarcinoma, moderately "
        "differentiated",
        ref_story="Biopsies of an ulcerated, partly circumferential sigmoid colon mass show "
        "moderately differentiated adenocarcinoma, with irregular and cribriform glands lined "
        "by tall columnar cells with pseudostratified nuclei, and intraluminal debris.",
        correct=("Adenocarcinoma, moderately differentiated",
                 "Invasive adenocarcinoma, moderately differentiated (low grade)"),
        minor=(("Adenocarcinoma, moderately differentiated, arising in a tubulovillous "
                "adenoma", "precursor adenoma added"),),
        moderate=(("Adenocarcinoma, poorly differentiated", "differentiation two steps off"),
                  ("Adenocarcinoma, moderately differentiated, with lymphovascular invasion",
                   "lymphovascular invasion invented")),
        major=(("Mucinous adenocarcinoma with signet ring cell component",
                "mucinous/signet ring type for conventional adenocarcinoma"),
               ("Neuroendocrine tumour, grade 2", "neuroendocrine tumour for adenocarcinoma"),
               ("Intramucosal adenocarcinoma in a tubular adenoma; no invasion",
                "intramucosal for invasive: polypectomy instead of resection")),
        critical=(("Tubular adenoma with low-grade dysplasia", "adenoma for carcinoma"),
                  ("Chronic active colitis; no dysplasia or malignancy",
                   "colitis for carcinoma")),
        body=("Irregular, cribriform glands lined by tall columnar cells with pseudostratified "
              "nuclei infiltrate the submucosa, with intraluminal dirty necrosis.",),
        other_site=("Stomach, antrum", "endoscopic biopsy"),
        hedge_target="adenocarcinoma",
        findings=("- Differentiation: moderate", "- MLH1/PMS2: retained"),
    ),
    Case(
        key="colon-adenoma", organ="colorectum", malignant=False,
        sites=("Colon, transverse", "Transverse colon", "Colon"),
        procedures=("polypectomy", "endoscopic polypectomy", "snare polypectomy"),
        ref_line="Colon, transverse, polypectomy; Tubular adenoma with low grade dysplasia",
        ref_story="A transverse colon polyp removed by snare is a tubular adenoma with "
        "low-grade dysplasia. The crypts are lined by elongated, pencillate nuclei confined to "
        "the basal half. There is no high-grade dysplasia.",
        correct=("Tubular adenoma, low-grade dysplasia",
                 "Tubular adenoma with low grade dysplasia; no high-grade dysplasia"),
        minor=(("Tubular adenoma with low-grade dysplasia, completely excised",
                "margin statement added"),),
        moderate=(("Tubulovillous adenoma with low-grade dysplasia",
                   "villous component invented"),),
        major=(("Tubular adenoma with high-grade dysplasia", "high-grade for low-grade "
                "dysplasia: shorter surveillance"),
               ("Sessile serrated lesion without dysplasia", "serrated lesion for adenoma")),
        critical=(("Invasive adenocarcinoma arising in a tubular adenoma",
                   "carcinoma for adenoma"),
                  ("Adenocarcinoma, moderately differentiated", "carcinoma for adenoma")),
        body=("The polyp consists of closely packed tubular crypts lined by cells with "
              "elongated, hyperchromatic, pencillate nuclei.",),
        other_site=("Stomach, body", "endoscopic biopsy"),
        hedge_target="adenocarcinoma",
        own_generic=("The dysplastic epithelium is confined to the crypts above the "
                     "muscularis mucosae.",
                     "Mitoses are present in the upper crypts.",
                     "The lamina propria shows mild chronic inflammation.",
                     "Surface erosion is not seen."),
    ),
    Case(
        key="stomach-adeno", organ="stomach", malignant=True,
        sites=("Stomach, antrum", "Gastric antrum", "Stomach"),
        procedures=("endoscopic biopsy", "biopsy", "endoscopic mucosal biopsy"),
        ref_line="Stomach, antrum, endoscopic biopsy; Adenocarcinoma, poorly differentiated, "
        "diffuse type with signet ring cells",
        ref_story="Endoscopic biopsies of an antral ulcer show a poorly differentiated "
        "adenocarcinoma of diffuse type, with single signet ring cells infiltrating the "
        "lamina propria between residual gastric glands.",
        correct=("Poorly cohesive carcinoma (diffuse type adenocarcinoma) with signet ring "
                 "cells",
                 "Adenocarcinoma, poorly differentiated, diffuse type, signet ring cell "
                 "features"),
        minor=(("Diffuse type adenocarcinoma with signet ring cells; background chronic "
                "gastritis", "background gastritis added"),),
        moderate=(("Adenocarcinoma, diffuse type with signet ring cells, with Helicobacter "
                   "pylori gastritis", "Helicobacter invented"),),
        major=(("Adenocarcinoma, intestinal type, moderately differentiated",
                "intestinal for diffuse type"),
               ("Extranodal marginal zone lymphoma (MALT lymphoma)",
                "lymphoma for carcinoma"),
               ("Gastrointestinal stromal tumour, spindle cell type", "GIST for carcinoma")),
        critical=(("Chronic active gastritis with intestinal metaplasia; negative for "
                   "malignancy", "gastritis for carcinoma"),
                  ("Gastric ulcer with reactive epithelial changes; no malignancy",
                   "benign ulcer for carcinoma")),
        body=("Discohesive single cells with intracytoplasmic mucin displacing the nucleus "
              "infiltrate the lamina propria between residual glands.",),
        other_site=("Colon, rectum", "endoscopic biopsy"),
        hedge_target="carcinoma",
    ),
    Case(
        key="stomach-gastritis", organ="stomach", malignant=False,
        sites=("Stomach, body", "Gastric body", "Stomach"),
        procedures=("endoscopic biopsy", "biopsy", "endoscopic mucosal biopsy"),
        ref_line="Stomach, body, endoscopic biopsy; Chronic active gastritis with "
        "Helicobacter pylori",
        ref_story="Gastric body biopsies show chronic active gastritis with a dense "
        "lymphoplasmacytic infiltrate, neutrophils in the foveolar epithelium and numerous "
        "Helicobacter pylori organisms on the surface. There is no intestinal metaplasia, "
        "dysplasia or malignancy.",
        correct=("Chronic active gastritis, Helicobacter pylori associated",
                 "Helicobacter pylori gastritis, chronic and active; no intestinal metaplasia"),
        minor=(("Chronic active gastritis with Helicobacter pylori and lymphoid follicles",
                "lymphoid follicles added"),),
        moderate=(("Chronic active Helicobacter gastritis with intestinal metaplasia",
                   "intestinal metaplasia invented"),),
        major=(("Chronic gastritis; Helicobacter pylori not identified",
                "Helicobacter missed: no eradication"),
               ("Autoimmune atrophic gastritis", "autoimmune for Helicobacter gastritis")),
        critical=(("Extranodal marginal zone lymphoma of MALT type", "lymphoma for gastritis"),
                  ("Adenocarcinoma, intestinal type", "carcinoma for gastritis")),
        body=("The lamina propria contains a dense lymphoplasmacytic infiltrate with "
              "neutrophils in the foveolar epithelium and curved bacilli on the surface.",),
        other_site=("Duodenum", "endoscopic biopsy"),
        hedge_target="lymphoma",
    ),
    Case(
        key="lung-adeno", organ="lung", malignant=True,
        sites=("Lung, right upper lobe", "Right upper lobe of lung", "Lung"),
        procedures=("CT-guided core biopsy", "CT-guided needle core biopsy",
                    "percutaneous core biopsy"),
        ref_line="Lung, right upper lobe, CT-guided core biopsy; Adenocarcinoma, acinar "
        "predominant, TTF-1 positive",
        ref_story="CT-guided core biopsies of a spiculated right upper lobe nodule show "
        "invasive adenocarcinoma with an acinar predominant pattern. The tumour cells are "
        "positive for TTF-1, confirming a pulmonary primary.",
        correct=("Adenocarcinoma of the lung, acinar predominant; TTF-1 positive",
                 "Invasive non-mucinous adenocarcinoma, acinar pattern, TTF-1 and napsin A "
                 "positive"),
        minor=(("Adenocarcinoma, acinar predominant with a minor lepidic component, TTF-1 "
                "positive", "minor pattern added"),),
        moderate=(("Adenocarcinoma, solid predominant, TTF-1 positive",
                   "predominant pattern changed"),
                  ("Adenocarcinoma, acinar predominant, with visceral pleural invasion",
                   "pleural invasion invented")),
        major=(("Squamous cell carcinoma, keratinizing, p40 positive",
                "squamous for adenocarcinoma: different therapy"),
               ("Small cell carcinoma", "small cell for non-small cell carcinoma"),
               ("Metastatic colorectal adenocarcinoma, CDX2 positive",
                "metastasis for a lung primary")),
        critical=(("Organizing pneumonia; no malignancy identified",
                   "pneumonia for carcinoma"),
                  ("Necrotizing granulomatous inflammation, negative for malignancy",
                   "granuloma for carcinoma")),
        body=("Atypical glandular cells form acini in a fibrotic background, with scattered "
              "intra-alveolar macrophages.",),
        other_site=("Colon, sigmoid", "endoscopic biopsy"),
        hedge_target="non-small cell carcinoma",
        findings=("- TTF-1: positive", "- p40: negative"),
    ),
    Case(
        key="lung-scc", organ="lung", malignant=True,
        sites=("Lung, left lower lobe", "Left lower lobe bronchus", "Lung"),
        procedures=("endobronchial biopsy", "bronchoscopic biopsy", "biopsy"),
        ref_line="Lung, left lower lobe, endobronchial biopsy; Squamous cell carcinoma, "
        "keratinizing, p40 positive",
        ref_story="Endobronchial biopsies of an obstructing left lower lobe tumour show "
        "keratinizing squamous cell carcinoma with keratin pearls and intercellular bridges. "
        "The tumour is diffusely positive for p40 and negative for TTF-1.",
        correct=("Squamous cell carcinoma, keratinizing; p40 positive, TTF-1 negative",
                 "Keratinizing squamous cell carcinoma of the lung, p40 positive"),
        minor=(("Squamous cell carcinoma, keratinizing, with adjacent squamous metaplasia",
                "metaplasia added"),),
        moderate=(("Squamous cell carcinoma, non-keratinizing, poorly differentiated",
                   "differentiation off"),),
        major=(("Adenocarcinoma, solid pattern, TTF-1 positive", "adenocarcinoma for "
                "squamous cell carcinoma"),
               ("Squamous cell carcinoma in situ of the bronchial mucosa",
                "in situ for invasive"),
               ("Small cell carcinoma", "small cell for squamous cell carcinoma")),
        critical=(("Squamous metaplasia of bronchial mucosa with chronic inflammation; no "
                   "malignancy", "metaplasia for carcinoma"),),
        body=("Nests of polygonal cells with eosinophilic cytoplasm, intercellular bridges "
              "and keratin pearls infiltrate the bronchial wall.",),
        other_site=("Oesophagus, mid", "endoscopic biopsy"),
        hedge_target="squamous cell carcinoma",
    ),
    Case(
        key="cervix-hsil", organ="uterine cervix", malignant=False,
        sites=("Uterine cervix", "Cervix, 6 o'clock", "Cervix"),
        procedures=("punch biopsy", "colposcopic biopsy", "biopsy"),
        ref_line="Uterine cervix, colposcopic biopsy; High-grade squamous intraepithelial "
        "lesion (HSIL; CIN 3)",
        ref_story="Colposcopic biopsy of the cervix shows a high-grade squamous "
        "intraepithelial lesion (CIN 3), with full-thickness atypia and mitoses in the upper "
        "epithelium. There is no stromal invasion in the sample.",
        correct=("High-grade squamous intraepithelial lesion (CIN 3)",
                 "HSIL (CIN III); no invasion"),
        minor=(("HSIL (CIN 3) with koilocytic change", "koilocytosis added"),),
        moderate=(("High-grade squamous intraepithelial lesion (CIN 2)", "CIN 2 for CIN 3"),),
        major=(("Low-grade squamous intraepithelial lesion (CIN 1)",
                "LSIL for HSIL: follow-up instead of excision"),
               ("Adenocarcinoma in situ of the endocervix", "glandular for squamous lesion"),
               ("Chronic cervicitis with squamous metaplasia; negative for dysplasia",
                "no lesion for HSIL: no excision")),
        critical=(("Invasive squamous cell carcinoma, keratinizing", "carcinoma for HSIL"),
                  ("Squamous cell carcinoma, non-keratinizing, invasive",
                   "carcinoma for HSIL")),
        body=("The squamous epithelium shows loss of maturation with atypical basaloid cells "
              "and mitoses extending to the upper third.",),
        other_site=("Vulva", "punch biopsy"),
        hedge_target="invasive squamous cell carcinoma",
        own_generic=("Nuclear enlargement, hyperchromasia and crowding extend through the "
                     "full thickness of the epithelium.",
                     "Mitotic figures are present above the basal layer.",
                     "The basement membrane appears intact.",
                     "The underlying stroma shows mild chronic inflammation."),
    ),
    Case(
        key="bladder-uc", organ="urinary bladder", malignant=True,
        sites=("Urinary bladder", "Bladder, left lateral wall", "Bladder"),
        procedures=("transurethral resection", "TURBT", "transurethral resection of tumour"),
        ref_line="Urinary bladder, transurethral resection; Invasive urothelial carcinoma, "
        "high grade, invading muscularis propria",
        ref_story="Transurethral resection of a solid bladder tumour shows high-grade "
        "invasive urothelial carcinoma invading the muscularis propria (detrusor muscle), at "
        "least pT2. The resected fragments include ample muscle.",
        correct=("Invasive urothelial carcinoma, high grade, with invasion of the muscularis "
                 "propria (pT2)",
                 "High-grade invasive urothelial carcinoma invading detrusor muscle"),
        minor=(("Invasive urothelial carcinoma, high grade, invading muscularis propria, "
                "with focal squamous differentiation", "divergent differentiation added"),),
        moderate=(("Invasive urothelial carcinoma, high grade, invading muscularis propria, "
                   "with lymphovascular invasion", "lymphovascular invasion invented"),),
        major=(("Invasive urothelial carcinoma, high grade, invading lamina propria (pT1); "
                "muscularis propria free", "pT1 for pT2: BCG instead of cystectomy"),
               ("Non-invasive papillary urothelial carcinoma, low grade",
                "non-invasive low grade for invasive high grade")),
        critical=(("Polypoid cystitis with reactive urothelial atypia; no malignancy",
                   "cystitis for carcinoma"),
                  ("Papillary urothelial neoplasm of low malignant potential",
                   "PUNLMP for invasive carcinoma")),
        body=("Nests and cords of atypical urothelial cells infiltrate between the thick "
              "smooth muscle bundles of the detrusor.",),
        other_site=("Kidney, renal pelvis", "ureteroscopic biopsy"),
        hedge_target="invasive urothelial carcinoma",
    ),
    Case(
        key="endometrium-eec", organ="endometrium", malignant=True,
        sites=("Endometrium", "Uterus, endometrium", "Endometrium"),
        procedures=("curettage", "dilatation and curettage", "endometrial curettage"),
        ref_line="Endometrium, curettage; Endometrioid adenocarcinoma, FIGO grade 1",
        ref_story="Endometrial curettings from a postmenopausal woman with bleeding show "
        "endometrioid adenocarcinoma, FIGO grade 1, with back-to-back glands and little "
        "intervening stroma. Solid growth is under 5%. Myometrium is not present for "
        "assessment of invasion.",
        correct=("Endometrioid adenocarcinoma, FIGO grade 1",
                 "Endometrioid carcinoma, well differentiated (FIGO grade 1)"),
        minor=(("Endometrioid adenocarcinoma, FIGO grade 1, with squamous differentiation",
                "squamous differentiation repeated as a finding"),),
        moderate=(("Endometrioid adenocarcinoma, FIGO grade 2", "FIGO grade one step off"),),
        major=(("Serous carcinoma of the endometrium, p53 aberrant",
                "serous for endometrioid: staging and chemotherapy"),
               ("Atypical hyperplasia / endometrioid intraepithelial neoplasia",
                "precursor for carcinoma")),
        critical=(("Disordered proliferative endometrium; no atypia or malignancy",
                   "benign for carcinoma"),
                  ("Endometrial polyp without atypia", "polyp for carcinoma")),
        body=("Crowded, back-to-back endometrioid glands with little intervening stroma and "
              "focal squamous morules are seen.",),
        other_site=("Ovary, left", "salpingo-oophorectomy"),
        hedge_target="endometrioid adenocarcinoma",
    ),
    Case(
        key="ovary-hgsc", organ="ovary", malignant=True,
        sites=("Ovary, right", "Right ovary", "Ovary"),
        procedures=("salpingo-oophorectomy", "unilateral salpingo-oophorectomy",
                    "salpingo-oophorectomy specimen"),
        ref_line="Ovary, right, salpingo-oophorectomy; High-grade serous carcinoma",
        ref_story="The right ovary is replaced by a high-grade serous carcinoma with solid "
        "and papillary growth, slit-like spaces, marked nuclear atypia and abundant mitoses, "
        "the pattern of a tubo-ovarian high-grade serous carcinoma.",
        correct=("High-grade serous carcinoma", "High-grade serous carcinoma of the ovary"),
        minor=(("High-grade serous carcinoma with psammoma bodies",
                "psammoma bodies added"),),
        moderate=(("High-grade serous carcinoma with capsular rupture",
                   "capsule status invented (stage)"),),
        major=(("Low-grade serous carcinoma", "low-grade for high-grade serous carcinoma"),
               ("Clear cell carcinoma of the ovary", "clear cell for serous carcinoma"),
               ("Serous borderline tumour", "borderline tumour for carcinoma")),
        critical=(("Serous cystadenoma", "benign cystadenoma for carcinoma"),
                  ("Endometriotic cyst; no neoplasm", "endometriosis for carcinoma")),
        body=("Solid sheets and papillae of markedly atypical cells with slit-like spaces "
              "are present, with abundant mitoses.",),
        other_site=("Endometrium", "curettage"),
        hedge_target="carcinoma",
    ),
    Case(
        key="skin-melanoma", organ="skin", malignant=True,
        sites=("Skin, back", "Skin of the upper back", "Skin"),
        procedures=("excision", "excisional biopsy", "excision specimen"),
        ref_line="Skin, back, excision; Malignant melanoma, superficial spreading type, "
        "Breslow thickness 1.4 mm, margins clear",
        ref_story="Excision of a pigmented lesion of the back shows invasive melanoma, "
        "superficial spreading type, with a Breslow thickness of 1.4 mm, arising from a "
        "radial growth phase with pagetoid spread. The peripheral and deep margins are "
        "clear.",
        correct=("Invasive melanoma, superficial spreading type, Breslow thickness 1.4 mm; "
                 "margins free",
                 "Superficial spreading malignant melanoma, Breslow 1.4 mm, completely "
                 "excised"),
        minor=(("Malignant melanoma, superficial spreading type, Breslow 1.4 mm, with "
                "regression; margins clear", "regression added"),),
        moderate=(("Malignant melanoma, superficial spreading type, Breslow 1.2 mm, margins "
                   "clear", "Breslow off within one T category"),),
        major=(("Malignant melanoma, Breslow thickness 0.6 mm", "Breslow across 1 mm: no "
                "sentinel node biopsy"),
               ("Melanoma in situ", "in situ for invasive melanoma"),
               ("Malignant melanoma, Breslow 1.4 mm; deep margin involved",
                "margin flipped to involved")),
        critical=(("Dysplastic compound naevus with moderate atypia; no melanoma",
                   "naevus for melanoma"),
                  ("Seborrhoeic keratosis", "benign keratosis for melanoma")),
        body=("Atypical melanocytes spread in a pagetoid fashion through the epidermis and "
              "form confluent nests in the dermis without maturation.",),
        other_site=("Lymph node, axillary", "excision"),
        hedge_target="melanoma",
    ),
    Case(
        key="skin-bcc", organ="skin", malignant=True,
        sites=("Skin, nose", "Skin of the nasal ala", "Skin"),
        procedures=("shave biopsy", "shave excision biopsy", "tangential shave biopsy"),
        ref_line="Skin, nose, shave biopsy; Basal cell carcinoma, nodular type",
        ref_story="A shave biopsy of a pearly papule on the nose shows nodular basal cell "
        "carcinoma, with nests of basaloid cells showing peripheral palisading and "
        "retraction artefact from the surrounding mucinous stroma.",
        correct=("Basal cell carcinoma, nodular type", "Nodular basal cell carcinoma"),
        minor=(("Basal cell carcinoma, nodular type, with solar elastosis",
                "solar elastosis added"),),
        moderate=(("Basal cell carcinoma, nodular and infiltrative types",
                   "infiltrative component invented"),),
        major=(("Squamous cell carcinoma, well differentiated",
                "squamous for basal cell carcinoma"),
               ("Merkel cell carcinoma", "Merkel cell for basal cell carcinoma")),
        critical=(("Seborrhoeic keratosis, irritated", "keratosis for carcinoma"),
                  ("Intradermal naevus", "naevus for carcinoma")),
        body=("Nests of basaloid cells with peripheral palisading and stromal retraction "
              "clefts extend into the dermis.",),
        other_site=("Lung, right middle lobe", "wedge resection"),
        hedge_target="basal cell carcinoma",
    ),
    Case(
        key="kidney-ccrcc", organ="kidney", malignant=True,
        sites=("Kidney, left", "Left kidney", "Kidney"),
        procedures=("partial nephrectomy", "nephron-sparing partial nephrectomy",
                    "partial nephrectomy specimen"),
        ref_line="Kidney, left, partial nephrectomy; Clear cell renal cell carcinoma, WHO/"
        "ISUP grade 2, pT1a, margins negative",
        ref_story="Partial nephrectomy shows a clear cell renal cell carcinoma, WHO/ISUP "
        "grade 2, confined to the kidney (pT1a), with nests of clear cells in a delicate "
        "vascular network. The parenchymal margin is free.",
        correct=("Clear cell renal cell carcinoma, WHO/ISUP grade 2, pT1a; margins negative",
                 "Renal cell carcinoma, clear cell type, ISUP grade 2, confined to kidney, "
                 "margin free"),
        minor=(("Clear cell renal cell carcinoma, ISUP grade 2, pT1a, with haemorrhage; "
                "margin negative", "haemorrhage added"),),
        moderate=(("Clear cell renal cell carcinoma, WHO/ISUP grade 3, pT1a",
                   "ISUP grade one step off"),),
        major=(("Papillary renal cell carcinoma", "papillary for clear cell type"),
               ("Chromophobe renal cell carcinoma", "chromophobe for clear cell type"),
               ("Clear cell renal cell carcinoma, grade 2; parenchymal margin positive",
                "margin flipped")),
        critical=(("Renal oncocytoma", "oncocytoma for carcinoma"),
                  ("Angiomyolipoma", "benign tumour for carcinoma")),
        body=("Nests of cells with clear cytoplasm are separated by a delicate arborizing "
              "vascular network.",),
        other_site=("Adrenal gland", "adrenalectomy"),
        hedge_target="renal cell carcinoma",
    ),
    Case(
        key="thyroid-ptc", organ="thyroid", malignant=True,
        sites=("Thyroid, right lobe", "Right thyroid lobe", "Thyroid"),
        procedures=("lobectomy", "hemithyroidectomy", "thyroid lobectomy"),
        ref_line="Thyroid, right lobe, lobectomy; Papillary thyroid carcinoma, classic type, "
        "1.8 cm",
        ref_story="Right thyroid lobectomy shows a 1.8 cm classic papillary thyroid "
        "carcinoma, with papillae lined by cells with nuclear grooves, pseudoinclusions and "
        "chromatin clearing, the classic pattern.",
        correct=("Papillary thyroid carcinoma, classic type, 1.8 cm",
                 "Papillary carcinoma of thyroid, conventional type, measuring 18 mm"),
        minor=(("Papillary thyroid carcinoma, classic type, 1.8 cm, with background "
                "lymphocytic thyroiditis", "thyroiditis added"),),
        moderate=(("Papillary thyroid carcinoma, classic type, 2.6 cm",
                   "size off across a T cut-off"),),
        major=(("Follicular thyroid carcinoma, minimally invasive",
                "follicular for papillary carcinoma"),
               ("Medullary thyroid carcinoma", "medullary for papillary carcinoma"),
               ("Papillary thyroid carcinoma, tall cell subtype", "aggressive subtype "
                "invented")),
        critical=(("Follicular adenoma", "adenoma for carcinoma"),
                  ("Nodular hyperplasia (multinodular goitre)", "goitre for carcinoma")),
        body=("Papillae with fibrovascular cores are lined by cells with overlapping, "
              "grooved nuclei showing chromatin clearing and pseudoinclusions.",),
        other_site=("Lymph node, cervical", "excision"),
        hedge_target="papillary thyroid carcinoma",
    ),
    Case(
        key="node-dlbcl", organ="lymph node", malignant=True,
        sites=("Lymph node, left cervical", "Left neck lymph node", "Lymph node"),
        procedures=("excisional biopsy", "excision", "excision biopsy"),
        ref_line="Lymph node, left cervical, excisional biopsy; Diffuse large B-cell "
        "lymphoma, Ki-67 80%",
        ref_story="An enlarged cervical lymph node is effaced by sheets of large atypical "
        "lymphoid cells positive for CD20, with a Ki-67 index of about 80%. The findings "
        "are those of diffuse large B-cell lymphoma.",
        correct=("Diffuse large B-cell lymphoma, Ki-67 80%", "Diffuse large B-cell lymphoma "
                 "(DLBCL), CD20 positive, Ki-67 about 80%"),
        minor=(("Diffuse large B-cell lymphoma, Ki-67 about 90%", "Ki-67 within variation"),),
        moderate=(("Diffuse large B-cell lymphoma, Ki-67 40%", "Ki-67 off"),),
        major=(("Classic Hodgkin lymphoma, nodular sclerosis type",
                "Hodgkin for large B-cell lymphoma"),
               ("Follicular lymphoma, grade 1-2", "low-grade for high-grade lymphoma"),
               ("Metastatic poorly differentiated carcinoma",
                "carcinoma metastasis for lymphoma")),
        critical=(("Reactive follicular hyperplasia; no evidence of lymphoma",
                   "reactive node for lymphoma"),),
        body=("The nodal architecture is effaced by sheets of large lymphoid cells with "
              "vesicular nuclei and prominent nucleoli.",),
        other_site=("Stomach, body", "endoscopic biopsy"),
        hedge_target="lymphoma",
    ),
    Case(
        key="node-reactive", organ="lymph node", malignant=False,
        sites=("Lymph node, right axillary", "Right axillary lymph node", "Lymph node"),
        procedures=("excision", "excisional biopsy", "excision biopsy"),
        ref_line="Lymph node, right axillary, excision; Reactive follicular hyperplasia, no "
        "evidence of lymphoma",
        ref_story="An excised axillary lymph node shows reactive follicular hyperplasia with "
        "polarized germinal centres and tingible body macrophages. Sinuses are patent. "
        "There is no evidence of lymphoma or metastatic carcinoma.",
        correct=("Reactive follicular hyperplasia; negative for lymphoma and metastatic "
                 "carcinoma",
                 "Benign lymph node with follicular hyperplasia; no evidence of malignancy"),
        minor=(("Reactive follicular hyperplasia with sinus histiocytosis; no lymphoma",
                "sinus histiocytosis added"),),
        moderate=(("Reactive lymph node with necrotizing granulomatous inflammation",
                   "granulomas invented"),),
        major=(("Atypical lymphoid proliferation; lymphoma cannot be excluded",
                "equivocal lymphoma: rebiopsy"),),
        critical=(("Follicular lymphoma, grade 1-2", "lymphoma for a reactive node"),
                  ("Metastatic carcinoma in one lymph node (1/1)",
                   "metastasis for a reactive node")),
        body=("Numerous secondary follicles with polarized germinal centres and tingible "
              "body macrophages are seen, with patent sinuses.",),
        other_site=("Spleen", "splenectomy"),
        hedge_target="lymphoma",
    ),
    Case(
        key="softtissue-lms", organ="soft tissue", malignant=True,
        sites=("Soft tissue, thigh", "Left thigh soft tissue", "Soft tissue"),
        procedures=("core needle biopsy", "needle core biopsy", "core biopsy"),
        ref_line="Soft tissue, thigh, core needle biopsy; Leiomyosarcoma, FNCLCC grade 2",
        ref_story="Core biopsies of a deep thigh mass show a spindle cell sarcoma with "
        "intersecting fascicles of cells with blunt-ended nuclei, desmin and SMA positive, "
        "consistent with leiomyosarcoma, FNCLCC grade 2.",
        correct=("Leiomyosarcoma, FNCLCC grade 2", "Leiomyosarcoma (grade 2 of 3), desmin "
                 "and SMA positive"),
        minor=(("Leiomyosarcoma, FNCLCC grade 2, with focal necrosis",
                "necrosis repeated"),),
        moderate=(("Leiomyosarcoma, FNCLCC grade 3", "grade one step off"),),
        major=(("Undifferentiated pleomorphic sarcoma", "UPS for leiomyosarcoma"),
               ("Synovial sarcoma, monophasic", "synovial sarcoma for leiomyosarcoma"),
               ("Malignant peripheral nerve sheath tumour",
                "MPNST for leiomyosarcoma")),
        critical=(("Leiomyoma; no evidence of malignancy", "leiomyoma for sarcoma"),
                  ("Nodular fasciitis", "reactive lesion for sarcoma")),
        body=("Intersecting fascicles of spindle cells with eosinophilic cytoplasm and "
              "blunt-ended, cigar-shaped nuclei are seen.",),
        other_site=("Uterus, myometrium", "hysterectomy"),
        hedge_target="sarcoma",
    ),
    Case(
        key="softtissue-lipoma", organ="soft tissue", malignant=False,
        sites=("Soft tissue, shoulder", "Subcutaneous tissue, shoulder", "Soft tissue"),
        procedures=("excision", "marginal excision", "excision specimen"),
        ref_line="Soft tissue, shoulder, excision; Lipoma",
        ref_story="An encapsulated subcutaneous mass of the shoulder is composed of "
        "mature adipocytes of uniform size without atypia, lipoblasts or atypical stromal "
        "cells. The findings are those of a lipoma.",
        correct=("Lipoma", "Lipoma, no atypia"),
        minor=(("Lipoma with fat necrosis", "fat necrosis added"),),
        moderate=(("Angiolipoma", "subtype of a benign lipomatous tumour"),),
        major=(("Atypical lipomatous tumour", "ALT for lipoma: wider follow-up"),),
        critical=(("Well-differentiated liposarcoma", "liposarcoma for lipoma"),
                  ("Myxoid liposarcoma", "liposarcoma for lipoma")),
        body=("Lobules of mature adipocytes of uniform size are separated by thin fibrous "
              "septa.",),
        other_site=("Breast, right", "excision"),
        hedge_target="liposarcoma",
    ),
    Case(
        key="liver-hcc", organ="liver", malignant=True,
        sites=("Liver, segment 6", "Liver", "Liver, right lobe"),
        procedures=("core needle biopsy", "needle core biopsy", "core biopsy"),
        ref_line="Liver, segment 6, core needle biopsy; Hepatocellular carcinoma, moderately "
        "differentiated",
        ref_story="Core biopsy of a 4 cm liver mass in a cirrhotic patient shows "
        "hepatocellular carcinoma, moderately differentiated, with thickened trabeculae, "
        "loss of reticulin and unpaired arteries.",
        correct=("Hepatocellular carcinoma, moderately differentiated",
                 "Hepatocellular carcinoma (moderately differentiated)"),
        minor=(("Hepatocellular carcinoma, moderately differentiated, with steatosis",
                "steatosis added"),),
        moderate=(("Hepatocellular carcinoma, poorly differentiated",
                   "differentiation off"),),
        major=(("Intrahepatic cholangiocarcinoma", "cholangiocarcinoma for HCC"),
               ("Metastatic adenocarcinoma, consistent with colorectal primary",
                "metastasis for HCC")),
        critical=(("Hepatocellular adenoma", "adenoma for carcinoma"),
                  ("Focal nodular hyperplasia", "benign nodule for carcinoma")),
        body=("Hepatocytes with atypical nuclei form thickened trabeculae more than three "
              "cells wide, with loss of reticulin.",),
        other_site=("Pancreas, head", "EUS-guided fine needle biopsy"),
        hedge_target="hepatocellular carcinoma",
    ),
    Case(
        key="pancreas-pdac", organ="pancreas", malignant=True,
        sites=("Pancreas, head", "Pancreatic head", "Pancreas"),
        procedures=("EUS-guided fine needle biopsy", "endoscopic ultrasound-guided fine needle "
                    "biopsy", "EUS-guided biopsy"),
        ref_line="Pancreas, head, EUS-guided fine needle biopsy; Ductal adenocarcinoma",
        ref_story="Endoscopic ultrasound-guided biopsy of a 3 cm hypoechoic mass in the "
        "pancreatic head shows ductal adenocarcinoma: haphazard, angulated glands with "
        "nuclear size variation in a desmoplastic stroma.",
        correct=("Pancreatic ductal adenocarcinoma", "Ductal adenocarcinoma of the "
                 "pancreas"),
        minor=(("Pancreatic ductal adenocarcinoma with adjacent chronic pancreatitis",
                "pancreatitis added"),),
        moderate=(("Pancreatic ductal adenocarcinoma with lymphovascular invasion",
                   "lymphovascular invasion invented"),),
        major=(("Pancreatic neuroendocrine tumour, grade 2", "neuroendocrine tumour for "
                "ductal adenocarcinoma"),
               ("Intraductal papillary mucinous neoplasm with high-grade dysplasia",
                "IPMN for invasive carcinoma")),
        critical=(("Chronic pancreatitis; no malignancy identified",
                   "pancreatitis for carcinoma"),
                  ("Serous cystadenoma", "benign cyst for carcinoma")),
        body=("Haphazard, angulated glands with nuclear size variation infiltrate a dense "
              "desmoplastic stroma and surround nerves.",),
        other_site=("Liver, segment 4", "core needle biopsy"),
        hedge_target="adenocarcinoma",
    ),
    Case(
        key="oesophagus-barrett", organ="oesophagus", malignant=False,
        sites=("Oesophagus, distal", "Distal oesophagus", "Esophagus"),
        procedures=("endoscopic biopsy", "biopsy", "endoscopic mucosal biopsy"),
        ref_line="Esophagus, distal, endoscopic biopsy; Barrett's esophagus with intestinal "
        "metaplasia, negative for dysplasia",
        ref_story="Biopsies from the distal oesophagus show columnar mucosa with goblet "
        "cells, that is Barrett's oesophagus with intestinal metaplasia. The surface shows "
        "maturation and there is no dysplasia.",
        correct=("Barrett's oesophagus with intestinal metaplasia; negative for dysplasia",
                 "Columnar epithelium with goblet cells (Barrett's esophagus), no dysplasia"),
        minor=(("Barrett's oesophagus with intestinal metaplasia and chronic inflammation; "
                "no dysplasia", "inflammation stated"),),
        moderate=(("Barrett's oesophagus; indefinite for dysplasia",
                   "indefinite for dysplasia: earlier repeat endoscopy"),),
        major=(("Barrett's oesophagus with high-grade dysplasia",
                "high-grade dysplasia: ablation"),
               ("Reflux oesophagitis; no intestinal metaplasia",
                "Barrett's missed: no surveillance")),
        critical=(("Adenocarcinoma arising in Barrett's oesophagus",
                   "carcinoma for non-dysplastic Barrett's"),
                  ("Invasive squamous cell carcinoma", "carcinoma for Barrett's")),
        body=("Columnar mucosa with scattered goblet cells is present, with surface "
              "maturation and no cytological atypia.",),
        other_site=("Stomach, cardia", "biopsy"),
        hedge_target="dysplasia",
    ),
    Case(
        key="testis-seminoma", organ="testis", malignant=True,
        sites=("Testis, left", "Left testis", "Testis"),
        procedures=("radical orchiectomy", "orchiectomy", "orchidectomy"),
        ref_line="Testis, left, radical orchiectomy; Seminoma, 3.5 cm, confined to testis, "
        "lymphovascular invasion not identified",
        ref_story="Left radical orchiectomy shows a 3.5 cm pure seminoma confined to the "
        "testis, with sheets of clear cells separated by septa rich in lymphocytes. There is "
        "no lymphovascular invasion.",
        correct=("Seminoma, 3.5 cm, confined to the testis; no lymphovascular invasion",
                 "Pure seminoma (3.5 cm), limited to testis, LVI not identified"),
        minor=(("Seminoma, 3.5 cm, confined to testis, no lymphovascular invasion, with "
                "granulomatous reaction", "granulomas added"),),
        moderate=(("Seminoma, 3.5 cm, with lymphovascular invasion",
                   "lymphovascular invasion flipped"),),
        major=(("Mixed germ cell tumour with embryonal carcinoma and seminoma",
                "non-seminomatous component invented"),
               ("Embryonal carcinoma", "embryonal carcinoma for seminoma")),
        critical=(("Orchitis with atrophy; no germ cell tumour", "orchitis for seminoma"),
                  ("Leydig cell tumour", "benign sex cord tumour for seminoma")),
        body=("Sheets of large cells with clear cytoplasm and central nuclei are separated "
              "by fibrous septa containing lymphocytes.",),
        other_site=("Mediastinum, anterior", "core needle biopsy"),
        hedge_target="germ cell tumour",
    ),
    Case(
        key="brain-gbm", organ="brain", malignant=True,
        sites=("Brain, left frontal lobe", "Left frontal lobe", "Brain"),
        procedures=("resection", "craniotomy and resection", "surgical resection"),
        ref_line="Brain, left frontal lobe, resection; Glioblastoma, IDH-wildtype, CNS WHO "
        "grade 4",
        ref_story="Resection of a ring-enhancing left frontal mass shows a highly cellular "
        "astrocytic glioma with microvascular proliferation and palisading necrosis. IDH1 "
        "R132H is negative: glioblastoma, IDH-wildtype, CNS WHO grade 4.",
        correct=("Glioblastoma, IDH-wildtype, CNS WHO grade 4",
                 "Glioblastoma (IDH wild-type), WHO grade 4"),
        minor=(("Glioblastoma, IDH-wildtype, WHO grade 4, with haemorrhage",
                "haemorrhage added"),),
        moderate=(("Glioblastoma, WHO grade 4, IDH status not stated",
                   "IDH status left out"),),
        major=(("Astrocytoma, IDH-mutant, CNS WHO grade 3", "IDH-mutant grade 3 for "
                "glioblastoma"),
               ("Metastatic carcinoma", "metastasis for glioblastoma"),
               ("Primary CNS lymphoma, diffuse large B-cell type",
                "lymphoma for glioblastoma")),
        critical=(("Reactive gliosis; no neoplasm identified", "gliosis for glioblastoma"),
                  ("Meningioma, WHO grade 1", "benign meningioma for glioblastoma")),
        body=("A hypercellular astrocytic glioma with microvascular proliferation and "
              "pseudopalisading necrosis infiltrates the cortex.",),
        other_site=("Spinal cord", "biopsy"),
        hedge_target="high-grade glioma",
    ),
    Case(
        key="brain-meningioma", organ="brain", malignant=False,
        sites=("Brain, right convexity", "Dura, right parietal", "Meninges"),
        procedures=("resection", "excision", "craniotomy and resection"),
        ref_line="Brain, right convexity, resection; Meningioma, meningothelial type, CNS WHO "
        "grade 1",
        ref_story="Resection of a dural-based right convexity mass shows a meningothelial "
        "meningioma with whorls and psammoma bodies, without brain invasion, necrosis or "
        "increased mitoses. The features are those of CNS WHO grade 1.",
        correct=("Meningioma, meningothelial type, WHO grade 1",
                 "Meningothelial meningioma (CNS WHO grade 1); no brain invasion"),
        minor=(("Meningioma, meningothelial type, WHO grade 1, with psammoma bodies",
                "psammoma bodies repeated"),),
        moderate=(("Meningioma, transitional type, WHO grade 1",
                   "subtype changed within grade 1"),),
        major=(("Atypical meningioma, CNS WHO grade 2", "grade 2: radiotherapy considered"),
               ("Schwannoma", "schwannoma for meningioma")),
        critical=(("Anaplastic meningioma, CNS WHO grade 3", "malignant for benign "
                   "meningioma"),
                  ("Metastatic carcinoma", "carcinoma for meningioma")),
        body=("Lobules and whorls of meningothelial cells with syncytial cytoplasm and "
              "occasional psammoma bodies are seen.",),
        other_site=("Spinal cord, thoracic", "resection"),
        hedge_target="atypical meningioma",
    ),
    Case(
        key="cervix-scc", organ="uterine cervix", malignant=True,
        sites=("Uterine cervix", "Cervix", "Cervix, anterior lip"),
        procedures=("cone biopsy", "cold knife cone biopsy", "conization"),
        ref_line="Uterine cervix, cone biopsy; Invasive squamous cell carcinoma, "
        "non-keratinizing, depth of invasion 4 mm",
        ref_story="A cervical cone shows invasive non-keratinizing squamous cell carcinoma, "
        "HPV-associated, invading to a depth of 4 mm, arising from a high-grade squamous "
        "intraepithelial lesion.",
        correct=("Invasive squamous cell carcinoma, non-keratinizing, depth of invasion 4 mm",
                 "Squamous cell carcinoma, HPV-associated, non-keratinizing, invasive to "
                 "4 mm"),
        minor=(("Invasive squamous cell carcinoma, non-keratinizing, depth 4 mm, with "
                "adjacent HSIL", "HSIL repeated"),),
        moderate=(("Invasive squamous cell carcinoma, depth of invasion 2 mm",
                   "depth off"),),
        major=(("High-grade squamous intraepithelial lesion (CIN 3); no invasion",
                "HSIL for invasive carcinoma"),
               ("Adenocarcinoma, HPV-associated, usual type",
                "adenocarcinoma for squamous cell carcinoma")),
        critical=(("Chronic cervicitis with squamous metaplasia; negative for malignancy",
                   "benign for carcinoma"),),
        body=("Irregular nests of atypical squamous cells with enlarged nuclei infiltrate "
              "the cervical stroma beneath an HSIL.",),
        other_site=("Anus", "excision"),
        hedge_target="invasive carcinoma",
    ),
)


def _pick(rng: random.Random, options: Sequence[str]) -> str:
    return options[rng.randrange(len(options))]


def _body(rng: random.Random, case: Case, *, benign_look: bool, specific: bool) -> list[str]:
    """Description sentences: the site's own (when `specific`) and generic morphology."""
    pool = GENERIC_BENIGN if benign_look else GENERIC_MALIGNANT
    if case.own_generic and benign_look == (not case.malignant):
        pool = case.own_generic
    sentences = list(rng.sample(pool, k=min(len(pool), rng.choice((3, 4, 4, 5)))))
    if specific:
        sentences.insert(0, case.body[0])
    return [_pick(rng, INTRODUCTIONS), *sentences]


def compose(
    rng: random.Random,
    case: Case,
    diagnosis: str,
    *,
    site: str | None = None,
    procedure: str | None = None,
    benign_look: bool | None = None,
    specific: bool = True,
    findings_list: bool | None = None,
    contradict: str | None = None,
) -> str:
    """A generated report: opening, description, optional findings list, diagnosis, note."""
    site = site or _pick(rng, case.sites)
    procedure = procedure or _pick(rng, case.procedures)
    look_benign = (not case.malignant) if benign_look is None else benign_look
    parts: list[str] = []
    opening = _pick(rng, OPENINGS)
    if opening:
        parts.append(f"{opening}\n{site}, {procedure}." if opening != "# Pathology Report"
                     else f"{opening}\n**Specimen:** {site}, {procedure}")
    description = _body(rng, case, benign_look=look_benign, specific=specific)
    if contradict:
        description = [description[0], contradict, *description[1:]]
    parts.append(f"{_pick(rng, DESCRIPTION_HEADINGS)}\n{' '.join(description)}")
    if findings_list if findings_list is not None else rng.random() < 0.35:
        rows = list(case.findings) if not contradict else []
        if not look_benign:
            rows += rng.sample(GENERIC_FINDINGS, k=3)
        else:
            rows += ["- Atypia: none", "- Mitoses: not increased"]
        parts.append("\n".join(rows))
    parts.append(f"{_pick(rng, DIAGNOSIS_HEADINGS)}\n{site}, {procedure}: {diagnosis}.")
    note = _pick(rng, NOTES)
    if note:
        parts.append(note)
    return "\n\n".join(parts)


def pairs_for(rng: random.Random, case: Case) -> list[dict[str, object]]:
    """Every error type for one case, each with the grade the rubric gives it."""
    rows: list[tuple[str, int, str, str]] = []

    def add(kind: str, grade: int, why: str, hyp: str) -> None:
        rows.append((kind, grade, why, hyp))

    add("faithful", 0, "same diagnosis and values in other words; generic description",
        compose(rng, case, case.correct[0]))
    add("faithful-list", 0, "same diagnosis; long findings list of generic morphology",
        compose(rng, case, case.correct[-1], findings_list=True))
    for text, why in case.minor[:1]:
        add("minor", 1, why, compose(rng, case, text))
    for text, why in case.moderate[:2]:
        add("moderate", 2, why, compose(rng, case, text))
    if not case.malignant:
        contradiction = ("Sheets of markedly pleomorphic malignant cells with atypical "
                         "mitoses and necrosis infiltrate the tissue.")
    else:
        contradiction = ("The tissue shows bland cells without atypia; no invasive "
                         "tumour is seen.")
    add("body-contradicts", 2, "body contradicts a correct final diagnosis: amend, same "
        "management", compose(rng, case, case.correct[0], contradict=contradiction,
                benign_look=case.malignant, specific=False))
    if case.malignant:
        hedge = _pick(rng, HEDGES).format(case.hedge_target)
        add("hedged", 3, "definite malignancy only suspected: rebiopsy",
            compose(rng, case, hedge))
        add("generic-only", 3, "primary diagnosis absent: only 'malignant neoplasm'",
            compose(rng, case, _pick(rng, GENERIC_ONLY), specific=False))
    for number, (text, why) in enumerate(case.major[:3]):
        add("wrong-tumour", 3, why, compose(rng, case, text, specific=number % 2 == 1))
    site, procedure = case.other_site
    add("wrong-organ", 3, f"right diagnosis in the wrong organ ({site.split(',')[0]})",
        compose(rng, case, case.correct[0], site=site, procedure=procedure))
    for text, why in case.critical[:2]:
        add("malignancy-wrong", 4, why,
            compose(rng, case, text, benign_look=case.malignant, specific=False))
    text, why = case.critical[0]
    add("final-contradicts-body", 4, f"{why}; body describes the reference lesion",
        compose(rng, case, text, benign_look=not case.malignant))
    out = []
    for index, (kind, grade, why, hyp) in enumerate(rows, start=1):
        narrative = rng.random() < 0.5
        out.append({
            "id": f"{case.key}-{index:02d}",
            "organ": case.organ,
            "grade": grade,
            "error": why,
            "error_type": kind,
            "ref_style": "narrative" if narrative else "line",
            "ref": case.ref_story if narrative else case.ref_line,
            "hyp": hyp,
        })
    return out


def build() -> str:
    rng = random.Random(SEED)
    rows = [row for case in CASES for row in pairs_for(rng, case)]
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="exit 1 when the committed file differs from what would be written")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    text = build()
    if args.check:
        same = args.out.exists() and args.out.read_text(encoding="utf-8") == text
        print("up to date" if same else f"{args.out} differs: rerun without --check")
        return 0 if same else 1
    from reg_eval.io.writers import atomic_write_text

    atomic_write_text(args.out, text, force=True)
    print(f"wrote {text.count(chr(10))} pairs to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
