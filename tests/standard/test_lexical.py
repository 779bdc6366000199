"""The lexical group must give exactly what sacreBLEU and rouge-score give on the same texts."""

from __future__ import annotations

import numpy as np
import pytest
import sacrebleu
from rouge_score import rouge_scorer
from sacrebleu.metrics import BLEU, CHRF

from reg_eval.groups import ScoringContext
from reg_eval.standard.lexical import LexicalGroup

REFS = [
    "Stomach, endoscopic biopsy;\n  Chronic gastritis with intestinal metaplasia",
    "Prostate, biopsy;\n  No tumor present",
    "Breast, core-needle biopsy;\n  Invasive carcinoma of no special type, grade II",
    "Lung, biopsy;\n  Adenocarcinoma",
    "Prostate, biopsies;\n  Acinar adenocarcinoma, Gleason's score 7 (3+4)",
    "Colon, biopsy;\n  Tubular adenoma",
]
HYPS = [
    "Stomach, endoscopic biopsy;\n  Chronic gastritis",
    "Prostate, biopsy;\n  No tumor present",
    "Breast, biopsy; invasive carcinoma, grade III",
    "",
    "Prostate, biopsy;\n  Acinar adenocarcinomas, Gleason score 7 (4+3)",
    "Colon; tubular adenomas with dysplasia",
]
ROUGE_TYPES = ["rouge1", "rouge2", "rougeL", "rougeLsum"]


def test_values_equal_the_libraries_own() -> None:
    result = LexicalGroup().compute(REFS, HYPS, ScoringContext())

    expected_bleu = [sacrebleu.sentence_bleu(h, [r]).score for r, h in zip(REFS, HYPS, strict=True)]
    expected_chrf = [sacrebleu.sentence_chrf(h, [r]).score for r, h in zip(REFS, HYPS, strict=True)]
    assert result.per_case["sacrebleu_sentence_bleu"].tolist() == expected_bleu
    assert result.per_case["chrf_sentence"].tolist() == expected_chrf

    scorer = rouge_scorer.RougeScorer(ROUGE_TYPES, use_stemmer=False)
    for rouge_type in ROUGE_TYPES:
        expected = [
            scorer.score(r, h)[rouge_type].fmeasure for r, h in zip(REFS, HYPS, strict=True)
        ]
        assert result.per_case[rouge_type].tolist() == expected, rouge_type

    assert result.corpus["sacrebleu_corpus_bleu"] == sacrebleu.corpus_bleu(HYPS, [REFS]).score
    assert result.corpus["sacrebleu_corpus_chrf"] == sacrebleu.corpus_chrf(HYPS, [REFS]).score
    for column in result.per_case.values():
        assert column.dtype == np.float64 and column.shape == (len(REFS),)


def test_signatures_are_the_libraries_own() -> None:
    result = LexicalGroup().compute(REFS, HYPS, ScoringContext())
    bleu, chrf, sentence = BLEU(), CHRF(), BLEU(effective_order=True)
    bleu.corpus_score(HYPS, [REFS])
    chrf.corpus_score(HYPS, [REFS])
    sentence.sentence_score(HYPS[0], [REFS[0]])
    assert result.signature["corpus_bleu"] == str(bleu.get_signature())
    assert result.signature["corpus_chrf"] == str(chrf.get_signature())
    assert result.signature["sentence_bleu"] == str(sentence.get_signature())
    assert "tok:13a" in result.signature["corpus_bleu"]
    assert f"version:{sacrebleu.__version__}" in result.signature["corpus_bleu"]
    assert "eff:yes" in result.signature["sentence_bleu"]
    assert "stemmer:no" in result.signature["rouge"]


def test_stemmer_flag_is_used_and_recorded() -> None:
    result = LexicalGroup(rouge_stemmer=True).compute(REFS, HYPS, ScoringContext())
    scorer = rouge_scorer.RougeScorer(ROUGE_TYPES, use_stemmer=True)
    expected = [scorer.score(r, h)["rouge1"].fmeasure for r, h in zip(REFS, HYPS, strict=True)]
    assert result.per_case["rouge1"].tolist() == expected
    assert "stemmer:yes" in result.signature["rouge"]
    unstemmed = LexicalGroup().compute(REFS, HYPS, ScoringContext())
    # "biopsies"/"biopsy" and "adenocarcinomas"/"adenocarcinoma" match only when stemmed.
    assert result.per_case["rouge1"][4] > unstemmed.per_case["rouge1"][4]


def test_rouge_lsum_splits_on_newlines() -> None:
    """Two lines swapped: one LCS line of two tokens for ROUGE-L, every line matched for Lsum.

    ROUGE-L: LCS("tumor present prostate biopsy", "prostate biopsy tumor present") = 2 of 4
    tokens, so P = R = F = 0.5. ROUGE-Lsum: each reference line finds itself among the
    hypothesis lines, union LCS = 4 of 4, so F = 1.
    """
    result = LexicalGroup().compute(
        ["tumor present\nprostate biopsy"], ["prostate biopsy\ntumor present"], ScoringContext()
    )
    assert result.per_case["rougeL"].tolist() == [0.5]
    assert result.per_case["rougeLsum"].tolist() == [1.0]


def test_identical_and_disjoint_reports() -> None:
    result = LexicalGroup().compute(
        ["Lung, biopsy; adenocarcinoma", "Lung biopsy"],
        ["Lung, biopsy; adenocarcinoma", "prostate resection"],
        ScoringContext(),
    )
    assert result.per_case["sacrebleu_sentence_bleu"].tolist() == pytest.approx([100.0, 0.0])
    assert result.per_case["rouge1"].tolist() == [1.0, 0.0]
    assert result.per_case["chrf_sentence"][0] == pytest.approx(100.0)


def test_no_cases_gives_empty_columns_and_no_corpus_values() -> None:
    result = LexicalGroup().compute([], [], ScoringContext())
    assert all(column.shape == (0,) for column in result.per_case.values())
    assert result.corpus == {}
    assert "nrefs:1" in result.signature["corpus_bleu"]
