"""Metric B through a served judge equals the organisers' scorer fed the same verdicts.

The verdicts travel the whole way a real run's do: prompts go as chat-completions requests to
an OpenAI-compatible server on 127.0.0.1, the server answers deterministically from (prompt,
sample), and the judge layer reads the replies back and caches them. The reference is the
literal transcription of the organisers' functions, fed the same verdict texts directly.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import grounding_literal as literal
import pytest
from fake_chat_server import FakeChatServer
from grounding_fixtures import (
    assert_same_as_the_template,
    judge_content,
    write_answers,
    write_mapping,
)

from reg_eval.judge import load_judge
from reg_eval.judge.types import GenerationSettings
from reg_eval.reg2026.grounding import score_grounding_files

SEED = 777


def verdict(prompt: str, sample_index: int, salt: int) -> str:
    """The fixture's verdict text; a served reply has no null content, so None reads as ""."""
    return judge_content(prompt, sample_index, salt) or ""


class LiteralJudgeModel:
    """The organisers' `judge_model(prompt)`: their votes on one prompt are consecutive calls."""

    def __init__(self, voting: int, salt: int) -> None:
        self.voting, self.salt = voting, salt
        self.counts: Counter[str] = Counter()

    def __call__(self, prompt: str) -> tuple[str, str]:
        index = self.counts[prompt] % self.voting
        self.counts[prompt] += 1
        return verdict(prompt, index, self.salt), "thought about it"


def serve(salt: int):
    def reply(prompt: str, body: dict[str, Any]) -> tuple[str, str]:
        # sample i is sent with seed + i (GenerationSettings.sample_seed)
        return "thought about it", verdict(prompt, int(body["seed"]) - SEED, salt)

    return FakeChatServer(reply)


@pytest.mark.parametrize("voting,salt", [(1, 0), (2, 1), (3, 2), (4, 0)])
def test_b_through_a_served_judge_equals_the_organisers_scorer(
    tmp_path: Path, voting: int, salt: int
) -> None:
    mapping = write_mapping(tmp_path / "rois_mapping.txt")
    answers = write_answers(tmp_path / "answers.json")
    reference = literal.run_visual(answers, mapping, LiteralJudgeModel(voting, salt),
                                   voting=voting)
    settings = GenerationSettings(seed=SEED)
    with serve(salt) as server:
        judge = load_judge(f"openai:{server.base_url}", model="fake-judge", settings=settings,
                           cache_root=tmp_path / "cache", concurrency=4, retries=0)
        result = score_grounding_files(mapping, answers, judge, voting=voting, n_bootstrap=50)
        sent = server.completions
    assert_same_as_the_template(result, reference)
    assert sent == judge.calls > 0


def test_a_second_run_over_the_same_answers_sends_no_request(tmp_path: Path) -> None:
    mapping = write_mapping(tmp_path / "rois_mapping.txt")
    answers = write_answers(tmp_path / "answers.json")
    settings = GenerationSettings(seed=SEED)
    results = []
    with serve(0) as server:
        for _ in range(2):
            judge = load_judge(f"openai:{server.base_url}", model="fake-judge",
                               settings=settings, cache_root=tmp_path / "cache", retries=0)
            before = server.requests
            results.append(score_grounding_files(mapping, answers, judge, voting=3,
                                                 n_bootstrap=50).to_dict())
            results.append(server.requests - before)
    first, first_requests, second, second_requests = results
    assert first_requests > 0
    assert second_requests == 0
    assert second == first
