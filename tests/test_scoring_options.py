"""ScoringOptions: one typed value; a misspelt option is an error, never a silent default."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from reg_eval.grand_challenge import run_gc_evaluation
from reg_eval.profiles import get_profile
from reg_eval.reg2026.scoring import CotScorer, CotScoringOptions, score_cot_files
from reg_eval.rewards import reg_reward, shared_scorer
from reg_eval.scoring import Scorer, score_files
from reg_eval.scoring_options import ScoringOptions


def test_options_are_frozen_and_refuse_unknown_fields() -> None:
    options = ScoringOptions(device="cpu")
    with pytest.raises(dataclasses.FrozenInstanceError):
        options.device = "cuda"  # type: ignore[misc]
    with pytest.raises(TypeError, match="devise"):
        ScoringOptions(devise="cpu")  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="positional"):
        ScoringOptions("offline")  # type: ignore[misc]


def test_of_takes_options_a_profile_name_or_a_profile_then_changes() -> None:
    base = ScoringOptions(profile="reg2025", seed=1)
    assert ScoringOptions.of(base) is base
    assert ScoringOptions.of(base, seed=2) == ScoringOptions(profile="reg2025", seed=2)
    assert ScoringOptions.of("reg2025", dtype="float16") == ScoringOptions(
        profile="reg2025", dtype="float16"
    )
    profile = get_profile("offline")
    assert ScoringOptions.of(profile).profile is profile
    assert ScoringOptions.of(None, profile="reg2025") == ScoringOptions(profile="reg2025")
    assert CotScoringOptions.of("offline").profile == "offline"
    assert CotScoringOptions().profile == "reg2026"
    with pytest.raises(TypeError, match=r"unknown scoring option\(s\): batchsize"):
        ScoringOptions.of("offline", batchsize=8)
    with pytest.raises(TypeError, match="metrics"):
        CotScoringOptions.of("offline", metrics="official")


def test_key_tells_different_options_apart_and_equal_ones_alike(tmp_path: Path) -> None:
    assert ScoringOptions(cache_dir=tmp_path).key() == ScoringOptions(cache_dir=tmp_path).key()
    assert ScoringOptions().key() != ScoringOptions(dtype="float16").key()
    assert ScoringOptions(group_options={"lexical": {"rouge_stemmer": True}}).key() != (
        ScoringOptions().key()
    )


@pytest.mark.parametrize(
    "call",
    [
        lambda: Scorer("offline", devise="cpu"),
        lambda: score_files("gt.json", "run.json", profile="offline", devise="cpu"),
        lambda: shared_scorer("offline", devise="cpu"),
        lambda: reg_reward(profile="offline", devise="cpu"),
        lambda: run_gc_evaluation(input_dir="in", ground_truth="gt.json", devise="cpu"),
        lambda: CotScorer("offline", devise="cpu"),
        lambda: score_cot_files("gt.json", "run.json", profile="offline", devise="cpu"),
    ],
    ids=["Scorer", "score_files", "shared_scorer", "reg_reward", "run_gc_evaluation",
         "CotScorer", "score_cot_files"],
)
def test_every_python_entry_point_refuses_a_misspelt_option(call: object) -> None:
    with pytest.raises(TypeError, match="devise"):
        call()  # type: ignore[operator]


def test_the_evaluate_module_offers_scoring_option_fields_only() -> None:
    from reg_eval.hf_metric.compute import SCORER_OPTIONS

    fields = {item.name for item in dataclasses.fields(ScoringOptions)}
    assert set(SCORER_OPTIONS) <= fields
