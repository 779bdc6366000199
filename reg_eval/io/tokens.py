"""An estimate of how many tokens a BERT-like tokenizer makes of a report.

The EMB metric truncates each text at 512 tokens, so words past that point never count. No
vocabulary ships with reg-eval, so the count is an estimate, built like BERT's own steps:

1. pre-tokenise: split on whitespace; every punctuation or symbol character and every CJK
   ideograph is a token of its own; runs of letters and digits are words;
2. word pieces: a word of n characters makes ceil(n / 4) pieces (a word over 100 characters
   is one [UNK] piece, as BERT does);
3. add 2 for [CLS] and [SEP].

Medical words split into several pieces in BERT vocabularies ("adenocarcinoma" is four or
five), so the estimate leans high for them and is close for short English words.
"""

from __future__ import annotations

import re

BERT_MAX_TOKENS = 512
SPECIAL_TOKENS = 2
CHARS_PER_PIECE = 4
MAX_CHARS_PER_WORD = 100

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_PRE_TOKEN = re.compile(rf"[{_CJK}]|[^\W_{_CJK}]+|\S")


def estimate_bert_tokens(text: str) -> int:
    """Estimated token count of `text`, [CLS] and [SEP] included."""
    count = SPECIAL_TOKENS
    for piece in _PRE_TOKEN.findall(text):
        length = len(piece)
        if length > MAX_CHARS_PER_WORD:
            count += 1
        else:
            count += -(-length // CHARS_PER_PIECE)
    return count


def may_exceed(text: str, limit: int = BERT_MAX_TOKENS) -> bool:
    """Cheap pre-check: every piece covers at least one character, so short texts never exceed."""
    return len(text) + SPECIAL_TOKENS > limit
