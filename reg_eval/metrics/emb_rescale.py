"""The official REG 2025 EMB: cosine of two text embeddings, then a discontinuous rescale.

Above 0.5 the cosine is mapped to `(cos - 0.5) / 0.5`; at or below 0.5 it is kept as is. The
curve therefore jumps at 0.5 (0.50 -> 0.50 but 0.51 -> 0.02) and is never clamped, so negative
values stay negative. That is the behaviour behind the leaderboard, so it is reproduced here.
"""

from __future__ import annotations

from typing import overload

import numpy as np

COSINE_EPS = 1e-8
"""torch.nn.functional.cosine_similarity's default eps: each norm is clamped to at least this."""


@overload
def emb_rescale(cos: float) -> float: ...
@overload
def emb_rescale(cos: np.ndarray) -> np.ndarray: ...
def emb_rescale(cos: float | np.ndarray) -> float | np.ndarray:
    """The official rescale of a cosine (a float or an array of them)."""
    if isinstance(cos, np.ndarray):
        values = cos.astype(np.float64, copy=False)
        return np.where(values > 0.5, (values - 0.5) / 0.5, values)
    return (cos - 0.5) / 0.5 if cos > 0.5 else float(cos)


def cosine_rows(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Row-wise cosine of two (n, d) arrays, in float64.

    Mirrors `torch.nn.functional.cosine_similarity(u, v)` (dim=1, eps=1e-8): each row is
    divided by its own norm clamped to at least eps, then the normalised rows are multiplied
    and summed. A zero vector therefore has cosine 0 with anything (itself included), and a
    vector with a norm below eps is scaled by 1/eps rather than normalised.
    """
    u64 = np.asarray(u, dtype=np.float64)
    v64 = np.asarray(v, dtype=np.float64)
    if u64.ndim != 2 or u64.shape != v64.shape:
        raise ValueError(
            f"cosine_rows needs two (n, d) arrays of the same shape, got {u64.shape} and "
            f"{v64.shape}"
        )
    u_norm = np.maximum(np.linalg.norm(u64, axis=1, keepdims=True), COSINE_EPS)
    v_norm = np.maximum(np.linalg.norm(v64, axis=1, keepdims=True), COSINE_EPS)
    return np.sum((u64 / u_norm) * (v64 / v_norm), axis=1)

