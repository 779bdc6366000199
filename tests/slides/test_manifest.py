"""Merging the part manifests of a feature folder: only regular part files, read within the
input limits; anything else is left out with a warning, never a hang or a crash."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from reg_eval.io.limits import Limits, limits_applied
from reg_eval.slides.manifest import merge_manifests

PART = {"signature": {"text": "reg-eval:test"},
        "slides": [{"id": "S", "status": "done"}]}


def _folder(tmp_path: Path) -> Path:
    out = tmp_path / "features"
    (out / "manifests").mkdir(parents=True)
    (out / "manifests" / "part-a.json").write_text(json.dumps(PART), encoding="utf-8")
    return out


def test_a_fifo_among_the_parts_is_left_out_without_opening_it(tmp_path: Path) -> None:
    out = _folder(tmp_path)
    os.mkfifo(out / "manifests" / "part-b.json")  # opening it would wait for a writer
    script = ("import sys; from pathlib import Path; "
              "from reg_eval.slides.manifest import merge_manifests; w = []; "
              "merge_manifests(Path(sys.argv[1]), w); print('\\n'.join(w))")
    done = subprocess.run([sys.executable, "-c", script, str(out)], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "part-b.json is not a part manifest (it is a FIFO (named pipe), not a regular " \
           "file; it was not opened)" in done.stdout
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["parts"] == ["part-a.json"] and manifest["counts"] == {"done": 1}


def test_a_part_over_the_input_limit_is_left_out_unread(tmp_path: Path) -> None:
    out = _folder(tmp_path)
    big = dict(PART, padding="x" * (2 * 1024 * 1024))
    (out / "manifests" / "part-b.json").write_text(json.dumps(big), encoding="utf-8")
    warnings: list[str] = []
    with limits_applied(Limits(max_upload_mb=1)):
        merge_manifests(out, warnings)
    assert len(warnings) == 1 and "part-b.json is not a part manifest (it cannot be read:" \
        in warnings[0] and "--max-upload-mb" in warnings[0], warnings
    assert json.loads((out / "manifest.json").read_text())["parts"] == ["part-a.json"]
