from __future__ import annotations

import math

from reg_eval.io.tokens import estimate_bert_tokens, may_exceed


def literal_estimate(text: str) -> int:
    """The documented rule, written out with plain loops over characters."""
    pieces: list[str] = []
    word = ""
    for char in text:
        if char.isalnum() and not ("\u4e00" <= char <= "\u9fff"):
            word += char
            continue
        if word:
            pieces.append(word)
            word = ""
        if not char.isspace():
            pieces.append(char)
    if word:
        pieces.append(word)
    total = 2
    for piece in pieces:
        total += 1 if len(piece) > 100 else math.ceil(len(piece) / 4)
    return total


def test_worked_example() -> None:
    # [CLS] Lung(1) ,(1) biopsy(2) ;(1) Adenocarcinoma(4) [SEP]
    assert estimate_bert_tokens("Lung, biopsy;\n  Adenocarcinoma") == 2 + 1 + 1 + 2 + 1 + 4


def test_matches_literal_rule() -> None:
    texts = [
        "", "Prostate, biopsy;\n  Acinar adenocarcinoma, Gleason's score 7 (3+4), grade group 2",
        "1. Tubular adenoma\n  2. Chronic colitis", "x" * 150, "胃癌 biopsy", "a_b-c",
    ]
    for text in texts:
        assert estimate_bert_tokens(text) == literal_estimate(text), text


def test_short_texts_never_need_the_estimate() -> None:
    text = "a," * 255  # 510 characters, 510 pieces + 2 = 512: not above the limit
    assert not may_exceed(text)
    assert estimate_bert_tokens(text) <= 512
    assert may_exceed(text + "a")
