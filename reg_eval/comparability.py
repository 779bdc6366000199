"""When a number may stand beside the official leaderboard, and why not when it may not.

The official REG 2025 tables were computed by the organisers with the test-phase models
(OpenBioLLM-8B for EMB, en_core_sci_lg 0.5.4 for KEY) in float32, on every ground-truth case.
A local run is comparable only when it did the same: the `reg2025` profile with its own models
(no override), float32, the official EMB truncation and KEY threshold, and no ground-truth
case scored without a prediction. The device type is not part of the rule: in float32 with
TF32 off (reg-eval turns it off while it embeds) CPU and GPU vectors differ by float rounding
only; it is part of the cache key and the signature instead.

The same rule judges a run being scored (`run_differences`) and a saved result read back by
`leaderboard`, `final` and `report` (`saved_differences`), so an older or edited result file
that claims comparability without showing the leaderboard's setup is not believed. This
module is data and plain functions over signatures, so every layer above the signature may
use it; the `reg2025` profile takes its models from here. It reads fields, never the text.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reg_eval.signature import Signature, SignedModel

LEADERBOARD_PROFILE = "reg2025"
LEADERBOARD_EMB = "aaditya/Llama3-OpenBioLLM-8B"
LEADERBOARD_KEY = "en_core_sci_lg"
LEADERBOARD_KEY_VERSION = "0.5.4"
LEADERBOARD_PRECISION = "float32"
LEADERBOARD_EMB_MAX_LENGTH = 512
LEADERBOARD_KEY_MIN_CHARS = 3


def _not_the_setup(profile: str) -> str:
    return f"profile {profile} is not the test-phase setup (use --profile {LEADERBOARD_PROFILE})"


def run_differences(
    *,
    profile: str,
    models_overridden: bool,
    precision: str,
    emb_name: str,
    key_name: str,
    key_revision: str | None,
    emb_max_length: int = LEADERBOARD_EMB_MAX_LENGTH,
    key_min_chars: int = LEADERBOARD_KEY_MIN_CHARS,
    n_missing: int = 0,
) -> list[str]:
    """Why a run with these settings is not comparable; empty when it is."""
    if profile != LEADERBOARD_PROFILE:
        return [_not_the_setup(profile)]
    reasons = []
    if emb_name != LEADERBOARD_EMB:
        reasons.append(f"EMB model {emb_name} instead of {LEADERBOARD_EMB}")
    if key_name != LEADERBOARD_KEY or key_revision != LEADERBOARD_KEY_VERSION:
        got = key_name + (f" {key_revision}" if key_revision else "")
        reasons.append(
            f"KEY pipeline {got} instead of {LEADERBOARD_KEY} {LEADERBOARD_KEY_VERSION}"
        )
    if models_overridden and not reasons:
        reasons.append("models chosen with --emb-model/--key-model")
    if precision != LEADERBOARD_PRECISION:
        reasons.append(f"precision {precision} instead of {LEADERBOARD_PRECISION}")
    if emb_max_length != LEADERBOARD_EMB_MAX_LENGTH:
        reasons.append(f"EMB max_length {emb_max_length}, not {LEADERBOARD_EMB_MAX_LENGTH}")
    if key_min_chars != LEADERBOARD_KEY_MIN_CHARS:
        reasons.append(f"KEY min_chars {key_min_chars}, not {LEADERBOARD_KEY_MIN_CHARS}")
    if n_missing:
        reasons.append(
            f"{n_missing} ground-truth case(s) had no prediction (the platform refuses such "
            "submissions)"
        )
    return reasons


def _whole_number(model: SignedModel | None, key: str, default: int) -> int:
    """An integer setting of a model (`max_length`), the default when not recorded, and -1
    when recorded but not a whole number (so that it never passes as the official value)."""
    value = model.setting(key) if model is not None else None
    if value is None:
        return default
    return int(value) if value.isdigit() else -1


def saved_differences(data: Mapping[str, Any]) -> list[str]:
    """Why a saved `reg-eval score` result is not comparable; empty when it is.

    A result must both claim comparability and show the leaderboard's setup in its
    signature. The signature's typed fields are read (`Signature.from_dict`, which also
    reads the model texts of results saved before signatures were typed); results written
    before the signature carried `dtype` are judged by the precision of their EMB model.
    """
    saved = data.get("signature")
    if not isinstance(saved, Mapping):
        return ["the result has no signature"]
    signature = Signature.from_dict(saved)
    profile = str(signature.get("profile") or "?")
    if not signature.comparable_with_leaderboard:
        return list(signature.not_comparable_because) or [_not_the_setup(profile)]
    emb = signature.model("emb")
    key = signature.model("key")
    if profile == LEADERBOARD_PROFILE and (emb is None or key is None):
        return ["the signature does not name the EMB and KEY models"]
    cases = data.get("cases")
    missing = cases.get("missing_ids") if isinstance(cases, Mapping) else None
    return signature_differences(
        signature, n_missing=len(missing) if isinstance(missing, list) else 0
    )


def signature_differences(
    signature: Signature, *, models_overridden: bool = False, n_missing: int = 0
) -> list[str]:
    """Why a run with this signature is not comparable, read from its fields: the profile,
    the EMB and KEY models (name, revision, `max_length`, `min_chars`) and the precision.
    A signature without `dtype` (older results) is judged by its EMB model's precision."""
    emb = signature.model("emb")
    key = signature.model("key")
    precision = signature.get("dtype") or (emb.identity.precision if emb else None)
    return run_differences(
        profile=str(signature.get("profile") or "?"),
        models_overridden=models_overridden,
        precision=precision or "unknown",
        emb_name=emb.identity.name if emb else "",
        key_name=key.identity.name if key else "",
        key_revision=key.identity.revision if key else None,
        emb_max_length=_whole_number(emb, "max_length", LEADERBOARD_EMB_MAX_LENGTH),
        key_min_chars=_whole_number(key, "min_chars", LEADERBOARD_KEY_MIN_CHARS),
        n_missing=n_missing,
    )
