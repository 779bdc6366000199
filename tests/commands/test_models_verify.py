"""`reg-eval models list|verify|path`: sources, presence, sizes and re-hashing against pins."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from reg_eval.commands.models import models_app
from reg_eval.errors import UsageError
from reg_eval.models import inventory, offline, wheels
from reg_eval.profiles import ModelSpec, WheelAsset

runner = CliRunner()
COMMIT = "c" * 40
WEIGHTS = b"pretend safetensors weights"
CONFIG = b'{"model_type": "bert"}'


def git_blob_id(data: bytes) -> str:
    """How git (and so the hub cache) names a small file: sha1 of a header and the bytes."""
    return hashlib.sha1(b"blob %d\x00" % len(data) + data, usedforsecurity=False).hexdigest()


@pytest.fixture
def hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    import huggingface_hub.constants as hub_constants

    hub = tmp_path / "hub"
    hub.mkdir()
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(hub_constants, "HF_HUB_CACHE", str(hub))
    monkeypatch.setattr(hub_constants, "HF_HUB_OFFLINE", True)
    return hub


def add_hub_model(hub: Path, repo_id: str) -> Path:
    """The hub cache layout: snapshot files link to blobs named by their hash."""
    repo = hub / ("models--" + repo_id.replace("/", "--"))
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text(COMMIT)
    blobs = repo / "blobs"
    blobs.mkdir()
    snapshot = repo / "snapshots" / COMMIT
    snapshot.mkdir(parents=True)
    for name, data, blob in (
        ("model.safetensors", WEIGHTS, hashlib.sha256(WEIGHTS).hexdigest()),
        ("config.json", CONFIG, git_blob_id(CONFIG)),
    ):
        (blobs / blob).write_bytes(data)
        (snapshot / name).symlink_to(Path("../../blobs") / blob)
    return blobs


def test_verify_rehashes_hub_blobs_and_catches_a_damaged_file(
    tmp_path: Path, hub: Path
) -> None:
    blobs = add_hub_model(hub, "dmis-lab/biobert-v1.1")
    cache = tmp_path / "cache"
    listed = runner.invoke(
        models_app, ["list", "--profile", "reg2025-dev", "--cache-dir", str(cache)]
    )
    assert listed.exit_code == 0, listed.output
    assert "source: Hugging Face hub dmis-lab/biobert-v1.1" in listed.output
    assert "not verified yet" in listed.output  # list reads no weights
    assert f"size: {len(WEIGHTS) + len(CONFIG)} B" in listed.output

    verified = runner.invoke(
        models_app, ["verify", "--profile", "reg2025-dev", "--cache-dir", str(cache),
                     "--format", "json"],
    )
    rows = json.loads(verified.stdout)["models"]
    emb = next(r for r in rows if r["role"] == "emb")
    assert emb["verified"] is True and emb["present"] is True
    assert emb["size_bytes"] == len(WEIGHTS) + len(CONFIG)
    assert COMMIT in emb["detail"]
    # en_core_sci_lg is not installed here: a chosen profile with a missing model exits 1
    assert verified.exit_code == 1
    assert "is missing" in verified.stderr

    relisted = runner.invoke(
        models_app, ["list", "--profile", "reg2025-dev", "--cache-dir", str(cache)]
    )
    assert "verified\n" in relisted.output  # the re-hash is remembered

    weights_blob = blobs / hashlib.sha256(WEIGHTS).hexdigest()
    weights_blob.write_bytes(b"damaged weights, same name")
    broken = runner.invoke(models_app, ["verify", "--cache-dir", str(cache)])
    assert broken.exit_code == 1
    assert "FAILED verification" in broken.stdout
    assert "expected " + hashlib.sha256(WEIGHTS).hexdigest() in broken.stderr


def test_wheel_asset_model_is_checked_against_both_pins(tmp_path: Path) -> None:
    gguf_bytes = b"GGUF pretend"
    asset = WheelAsset(
        requirement="pretend-model==1.0",
        wheel_sha256="0" * 64,
        member="pretend_model/model.gguf",
        member_sha256=hashlib.sha256(gguf_bytes).hexdigest(),
    )
    spec = ModelSpec(kind="transformers", name="offline:Pretend", gguf_file="model.gguf",
                     wheel=asset)
    cache = tmp_path / "cache"
    missing = inventory.inspect_model("emb", spec, cache)
    assert not missing.present and "reg-eval models fetch" in missing.how_to_get
    assert "pretend-model==1.0" in missing.source and asset.member_sha256 in missing.source

    folder = offline.offline_emb_folder(cache, spec)
    folder.mkdir(parents=True)
    (folder / "config.json").write_text("{}")
    (folder / "model.safetensors").write_bytes(WEIGHTS)
    (folder / "manifest.json").write_text(json.dumps({
        "gguf_sha256": asset.member_sha256,
        "model_sha256": hashlib.sha256(WEIGHTS).hexdigest(),
    }))
    gguf = offline.offline_gguf_path(cache, spec)
    gguf.parent.mkdir(parents=True)
    gguf.write_bytes(gguf_bytes)
    entry = inventory.inspect_model("emb", spec, cache, rehash=True)
    assert entry.present and entry.verified is True
    assert entry.size_bytes == sum(
        len(b) for b in (b"{}", WEIGHTS, gguf_bytes, (folder / "manifest.json").read_bytes())
    )
    gguf.write_bytes(b"GGUF tampered")
    entry = inventory.inspect_model("emb", spec, cache, rehash=True)
    assert entry.verified is False and str(gguf) in entry.detail


def test_installed_package_is_checked_against_its_record(tmp_path: Path) -> None:
    spec = ModelSpec(kind="spacy", name="filelock")
    entry = inventory.inspect_model("key", spec, tmp_path, rehash=True)
    assert entry.present and entry.verified is True
    assert entry.size_bytes and entry.size_bytes > 0
    assert entry.source == "spaCy package filelock"


def test_path_prints_where_a_model_is(tmp_path: Path, hub: Path) -> None:
    add_hub_model(hub, "dmis-lab/biobert-v1.1")
    found = runner.invoke(
        models_app, ["path", "--profile", "reg2025-dev", "--role", "emb", "--cache-dir",
                     str(tmp_path)],
    )
    assert found.exit_code == 0, found.output
    assert Path(found.stdout.strip()).name == COMMIT
    key = runner.invoke(models_app, ["path", "--profile", "offline", "--role", "key"])
    assert key.exit_code == 0
    assert Path(key.stdout.strip()) == offline.PATTERNS_FILE
    absent = runner.invoke(
        models_app, ["path", "--profile", "reg2025", "--role", "emb", "--cache-dir",
                     str(tmp_path)],
    )
    assert absent.exit_code == 2
    assert "hf download aaditya/Llama3-OpenBioLLM-8B" in absent.output
    bad = runner.invoke(models_app, ["path", "--role", "tokenizer"])
    assert bad.exit_code == 2


def test_offline_mode_refuses_downloads_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, hub: Path
) -> None:
    monkeypatch.setenv("REG_EVAL_OFFLINE", "1")
    monkeypatch.delenv("REG_EVAL_WHEELHOUSE", raising=False)
    asset = WheelAsset("pretend-model==1.0", "0" * 64, "m.gguf", "1" * 64)
    with pytest.raises(UsageError, match="REG_EVAL_OFFLINE is set") as caught:
        wheels.fetch_wheel_asset(asset, tmp_path / "dest")
    assert caught.value.hint is not None and "REG_EVAL_WHEELHOUSE" in caught.value.hint
    assert not (tmp_path / "dest").exists()
    listed = runner.invoke(models_app, ["list", "--cache-dir", str(tmp_path / "c")])
    assert "offline mode (REG_EVAL_OFFLINE)" in listed.output
    monkeypatch.delenv("REG_EVAL_OFFLINE")
    listed = runner.invoke(models_app, ["list", "--cache-dir", str(tmp_path / "c")])
    assert "HF_HUB_OFFLINE" in listed.output


def test_fetch_into_an_unwritable_cache_is_a_usage_error(tmp_path: Path) -> None:
    """A cache root under a regular file: exit 2 naming the folder, never an internal error."""
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    result = runner.invoke(
        models_app, ["fetch", "--profile", "offline", "--cache-dir", str(blocker / "cache")]
    )
    assert result.exit_code == 2, result.output
    assert "Not a directory" in result.output
    assert str(blocker / "cache" / "models") in result.output
    assert "writable folder" in result.output
    assert "Traceback" not in result.output
