"""The CLI fixtures cannot hide a failure: a command line that stops importing fails the
`python -m reg_eval` tests instead of skipping them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

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


def test_a_cli_that_does_not_import_fails_the_python_m_tests(tmp_path: Path) -> None:
    (tmp_path / "sitecustomize.py").write_text(BLOCKER, encoding="utf-8")
    env = dict(os.environ)
    env["PYTHONPATH"] = str(tmp_path) + os.pathsep + env.get("PYTHONPATH", "")
    env["REG_EVAL_TEST_BREAK_CLI"] = "1"
    check = subprocess.run([sys.executable, "-c", "import reg_eval.cli"], env=env, cwd=REPO,
                           capture_output=True, text=True, timeout=120)
    assert check.returncode != 0 and "broken on purpose" in check.stderr  # the breakage works
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rfs",
         "tests/commands/test_validate.py::test_python_m_reg_eval"],
        env=env, cwd=REPO, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 1, done.stdout[-2000:]
    assert "1 error" in done.stdout or "1 failed" in done.stdout
    assert "skipped" not in done.stdout
    assert "reg_eval.cli does not import" in done.stdout
