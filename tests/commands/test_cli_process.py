"""The `python -m reg_eval` fixture cannot hide a failure: a command line that stops importing
fails the tests that run it instead of skipping them."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_process import cli_import_error, module_runner

import reg_eval

BLOCKER = '''
import os, sys
if os.environ.get("REG_EVAL_TEST_BREAK_CLI"):
    class _Refuse:
        def find_spec(self, name, path=None, target=None):
            if name == "reg_eval.cli":
                raise ImportError("reg_eval.cli broken on purpose by the test")
            return None
    sys.meta_path.insert(0, _Refuse())
'''


def test_a_cli_that_does_not_import_fails_the_test_and_never_skips_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "sitecustomize.py").write_text(BLOCKER, encoding="utf-8")
    monkeypatch.setenv("REG_EVAL_TEST_BREAK_CLI", "1")
    error = cli_import_error(str(tmp_path))
    assert error is not None and "broken on purpose" in error  # the breakage is seen
    stopped: BaseException | None = None
    try:
        module_runner(error)
    except BaseException as raised:  # a skip escaping here would mark this test skipped
        stopped = raised
    assert type(stopped) is pytest.fail.Exception, repr(stopped)
    assert str(stopped) == f"reg_eval.cli does not import: {error}"
    assert not stopped.pytrace


def test_a_cli_that_imports_gives_a_runner() -> None:
    assert cli_import_error() is None
    done = module_runner(None)("--version")
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["reg-eval", reg_eval.__version__]
