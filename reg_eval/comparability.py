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
module is data and plain functions with no reg-eval imports, so every layer may use it; the
`reg2025` profile takes its models from here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

LEADERBOARD_PROFILE = "reg2025"
LEADERBOARD_EMB = "aaditya/Llama3-OpenBioLLM-8B"
LEADERBOARD_KEY = "en_core_sci_lg"
LEADERBOARD_KEY_VERSION = "0.5.4"
LEADERBOARD_PRECISION = "float32"
LEADERBOARD_EMB_MAX_LENGTH = 512
LEADERBOARD_KEY_MIN_CHARS = 3
_PRECISION = re.compile(r"b?float\d+")


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


def _model_name(described: str) -> tuple[str, str | None]:
    """(name, revision) from the first field of `ModelIdentity.describe()`."""
    first = described.split("|", 1)[0]
    name, sep, revision = first.partition("@")
    return name, (revision if sep else None)


def _option(described: str, name: str, default: int) -> int:
    """An integer option (`max_length=512`) from a described identity; -1 if unreadable."""
    values = [part.split("=", 1)[1] for part in described.split("|")[1:]
              if part.startswith(name + "=")]
    if not values:
        return default
    return int(values[-1]) if values[-1].isdigit() else -1


def _saved_precision(signature: Mapping[str, Any], emb: str) -> str:
    dtype = signature.get("dtype")
    if isinstance(dtype, str):
        return dtype
    for part in emb.split("|")[1:]:  # results written before the signature had `dtype`
        if _PRECISION.fullmatch(part):
            return part
    return "unknown"


def saved_differences(data: Mapping[str, Any]) -> list[str]:
    """Why a saved `reg-eval score` result is not comparable; empty when it is.

    A result must both claim comparability and show the leaderboard's setup in its
    signature; results written before the signature carried `dtype` are judged by the
    precision inside their `emb` field.
    """
    signature = data.get("signature")
    if not isinstance(signature, Mapping):
        return ["the result has no signature"]
    profile = str(signature.get("profile", "?"))
    if signature.get("comparable_with_leaderboard") is not True:
        recorded = signature.get("not_comparable_because")
        if isinstance(recorded, Sequence) and not isinstance(recorded, str) and recorded:
            return [str(reason) for reason in recorded]
        return [_not_the_setup(profile)]
    emb = signature.get("emb")
    key = signature.get("key")
    if profile == LEADERBOARD_PROFILE and (not isinstance(emb, str) or not isinstance(key, str)):
        return ["the signature does not name the EMB and KEY models"]
    emb_text = emb if isinstance(emb, str) else ""
    key_text = key if isinstance(key, str) else ""
    emb_name, _ = _model_name(emb_text)
    key_name, key_revision = _model_name(key_text)
    cases = data.get("cases")
    missing = cases.get("missing_ids") if isinstance(cases, Mapping) else None
    return run_differences(
        profile=profile,
        models_overridden=False,
        precision=_saved_precision(signature, emb_text),
        emb_name=emb_name,
        key_name=key_name,
        key_revision=key_revision,
        emb_max_length=_option(emb_text, "max_length", LEADERBOARD_EMB_MAX_LENGTH),
        key_min_chars=_option(key_text, "min_chars", LEADERBOARD_KEY_MIN_CHARS),
        n_missing=len(missing) if isinstance(missing, list) else 0,
    )
