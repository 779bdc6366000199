from __future__ import annotations

from reg_eval.metrics.tokenize import TOKENISATION, bleu_tokens, rouge_tokens

REPORT = "Prostate, biopsy;\n  Acinar adenocarcinoma,\tGleason's score 7 (3+4)\r\n"


def test_bleu_tokens_split_on_any_whitespace_and_keep_case() -> None:
    assert bleu_tokens(REPORT) == [
        "Prostate,", "biopsy;", "Acinar", "adenocarcinoma,", "Gleason's", "score", "7", "(3+4)",
    ]
    assert bleu_tokens("") == []
    assert bleu_tokens(" \n\t ") == []


def test_rouge_tokens_lower_case_first() -> None:
    assert rouge_tokens(REPORT) == [token.lower() for token in bleu_tokens(REPORT)]
    assert rouge_tokens("İ B") == ["i̇", "b"]


def test_tokenisation_is_named_for_signatures() -> None:
    assert "bleu:str.split" in TOKENISATION
    assert "rouge:lower+str.split" in TOKENISATION
