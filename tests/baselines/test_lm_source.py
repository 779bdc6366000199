"""Which LM prefix-lm builds on: resolution, and the weight digest run folders record."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from reg_eval.errors import UsageError
from reg_eval_baselines.lm_source import check_same_lm, resolve_lm

WEIGHTS_A = b"pathology weights A"
WEIGHTS_B = b"pathology weights B"
OLD_FOLDER_DIGEST = "8e4b5c44a6644674789b0031eda564af64765bb6b5d51bfb8020fac4d7db1796"
"""What run folders written before the shared folder hash recorded for `model_folder`:
sha256 over name, NUL and content of each weight file, in name order."""


def model_folder(root: Path) -> Path:
    folder = root / "tiny-lm"
    folder.mkdir()
    (folder / "model.safetensors").write_bytes(WEIGHTS_A)
    (folder / "extra.bin").write_bytes(WEIGHTS_B)
    (folder / "config.json").write_text("{}", encoding="utf-8")
    return folder


def old_lm_json(folder: Path) -> dict[str, object]:
    """lm.json exactly as the earlier format wrote it (no digest format field)."""
    return {"requested": str(folder), "name": folder.name, "path": str(folder.resolve()),
            "source": "folder", "revision": None, "sha256": OLD_FOLDER_DIGEST}


def test_the_old_digest_literal_is_the_documented_recipe() -> None:
    recipe = hashlib.sha256(b"extra.bin\0" + WEIGHTS_B + b"model.safetensors\0" + WEIGHTS_A)
    assert recipe.hexdigest() == OLD_FOLDER_DIGEST


def test_an_old_run_folder_still_loads(tmp_path: Path) -> None:
    folder = model_folder(tmp_path)
    current = resolve_lm(str(folder), cache_root=tmp_path / "cache")
    check_same_lm(old_lm_json(folder), current, tmp_path / "run")


def test_an_old_run_folder_with_other_weights_is_refused(tmp_path: Path) -> None:
    folder = model_folder(tmp_path)
    (folder / "extra.bin").write_bytes(b"other weights")
    current = resolve_lm(str(folder), cache_root=tmp_path / "cache")
    with pytest.raises(UsageError, match="sha256"):
        check_same_lm(old_lm_json(folder), current, tmp_path / "run")


def test_a_folder_has_the_digest_the_metric_groups_give_it(tmp_path: Path) -> None:
    from reg_eval.models.hashing import HashMemo
    from reg_eval.standard.local_model import weights_sha256

    folder = model_folder(tmp_path)
    reference = resolve_lm(str(folder), cache_root=tmp_path / "cache")
    # model.safetensors is there, so the digest is that file's sha256
    assert reference.sha256 == "97e64ece73b6999cd2dc1f158a641ffc188a13ce78484a09f2ea20ff6e2ce573"
    assert reference.sha256 == weights_sha256(folder, HashMemo(None), what="x")
    assert reference.to_dict()["sha256_format"] == 2
    assert reference.source == "folder" and reference.path == str(folder.resolve())


def test_a_new_run_folder_is_not_checked_the_old_way(tmp_path: Path) -> None:
    folder = model_folder(tmp_path)
    current = resolve_lm(str(folder), cache_root=tmp_path / "cache")
    recorded = {**old_lm_json(folder), "sha256_format": 2}
    with pytest.raises(UsageError, match="sha256"):
        check_same_lm(recorded, current, tmp_path / "run")
    check_same_lm(current.to_dict(), current, tmp_path / "run")


def test_missing_folder_and_uncached_hub_name_are_usage_errors(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="does not exist") as missing:
        resolve_lm(str(tmp_path / "nowhere"), cache_root=tmp_path / "cache")
    assert "--lm offline" in (missing.value.hint or "")
    with pytest.raises(UsageError, match="not in the local Hugging Face cache") as hub:
        resolve_lm("example-org/no-such-lm", cache_root=tmp_path / "cache")
    assert "--lm offline" in (hub.value.hint or "")
