"""Named setups for REG 2026 Metric A: one embedding model for MESS and EMB, one KEY pipeline.

The organisers name a single embedding model for both uses: sentence-transformers (normalised
vectors, dot product) for MESS, and `AutoModel` mean pooling (the 2025 EMB) for the final
report. A setup therefore names one model, not two: it is a `Profile` (the same concept as
the REG 2025 setups) whose `emb` serves both.
"""

from __future__ import annotations

from reg_eval.profiles import (
    MINILM_L6,
    OFFLINE_KEY,
    SCISPACY_LG,
    ModelSpec,
    Profile,
    find_profile,
)

PUBMEDBERT = ModelSpec(kind="transformers", name="NeuML/pubmedbert-base-embeddings")
OFFLINE_MODEL = ModelSpec(
    kind="sentence-transformers", name="offline:all-MiniLM-L6-v2", wheel=MINILM_L6
)


SETTINGS: dict[str, Profile] = {
    s.name: s
    for s in (
        Profile(
            name="reg2026",
            description=(
                "REG 2026 Metric A: NeuML/pubmedbert-base-embeddings for MESS and EMB, "
                "en_core_sci_lg 0.5.4 for KEY, components clamped to [0, 1]"
            ),
            emb=PUBMEDBERT,
            key=SCISPACY_LG,
            comparable_with_leaderboard=True,
        ),
        Profile(
            name="offline",
            description=(
                "No network: all-MiniLM-L6-v2 from a PyPI wheel for MESS and EMB, the shipped "
                "pathology entity ruler for KEY. NOT comparable with REG 2026."
            ),
            emb=OFFLINE_MODEL,
            key=OFFLINE_KEY,
            comparable_with_leaderboard=False,
        ),
    )
}


def get_settings(name: str) -> Profile:
    return find_profile(SETTINGS, name, use=" for chain-of-thought scoring")
