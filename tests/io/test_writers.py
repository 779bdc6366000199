"""Atomic writers: content, refusal to overwrite, no temp files left behind."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import pytest

from reg_eval.errors import UsageError
from reg_eval.io import writers
from reg_eval.io.writers import (
    atomic_write_bytes,
    atomic_write_text,
    write_csv,
    write_json,
    write_jsonl,
)


def test_write_json_format(tmp_path: Path) -> None:
    path = tmp_path / "out.json"
    write_json(path, {"b": 1, "a": ["Magen, Biopsie;\n  Gastritis"]})
    text = path.read_text(encoding="utf-8")
    assert text == '{\n  "b": 1,\n  "a": [\n    "Magen, Biopsie;\\n  Gastritis"\n  ]\n}\n'
    write_json(tmp_path / "u.json", ["Zürich"])
    assert "Zürich" in (tmp_path / "u.json").read_text(encoding="utf-8")


def test_write_json_refuses_nan(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        write_json(tmp_path / "nan.json", [float("nan")])
    assert list(tmp_path.iterdir()) == []


def test_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    path = tmp_path / "out.json"
    atomic_write_text(path, "first")
    with pytest.raises(UsageError) as info:
        atomic_write_text(path, "second")
    assert info.value.hint is not None and "--force" in info.value.hint
    assert path.read_text() == "first"
    atomic_write_text(path, "second", force=True)
    assert path.read_text() == "second"


def test_directory_target_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="folder"):
        atomic_write_bytes(tmp_path, b"x", force=True)


def test_creates_missing_parent_folders(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "out.txt"
    atomic_write_bytes(path, b"x")
    assert path.read_bytes() == b"x"


def test_no_temp_file_left_when_replace_fails(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    def broken_replace(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(writers.os, "replace", broken_replace)
    with pytest.raises(UsageError, match="No space left"):
        atomic_write_text(tmp_path / "out.json", "data")
    assert list(tmp_path.iterdir()) == []


def test_no_temp_file_left_on_interrupt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(fd: int) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(writers.os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        atomic_write_text(tmp_path / "out.json", "data")
    assert list(tmp_path.iterdir()) == []


def test_new_file_has_ordinary_permissions(tmp_path: Path) -> None:
    path = atomic_write_text(tmp_path / "out.txt", "x")
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask


def test_jsonl_and_csv(tmp_path: Path) -> None:
    rows = [{"id": "PIT_01_00001_01.tiff", "report": "a, \"b\"\nc", "x": 1},
            {"id": "PIT_01_00002_01.tiff"}]
    write_jsonl(tmp_path / "r.jsonl", rows)
    lines = (tmp_path / "r.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == rows
    write_csv(tmp_path / "r.csv", rows, ["id", "report"])
    with (tmp_path / "r.csv").open(newline="", encoding="utf-8") as handle:
        read = list(csv.DictReader(handle))
    assert read == [{"id": "PIT_01_00001_01.tiff", "report": "a, \"b\"\nc"},
                    {"id": "PIT_01_00002_01.tiff", "report": ""}]


def test_same_input_same_bytes(tmp_path: Path) -> None:
    rows = [{"id": str(n), "score": n / 7} for n in range(20)]
    write_json(tmp_path / "a.json", rows)
    write_json(tmp_path / "b.json", rows)
    assert (tmp_path / "a.json").read_bytes() == (tmp_path / "b.json").read_bytes()
