"""`features extract`: slides -> tissue -> patches -> encoder -> one TRIDENT h5 per slide.

Work is split the way clusters already split it: `--shard I/N` takes every N-th slide (in
sorted id order) for a job array, and under `accelerate launch` each process of a node
takes every P-th slide of its shard. Each slide's file is written atomically and is the
unit of resume: a slide whose file exists with the same settings, from the same source file
and complete (`reg_eval.slides.resume`) is skipped. Every run writes its own part manifest;
the main process merges all parts into `manifest.json`.

Each slide is isolated: whatever stops one (a tile that does not decode, a limit of
`reg_eval.slides.bounds`, an unreadable file, a MemoryError) is recorded for that slide in
the manifest with its reason and the others go on.
"""

from __future__ import annotations

import os
import sys
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from reg_eval.backends.devices import check_device_name, check_dtype_name, torch_device, torch_dtype
from reg_eval.errors import InvalidInputError, RegEvalError, UsageError
from reg_eval.io.feature_h5 import (
    EXTRACTION_ATTR,
    SOURCE_ATTR,
    read_extraction_key,
    write_feature_file,
)
from reg_eval.io.writers import write_json
from reg_eval.signature import Signature
from reg_eval.slides import bounds, resume, tiff
from reg_eval.slides.bounds import SlideLimits
from reg_eval.slides.encoders import Encoder
from reg_eval.slides.manifest import MANIFEST, PARTS_DIR, merge_manifests
from reg_eval.slides.reader import READERS


@dataclass(frozen=True)
class ExtractOptions:
    encoder: str
    patch_size: int = 256
    mpp: float = 0.5
    batch_size: int = 64
    num_workers: int = 0
    device: str = "auto"
    dtype: str = "float32"
    min_tissue: float = 0.5
    slide_mpp: float | None = None
    backend: str = "auto"
    shard_index: int = 0
    n_shards: int = 1
    limits: SlideLimits = bounds.DEFAULT_SLIDE_LIMITS

    def check(self) -> ExtractOptions:
        """Refuse impossible settings; the options with device and dtype names normalised
        (`reg_eval.backends.devices`: `cuda:abc` or an unknown dtype is a usage error)."""
        if self.patch_size < 16:
            raise UsageError(f"--patch-size {self.patch_size} is too small", hint="use >= 16")
        if self.mpp <= 0 or (self.slide_mpp is not None and self.slide_mpp <= 0):
            raise UsageError("microns per pixel must be positive")
        if self.batch_size < 1 or self.num_workers < 0:
            raise UsageError("--batch-size must be >= 1 and --workers >= 0")
        if self.backend not in READERS:
            raise UsageError(f"--reader {self.backend} is not known",
                             hint=f"use {', '.join(READERS)}")
        if not 0.0 <= self.min_tissue <= 1.0:
            raise UsageError("--min-tissue is a share between 0 and 1")
        if not 0 <= self.shard_index < self.n_shards:
            raise UsageError(f"shard {self.shard_index}/{self.n_shards} does not exist",
                             hint="--shard I/N with 0 <= I < N")
        return replace(self, device=check_device_name(self.device),
                       dtype=check_dtype_name(self.dtype))


def parse_shard(text: str | None) -> tuple[int, int]:
    """`"3/8"` -> (3, 8): shard 3 of 8, counted from 0 as SLURM array ids usually are."""
    if text is None:
        return 0, 1
    try:
        index_text, count_text = text.split("/")
        index, count = int(index_text), int(count_text)
    except ValueError:
        raise UsageError(f"--shard {text!r} is not I/N",
                         hint="e.g. --shard $SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT") from None
    if count < 1 or not 0 <= index < count:
        raise UsageError(f"--shard {text}: I must satisfy 0 <= I < N", hint="e.g. --shard 0/4")
    return index, count


def assign_slides(stems: Sequence[str], shard_index: int, n_shards: int,
                  process_index: int = 0, n_processes: int = 1) -> list[str]:
    """The slides one process works on: round-robin over sorted ids, first by shard,
    then by process within the shard. Every slide goes to exactly one process."""
    in_shard = [s for i, s in enumerate(sorted(stems)) if i % n_shards == shard_index]
    return [s for i, s in enumerate(in_shard) if i % n_processes == process_index]


@dataclass
class SlideOutcome:
    id: str
    path: str
    status: str  # "done", "empty", "existing", "failed"
    n_patches: int = 0
    seconds: float = 0.0
    reader: str = ""
    level: int | None = None
    message: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v not in ("", None)}


@dataclass
class ExtractResult:
    out_dir: Path
    outcomes: list[SlideOutcome] = field(default_factory=list)
    signature: Signature | None = None
    manifest: Path | None = None
    warnings: list[str] = field(default_factory=list)
    process_index: int = 0
    n_processes: int = 1

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)


# --- the output folder ------------------------------------------------------------------

def check_out_dir(out_dir: Path) -> None:
    """Only feature files, manifests and our temporary files may be in the output folder."""
    if out_dir.exists() and not out_dir.is_dir():
        raise UsageError(f"--out {out_dir} is a file", hint="give a folder for the h5 files")
    if not out_dir.is_dir():
        return
    for entry in sorted(out_dir.iterdir()):
        name = entry.name
        ours = (
            (entry.is_file() and (name.endswith(".h5") or name == MANIFEST
                                  or (name.startswith(".") and name.endswith(".tmp"))))
            or (entry.is_dir() and name == PARTS_DIR)
        )
        if not ours:
            raise UsageError(
                f"output folder {out_dir} holds {name}, which features extract did not write",
                hint="give an empty or new folder, or one an earlier features extract wrote",
            )


# --- per-slide pipeline ------------------------------------------------------------------

class PatchReadError(OSError):
    """A patch of a slide could not be read (the message names the patch and why)."""


class PatchDataset:
    """Patches of one slide as uint8 (3, S, S) tensors; each worker opens its own reader."""

    def __init__(self, path: Path, backend: str, coords: np.ndarray, level: int,
                 read_size: int, out_size: int, limits: SlideLimits | None = None) -> None:
        self.path, self.backend, self.coords = path, backend, coords
        self.level, self.read_size, self.out_size = level, read_size, out_size
        self.limits = limits or bounds.current_slide_limits()
        self._reader: Any = None

    def __len__(self) -> int:
        return len(self.coords)

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_reader"] = None
        return state

    def close(self) -> None:
        """Closes this process's reader (and drops its decoded strips)."""
        if self._reader is not None:
            self._reader.close()
            self._reader = None

    def __getitem__(self, index: int) -> Any:
        import torch
        from PIL import Image

        from reg_eval.slides.reader import open_slide

        if self._reader is None:
            self._reader = open_slide(self.path, backend=self.backend, limits=self.limits)
        x, y = (int(v) for v in self.coords[index])
        try:
            region = self._reader.read_region(self.level, x, y, self.read_size,
                                              self.read_size)
        except Exception as exc:  # OpenSlideError, codec errors: name the patch
            reason = exc.message if isinstance(exc, RegEvalError) else (
                f"{type(exc).__name__}: {exc}")
            reason = reason.removeprefix(f"{self.path}: ")
            raise PatchReadError(f"cannot read the patch at x={x}, y={y} (level "
                                 f"{self.level}): {reason}") from None
        if self.read_size != self.out_size:
            region = np.asarray(Image.fromarray(region).resize(
                (self.out_size, self.out_size), Image.Resampling.BILINEAR, reducing_gap=None))
        return torch.from_numpy(np.ascontiguousarray(region.transpose(2, 0, 1)))


class BatchEncoder:
    """Normalise uint8 patches on the device and run the encoder (autocast below fp32)."""

    def __init__(self, encoder: Encoder, device: Any, dtype: str) -> None:
        self.encoder, self.device, self.dtype = encoder, device, dtype
        self.module = encoder.module.to(device).eval()

    def __call__(self, batch: Any) -> np.ndarray:
        import torch

        with torch.inference_mode():
            x = batch.to(self.device, non_blocking=True).float().div_(255.0)
            x = self.encoder.prepare(x)  # the encoder's resize, crop and normalisation
            if self.dtype == "float32":
                out = self.module(x)
            else:
                with torch.autocast(device_type=torch.device(self.device).type,
                                    dtype=torch_dtype(self.dtype)):
                    out = self.module(x)
            return out.float().cpu().numpy()


def run_device(device: str, state: Any = None) -> Any:
    """The torch device patches are encoded on: under `accelerate launch` with `auto`, the
    one Accelerate gave this process; else `reg_eval.backends.devices.torch_device`."""
    if state is not None and device == "auto":
        return state.device
    return torch_device(device)


def _settings_key(options: ExtractOptions, encoder: Encoder) -> dict[str, Any]:
    return {
        "encoder": encoder.describe(), "patch_size": options.patch_size, "mpp": options.mpp,
        "min_tissue": options.min_tissue, "dtype": options.dtype,
        "tissue": "saturation-otsu", "format": "trident-patch-features-1",
    }


def _magnification(mpp: float) -> float:
    """The usual equivalence 0.25 µm/px ≈ 40x, 0.5 ≈ 20x."""
    return round(10.0 / mpp, 2)


def extract_slide(path: Path, out_path: Path, *, options: ExtractOptions, encoder: Encoder,
                  batch_encoder: BatchEncoder, key: dict[str, Any],
                  progress: bool = False,
                  identity: dict[str, Any] | None = None) -> SlideOutcome:
    """Extract one slide into `out_path`; raises RegEvalError for a slide it cannot use."""
    from reg_eval.slides.reader import open_slide
    from reg_eval.slides.tiling import choose_geometry, tile_coords
    from reg_eval.slides.tissue import detect_tissue

    start = time.perf_counter()
    stem = tiff.slide_stem(path.name)
    bounds.require_regular_file(path)
    info = tiff.read_slide_info(path, limits=options.limits)
    if info is not None:
        wrong = [p.index for p in info.pages if p.photometric_wrong]
        if wrong:
            raise InvalidInputError(
                f"{path}: tag 262 does not match the JPEG tiles (pages {wrong}); features "
                "would be computed from wrong colours",
                hint="fix a copy first: reg-eval slides fix SLIDE --out DIR")
        truncated = [p.index for p in info.pages if p.data_end > info.file_size]
        if truncated:
            raise InvalidInputError(f"{path}: the file is truncated (page {truncated[0]})",
                                    hint="download the slide again")
        broken = [p for p in info.levels if p.jpeg_error]
        if broken:
            raise InvalidInputError(f"{path}: page {broken[0].index}: the JPEG data cannot "
                                    f"be read ({broken[0].jpeg_error})",
                                    hint="run `reg-eval slides check` on it")
    identity = identity or resume.source_identity(path)
    with open_slide(path, backend=options.backend, limits=options.limits) as reader:
        slide_mpp = reader.mpp or options.slide_mpp
        if slide_mpp is None:
            raise InvalidInputError(f"{path}: the slide does not say its microns per pixel",
                                    hint="pass --slide-mpp for slides without resolution tags")
        geometry = choose_geometry(options.patch_size, options.mpp, slide_mpp,
                                   reader.level_downsamples, where=str(path))
        thumbnail, downsample = reader.thumbnail()
        tissue = detect_tissue(thumbnail, downsample)
        level0_width, level0_height = reader.level_dimensions[0]
        coords = tile_coords((level0_width, level0_height), tissue,
                             geometry.patch_size_level0, min_tissue=options.min_tissue)
        backend = reader.backend
    del reader, thumbnail  # the encode workers read the slide again; hold no pixels here
    features = np.zeros((0, encoder.dim), dtype=np.float32)
    if len(coords):
        features = _encode(path, backend, coords, geometry, options, batch_encoder,
                           desc=stem if progress else None)
    coords_attrs = {
        "patch_size": options.patch_size,
        "patch_size_level0": geometry.patch_size_level0,
        "level0_magnification": _magnification(slide_mpp),
        "target_magnification": _magnification(options.mpp),
        "overlap": 0,
        "patch_level": geometry.level,
        "read_size": geometry.read_size,
        "mpp": options.mpp,
        "level0_mpp": slide_mpp,
        "level0_width": level0_width,
        "level0_height": level0_height,
        "min_tissue": options.min_tissue,
    }
    file_attrs = {
        "encoder": encoder.name,
        "encoder_identity": encoder.describe(),
        "dtype": options.dtype,
        "reader": backend,
        "tissue_threshold": tissue.threshold,
        EXTRACTION_ATTR: key,
        SOURCE_ATTR: resume.source_record(identity, len(coords)),
    }
    write_feature_file(out_path, features, coords, name=stem, coords_attrs=coords_attrs,
                       file_attrs=file_attrs)
    status = "done" if len(coords) else "empty"
    message = "" if len(coords) else (
        f"no tissue found (saturation threshold {tissue.threshold:.0f}); wrote an empty "
        "feature file")
    return SlideOutcome(stem, str(path), status, len(coords), time.perf_counter() - start,
                        backend, geometry.level, message)


def _encode(path: Path, backend: str, coords: np.ndarray, geometry: Any,
            options: ExtractOptions, batch_encoder: BatchEncoder, desc: str | None) -> np.ndarray:
    import torch
    from torch.utils.data import DataLoader

    dataset = PatchDataset(path, backend, coords, geometry.level, geometry.read_size,
                           options.patch_size, options.limits)
    loader = DataLoader(dataset, batch_size=options.batch_size, shuffle=False,
                        num_workers=options.num_workers,
                        pin_memory=torch.device(batch_encoder.device).type == "cuda",
                        persistent_workers=False)
    bar = None
    if desc is not None:
        from tqdm import tqdm

        bar = tqdm(total=len(dataset), unit="patch", desc=desc, leave=False,
                   dynamic_ncols=True, file=sys.stderr)
    chunks = []
    try:
        for batch in loader:
            chunks.append(batch_encoder(batch))
            if bar is not None:
                bar.update(len(batch))
    finally:
        dataset.close()
        if bar is not None:
            bar.close()
    return np.concatenate(chunks, axis=0).astype(np.float32)


# --- the run -----------------------------------------------------------------------------

def _distributed_state(device: str) -> Any:
    """Accelerate's process state when launched with several processes, else None.

    On machines without CUDA (or with --device cpu) the processes talk over gloo.
    """
    if int(os.environ.get("WORLD_SIZE", "1")) <= 1:
        return None
    import torch
    from accelerate import PartialState

    return PartialState(cpu=device == "cpu" or not torch.cuda.is_available())


def build_signature(options: ExtractOptions, encoder: Encoder) -> Signature:
    return Signature.build("patch-features", {
        "encoder": encoder.name,
        "encoder_source": encoder.source,
        "encoder_sha256": encoder.identity.get("sha256"),
        "encoder_revision": encoder.identity.get("revision"),
        "dim": encoder.dim,
        "dtype": options.dtype,
        "patch": options.patch_size,
        "mpp": options.mpp,
        "tissue": f"saturation-otsu|min_tissue={options.min_tissue}",
    }, comparable_with_leaderboard=False)


def extract_features(slides: Sequence[Path], out_dir: Path, options: ExtractOptions, *,
                     progress: bool = False,
                     on_outcome: Callable[[SlideOutcome], None] | None = None,
                     encoder: Encoder | None = None) -> ExtractResult:
    """Extract every assigned slide into `out_dir`; failures are recorded, not raised."""
    options = options.check()
    out_dir = Path(out_dir)
    check_out_dir(out_dir)
    paths = tiff.existing_slides(slides)
    by_stem: dict[str, Path] = {}
    for path in paths:
        stem = tiff.slide_stem(path.name)
        if stem in by_stem:
            raise UsageError(f"two slides share the id {stem}: {by_stem[stem]} and {path}",
                             hint="each slide's features are named after its id")
        by_stem[stem] = path
    state = _distributed_state(options.device)
    process_index = state.process_index if state is not None else 0
    n_processes = state.num_processes if state is not None else 1
    mine = assign_slides(list(by_stem), options.shard_index, options.n_shards,
                         process_index, n_processes)
    if encoder is None:
        from reg_eval.slides.encoders import load_encoder

        encoder = load_encoder(options.encoder)
    device = run_device(options.device, state)
    batch_encoder = BatchEncoder(encoder, device, options.dtype)
    key = _settings_key(options, encoder)
    signature = build_signature(options, encoder)
    out_dir.mkdir(parents=True, exist_ok=True)
    result = ExtractResult(out_dir, signature=signature, process_index=process_index,
                           n_processes=n_processes)
    order: Iterator[str] | list[str] = mine
    if progress:
        from tqdm import tqdm

        order = tqdm(mine, unit="slide", desc="slides", dynamic_ncols=True, file=sys.stderr)
    for stem in order:
        path = by_stem[stem]
        outcome = _resume_or_run(path, out_dir / f"{stem}.h5", options, encoder,
                                 batch_encoder, key, progress)
        result.outcomes.append(outcome)
        if on_outcome is not None:
            on_outcome(outcome)
    part_name = (f"part-shard{options.shard_index}of{options.n_shards}"
                 f"-proc{process_index}of{n_processes}.json")
    write_json(out_dir / PARTS_DIR / part_name, {
        "signature": signature.to_dict(),
        "settings": key,
        "shard": [options.shard_index, options.n_shards],
        "process": [process_index, n_processes],
        "slides": [o.to_dict() for o in result.outcomes],
    }, force=True)
    if state is not None:
        state.wait_for_everyone()
    if state is None or state.is_main_process:
        result.manifest = merge_manifests(out_dir, result.warnings)
    return result


def _resume_or_run(path: Path, target: Path, options: ExtractOptions, encoder: Encoder,
                   batch_encoder: BatchEncoder, key: dict[str, Any],
                   progress: bool) -> SlideOutcome:
    """Skip a slide whose feature file is complete and from the same source; else extract
    it (again), saying why an existing file was not kept."""
    stem = tiff.slide_stem(path.name)
    if not target.exists():
        return _run_one(path, target, options, encoder, batch_encoder, key, progress)
    existing = read_extraction_key(target)
    if existing is not None and existing != key:
        raise UsageError(
            f"{target} was extracted with other settings ({_difference(existing, key)})",
            hint="use another --out for other settings, or delete the old files",
        )
    identity = _identity(path)
    if isinstance(identity, SlideOutcome):
        return identity
    why = "it cannot be read" if existing is None else resume.feature_file_state(
        target, identity, encoder.dim)
    if why is None:
        return SlideOutcome(stem, str(path), "existing")
    outcome = _run_one(path, target, options, encoder, batch_encoder, key, progress,
                       identity)
    if outcome.status != "failed":
        redone = f"{target.name} was extracted again: {why}"
        outcome.message = f"{redone}; {outcome.message}" if outcome.message else redone
    return outcome


def _identity(path: Path) -> dict[str, Any] | SlideOutcome:
    """The source's identity, or the failed outcome of a slide that cannot be read."""
    stem = tiff.slide_stem(path.name)
    try:
        bounds.require_regular_file(path)
        return resume.source_identity(path)
    except RegEvalError as exc:
        return SlideOutcome(stem, str(path), "failed", message=str(exc))
    except OSError as exc:
        return SlideOutcome(stem, str(path), "failed",
                            message=f"{path}: cannot be read ({exc.strerror or exc})")


def _difference(old: dict[str, Any], new: dict[str, Any]) -> str:
    keys = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
    return ", ".join(f"{k}: {old.get(k)} here, {new.get(k)} asked" for k in keys)


def _run_one(path: Path, target: Path, options: ExtractOptions, encoder: Encoder,
             batch_encoder: BatchEncoder, key: dict[str, Any], progress: bool,
             identity: dict[str, Any] | None = None) -> SlideOutcome:
    """Extract one slide; whatever stops it is that slide's failure, with the reason.

    Only a usage error about the run itself (the output folder cannot be written) stops the
    run; a broken tile, a limit, an unreadable file, a MemoryError fail this slide alone.
    """
    stem = tiff.slide_stem(path.name)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", category=UserWarning)
            return extract_slide(path, target, options=options, encoder=encoder,
                                 batch_encoder=batch_encoder, key=key, progress=progress,
                                 identity=identity)
    except RegEvalError as exc:
        if exc.exit_code == 2 and not isinstance(exc, InvalidInputError):
            raise
        return SlideOutcome(stem, str(path), "failed", message=str(exc))
    except MemoryError:
        return SlideOutcome(stem, str(path), "failed",
                            message=f"{path}: ran out of memory while reading this slide "
                            "(lower --batch-size or --max-decoded-mb)")
    except PatchReadError as exc:
        # from a loader worker the message carries the worker's traceback: keep its last line
        text = [line for line in str(exc).splitlines() if line.strip()][-1]
        text = text.split("PatchReadError: ", 1)[-1]
        return SlideOutcome(stem, str(path), "failed", message=f"{path}: {text}")
    except Exception as exc:  # codecs, OpenSlide, torch's loader workers raise many kinds
        return SlideOutcome(stem, str(path), "failed",
                            message=f"{path}: {type(exc).__name__}: {exc}")
