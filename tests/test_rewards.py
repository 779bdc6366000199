"""The TRL reward: string and chat completions, one scorer per process, names, no NaN."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from reg_eval import rewards
from reg_eval.errors import InvalidInputError, UsageError
from reg_eval.rewards import completion_text, reg_reward

REFERENCES = [
    "Prostate, needle biopsy;\n  Acinar adenocarcinoma, grade ii",
    "Lung, wedge biopsy;\n  Invasive adenocarcinoma",
    "Stomach, endoscopic biopsy;\n  Chronic gastritis with intestinal metaplasia",
]
COMPLETIONS = [
    "Prostate, needle biopsy;\n  Acinar adenocarcinoma, grade ii",
    "Lung, biopsy; no tumor",
    "Stomach, biopsy;\n  Chronic gastritis",
]


@pytest.fixture
def model_options(tiny_bert_dir: Path, tiny_ruler_dir: Path, tmp_path: Path) -> dict[str, Any]:
    return {
        "emb_model": str(tiny_bert_dir),
        "key_model": str(tiny_ruler_dir),
        "cache_dir": str(tmp_path / "cache"),
        "device": "cpu",
    }


@pytest.fixture(autouse=True)
def fresh_scorers() -> Iterator[None]:
    rewards.clear_shared_scorers()
    yield
    rewards.clear_shared_scorers()


def trainer_step(
    reward_funcs: list[Callable[..., list[float]]],
    prompts: list[Any],
    completions: list[Any],
    batch: dict[str, list[Any]],
) -> dict[str, float]:
    """What GRPOTrainer does with reward functions: pass the completions and every other
    dataset column as keyword arguments, then log the mean under the function's name."""
    logged: dict[str, float] = {}
    for func in reward_funcs:
        values = func(prompts=prompts, completions=completions, completion_ids=None, **batch)
        assert len(values) == len(completions)
        assert all(isinstance(v, float) and math.isfinite(v) for v in values)
        logged[f"rewards/{func.__name__}/mean"] = sum(values) / len(values)
    return logged


def literal_rankings(tiny_bert_dir: Path, tiny_ruler_dir: Path) -> list[float]:
    import spacy
    from transformers import AutoModel, AutoTokenizer

    from literal_reference import case_literal

    nlp = spacy.load(tiny_ruler_dir)
    tokenizer = AutoTokenizer.from_pretrained(tiny_bert_dir)
    model = AutoModel.from_pretrained(tiny_bert_dir).eval()
    return [
        case_literal(nlp, model, tokenizer, ref, hyp)["ranking"]
        for ref, hyp in zip(REFERENCES, COMPLETIONS, strict=True)
    ]


def test_string_and_chat_completions_get_the_literal_ranking(
    model_options: dict[str, Any], tiny_bert_dir: Path, tiny_ruler_dir: Path
) -> None:
    reward = reg_reward(profile="offline", **model_options)
    expected = literal_rankings(tiny_bert_dir, tiny_ruler_dir)
    assert reward.signature is None
    from_strings = reward(COMPLETIONS, ground_truth=REFERENCES)
    # the numbers of the last batch carry their signature for the training log
    assert reward.signature.startswith("reg-eval:")
    assert str(tiny_bert_dir) in reward.signature
    chats = [
        [
            {"role": "assistant", "content": "an earlier draft"},
            {"role": "user", "content": "shorter please"},
            {"role": "assistant", "content": text},
        ]
        for text in COMPLETIONS
    ]
    from_chats = reward(chats, ground_truth=REFERENCES)
    assert from_strings == pytest.approx(expected, abs=1e-5)
    assert from_chats == from_strings


def test_trainer_stand_in_logs_each_reward_under_its_own_name(
    model_options: dict[str, Any]
) -> None:
    ranking = reg_reward(profile="offline", **model_options)
    key = reg_reward(profile="offline", component="key", **model_options)
    batch = {"ground_truth": REFERENCES, "organ": ["prostate", "lung", "stomach"]}
    prompts = [[{"role": "user", "content": "Describe the slide."}]] * 3
    chats = [
        [{"role": "assistant", "content": [{"type": "text", "text": c}]}] for c in COMPLETIONS
    ]
    logged = trainer_step([ranking, key], prompts, chats, batch)
    assert len(logged) == 2
    ranking_key, key_key = logged
    assert ranking_key.startswith("rewards/reg_ranking_") and key_key.startswith("rewards/reg_key_")
    assert ranking.__name__.removeprefix("reg_ranking_") == key.__name__.removeprefix("reg_key_")
    assert [reg_reward().__name__, reg_reward(component="key").__name__] == [
        "reg_ranking",
        "reg_key",
    ]


def test_names_are_distinct_when_options_differ_and_stable_when_not(
    model_options: dict[str, Any]
) -> None:
    names = {
        reg_reward().__name__,
        reg_reward(component="key").__name__,
        reg_reward(component="emb").__name__,
        reg_reward(profile="reg2025").__name__,
        reg_reward(reference_column="report").__name__,
        reg_reward(empty_reward=-1.0).__name__,
        reg_reward(**model_options).__name__,
        reg_reward(**{**model_options, "dtype": "bfloat16"}).__name__,
    }
    assert len(names) == 8
    assert reg_reward().__name__ == "reg_ranking"
    assert reg_reward(component="key").__name__ == "reg_key"
    assert reg_reward(**model_options).__name__ == reg_reward(**model_options).__name__
    assert all(name.isidentifier() for name in names)


def test_scorer_loads_once_and_each_call_is_one_batch(
    model_options: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from reg_eval import scoring

    built: list[object] = []
    batches: list[int] = []

    class CountingScorer(scoring.Scorer):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            built.append(self)
            super().__init__(*args, **kwargs)

        def case_stats(self, refs: Any, hyps: Any) -> Any:
            batches.append(len(refs))
            return super().case_stats(refs, hyps)

    monkeypatch.setattr(scoring, "Scorer", CountingScorer)
    ranking = reg_reward(**model_options)
    emb = reg_reward(component="emb", **model_options)
    ranking(COMPLETIONS, ground_truth=REFERENCES)
    ranking(COMPLETIONS[:2], ground_truth=REFERENCES[:2])
    emb(COMPLETIONS, ground_truth=REFERENCES)
    assert len(built) == 1  # same profile and options: one scorer, models loaded once
    assert batches == [3, 2, 3]
    loaded = built[0]
    assert loaded.emb_backend is loaded.emb_backend  # type: ignore[attr-defined]


def test_empty_completions_get_the_empty_reward_and_never_nan(
    model_options: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    reward = reg_reward(**model_options)
    values = reward(["", "   \n", [], [{"role": "assistant", "content": None}]],
                    ground_truth=[*REFERENCES[:3], ""])
    assert values == [0.0, 0.0, 0.0, 0.0]
    assert reg_reward(empty_reward=-1.0, **model_options)([""], ground_truth=["x"]) == [-1.0]
    # an empty reference with a real completion is scored, and stays finite
    mixed = reward(["Lung, wedge biopsy; adenocarcinoma", ""], ground_truth=["", "Lung"])
    assert all(math.isfinite(v) for v in mixed) and mixed[1] == 0.0

    def nan_stats(self: Any, refs: Any, hyps: Any) -> Any:
        class Stats:
            ranking = [float("nan")] * len(refs)

        return Stats()

    from reg_eval import scoring

    monkeypatch.setattr(scoring.Scorer, "case_stats", nan_stats)
    rewards.clear_shared_scorers()
    assert reward(["Lung"], ground_truth=["Lung"]) == [0.0]


def test_missing_or_wrong_reference_column_is_a_clear_error(
    model_options: dict[str, Any]
) -> None:
    reward = reg_reward(**model_options)
    with pytest.raises(UsageError, match=r"'ground_truth'.*columns passed: prompts, report"):
        reward(["x"], prompts=["p"], report=["r"])
    with pytest.raises(UsageError, match="2 completions but 1 references"):
        reward(["x", "y"], ground_truth=["r"])
    with pytest.raises(InvalidInputError, match=r"^ground_truth\[0\] is null, not a report string"):
        reward(["x"], ground_truth=[None])
    other = reg_reward(reference_column="report", **model_options)
    assert len(other(["Lung, wedge biopsy"], report=["Lung, wedge biopsy"])) == 1
    with pytest.raises(UsageError, match="unknown reward component"):
        reg_reward(component="meteor")
    with pytest.raises(UsageError, match="finite"):
        reg_reward(empty_reward=float("nan"))


def test_completion_text_reads_every_shape_trl_passes() -> None:
    assert completion_text("plain") == "plain"
    assert completion_text(None) == ""
    assert completion_text([]) == ""
    assert completion_text([{"role": "user", "content": "only a user turn"}]) == "only a user turn"
    assert completion_text({"role": "assistant", "content": "one message"}) == "one message"
    parts = [{"type": "image"}, {"type": "text", "text": "Lung, "}, {"type": "text", "text": "x"}]
    assert completion_text([{"role": "assistant", "content": parts}]) == "Lung, x"
    with pytest.raises(UsageError):
        completion_text(42)
    with pytest.raises(UsageError):
        completion_text(["not a message"])


def test_float32_is_exact_while_embedding_and_the_callers_setting_comes_back(
    model_options: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    import torch

    from reg_eval.backends import embeddings

    seen: list[str] = []
    real = embeddings.mean_pooled_embeddings

    def recording(*args: Any, **kwargs: Any) -> Any:
        seen.append(torch.get_float32_matmul_precision())
        return real(*args, **kwargs)

    monkeypatch.setattr(embeddings, "mean_pooled_embeddings", recording)
    previous = torch.get_float32_matmul_precision()
    torch.set_float32_matmul_precision("high")  # a training loop that allows TF32
    try:
        reward = reg_reward("offline", **model_options)
        reward(completions=COMPLETIONS, ground_truth=REFERENCES)
        assert seen == ["highest"]  # full float32 while the vectors are computed
        assert torch.get_float32_matmul_precision() == "high"  # and the loop's choice after
    finally:
        torch.set_float32_matmul_precision(previous)


def test_the_clinical_component_is_the_clinical_headline(model_options: dict[str, Any]) -> None:
    """`component="clinical"` adds the group and rewards its headline column: a report equal
    to its reference earns 1, a benign report for a carcinoma far less."""
    reward = reg_reward(component="clinical", **model_options)
    assert reward.__name__.startswith("reg_clinical")
    references = [REFERENCES[0], REFERENCES[0]]
    completions = [REFERENCES[0], "Prostate, needle biopsy;\n  Benign prostatic tissue"]
    values = reward(completions, ground_truth=references)
    named = reg_reward(component="clinical_weighted", metrics="official,clinical",
                       **model_options)(completions, ground_truth=references)
    assert values == named
    assert values[0] == 1.0
    assert values[1] < 0.5
