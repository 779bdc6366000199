"""The served judge against a fake OpenAI-compatible server on the loopback address."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fake_chat_server import FakeChatServer

from reg_eval.errors import UsageError
from reg_eval.judge import GenerationSettings, JudgeReply, load_judge
from reg_eval.judge.served import OpenAIChatJudge, ServedJudgeError

SECRET = "sk-test-9f8e7d6c5b4a"


def echo(prompt: str, body: dict[str, object]) -> tuple[str, str]:
    return (f"thinking about {prompt}", f"<answer>{prompt.upper()}</answer>")


def judge_for(server: FakeChatServer, **options: object) -> OpenAIChatJudge:
    options.setdefault("sleep", lambda seconds: None)
    return OpenAIChatJudge(server.base_url, "qwen3-8b", **options)  # type: ignore[arg-type]


def test_request_carries_the_organisers_settings_and_the_sample_seed() -> None:
    with FakeChatServer(echo) as server:
        settings = GenerationSettings(max_new_tokens=512, top_k=20)
        replies = judge_for(server, settings=settings).generate(["a", "b"], sample_index=3)
    assert replies == [
        JudgeReply("<answer>A</answer>", "thinking about a",
                   "<think>thinking about a</think><answer>A</answer>"),
        JudgeReply("<answer>B</answer>", "thinking about b",
                   "<think>thinking about b</think><answer>B</answer>"),
    ]
    body = sorted(server.bodies, key=lambda b: b["messages"][0]["content"])[0]
    assert body == {
        "model": "qwen3-8b",
        "messages": [{"role": "user", "content": "a"}],
        "max_tokens": 512,
        "seed": 12348,
        "n": 1,
        "stream": False,
        "chat_template_kwargs": {"enable_thinking": True},
        "top_k": 20,
    }


def test_inline_think_tags_are_split_like_a_reasoning_field() -> None:
    with FakeChatServer(echo, reasoning="tags") as server:
        (reply,) = judge_for(server).generate(["x"])
    assert reply.content == "<answer>X</answer>"
    assert reply.reasoning == "thinking about x"


def test_server_errors_and_rate_limits_are_retried_with_backoff() -> None:
    delays: list[float] = []
    with FakeChatServer(echo) as server:
        server.fail(500, 2)
        server.fail(429, 1, retry_after="3")
        judge = judge_for(server, retries=4, backoff_s=0.5, sleep=delays.append)
        (reply,) = judge.generate(["p"])
    assert reply.content == "<answer>P</answer>"
    assert server.requests == 4
    assert delays == [0.5, 1.0, 3.0]  # 0.5, 1, then the server's Retry-After over 2


def test_persistent_failure_gives_up_after_the_retries_with_a_clear_error() -> None:
    with FakeChatServer(echo) as server:
        server.fail(503, 10)
        with pytest.raises(ServedJudgeError) as caught:
            judge_for(server, retries=2).generate(["p"])
    assert server.requests == 3
    message = str(caught.value)
    assert "gave up after 3 attempts" in message and "HTTP 503" in message
    assert caught.value.exit_code == 2


def test_client_errors_are_not_retried() -> None:
    with FakeChatServer(echo) as server:
        server.fail(400, 1, body='{"error": "max_tokens is too large"}')
        with pytest.raises(ServedJudgeError, match=r"HTTP 400.*max_tokens is too large"):
            judge_for(server, retries=4).generate(["p"])
    assert server.requests == 1


def test_a_slow_server_times_out_and_is_retried() -> None:
    with FakeChatServer(echo, delay_s=0.6) as server, pytest.raises(
        ServedJudgeError, match=r"gave up after 2 attempts; last: no answer within 0\.2 s"
    ):
        judge_for(server, timeout_s=0.2, retries=1).generate(["p"])
    assert server.requests == 2  # two 0.2 s timeouts; a 0.6 s answer within them would pass


def test_a_refused_connection_is_retried_then_reported() -> None:
    with FakeChatServer(echo) as server:
        url = server.base_url
    judge = OpenAIChatJudge(url, "m", retries=1, sleep=lambda s: None, timeout_s=2)
    with pytest.raises(ServedJudgeError, match="gave up after 2 attempts; last: connection failed"):
        judge.generate(["p"])


def test_requests_run_concurrently_up_to_the_limit_and_keep_their_order() -> None:
    prompts = [f"prompt {i}" for i in range(12)]
    with FakeChatServer(echo, delay_s=0.15) as server:
        replies = judge_for(server, concurrency=4).generate(prompts)
    assert [r.content for r in replies] == [f"<answer>PROMPT {i}</answer>" for i in range(12)]
    assert server.max_in_flight == 4  # four at once: concurrent, and never past the limit


def test_the_key_is_sent_but_never_shown_or_stored(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("REG_EVAL_JUDGE_API_KEY", SECRET)
    with FakeChatServer(echo) as server:
        judge = load_judge(f"openai:{server.base_url}", model="qwen3-8b", cache_root=tmp_path)
        judge.generate(["a", "b"])
        assert {h.get("Authorization") for h in server.headers} == {f"Bearer {SECRET}"}
        server.fail(401, 1, body=f'{{"error": "bad key {SECRET}"}}')
        with pytest.raises(ServedJudgeError) as caught:
            judge.generate(["c"])
    shown = f"{caught.value} {caught.value!r} {judge.judge!r} {judge.identity.describe()}"
    assert SECRET not in shown
    assert "bad key [key]" in str(caught.value)
    assert "REG_EVAL_JUDGE_API_KEY" in str(caught.value)  # the hint names the variable
    stored = b"".join(p.read_bytes() for p in tmp_path.rglob("*") if p.is_file())
    assert stored and SECRET.encode() not in stored
    assert SECRET not in json.dumps(judge.identity.fields())


def test_no_key_no_authorization_header() -> None:
    with FakeChatServer(echo) as server:
        judge_for(server).generate(["a"])
    assert "Authorization" not in server.headers[0]


@pytest.mark.parametrize(
    "url",
    ["ftp://host/v1", "127.0.0.1:8000", "http://user:pw@host/v1", "http://host/v1?key=x"],
)
def test_bad_server_addresses_are_usage_errors(url: str) -> None:
    with pytest.raises(UsageError):
        OpenAIChatJudge(url, "m")


def test_null_content_is_the_empty_text_as_the_local_judge_decodes_it() -> None:
    with FakeChatServer(lambda p, b: None) as server:
        (reply,) = judge_for(server).generate(["a"])
    assert reply == JudgeReply(content="", reasoning="", raw="")


def test_a_loopback_server_is_reached_past_any_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("http_proxy", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv("no_proxy", "")
    with FakeChatServer(echo) as server:
        (reply,) = judge_for(server, retries=0).generate(["a"])
    assert reply.content == "<answer>A</answer>"


@pytest.mark.parametrize(("reasoning", "after_tag"), [("field", ""), ("tags", "\n")])
def test_a_reply_cut_off_while_thinking_is_all_content(reasoning: str, after_tag: str) -> None:
    def unfinished(prompt: str, body: dict[str, object]) -> tuple[str, None]:
        return ("the region looks like <answer>CORRECT</answer> or not", None)

    with FakeChatServer(unfinished, reasoning=reasoning, finish_reason="length") as server:
        (reply,) = judge_for(server).generate(["p"])
    text = "the region looks like <answer>CORRECT</answer> or not"
    assert reply.content == f"<think>{after_tag}{text}"
    assert reply.reasoning == ""


def test_a_bad_address_is_not_repeated_as_it_may_hold_a_key() -> None:
    with pytest.raises(UsageError) as caught:
        OpenAIChatJudge("sk-SECRET@host", "m")
    shown = f"{caught.value} {caught.value.hint}"
    assert "SECRET" not in shown
    assert "http" in shown and "/v1" in shown
