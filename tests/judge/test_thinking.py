"""Splitting reasoning from answer, as the organisers' judge does."""

from __future__ import annotations

from reg_eval.judge.thinking import served_reply, split_index, split_think_tags
from reg_eval.judge.types import JudgeReply

THINK_END = 151668


def test_split_index_is_after_the_last_think_end() -> None:
    assert split_index([5, THINK_END, 7, THINK_END, 9, 10], THINK_END) == 4
    assert split_index([THINK_END], THINK_END) == 1
    assert split_index([1, 2, 3], THINK_END) == 0
    assert split_index([], THINK_END) == 0
    assert split_index([1, 2], None) == 0


def test_inline_tags_split_at_the_last_close_tag() -> None:
    text = "<think>\nIs it tissue? </think> maybe\n</think>\n\n<answer>CORRECT</answer>\n"
    reply = split_think_tags(text)
    assert reply == JudgeReply(
        content="<answer>CORRECT</answer>",
        reasoning="Is it tissue? </think> maybe",
        raw=text,
    )


def test_without_tags_everything_is_content() -> None:
    assert split_think_tags("\n<answer>SAME</answer>\n") == JudgeReply(
        content="<answer>SAME</answer>", reasoning="", raw="\n<answer>SAME</answer>\n"
    )


def test_reasoning_field_wins_and_null_content_is_the_empty_text() -> None:
    reply = served_reply("\n\n<answer>DIFFERENT</answer>", "\nlooks different\n")
    assert reply.content == "<answer>DIFFERENT</answer>"
    assert reply.reasoning == "looks different"
    assert reply.raw == "<think>\nlooks different\n</think>\n\n<answer>DIFFERENT</answer>"
    # The local judge always decodes text, so a null content is "" (unparseable), never None
    # (which the organisers' parser would read as INCORRECT or DIFFERENT).
    assert served_reply(None, None) == JudgeReply(content="", reasoning="", raw="")
    assert served_reply(None, "thought") == JudgeReply(
        content="", reasoning="thought", raw="<think>thought</think>"
    )


def test_thinking_cut_off_by_the_budget_is_content_as_the_local_judge_reads_it() -> None:
    cut = served_reply(None, "\nIs it tissue? <answer>CORRECT</answer> maybe", "length")
    assert cut == JudgeReply(
        content="<think>\nIs it tissue? <answer>CORRECT</answer> maybe",
        reasoning="",
        raw="<think>\nIs it tissue? <answer>CORRECT</answer> maybe",
    )
    # Finished normally, or cut off after </think>: content and reasoning stay apart.
    assert served_reply(None, "thought", "stop").content == ""
    assert served_reply("<answer>SAME", "thought", "length").content == "<answer>SAME"
    # Inline tags with no </think>: everything is content, as the local judge reads it.
    assert split_think_tags("<think>\nstill thinking").content == "<think>\nstill thinking"
