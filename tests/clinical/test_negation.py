from __future__ import annotations

import pytest

from reg_eval.clinical.extract import FactExtractor
from reg_eval.clinical.negation import negated_flags


def labels(extractor: FactExtractor, text: str) -> list[str]:
    return [fact.label for fact in extractor.extract(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Prostate, biopsy;\n  No tumor present", ["prostate", "biopsy", "not:tumor"]),
        ("Negative for malignancy", ["not:tumor"]),
        (
            "negative for Helicobacter and intestinal metaplasia",
            ["not:helicobacter", "not:intestinal_metaplasia"],
        ),
        ("Sessile serrated lesion without dysplasia", ["sessile_serrated_lesion", "not:dysplasia"]),
        ("No evidence of lymphovascular invasion", ["not:lymphovascular_invasion"]),
        ("Absence of necrosis", ["not:necrosis"]),
        ("no necrosis or lymphovascular invasion", ["not:necrosis", "not:lymphovascular_invasion"]),
        ("Lymphovascular invasion: not identified", ["not:lymphovascular_invasion"]),
        ("H. pylori: negative", ["not:helicobacter"]),
        ("Perineural invasion absent", ["not:perineural_invasion"]),
        ("margins free of tumour", ["margin=negative"]),
    ],
)
def test_negation_triggers(extractor: FactExtractor, text: str, expected: list[str]) -> None:
    assert labels(extractor, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # punctuation ends the scope
        (
            "No necrosis, lymphovascular invasion present",
            ["not:necrosis", "lymphovascular_invasion"],
        ),
        ("No tumor present; Helicobacter present", ["not:tumor", "helicobacter"]),
        # a turning conjunction ends it
        ("No carcinoma but high-grade dysplasia", ["not:carcinoma", "dysplasia=high"]),
        (
            "Negative for malignancy with intestinal metaplasia",
            ["not:tumor", "intestinal_metaplasia"],
        ),
        # a post trigger reaches back only to the last punctuation
        ("Necrosis, lymphovascular invasion not seen", ["necrosis", "not:lymphovascular_invasion"]),
        # trigger words inside a concept are concept text
        (
            "Invasive carcinoma of no special type with necrosis",
            ["invasive_carcinoma_nst", "necrosis"],
        ),
        (
            "Non-invasive papillary urothelial carcinoma",
            ["noninvasive_papillary_urothelial_carcinoma"],
        ),
        # pseudo-triggers do not negate (this one marks uncertainty instead)
        ("Lymphovascular invasion cannot be excluded", ["maybe:lymphovascular_invasion"]),
        ("Tumor present", ["tumor"]),
    ],
)
def test_negation_scope(extractor: FactExtractor, text: str, expected: list[str]) -> None:
    assert labels(extractor, text) == expected


def test_scope_is_limited_to_a_few_words() -> None:
    text = "no " + "word " * 12 + "necrosis"
    start = text.index("necrosis")
    assert negated_flags(text, [(start, start + len("necrosis"))]) == [False]
    near = "no word necrosis"
    assert negated_flags(near, [(8, 16)]) == [True]


def test_a_term_can_state_an_absence_itself(extractor: FactExtractor) -> None:
    assert labels(extractor, "Benign prostatic tissue") == ["not:tumor"]
