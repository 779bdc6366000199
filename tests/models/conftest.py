"""Fixtures of the model tests: an empty offline hub cache and a wheelhouse of fake wheels."""

from __future__ import annotations

from pathlib import Path

import pytest
from models.model_fixtures import build_fake_wheel

from reg_eval.models.environment import WHEELHOUSE_ENV


@pytest.fixture
def empty_hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty Hugging Face cache, offline; constants are patched as the hub reads them."""
    import huggingface_hub.constants as hub_constants

    hub = tmp_path / "hf" / "hub"
    hub.mkdir(parents=True)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.setenv("HF_HUB_CACHE", str(hub))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(hub_constants, "HF_HUB_CACHE", str(hub))
    monkeypatch.setattr(hub_constants, "HF_HUB_OFFLINE", True)
    return hub



@pytest.fixture
def wheelhouse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    house = tmp_path / "wheelhouse"
    build_fake_wheel(house)
    monkeypatch.setenv(WHEELHOUSE_ENV, str(house))
    return house
