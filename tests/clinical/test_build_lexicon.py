"""scripts/build_lexicon.py: the shipped lexicon is its output, and the output is deterministic."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from reg_eval.clinical.lexicon import DEFAULT_LEXICON, load_lexicon

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "build_lexicon.py"
LEXICON_DIR = DEFAULT_LEXICON.parent

OBO = """format-version: 1.2
data-version: doid/releases/test/doid.obo

[Term]
id: DOID:1
name: squamous cell carcinoma
synonym: "squamous cell cancer" EXACT []
synonym: "epidermoid cancer" EXACT []
synonym: "childhood squamous cell carcinoma" EXACT []
synonym: "SCC" EXACT []
synonym: "misleading synonym" EXACT []
synonym: "related thing" RELATED []
xref: ICDO:8070/3
xref: NCI:C2929
xref: NCI:C1000

[Term]
id: DOID:2
name: breast fibroadenoma
synonym: "fibroadenoma" EXACT []
synonym: "fibroadenoma of breast" EXACT []
xref: NCI:C3744

[Term]
id: DOID:3
name: gastritis
xref: NCI:C26780

[Term]
id: DOID:4
name: obsolete thing
is_obsolete: true
"""

SEED = """# test seed
@skip misleading synonym

[organ]
@organs breast
breast: breast | mammary gland

[diagnosis]
@behaviour malignant
@organs -
carcinoma: carcinoma ;; doid=none
squamous_cell_carcinoma: squamous cell carcinoma | squamous carcinoma ;; parent=carcinoma
@behaviour benign
fibroadenoma: fibroadenoma | fibroadenomas ;; organs=breast
@behaviour non_neoplastic
gastritis: gastritis ;; doid=none

[grade]
grade_group: grade group | GG [requires_value] ;; value=ordinal
"""


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *map(str, args)],
        capture_output=True,
        text=True,
        check=False,
    )


def build(tmp_path: Path, seed: str = SEED, obo: str = OBO, name: str = "out") -> Path:
    (tmp_path / "seed.txt").write_text(seed, encoding="utf-8")
    (tmp_path / "doid.obo").write_text(obo, encoding="utf-8")
    out = tmp_path / f"{name}.jsonl"
    done = run(
        tmp_path / "seed.txt",
        tmp_path / "doid.obo",
        "--output",
        out,
        "--subset",
        tmp_path / f"{name}.obo",
    )
    assert done.returncode == 0, done.stderr
    return out


def test_the_shipped_lexicon_is_the_build_of_the_shipped_seed() -> None:
    done = run(
        LEXICON_DIR / "seed.txt", LEXICON_DIR / "doid_subset.obo", "--check", DEFAULT_LEXICON
    )
    assert done.returncode == 0, done.stdout + done.stderr
    shipped = DEFAULT_LEXICON.read_text(encoding="utf-8").splitlines()
    assert f"({len(shipped)} concepts)" in done.stdout


def test_the_build_is_deterministic_and_reads_the_ontology(tmp_path: Path) -> None:
    first = build(tmp_path, name="first").read_bytes()
    second = build(tmp_path, name="second").read_bytes()
    assert first == second
    records = {r["id"]: r for r in map(json.loads, first.decode().splitlines())}
    squamous = records["squamous_cell_carcinoma"]
    # linked by name; NCIt xrefs kept and sorted; ICD-O never read
    assert (squamous["source"], squamous["source_id"]) == ("DOID", "DOID:1")
    assert squamous["xrefs"] == ["NCIT:C1000", "NCIT:C2929"]
    # curated terms first, then the ontology's exact synonyms that pass the filters:
    # not "childhood ..." (population), not "SCC" (short abbreviation), not the @skip one,
    # not RELATED synonyms
    assert squamous["synonyms"] == [
        "squamous carcinoma",
        "squamous cell cancer",
        "epidermoid cancer",
    ]
    assert squamous["parent"] == "carcinoma" and squamous["behaviour"] == "malignant"
    # linked through an exact synonym; the organ-specific names are not added
    fibroadenoma = records["fibroadenoma"]
    assert fibroadenoma["source_id"] == "DOID:2"
    assert fibroadenoma["synonyms"] == ["fibroadenomas"]
    assert fibroadenoma["organs"] == ["breast"] and fibroadenoma["behaviour"] == "benign"
    # doid=none refuses a link; non-diagnoses are curated
    assert records["gastritis"]["source"] == "curated" and "source_id" not in records["gastritis"]
    assert records["grade_group"]["synonyms"] == [{"text": "GG", "requires_value": True}]
    assert "behaviour" not in records["grade_group"]
    # the output is a lexicon the loader accepts
    lexicon = load_lexicon(tmp_path / "first.jsonl")
    assert lexicon.behaviour_of("fibroadenoma") == "benign"


def test_the_subset_rebuilds_the_same_lexicon(tmp_path: Path) -> None:
    full = build(tmp_path, name="full")
    subset = (tmp_path / "full.obo").read_text(encoding="utf-8")
    assert "id: DOID:1\n" in subset and "id: DOID:2\n" in subset
    assert "DOID:3" not in subset  # gastritis refused its link
    again = build(tmp_path, obo=subset, name="again")
    assert again.read_bytes() == full.read_bytes()


def test_check_reports_a_difference(tmp_path: Path) -> None:
    out = build(tmp_path)
    out.write_text(out.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    done = run(tmp_path / "seed.txt", tmp_path / "doid.obo", "--check", out)
    assert done.returncode == 1
    assert "differs" in done.stdout


@pytest.mark.parametrize(
    ("seed", "message"),
    [
        ("breast: breast\n", "line 1: concept before any [category] line"),
        ("[organ]\nbreast breast\n", "line 2: expected 'id: term"),
        ("[organ]\na: breast\nb: Breast\n", "term 'Breast' of b is also a term of a"),
        ("[organ]\na: x [colour=red]\n", "unknown term flag 'colour=red'"),
        ("[diagnosis]\na: x ;; doid=DOID:99\n", "DOID:99 is not in the ontology file"),
        ("[organ]\na: x ;; shape=round\n", "unknown key 'shape'"),
    ],
)
def test_a_bad_seed_is_invalid_input(tmp_path: Path, seed: str, message: str) -> None:
    (tmp_path / "seed.txt").write_text(seed, encoding="utf-8")
    (tmp_path / "doid.obo").write_text(OBO, encoding="utf-8")
    done = run(tmp_path / "seed.txt", tmp_path / "doid.obo", "--output", tmp_path / "o.jsonl")
    assert done.returncode == 1
    assert message in done.stderr
    assert not (tmp_path / "o.jsonl").exists()


def test_a_missing_input_is_an_io_error(tmp_path: Path) -> None:
    done = run(tmp_path / "absent.txt", tmp_path / "absent.obo", "--output", tmp_path / "o")
    assert done.returncode == 2
    assert "cannot read input" in done.stderr
