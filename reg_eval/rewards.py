"""The REG score as a reward for reinforcement learning (TRL's `GRPOTrainer(reward_funcs=...)`).

A reward function is called at every training step with a batch of completions and the
dataset columns of their prompts. Loading an 8B embedding model per call would dominate
training, so the scorer is built once per process and options, and every call scores its
whole batch at once (each distinct text embedded once, through the feature cache).
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from reg_eval.columns import OFFICIAL
from reg_eval.errors import UsageError
from reg_eval.groups import GROUPS
from reg_eval.io.texts import checked_texts
from reg_eval.scoring_options import ScoringOptions

if TYPE_CHECKING:
    from reg_eval.profiles import Profile
    from reg_eval.scoring import Scorer

OFFICIAL_COMPONENTS = OFFICIAL.numeric
DEFAULT_PROFILE = "offline"
DEFAULT_REFERENCE_COLUMN = "ground_truth"
EMPTY_REWARD = 0.0
"""The reward of an empty (or whitespace-only) completion: the lowest score a report can get.

The official formula gives an empty report a small positive EMB share; as a reward that would
pay a policy for saying nothing, so empty completions are never sent to the models."""
REWARD_BOOTSTRAP = 1
"""Rewards use per-case values only; one bootstrap resample keeps the CIs out of the way."""

_SCORERS: dict[str, Scorer] = {}


def _options_key(profile: str, options: Mapping[str, Any]) -> str:
    """A stable text key for (profile, options); paths and numbers go through `str`."""
    return json.dumps({"profile": profile, **options}, sort_keys=True, default=str)


def shared_scorer(
    options: ScoringOptions | str | Profile = DEFAULT_PROFILE, /, **changes: Any
) -> Scorer:
    """One `Scorer` per process and options, so its models load once.

    The reward functions and the Hugging Face `evaluate` module both use it; two callers that
    ask for the same options share the loaded models. `options` and `changes` are as for
    `Scorer`.
    """
    resolved = ScoringOptions.of(options, **changes)
    key = resolved.key()
    scorer = _SCORERS.get(key)
    if scorer is None:
        from reg_eval.scoring import Scorer

        scorer = Scorer(resolved)
        _SCORERS[key] = scorer
    return scorer


def clear_shared_scorers() -> None:
    """Forget the loaded scorers (frees their models once nothing else holds them)."""
    _SCORERS.clear()


def completion_text(completion: Any) -> str:
    """The report text of one completion: a string, or chat messages (the last assistant's).

    TRL passes plain strings for standard datasets and lists of `{"role", "content"}` messages
    for conversational ones; `content` may also be a list of typed parts, whose text parts are
    joined.
    """
    if completion is None:
        return ""
    if isinstance(completion, str):
        return completion
    if isinstance(completion, Mapping):
        return _content_text(completion.get("content"))
    if isinstance(completion, Sequence):
        messages = [m for m in completion if isinstance(m, Mapping)]
        if len(messages) != len(completion):
            raise UsageError(
                "a chat completion must be a list of {'role': ..., 'content': ...} messages",
                hint="pass strings, or lists of message dicts as TRL does",
            )
        assistant = [m for m in messages if m.get("role") == "assistant"]
        chosen = assistant[-1] if assistant else (messages[-1] if messages else None)
        return "" if chosen is None else _content_text(chosen.get("content"))
    raise UsageError(
        f"cannot read a report from a completion of type {type(completion).__name__}",
        hint="pass strings, or lists of chat messages",
    )


def _content_text(content: Any) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, Sequence):
        parts = []
        for part in content:
            if isinstance(part, str):
                parts.append(part)
            elif isinstance(part, Mapping) and isinstance(part.get("text"), str):
                parts.append(part["text"])
        return "".join(parts)
    raise UsageError(f"message content of type {type(content).__name__} holds no text")


def reward_name(
    profile: str, component: str, reference_column: str, options: Mapping[str, Any]
) -> str:
    """`reg_<component>`, plus the profile when not the default, plus a short hash of the rest.

    TRL logs each reward as `rewards/<__name__>/mean`, so two rewards that differ in anything
    must differ in name, and the same setup must keep its name across runs.
    """
    name = f"reg_{component}"
    if profile != DEFAULT_PROFILE:
        name += "_" + re.sub(r"\W+", "_", profile).strip("_")
    if options or reference_column != DEFAULT_REFERENCE_COLUMN:
        digest = hashlib.sha256(
            _options_key(profile, {"reference_column": reference_column, **options}).encode()
        ).hexdigest()
        name += "_" + digest[:8]
    return re.sub(r"\W+", "_", name)


def reg_reward(
    profile: str = DEFAULT_PROFILE,
    component: str = "ranking",
    reference_column: str = DEFAULT_REFERENCE_COLUMN,
    *,
    empty_reward: float = EMPTY_REWARD,
    **scorer_options: Any,
) -> Callable[..., list[float]]:
    """A reward callable `(completions, **kwargs) -> list[float]` for TRL's GRPOTrainer.

    `component` is "ranking" (the official score) or one of its parts ("bleu", "rouge",
    "key", "emb"), the name of an extra metric group ("clinical": that group's headline
    column, `clinical_weighted`; the group is added to `metrics=`), or a per-case column of
    an extra metric group given through `metrics=`. References come from
    `kwargs[reference_column]`, one per completion, as TRL passes the dataset's columns.
    `scorer_options` are `ScoringOptions` fields (emb_model, key_model, device, dtype,
    batch_size, cache_dir, metrics, ...); an unknown name is a TypeError at once.
    """
    if not math.isfinite(empty_reward):
        raise UsageError("empty_reward must be a finite number")
    metrics = scorer_options.get("metrics")
    if component in GROUPS:
        scorer_options = {**scorer_options, "metrics": _with_group(metrics, component)}
        metrics = scorer_options["metrics"]
    if component not in OFFICIAL_COMPONENTS and metrics is None:
        raise UsageError(
            f"unknown reward component {component!r}",
            hint=f"use one of {', '.join(OFFICIAL_COMPONENTS)}, or pass metrics= with the "
            "group that computes it",
        )
    options = ScoringOptions.of(profile, **{"bootstrap": REWARD_BOOTSTRAP, **scorer_options})
    named_options = dict(scorer_options)
    if empty_reward != EMPTY_REWARD:
        named_options["empty_reward"] = empty_reward
    name = reward_name(profile, component, reference_column, named_options)

    def reward(completions: Sequence[Any], **kwargs: Any) -> list[float]:
        references = _references(kwargs, reference_column, len(completions))
        hyps = [completion_text(c) for c in completions]
        scored = [i for i, hyp in enumerate(hyps) if hyp.strip()]
        rewards = [float(empty_reward)] * len(hyps)
        if not scored:
            return rewards
        scorer = shared_scorer(options)
        refs = [references[i] for i in scored]
        values = _component_values(scorer, component, refs, [hyps[i] for i in scored])
        for i, value in zip(scored, values, strict=True):
            rewards[i] = value if math.isfinite(value) else float(empty_reward)
        # What the last batch's numbers are, for the training log: TRL takes floats only.
        reward.signature = scorer.signature(n_cases=len(scored), missing="n/a").format()  # type: ignore[attr-defined]
        return rewards

    reward.signature = None  # type: ignore[attr-defined]
    reward.__name__ = name
    reward.__qualname__ = name
    reward.__doc__ = f"REG {component} reward (profile {profile}), one float per completion."
    return reward


def _references(kwargs: Mapping[str, Any], column: str, n: int) -> list[str]:
    if column not in kwargs:
        given = ", ".join(sorted(kwargs)) or "none"
        raise UsageError(
            f"the reward needs the reference reports in the dataset column {column!r}; "
            f"columns passed: {given}",
            hint="add the column to the dataset, or pass reference_column= to reg_reward",
        )
    values = list(kwargs[column])
    if len(values) != n:
        raise UsageError(f"{n} completions but {len(values)} references in column {column!r}")
    # Named as the caller passed them (the dataset column), checked as the Scorer checks.
    return checked_texts(values, column)


def _with_group(metrics: Any, group: str) -> str:
    """`metrics=` with the group named by the reward's component added (once)."""
    if metrics is None:
        names: list[str] = ["official"]
    elif isinstance(metrics, str):
        names = [n.strip() for n in metrics.split(",") if n.strip()]
    else:
        names = [str(n) for n in metrics]
    return ",".join(names if group in names else [*names, group])


def _component_values(
    scorer: Scorer, component: str, refs: list[str], hyps: list[str]
) -> list[float]:
    """Per-case values of one column; official parts skip the bootstrap and extra groups."""
    if component in OFFICIAL_COMPONENTS:
        stats = scorer.case_stats(refs, hyps)
        return [float(v) for v in getattr(stats, component)]
    result = scorer(refs, hyps)
    columns = result.columns
    group = result.groups.get(component)
    if group is not None and group.headline is not None:
        component = group.headline
    if component not in columns:
        raise UsageError(
            f"no per-case column {component!r} in the chosen metric groups",
            hint=f"columns available: {', '.join(columns)}",
        )
    return [float(v) for v in columns[component]]
