from __future__ import annotations

import numpy as np
import pytest

from reg_eval.metrics.ranking import RANKING_WEIGHTS, final_score, ranking


def test_weights_are_the_official_ones() -> None:
    assert RANKING_WEIGHTS == {"bleu": 0.15, "rouge": 0.15, "key": 0.4, "emb": 0.3}
    assert sum(RANKING_WEIGHTS.values()) == pytest.approx(1.0)


def test_ranking_formula() -> None:
    assert ranking(1.0, 1.0, 1.0, 1.0) == pytest.approx(1.0)
    assert ranking(0.4, 0.666667, 0.5, 0.02) == 0.15 * (0.666667 + 0.4) + 0.4 * 0.5 + 0.3 * 0.02
    # BLEU above 1 and negative EMB pass through unclamped, as officially.
    assert ranking(2.333333, 1.0, 0.0, -0.3) == pytest.approx(0.15 * 3.333333 - 0.09)


def test_ranking_on_arrays_equals_the_scalar_formula() -> None:
    rng = np.random.default_rng(1)
    bleu, rouge, key, emb = rng.random((4, 50))
    got = ranking(bleu, rouge, key, emb)
    expected = [
        0.15 * (r + b) + 0.4 * k + 0.3 * e
        for b, r, k, e in zip(*(column.tolist() for column in (bleu, rouge, key, emb)), strict=True)
    ]
    assert got.tolist() == expected


def test_final_score() -> None:
    assert final_score(0.5, 0.25) == pytest.approx(0.3)
    assert final_score(None, 0.5) == pytest.approx(0.4)
    assert final_score(0.5, None) == pytest.approx(0.1)
