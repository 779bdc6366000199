"""A second Metric B run over the same answers makes no judge call (the judge layer's cache)."""

from __future__ import annotations

from pathlib import Path

import pytest
from grounding_fixtures import FakeJudge, write_answers, write_mapping

from reg_eval.reg2026.grounding import score_grounding_files

judge_layer = pytest.importorskip("reg_eval.judge")


def test_a_rerun_is_answered_from_the_verdict_cache(tmp_path: Path) -> None:
    from reg_eval.cache import FeatureCache
    from reg_eval.judge.types import GenerationSettings, JudgeIdentity

    inner = FakeJudge()
    identity = JudgeIdentity("openai", "fake-judge", None, None, "served",
                             "http://127.0.0.1:1/v1")
    inner.identity, inner.settings = identity, GenerationSettings()  # type: ignore[assignment]
    files = (write_mapping(tmp_path / "m.txt"), write_answers(tmp_path / "a.json"))
    first_judge = judge_layer.CachedJudge(inner, FeatureCache(tmp_path / "cache"))
    first = score_grounding_files(*files, first_judge, voting=2, n_bootstrap=50)
    assert first_judge.calls == inner.calls > 0
    sent = inner.calls
    second_judge = judge_layer.CachedJudge(inner, FeatureCache(tmp_path / "cache"))
    second = score_grounding_files(*files, second_judge, voting=2, n_bootstrap=50)
    assert second_judge.calls == 0 and inner.calls == sent
    assert second.to_dict() == first.to_dict()
