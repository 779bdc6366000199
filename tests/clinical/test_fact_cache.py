"""Facts in the feature cache: round trip, keying, and a cached run without spaCy."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from reg_eval.cache import FeatureCache
from reg_eval.clinical.fact_cache import (
    cached_facts,
    extraction_sources,
    extractor_version,
    facts_from_bytes,
    facts_to_bytes,
    namespace,
)
from reg_eval.clinical.facts import Fact


def test_round_trip() -> None:
    facts = [Fact("gleason_score", "grade", "7 (3+4)", False, "Gleason score", 12),
             Fact("tumor", "diagnosis", None, True, "tumour", 40)]
    assert facts_from_bytes(facts_to_bytes(facts)) == facts
    assert facts_from_bytes(facts_to_bytes([])) == []


@pytest.mark.parametrize("payload", [b"", b"[]", b'{"fields": ["x"], "facts": []}', b"\xff"])
def test_foreign_payloads_are_refused(payload: bytes) -> None:
    with pytest.raises(ValueError):
        facts_from_bytes(payload)


def test_namespace_carries_lexicon_and_extractor() -> None:
    assert namespace("a" * 64) != namespace("b" * 64)
    assert extractor_version() in namespace("a" * 64)
    assert len(extractor_version()) == 16
    names = [path.name for path in extraction_sources()]
    assert {"extract.py", "negation.py", "values.py", "facts.py", "concepts.jsonl"} <= set(names)
    assert not {"scores.py", "group.py", "severity.py"} & set(names)


def test_each_distinct_text_is_read_once_and_cached(tmp_path: Path) -> None:
    calls: list[list[str]] = []

    def extract(texts: list[str]) -> list[list[Fact]]:
        calls.append(texts)
        return [[Fact("t", "finding", None, False, text)] for text in texts]

    with FeatureCache(tmp_path) as cache:
        first = cached_facts(["a", "b", "a"], extract, cache=cache, lexicon_sha256="0" * 64)
        again = cached_facts(["b", "a", "c"], extract, cache=cache, lexicon_sha256="0" * 64)
        other = cached_facts(["a"], extract, cache=cache, lexicon_sha256="1" * 64)
    assert calls == [["a", "b"], ["c"], ["a"]]
    assert [f[0].text for f in first] == ["a", "b", "a"]
    assert [f[0].text for f in again] == ["b", "a", "c"]
    assert other[0][0].text == "a"


@pytest.mark.parametrize("soft", [False, pytest.param(True, marks=pytest.mark.slow)])
def test_a_cached_clinical_run_imports_neither_spacy_nor_torch(
    tmp_path: Path, soft: bool
) -> None:
    """Second run over the same texts: facts and concept vectors come from the cache."""
    code = textwrap.dedent(
        f"""
        import json, sys
        from reg_eval.cache import FeatureCache
        from reg_eval.clinical.group import ClinicalGroup
        from reg_eval.groups import ScoringContext
        refs = ["Stomach, endoscopic biopsy; chronic gastritis",
                "Prostate, biopsy; acinar adenocarcinoma, Gleason score 3+4=7"]
        hyps = ["Stomach, endoscopic biopsy; chronic active gastritis", ""]
        context = ScoringContext(cache=FeatureCache({str(tmp_path)!r}))
        result = ClinicalGroup(soft={soft}).compute(refs, hyps, context)
        print(json.dumps({{"spacy": "spacy" in sys.modules, "torch": "torch" in sys.modules,
                          "f1": [float(v) for v in result.per_case["clinical_f1"]],
                          "soft": result.details[0]["soft"]}}))
        """
    )

    def run() -> dict:
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             check=True)
        return json.loads(out.stdout.strip().splitlines()[-1])

    cold, warm = run(), run()
    assert cold["spacy"] is True
    assert warm["spacy"] is False and warm["torch"] is False
    assert warm["f1"] == cold["f1"]
    pair = ["chronic_gastritis~chronic_active_gastritis"] if soft else []
    assert warm["soft"] == cold["soft"] == pair
