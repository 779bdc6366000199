from __future__ import annotations

import numpy as np
import pytest
import torch

from reg_eval.metrics.emb_rescale import cosine_rows, emb_rescale
from reg_eval.metrics.official import official_case_stats

SPEC_RESCALE = [(0.5, 0.5), (0.51, 0.02), (0.2, 0.2), (-0.3, -0.3), (0.99, 0.98)]


@pytest.mark.parametrize(("cos", "expected"), SPEC_RESCALE)
def test_spec_values(cos: float, expected: float) -> None:
    assert emb_rescale(cos) == pytest.approx(expected, abs=1e-6)
    assert isinstance(emb_rescale(cos), float)


def test_arrays_follow_the_scalar_rule() -> None:
    cos = np.array([c for c, _ in SPEC_RESCALE] + [1.0, -1.0, 0.5000001])
    got = emb_rescale(cos)
    assert got.dtype == np.float64
    assert got.tolist() == [emb_rescale(float(c)) for c in cos]
    assert got[-1] == pytest.approx(2e-7)  # the jump just above 0.5


def torch_cosine(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    return torch.nn.functional.cosine_similarity(
        torch.from_numpy(u.astype(np.float64)), torch.from_numpy(v.astype(np.float64))
    ).numpy()


def test_cosine_matches_torch_on_random_vectors() -> None:
    rng = np.random.default_rng(7)
    u = rng.normal(size=(200, 64))
    v = 0.3 * u + rng.normal(size=(200, 64))
    np.testing.assert_allclose(cosine_rows(u, v), torch_cosine(u, v), rtol=1e-12, atol=1e-14)
    u32, v32 = u.astype(np.float32), v.astype(np.float32)
    np.testing.assert_allclose(
        cosine_rows(u32, v32), torch_cosine(u32, v32), rtol=1e-12, atol=1e-14
    )


def test_cosine_edge_cases_match_torch() -> None:
    u = np.array(
        [
            [0.0, 0.0, 0.0],  # zero against non-zero
            [0.0, 0.0, 0.0],  # zero against zero
            [1e-9, 0.0, 0.0],  # norms below eps are clamped, not normalised
            [1e-5, 0.0, 0.0],
            [1.0, 2.0, 3.0],  # identical
            [1.0, 2.0, 3.0],  # opposite
            [1e100, -1e100, 0.0],
            [3.0, 0.0, 0.0],  # orthogonal
        ]
    )
    v = np.array(
        [
            [1.0, 2.0, 3.0],
            [0.0, 0.0, 0.0],
            [1e-9, 0.0, 0.0],
            [1e-5, 0.0, 0.0],
            [1.0, 2.0, 3.0],
            [-1.0, -2.0, -3.0],
            [1e100, -1e100, 0.0],
            [0.0, 4.0, 0.0],
        ]
    )
    got = cosine_rows(u, v)
    np.testing.assert_allclose(got, torch_cosine(u, v), rtol=1e-12, atol=1e-14)
    assert got[0] == 0.0
    assert got[1] == 0.0
    assert got[2] == pytest.approx(0.01)


def test_cosine_rejects_mismatched_shapes() -> None:
    with pytest.raises(ValueError, match="same shape"):
        cosine_rows(np.ones((2, 3)), np.ones((3, 3)))
    with pytest.raises(ValueError, match="same shape"):
        cosine_rows(np.ones(3), np.ones(3))


def test_production_case_stats() -> None:
    """The EMB column the scorer computes from paired embedding rows."""
    u = np.array([[1.0, 0.0], [1.0, 1.0]])
    v = np.array([[1.0, 0.0], [-1.0, 1.0]])
    stats = official_case_stats(["", ""], ["", ""], [[], []], [[], []], u, v)
    assert stats.emb.tolist() == [1.0, 0.0]
