"""Commands take their common options from commands/options.py instead of declaring them again."""

from __future__ import annotations

import typing
from collections.abc import Callable
from typing import Any

import pytest

from reg_eval.commands import baseline, options


def _declaration(command: Callable[..., Any], parameter: str) -> object:
    hint = typing.get_type_hints(command, include_extras=True)[parameter]
    return typing.get_args(hint)[1]


@pytest.mark.parametrize(
    "command", [baseline.train_command, baseline.generate_command, baseline.baseline_command]
)
@pytest.mark.parametrize(
    ("parameter", "shared"),
    [
        ("force", options.ForceOption),
        ("quiet", options.QuietOption),
        ("device", options.DeviceOption),
    ],
)
def test_baseline_commands_use_the_shared_declarations(
    command: Callable[..., Any], parameter: str, shared: object
) -> None:
    assert _declaration(command, parameter) is typing.get_args(shared)[1]


@pytest.mark.parametrize(("parameter", "shared"), [("quiet", options.QuietOption),
                                                   ("device", options.DeviceOption)])
def test_features_extract_uses_the_shared_declarations(parameter: str, shared: object) -> None:
    from reg_eval.commands import features

    assert _declaration(features.extract_command, parameter) is typing.get_args(shared)[1]


def test_input_limits_declares_the_named_limits_and_applies_them_while_the_command_runs() -> None:
    import inspect

    from reg_eval.io.limits import DEFAULT_MAX_CASES, current_limits

    seen: list[tuple[int, int]] = []

    @options.input_limits("max_depth")
    def command(name: str = "x") -> None:
        limits = current_limits()
        seen.append((limits.max_depth, limits.max_cases))

    assert list(inspect.signature(command).parameters) == ["name", "max_depth"]
    command(name="y", max_depth=3)
    assert seen == [(3, DEFAULT_MAX_CASES)]  # the undeclared limit keeps its default
    assert current_limits().max_depth != 3  # and the limit ends with the command


def test_input_limits_refuses_a_limit_it_does_not_know() -> None:
    with pytest.raises(TypeError, match="max_rows"):
        options.input_limits("max_rows")
