"""official_case_stats equals the literal per-text computation, case by case."""

from __future__ import annotations

import random
from collections.abc import Callable

import numpy as np
import pytest
import torch

from reg_eval.metrics.official import COMPONENTS, OfficialCaseStats, official_case_stats

LiteralScore = Callable[[str, str], float]


def fake_entities(text: str) -> list[str]:
    """Stand-in entity texts: words with their punctuation stripped, case kept."""
    return [word.strip(",;:.()") for word in text.split() if word.strip(",;:.()")]


def literal_key(ref_entities: list[str], hyp_entities: list[str]) -> float:
    ref = {t.lower() for t in ref_entities if len(t) >= 3}
    hyp = {t.lower() for t in hyp_entities if len(t) >= 3}
    if not ref and not hyp:
        return 0
    return len(ref & hyp) / len(ref | hyp)


@pytest.fixture(scope="module")
def cases(report_pairs: list[tuple[str, str]]) -> dict[str, object]:
    pairs = report_pairs[:1000]
    refs = [r for r, _ in pairs]
    hyps = [h for _, h in pairs]
    rng = np.random.default_rng(11)
    vector_of = {text: rng.normal(size=16) for text in {*refs, *hyps}}
    vector_of[""] = np.zeros(16)
    ref_vectors = np.stack([vector_of[t] for t in refs])
    # Hypothesis vectors near their reference so the cosine spans both sides of 0.5.
    noise = np.stack([vector_of[t] for t in hyps])
    weight = np.array([random.Random(i).random() * 3 for i in range(len(hyps))])[:, None]
    hyp_vectors = ref_vectors + weight * noise
    hyp_vectors[[h == "" for h in hyps]] = 0.0
    return {
        "refs": refs,
        "hyps": hyps,
        "ref_entities": [fake_entities(t) for t in refs],
        "hyp_entities": [fake_entities(t) for t in hyps],
        "ref_vectors": ref_vectors,
        "hyp_vectors": hyp_vectors,
    }


def test_equals_literal_per_text_computation(
    cases: dict, literal_bleu: LiteralScore, literal_rouge: LiteralScore
) -> None:
    stats = official_case_stats(**cases)
    n = len(cases["refs"])
    assert all(len(getattr(stats, name)) == n for name in (*COMPONENTS, "cosine", "ranking"))
    cosine = torch.nn.functional.cosine_similarity(
        torch.from_numpy(cases["ref_vectors"]), torch.from_numpy(cases["hyp_vectors"])
    ).tolist()
    np.testing.assert_allclose(stats.cosine, cosine, rtol=1e-12, atol=1e-14)
    assert (stats.cosine > 0.5).any() and (stats.cosine <= 0.5).any()
    for i in range(n):
        ref, hyp = cases["refs"][i], cases["hyps"][i]
        bleu = literal_bleu(ref, hyp)
        rouge = literal_rouge(ref, hyp)
        key = literal_key(cases["ref_entities"][i], cases["hyp_entities"][i])
        cos = float(stats.cosine[i])
        emb = (cos - 0.5) / 0.5 if cos > 0.5 else cos
        assert stats.bleu[i] == bleu, (ref, hyp)
        assert stats.rouge[i] == rouge, (ref, hyp)
        assert stats.key[i] == key, (ref, hyp)
        assert stats.emb[i] == emb
        assert stats.ranking[i] == 0.15 * (rouge + bleu) + 0.4 * key + 0.3 * emb


def test_keyword_sets_and_columns(cases: dict) -> None:
    stats = official_case_stats(**cases)
    assert stats.ref_keywords[0] == {t.lower() for t in cases["ref_entities"][0] if len(t) >= 3}
    assert all(isinstance(k, frozenset) for k in stats.hyp_keywords)
    table = stats.columns()
    assert table.shape == (len(stats), 5)
    assert table[:, -1].tolist() == stats.ranking.tolist()
    assert stats.columns(["key"]).ravel().tolist() == stats.key.tolist()


def test_key_min_chars_option(cases: dict) -> None:
    default = official_case_stats(**cases)
    loose = official_case_stats(**cases, key_min_chars=1)
    pairs = zip(default.ref_keywords, loose.ref_keywords, strict=True)
    assert any(len(strict) < len(loose_set) for strict, loose_set in pairs)


def test_no_cases() -> None:
    stats = official_case_stats([], [], [], [], np.empty((0, 4)), np.empty((0, 4)))
    assert isinstance(stats, OfficialCaseStats)
    assert len(stats) == 0


def test_rejects_inputs_that_do_not_pair_up(cases: dict) -> None:
    broken = {**cases, "hyp_vectors": cases["hyp_vectors"][:-1]}
    with pytest.raises(ValueError, match="hyp_vectors"):
        official_case_stats(**broken)
