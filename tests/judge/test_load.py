"""Choosing a judge by its spec."""

from __future__ import annotations

from pathlib import Path

import pytest

from reg_eval.errors import UsageError
from reg_eval.judge import GenerationSettings, load_judge, parse_judge_spec
from reg_eval.judge.served import OpenAIChatJudge


def test_specs_split_into_backend_and_target() -> None:
    assert parse_judge_spec("transformers:Qwen/Qwen3-8B") == ("transformers", "Qwen/Qwen3-8B")
    assert parse_judge_spec(" openai:http://127.0.0.1:8000/v1 ") == (
        "openai", "http://127.0.0.1:8000/v1"
    )


@pytest.mark.parametrize("spec", ["vllm:http://x", "openai:", "transformers", "qwen", ""])
def test_unknown_judge_specs_are_usage_errors(spec: str) -> None:
    with pytest.raises(UsageError, match="unknown judge") as caught:
        load_judge(spec, model="m")
    assert "transformers:NAME_OR_PATH" in str(caught.value)


def test_a_served_judge_needs_a_model_name() -> None:
    with pytest.raises(UsageError, match="model name"):
        load_judge("openai:http://127.0.0.1:9/v1")


def test_a_served_judge_is_built_without_contacting_anyone(tmp_path: Path) -> None:
    settings = GenerationSettings(seed=7, enable_thinking=False)
    judge = load_judge("openai:http://127.0.0.1:9/v1/", model="m", settings=settings,
                       cache_root=tmp_path, concurrency=3, timeout_s=5, retries=1,
                       backoff_s=0.25)
    inner = judge.judge
    assert isinstance(inner, OpenAIChatJudge)
    assert (inner.url, inner.concurrency, inner.timeout_s, inner.retries, inner.backoff_s) == (
        "http://127.0.0.1:9/v1/chat/completions", 3, 5, 1, 0.25
    )
    assert judge.settings is settings and judge.calls == 0
    assert judge.cache is not None and judge.cache.root == tmp_path
    assert load_judge("openai:http://127.0.0.1:9/v1", model="m", use_cache=False).cache is None
