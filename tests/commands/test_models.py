"""`reg-eval models list` and `fetch`: what is on this machine and how to get the rest."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from reg_eval.commands.models import models_app
from reg_eval.profiles import PROFILES, SCISPACY_LG_URL, SMOLLM2_GGUF

runner = CliRunner()


@pytest.fixture
def offline_hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import huggingface_hub.constants as hub_constants

    hub = tmp_path / "hub"
    hub.mkdir()
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(hub_constants, "HF_HUB_CACHE", str(hub))
    monkeypatch.setattr(hub_constants, "HF_HUB_OFFLINE", True)


def test_list_shows_every_profile_and_its_models(tmp_path: Path, offline_hub: None) -> None:
    result = runner.invoke(models_app, ["list", "--cache-dir", str(tmp_path / "cache")])
    assert result.exit_code == 0, result.output
    for name in ("reg2025", "reg2025-dev", "offline"):
        assert name in PROFILES
        assert f"\n{name}: " in result.output or result.output.startswith(f"{name}: ")
    for model in (
        "aaditya/Llama3-OpenBioLLM-8B",
        "dmis-lab/biobert-v1.1",
        "en_core_sci_lg",
        "offline:SmolLM2-135M-Instruct-Q4_1",
        "offline:reg-eval-pathology-ruler",
    ):
        assert model in result.output
    assert "hf download aaditya/Llama3-OpenBioLLM-8B" in result.output
    assert "reg-eval models fetch --profile offline" in result.output
    assert "shipped with reg-eval" in result.output


def test_list_sees_a_prepared_offline_model(tmp_path: Path, offline_hub: None) -> None:
    cache = tmp_path / "cache"
    folder = cache / "models" / f"smollm2-135m-instruct-q4_1-{SMOLLM2_GGUF.member_sha256[:12]}"
    folder.mkdir(parents=True)
    (folder / "config.json").write_text("{}")
    (folder / "model.safetensors").write_bytes(b"x")
    (folder / "manifest.json").write_text(json.dumps({"gguf_sha256": SMOLLM2_GGUF.member_sha256}))
    result = runner.invoke(models_app, ["list", "--cache-dir", str(cache)])
    assert result.exit_code == 0, result.output
    assert "reg-eval models fetch --profile offline" not in result.output
    assert folder.name in result.output.replace("\n", "")


def test_fetch_for_hub_profile_prints_the_commands(tmp_path: Path, offline_hub: None) -> None:
    from importlib import metadata

    try:
        metadata.version("en_core_sci_lg")
        scispacy_installed = True
    except metadata.PackageNotFoundError:
        scispacy_installed = False
    result = runner.invoke(
        models_app, ["fetch", "--profile", "reg2025-dev", "--cache-dir", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    assert "hf download dmis-lab/biobert-v1.1" in result.output
    if not scispacy_installed:
        assert f"pip install {SCISPACY_LG_URL}" in result.output


def test_fetch_unknown_profile_exits_2_without_traceback(tmp_path: Path) -> None:
    result = runner.invoke(models_app, ["fetch", "--profile", "nope", "--cache-dir", str(tmp_path)])
    assert result.exit_code == 2
    assert "unknown profile 'nope'" in result.output
    assert "Traceback" not in result.output
