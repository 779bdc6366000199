"""Named setups for REG 2026 Metric A: one embedding model for MESS and EMB, one KEY pipeline.

The organisers name a single embedding model for both uses: sentence-transformers (normalised
vectors, dot product) for MESS, and `AutoModel` mean pooling (the 2025 EMB) for the final
report. A setup therefore names one model, not two.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from reg_eval.errors import UsageError
from reg_eval.profiles import MINILM_L6, OFFLINE_KEY, PROFILES, SCISPACY_LG, ModelSpec, Profile

PUBMEDBERT = ModelSpec(kind="transformers", name="NeuML/pubmedbert-base-embeddings")
OFFLINE_MODEL = ModelSpec(
    kind="sentence-transformers", name="offline:all-MiniLM-L6-v2", wheel=MINILM_L6
)


@dataclass(frozen=True)
class Reg2026Settings:
    name: str
    description: str
    model: ModelSpec
    """Serves MESS (sentence-transformers) and the final report's EMB (AutoModel mean)."""
    key: ModelSpec
    comparable: bool
    """True only with the organisers' models: numbers may sit beside the REG 2026 Metric A."""
    emb_max_length: int = 512
    key_min_chars: int = 3

    def with_models(self, emb: str | None = None, key: str | None = None) -> Reg2026Settings:
        """User-chosen models; any override makes the numbers not comparable."""
        if emb is None and key is None:
            return self
        return replace(
            self,
            model=ModelSpec.from_user("transformers", emb) if emb else self.model,
            key=ModelSpec.from_user("spacy", key) if key else self.key,
            comparable=False,
        )

    def report_profile(self, emb: ModelSpec) -> Profile:
        """The 2025 scorer's profile for the final report, with `emb` resolved to a loadable
        spec; a registered `reg2026` profile supplies the description when present."""
        registered = PROFILES.get(self.name)
        return Profile(
            name=self.name,
            description=registered.description if registered else self.description,
            emb=emb,
            key=self.key,
            comparable_with_leaderboard=self.comparable,
            emb_max_length=self.emb_max_length,
            key_min_chars=self.key_min_chars,
        )


SETTINGS: dict[str, Reg2026Settings] = {
    s.name: s
    for s in (
        Reg2026Settings(
            name="reg2026",
            description=(
                "REG 2026 Metric A: NeuML/pubmedbert-base-embeddings for MESS and EMB, "
                "en_core_sci_lg 0.5.4 for KEY, components clamped to [0, 1]"
            ),
            model=PUBMEDBERT,
            key=SCISPACY_LG,
            comparable=True,
        ),
        Reg2026Settings(
            name="offline",
            description=(
                "No network: all-MiniLM-L6-v2 from a PyPI wheel for MESS and EMB, the shipped "
                "pathology entity ruler for KEY. NOT comparable with REG 2026."
            ),
            model=OFFLINE_MODEL,
            key=OFFLINE_KEY,
            comparable=False,
        ),
    )
}


def get_settings(name: str) -> Reg2026Settings:
    try:
        return SETTINGS[name]
    except KeyError:
        raise UsageError(
            f"unknown profile {name!r} for chain-of-thought scoring",
            hint=f"choose one of: {', '.join(SETTINGS)}",
        ) from None
