"""Settings and identity: what enters signatures and cache keys."""

from __future__ import annotations

import pytest

from reg_eval.judge.types import GenerationSettings, JudgeIdentity


def test_defaults_are_the_organisers_call() -> None:
    settings = GenerationSettings()
    assert settings.fields() == {
        "max_new_tokens": 32768,
        "enable_thinking": True,
        "temperature": "model-default",
        "top_p": "model-default",
        "top_k": "model-default",
        "seed": 12345,
    }
    assert settings.sample_seed(0) == 12345
    assert settings.sample_seed(4) == 12349


@pytest.mark.parametrize(
    "changes",
    [{"max_new_tokens": 0}, {"temperature": -0.1}, {"top_p": 0.0}, {"top_p": 1.5}, {"top_k": 0}],
)
def test_impossible_settings_are_refused(changes: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        GenerationSettings(**changes)  # type: ignore[arg-type]


def test_negative_sample_index_is_refused() -> None:
    with pytest.raises(ValueError, match="sample_index"):
        GenerationSettings().sample_seed(-1)


def test_identity_describes_itself_on_one_line() -> None:
    local = JudgeIdentity("transformers", "Qwen/Qwen3-8B", "ab" * 32, "c0ffee", "bfloat16", None)
    assert local.describe() == "transformers:Qwen/Qwen3-8B@c0ffee|sha256:abababababababab|bfloat16"
    running = JudgeIdentity(
        "transformers", "/m", "cd" * 32, None, "float32", None,
        device_type="cpu", libraries=(("torch", "2.13.0"), ("transformers", "5.24.0")),
    )
    assert running.describe() == (
        "transformers:/m|sha256:cdcdcdcdcdcdcdcd|float32|cpu|torch=2.13.0|transformers=5.24.0"
    )
    assert running.fields()["libraries"] == [["torch", "2.13.0"], ["transformers", "5.24.0"]]
    served = JudgeIdentity("openai", "qwen3-8b", None, None, "served", "http://h:8000/v1")
    assert served.describe() == "openai:qwen3-8b|served|http://h:8000/v1"
    assert served.fields()["base_url"] == "http://h:8000/v1"


def test_identity_as_a_signed_model() -> None:
    served = JudgeIdentity("openai", "qwen3-8b", None, None, "served", "http://h:8000/v1")
    model = served.model_identity()
    assert model.to_dict() == {
        "role": "judge", "name": "qwen3-8b", "revision": None, "sha256": None,
        "precision": "served", "device_type": None, "libraries": {},
        "options": {"backend": "openai", "base_url": "http://h:8000/v1"},
    }
    local = JudgeIdentity("transformers", "/m", "ab" * 32, "c0ffee", "bfloat16", None,
                          device_type="cuda", libraries=(("torch", "2.13.0"),))
    assert local.model_identity().to_dict() == {
        "role": "judge", "name": "/m", "revision": "c0ffee", "sha256": "ab" * 32,
        "precision": "bfloat16", "device_type": "cuda", "libraries": {"torch": "2.13.0"},
        "options": {"backend": "transformers"},
    }
