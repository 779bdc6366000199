"""Splitting a thinking model's output into its reasoning and its answer.

The organisers' judge cuts the generated token ids after the last `</think>` id: what comes
before is the reasoning, what follows is the content, each decoded and stripped of newlines;
without that id everything is content. Servers either return the reasoning in a field of its
own (vLLM, SGLang) or leave the tags in the text (llama.cpp, Ollama); both end up as the same
`JudgeReply`.
"""

from __future__ import annotations

from collections.abc import Sequence

from reg_eval.judge.types import JudgeReply

THINK_OPEN = "<think>"
THINK_CLOSE = "</think>"


def split_index(token_ids: Sequence[int], think_end_id: int | None) -> int:
    """The position just after the last `think_end_id`, 0 when it does not occur."""
    if think_end_id is None:
        return 0
    for position in range(len(token_ids) - 1, -1, -1):
        if token_ids[position] == think_end_id:
            return position + 1
    return 0


def bare_reasoning(text: str) -> str:
    """The thinking without its surrounding `<think>` / `</think>` tags and newlines."""
    text = text.strip("\n")
    if text.endswith(THINK_CLOSE):
        text = text[: -len(THINK_CLOSE)].strip("\n")
    if text.startswith(THINK_OPEN):
        text = text[len(THINK_OPEN) :].strip("\n")
    return text


def split_think_tags(text: str) -> JudgeReply:
    """A reply whose thinking is written inline as `<think>...</think>` text."""
    cut = text.rfind(THINK_CLOSE)
    if cut < 0:
        return JudgeReply(content=text.strip("\n"), reasoning="", raw=text)
    reasoning = bare_reasoning(text[:cut])
    content = text[cut + len(THINK_CLOSE) :].strip("\n")
    return JudgeReply(content=content, reasoning=reasoning, raw=text)


def served_reply(
    content: str | None, reasoning: str | None, finish_reason: str | None = None
) -> JudgeReply:
    """A chat-completions message: reasoning in its own field, or tags inside the content.

    A reply cut off by the token budget while still thinking never wrote `</think>`: the
    organisers' judge then takes the whole output as content. Some servers return such a
    reply as reasoning with no content; it is put back together as that content here, so a
    served judge reads it as the local one does.

    Any other missing content (`null`, as vLLM's reasoning parser sends when the model stops
    right after `</think>`) is the empty text: the local judge always decodes text, and ""
    is unparseable, where a None content would read as the second label.
    """
    if reasoning and not content and finish_reason == "length":
        text = f"{THINK_OPEN}{reasoning}"
        return JudgeReply(content=text.strip("\n"), reasoning="", raw=text)
    if content is None:
        content = ""
    if reasoning:
        raw = f"{THINK_OPEN}{reasoning}{THINK_CLOSE}{content}"
        return JudgeReply(
            content=content.strip("\n"), reasoning=bare_reasoning(reasoning), raw=raw
        )
    return split_think_tags(content)
