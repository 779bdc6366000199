"""The REG 2025 per-case computation written literally from the scoring notes.

One text at a time, no batching, no caching, no deduplication: the independent reference
that the parity tests and `benchmarks/score_speed.py` hold reg-eval against.
"""

from __future__ import annotations

from typing import Any


def bleu4_literal(reference: str, hypothesis: str) -> float:
    ref = reference.split()
    hyp = hypothesis.split()
    ref_grams = [tuple(ref[i : i + 4]) for i in range(len(ref) - 3)]
    hyp_grams = [tuple(hyp[i : i + 4]) for i in range(len(hyp) - 3)]
    if not hyp_grams:
        return 0.0
    total = 0
    for gram in hyp_grams:
        total += min(hyp_grams.count(gram), ref_grams.count(gram))
    return total / len(hyp_grams)


def lcs_literal(a: list[str], b: list[str]) -> int:
    table = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            if a[i - 1] == b[j - 1]:
                table[i][j] = table[i - 1][j - 1] + 1
            else:
                table[i][j] = max(table[i - 1][j], table[i][j - 1])
    return table[len(a)][len(b)]


def rouge_literal(reference: str, hypothesis: str) -> float:
    ref = reference.lower().split()
    hyp = hypothesis.lower().split()
    lcs = lcs_literal(ref, hyp)
    precision = lcs / len(hyp) if hyp else 0.0
    recall = lcs / len(ref) if ref else 0.0
    if precision + recall == 0:
        return 0.0
    return 2 * precision * recall / (precision + recall)


def keywords_literal(nlp: Any, text: str) -> set[str]:
    return {ent.text.lower() for ent in nlp(text).ents if len(ent.text) >= 3}


def key_literal(nlp: Any, reference: str, hypothesis: str) -> float:
    ref = keywords_literal(nlp, reference)
    hyp = keywords_literal(nlp, hypothesis)
    union = ref | hyp
    if not union:
        return 0.0
    return len(ref & hyp) / len(union)


def embed_literal(model: Any, tokenizer: Any, text: str) -> Any:
    import torch

    encoded = tokenizer(text, truncation=True, max_length=512, return_tensors="pt")
    if encoded["input_ids"].shape[1] == 0:
        # No tokens at all (an empty text and a tokenizer that adds no BOS): the official
        # mean is NaN; reg-eval defines this vector as zeros, so its cosine is 0.
        return torch.zeros((1, model.config.hidden_size))
    with torch.no_grad():
        return model(**encoded).last_hidden_state.mean(dim=1)


def emb_literal(model: Any, tokenizer: Any, reference: str, hypothesis: str) -> float:
    import torch

    a = embed_literal(model, tokenizer, reference)
    b = embed_literal(model, tokenizer, hypothesis)
    cos = torch.nn.functional.cosine_similarity(a, b).item()
    return (cos - 0.5) / 0.5 if cos > 0.5 else cos


def case_literal(
    nlp: Any, model: Any, tokenizer: Any, reference: str, hypothesis: str
) -> dict[str, float]:
    bleu = bleu4_literal(reference, hypothesis)
    rouge = rouge_literal(reference, hypothesis)
    key = key_literal(nlp, reference, hypothesis)
    emb = emb_literal(model, tokenizer, reference, hypothesis)
    ranking = 0.15 * (rouge + bleu) + 0.4 * key + 0.3 * emb
    return {"bleu": bleu, "rouge": rouge, "key": key, "emb": emb, "ranking": ranking}
