"""A tiny Qwen3 judge model, built once per session, and an isolated cache per test."""

from __future__ import annotations

from pathlib import Path

import pytest
from tiny_qwen3 import build_tiny_qwen3


@pytest.fixture(scope="session")
def tiny_qwen3_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_qwen3(tmp_path_factory.mktemp("tiny-qwen3") / "model")


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test reads a real cache, reaches the hub, or sees a real API key or proxy."""
    monkeypatch.setenv("REG_EVAL_CACHE_DIR", str(tmp_path / "cache-root"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    monkeypatch.delenv("REG_EVAL_JUDGE_API_KEY", raising=False)
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy",
                 "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
