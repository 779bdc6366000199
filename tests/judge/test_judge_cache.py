"""The verdict cache: a rerun asks the judge nothing; anything that changes a verdict misses."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from fake_chat_server import FakeChatServer

from reg_eval.cache import FeatureCache
from reg_eval.errors import UsageError
from reg_eval.judge import CachedJudge, GenerationSettings, JudgeIdentity, JudgeReply, load_judge
from reg_eval.judge.cache import judge_namespace, prompt_key, reply_from_bytes, reply_to_bytes


def answer(prompt: str, body: dict[str, object]) -> tuple[str, str]:
    return (f"seed {body['seed']}", f"<answer>{prompt}</answer>")


def served(server: FakeChatServer, root: Path, **settings: object) -> CachedJudge:
    return load_judge(
        f"openai:{server.base_url}",
        model="qwen3-8b",
        cache_root=root,
        settings=GenerationSettings(**settings),  # type: ignore[arg-type]
    )


def test_a_rerun_makes_no_judge_call(tmp_path: Path) -> None:
    prompts = ["one", "two", "three"]
    with FakeChatServer(answer) as server:
        first = served(server, tmp_path).generate(prompts)
        assert server.completions == 3
        again = served(server, tmp_path)  # a new process would build a new judge
        second = again.generate(prompts)
        assert server.completions == 3
    assert again.calls == 0 and again.hits == 3
    assert second == first
    assert [r.content for r in first] == ["<answer>one</answer>", "<answer>two</answer>",
                                          "<answer>three</answer>"]


def test_a_second_submission_pays_only_for_its_new_prompts(tmp_path: Path) -> None:
    with FakeChatServer(answer) as server:
        served(server, tmp_path).generate(["shared", "first only"])
        judge = served(server, tmp_path)
        judge.generate(["shared", "second only", "second only"])
        assert judge.calls == 1 and judge.hits == 1
        assert server.completions == 3


def test_sample_index_settings_and_judge_each_get_their_own_entries(tmp_path: Path) -> None:
    with FakeChatServer(answer) as server:
        base = served(server, tmp_path)
        (zero,) = base.generate(["p"])
        (one,) = base.generate(["p"], sample_index=1)
        assert (zero.reasoning, one.reasoning) == ("seed 12345", "seed 12346")
        assert base.calls == 2
        served(server, tmp_path, enable_thinking=False).generate(["p"])
        served(server, tmp_path, seed=7).generate(["p"])
        served(server, tmp_path, temperature=0.0).generate(["p"])
        assert server.completions == 5
        other = load_judge(f"openai:{server.base_url}", model="other", cache_root=tmp_path)
        other.generate(["p"])
        assert other.calls == 1
        base.generate(["p"], sample_index=1)
        assert base.calls == 2


def test_without_a_cache_every_run_asks_but_duplicates_are_asked_once(tmp_path: Path) -> None:
    with FakeChatServer(answer) as server:
        judge = load_judge(f"openai:{server.base_url}", model="m", cache_root=tmp_path,
                           use_cache=False)
        judge.generate(["a", "a", "b"])
        judge.generate(["a"])
        assert server.completions == 3
    assert not (tmp_path / "features-v1.sqlite3").exists()


class ListJudge:
    """A duck-typed judge that records what it was asked."""

    def __init__(self, name: str = "list") -> None:
        self.identity = JudgeIdentity("openai", name, None, None, "served", "http://x/v1")
        self.settings = GenerationSettings()
        self.asked: list[list[str]] = []

    def generate(self, prompts: list[str], *, sample_index: int = 0) -> list[JudgeReply]:
        self.asked.append(list(prompts))
        return [JudgeReply(f"{p}#{sample_index}", "", f"{p}#{sample_index}") for p in prompts]


def test_chunks_are_stored_as_they_are_answered(tmp_path: Path) -> None:
    inner = ListJudge()
    judge = CachedJudge(inner, FeatureCache(tmp_path), chunk_size=2)
    assert [r.content for r in judge.generate(["a", "b", "c"])] == ["a#0", "b#0", "c#0"]
    assert inner.asked == [["a", "b"], ["c"]]

    class Failing(ListJudge):
        def generate(self, prompts: list[str], *, sample_index: int = 0) -> list[JudgeReply]:
            if "boom" in prompts:
                raise RuntimeError("server went away")
            return super().generate(prompts, sample_index=sample_index)

    failing = Failing()
    interrupted = CachedJudge(failing, FeatureCache(tmp_path), chunk_size=2)
    with pytest.raises(RuntimeError):
        interrupted.generate(["d", "e", "boom"])
    resumed = CachedJudge(ListJudge(), FeatureCache(tmp_path))
    resumed.generate(["d", "e"])
    assert resumed.calls == 0  # the first chunk was kept


def test_damaged_entries_are_asked_again(tmp_path: Path) -> None:
    inner = ListJudge()
    cache = FeatureCache(tmp_path)
    namespace = judge_namespace(inner.identity, inner.settings)
    cache.put_many(namespace, {prompt_key("a", 0): b"not json"})
    judge = CachedJudge(inner, FeatureCache(tmp_path))
    with pytest.warns(UserWarning, match="not a judge reply"):
        assert judge.generate(["a"])[0].content == "a#0"
    assert judge.calls == 1


def test_concurrent_writers_share_one_store(tmp_path: Path) -> None:
    def work(names: list[str]) -> None:
        CachedJudge(ListJudge(), FeatureCache(tmp_path)).generate(names)

    threads = [
        threading.Thread(target=work, args=([f"{t}-{i}" for i in range(20)],)) for t in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    reader = CachedJudge(ListJudge(), FeatureCache(tmp_path))
    replies = reader.generate([f"{t}-{i}" for t in range(4) for i in range(20)])
    assert reader.calls == 0
    assert replies[21].content == "1-1#0"


def test_reply_bytes_round_trip_and_refuse_other_shapes() -> None:
    reply = JudgeReply(content=None, reasoning="r", raw="é")
    assert reply_from_bytes(reply_to_bytes(reply)) == reply
    for payload in (b'{"content": 1, "reasoning": "", "raw": ""}', b"[]", b"\xff",
                    b'{"content": "", "reasoning": ""}'):
        with pytest.raises(ValueError):
            reply_from_bytes(payload)


def test_keys_cover_the_exact_prompt_and_the_sample() -> None:
    assert prompt_key("a", 0) != prompt_key("a ", 0)
    assert prompt_key("a", 0) != prompt_key("a", 1)
    assert prompt_key("1\x00a", 0) != prompt_key("a", 10)


def test_served_replies_are_stored_as_they_complete_even_when_one_fails(tmp_path: Path) -> None:
    def slow_for_one(prompt: str, body: dict[str, object]) -> str:
        if prompt == "slow":
            import time

            time.sleep(0.8)
            raise RuntimeError("the handler breaks: the client sees a dropped connection")
        return f"<answer>{prompt}</answer>"

    prompts = ["slow", *(f"quick {i}" for i in range(6))]
    with FakeChatServer(slow_for_one) as server:
        judge = load_judge(f"openai:{server.base_url}", model="m", cache_root=tmp_path,
                           concurrency=4, retries=0)
        judge.chunk_size = 2
        with pytest.raises(UsageError, match="gave up after 1 attempt;"):
            judge.generate(prompts)
        assert judge.calls == 6  # the six quick replies were stored before the failure
        again = load_judge(f"openai:{server.base_url}", model="m", cache_root=tmp_path)
        assert [r.content for r in again.generate(prompts[1:])] == [
            f"<answer>quick {i}</answer>" for i in range(6)
        ]
        assert again.calls == 0
