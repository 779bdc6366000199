"""Per-case statistics of the official REG 2025 score, from texts, entities and vectors.

Everything downstream (means, per-organ tables, bootstrap intervals, significance tests) is
computed from these arrays, so a submission is scored once. REG texts repeat a lot (a quarter
or fewer are distinct), so BLEU and ROUGE are computed once per distinct (reference,
hypothesis) pair and each distinct text is tokenised once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np

from reg_eval.columns import OFFICIAL_COMPONENTS
from reg_eval.metrics.bleu4 import bleu4_from_counts, ngram_counts
from reg_eval.metrics.emb_rescale import cosine_rows, emb_rescale
from reg_eval.metrics.key_jaccard import KEY_MIN_CHARS, key_jaccard, keywords
from reg_eval.metrics.pairs import per_distinct_pair
from reg_eval.metrics.ranking import ranking
from reg_eval.metrics.rouge_lcs import rouge_lcs_f1
from reg_eval.metrics.tokenize import bleu_tokens, rouge_tokens

COMPONENTS: tuple[str, ...] = OFFICIAL_COMPONENTS


@dataclass(frozen=True, eq=False)
class OfficialCaseStats:
    """One value per case for each component, plus the keyword sets behind KEY.

    Compared by identity (eq=False): element-wise array equality has no single truth value.
    """

    bleu: np.ndarray
    rouge: np.ndarray
    key: np.ndarray
    emb: np.ndarray
    cosine: np.ndarray
    """The raw cosine before the EMB rescale."""
    ranking: np.ndarray
    ref_keywords: list[frozenset[str]]
    hyp_keywords: list[frozenset[str]]

    def __len__(self) -> int:
        return len(self.ranking)

    def columns(self, names: Sequence[str] = (*COMPONENTS, "ranking")) -> np.ndarray:
        """An (n, k) float64 matrix of the named per-case columns, for `reg_eval.stats`."""
        return np.column_stack([getattr(self, name) for name in names])


def text_pair_stats(refs: Sequence[str], hyps: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Per-case BLEU and ROUGE, case i pairing refs[i] with hyps[i].

    Each distinct text is tokenised and counted once, and each distinct pair scored once.
    """
    grams = cache(lambda text: ngram_counts(bleu_tokens(text)))
    tokens = cache(rouge_tokens)
    bleu = per_distinct_pair(refs, hyps, lambda ref, hyp: bleu4_from_counts(grams(ref), grams(hyp)))
    rouge = per_distinct_pair(refs, hyps, lambda ref, hyp: rouge_lcs_f1(tokens(ref), tokens(hyp)))
    return bleu, rouge


def official_case_stats(
    refs: Sequence[str],
    hyps: Sequence[str],
    ref_entities: Sequence[Sequence[str]],
    hyp_entities: Sequence[Sequence[str]],
    ref_vectors: np.ndarray,
    hyp_vectors: np.ndarray,
    *,
    key_min_chars: int = KEY_MIN_CHARS,
) -> OfficialCaseStats:
    """All per-case components and the ranking score, case i pairing refs[i] with hyps[i].

    Entities are the entity texts a backend found in each text; vectors are the pooled
    embeddings, one row per case. The cosine is computed in float64.
    """
    n = len(refs)
    lengths = {
        "hyps": len(hyps),
        "ref_entities": len(ref_entities),
        "hyp_entities": len(hyp_entities),
        "ref_vectors": len(ref_vectors),
        "hyp_vectors": len(hyp_vectors),
    }
    wrong = {name: length for name, length in lengths.items() if length != n}
    if wrong:
        raise ValueError(f"all per-case inputs must have {n} rows (one per reference): {wrong}")

    bleu, rouge = text_pair_stats(refs, hyps)

    ref_keywords = [keywords(ents, key_min_chars) for ents in ref_entities]
    hyp_keywords = [keywords(ents, key_min_chars) for ents in hyp_entities]
    key = np.array(
        [key_jaccard(r, h) for r, h in zip(ref_keywords, hyp_keywords, strict=True)],
        dtype=np.float64,
    )

    # With no cases the vectors may not even be 2-D; there is nothing to compare.
    cosine = cosine_rows(ref_vectors, hyp_vectors) if n else np.empty(0, dtype=np.float64)
    emb = emb_rescale(cosine)
    return OfficialCaseStats(
        bleu=bleu,
        rouge=rouge,
        key=key,
        emb=emb,
        cosine=cosine,
        ranking=ranking(bleu, rouge, key, emb),
        ref_keywords=ref_keywords,
        hyp_keywords=hyp_keywords,
    )
