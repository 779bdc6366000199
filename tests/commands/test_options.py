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
