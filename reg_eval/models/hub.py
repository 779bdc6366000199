"""The local Hugging Face hub cache: finding a model in it, never contacting the hub."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from reg_eval.errors import UsageError
from reg_eval.models.environment import OFFLINE_PROFILE_HINT
from reg_eval.models.hashing import CONFIG_SUFFIXES, WEIGHT_SUFFIXES, HashMemo

_HEX = re.compile(r"[0-9a-f]+")


def looks_like_path(name: str) -> bool:
    """Hub names are `org/name`; anything else with a slash, or a relative marker, is a path."""
    return name.startswith((".", "/", "~")) or name.count("/") > 1 or "\\" in name


def hub_hint(name: str) -> str:
    return (
        f"download it on a machine that can reach the Hugging Face hub: `hf download {name}` "
        f"(older hubs: `huggingface-cli download {name}`), then copy the hub cache "
        f"(HF_HOME) here; {OFFLINE_PROFILE_HINT}"
    )


def find_in_hub_cache(name: str, revision: str | None) -> tuple[Path, str] | None:
    """(snapshot folder, commit hash) of a hub model in the local cache, never the network."""
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import HFValidationError, LocalEntryNotFoundError

    try:
        snapshot = Path(snapshot_download(name, revision=revision, local_files_only=True))
    except HFValidationError:
        raise UsageError(
            f"{name!r} is neither an existing folder, a .gguf file nor a hub model name",
            hint="give a hub name such as org/model[@revision], a folder, or a .gguf file",
        ) from None
    except (LocalEntryNotFoundError, FileNotFoundError, OSError):
        return None
    if not (snapshot / "config.json").is_file():
        return None
    return snapshot, snapshot.name


def find_gguf_in_hub_cache(
    name: str, revision: str | None, gguf_file: str
) -> tuple[Path, str] | None:
    """(GGUF file, commit hash) of one file of a hub repo in the local cache."""
    from huggingface_hub import try_to_load_from_cache

    found = try_to_load_from_cache(name, gguf_file, revision=revision)
    if not isinstance(found, str):
        return None
    path = Path(found)
    return path, path.parent.name


def hub_pins(snapshot: Path) -> list[tuple[Path, str, str]]:
    """Each snapshot file links to a blob named by its hash: sha256 (LFS) or git sha1."""
    pins = []
    for file in sorted(p for p in snapshot.rglob("*") if p.is_file()):
        blob = file.resolve().name
        if _HEX.fullmatch(blob) and len(blob) == 64:
            pins.append((file, "sha256", blob))
        elif _HEX.fullmatch(blob) and len(blob) == 40:
            pins.append((file, "git-sha1", blob))
    return pins


def hub_file_sha256(file: Path, memo: HashMemo) -> str:
    """A hub file's sha256 from the name of the blob it links to (LFS files are named by
    their sha256), else read from the file."""
    blob = file.resolve().name
    if len(blob) == 64 and _HEX.fullmatch(blob):
        return blob
    return memo.sha256(file)


def hub_snapshot_sha256(snapshot: Path, memo: HashMemo) -> str:
    """One hash over the weight, config and tokenizer files of a hub snapshot.

    Each file counts by the hash its blob is named after (sha256 for LFS files such as
    weights, the git object id for small files), so no weight file is read; a snapshot of
    plain copies (no blob links) is hashed from the files themselves, once (memoised).
    """
    digest = hashlib.sha256()
    files = [
        f
        for f in snapshot.iterdir()
        if f.is_file() and f.name.endswith(WEIGHT_SUFFIXES + CONFIG_SUFFIXES)
    ]
    for file in sorted(files, key=lambda f: f.name):
        blob = file.resolve().name
        named = _HEX.fullmatch(blob) is not None and len(blob) in (40, 64)
        digest.update(file.name.encode("utf-8"))
        digest.update(b"\x00")
        digest.update((blob if named else memo.sha256(file)).encode("ascii"))
        digest.update(b"\n")
    return digest.hexdigest()
