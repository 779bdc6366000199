"""When a number may stand beside the official leaderboard, and why not when it may not.

The official REG 2025 tables were computed by the organisers with the test-phase models (the
`reg2025` profile: its EMB model and en_core_sci_lg 0.5.4) in float32, on every ground-truth
case. A local run is comparable only when it did the same: the profile's own models (not an
override), float32, the official EMB truncation and KEY threshold, and no ground-truth case
scored without a prediction. The device type is not part of the rule: in float32 with TF32
off (reg-eval turns it off while it embeds) CPU and GPU vectors differ by float rounding only;
it is part of the cache key and the signature instead.

The same rule judges a run being scored (`run_differences`) and a saved result read back by
`leaderboard`, `final` and `report` (`saved_differences`), so an older or edited result file
that claims comparability without showing the leaderboard's setup is not believed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from reg_eval.backends.devices import DEFAULT_DTYPE, DTYPE_CHOICES
from reg_eval.profiles import PROFILES, Profile

LEADERBOARD_PRECISION = DEFAULT_DTYPE
"""The precision the official scores were computed in."""


def _model_name(described: str) -> tuple[str, str | None]:
    """(name, revision) from the first field of `ModelIdentity.describe()`."""
    first = described.split("|", 1)[0]
    name, sep, revision = first.partition("@")
    return name, (revision if sep else None)


def _reference_profile(name: str) -> Profile | None:
    profile = PROFILES.get(name)
    return profile if profile is not None and profile.comparable_with_leaderboard else None


def run_differences(
    profile: Profile,
    *,
    precision: str,
    emb_name: str,
    key_name: str,
    key_revision: str | None,
    n_missing: int = 0,
) -> list[str]:
    """Why a run with these settings is not comparable; empty when it is."""
    reference = _reference_profile(profile.name)
    if reference is None:
        return [f"profile {profile.name} is not the test-phase setup (use --profile reg2025)"]
    reasons = []
    if emb_name != reference.emb.name or profile.emb != reference.emb:
        reasons.append(f"EMB model {emb_name} instead of {reference.emb.name}")
    wanted_key = reference.key.name + (
        f" {reference.key.revision}" if reference.key.revision else ""
    )
    if (
        key_name != reference.key.name
        or profile.key != reference.key
        or (reference.key.revision is not None and key_revision != reference.key.revision)
    ):
        got = key_name + (f" {key_revision}" if key_revision else "")
        reasons.append(f"KEY pipeline {got} instead of {wanted_key}")
    if precision != LEADERBOARD_PRECISION:
        reasons.append(f"precision {precision} instead of {LEADERBOARD_PRECISION}")
    if profile.emb_max_length != reference.emb_max_length:
        reasons.append(f"EMB max_length {profile.emb_max_length}, not {reference.emb_max_length}")
    if profile.key_min_chars != reference.key_min_chars:
        reasons.append(f"KEY min_chars {profile.key_min_chars}, not {reference.key_min_chars}")
    if n_missing:
        reasons.append(
            f"{n_missing} ground-truth case(s) had no prediction (the platform refuses such "
            "submissions)"
        )
    return reasons


def _saved_precision(signature: Mapping[str, Any]) -> str | None:
    dtype = signature.get("dtype")
    if isinstance(dtype, str):
        return dtype
    emb = signature.get("emb")
    if isinstance(emb, str):
        for part in emb.split("|")[1:]:
            if part in DTYPE_CHOICES:
                return part
    return None


def saved_differences(data: Mapping[str, Any]) -> list[str]:
    """Why a saved `reg-eval score` result is not comparable; empty when it is.

    A result must both claim comparability and show the leaderboard's setup in its
    signature; results written before the signature carried `dtype` are judged by the
    precision inside their `emb` field.
    """
    signature = data.get("signature")
    if not isinstance(signature, Mapping):
        return ["the result has no signature"]
    profile_name = str(signature.get("profile", "?"))
    if signature.get("comparable_with_leaderboard") is not True:
        recorded = signature.get("not_comparable_because")
        if isinstance(recorded, Sequence) and not isinstance(recorded, str) and recorded:
            return [str(reason) for reason in recorded]
        return [f"profile {profile_name} is not the test-phase setup"]
    reference = _reference_profile(profile_name)
    if reference is None:
        return [f"profile {profile_name} is not the test-phase setup"]
    emb = signature.get("emb")
    key = signature.get("key")
    if not isinstance(emb, str) or not isinstance(key, str):
        return ["the signature does not name the EMB and KEY models"]
    emb_name, _ = _model_name(emb)
    key_name, key_revision = _model_name(key)
    precision = _saved_precision(signature) or "unknown"
    cases = data.get("cases")
    missing = cases.get("missing_ids") if isinstance(cases, Mapping) else None
    n_missing = len(missing) if isinstance(missing, list) else 0
    return run_differences(
        reference,
        precision=precision,
        emb_name=emb_name,
        key_name=key_name,
        key_revision=key_revision,
        n_missing=n_missing,
    )
