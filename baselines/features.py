"""Slide feature files (CLAM, TRIDENT, `.pt`) mapped to case ids and mean-pooled.

Teams arrive with patch features already extracted, one file per slide. Pooling streams
over the bag in row chunks with a float64 accumulator, so a bag of a million patches never
sits in memory, and every broken file is reported with its slide id, path and the fix.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from reg_eval.errors import InvalidInputError, RegEvalError, UsageError
from reg_eval.io.feature_h5 import (
    H5_SUFFIXES,
    FeatureBag,
    bag_geometry,
    open_h5_bag,
)

TORCH_SUFFIXES = (".pt", ".pth")
FEATURE_SUFFIXES = H5_SUFFIXES + TORCH_SUFFIXES
CHUNK_BYTES = 32 * 1024 * 1024  # float64 working set per chunk while pooling


@dataclass(frozen=True)
class SkippedSlide:
    """A slide left out under `skip_bad`, with the reason it could not be pooled."""

    slide_id: str
    path: Path | None
    reason: str


@dataclass(frozen=True)
class PooledFeatures:
    """Mean-pooled features of the slides that could be read, in the order asked for."""

    ids: list[str]
    matrix: np.ndarray  # (len(ids), D) float64
    n_patches: list[int]
    skipped: list[SkippedSlide] = field(default_factory=list)

    @property
    def dim(self) -> int:
        return int(self.matrix.shape[1])


def slide_stem(slide_id: str) -> str:
    """`PIT_01_00002_01.tiff` -> `PIT_01_00002_01`: the name a feature file carries."""
    name = slide_id.replace("\\", "/").rsplit("/", 1)[-1]
    return name.rsplit(".", 1)[0] if "." in name else name


def index_feature_dir(features_dir: Path) -> dict[str, list[Path]]:
    """Feature files directly in `features_dir`, by stem (a list, to notice ambiguity)."""
    if not features_dir.is_dir():
        raise UsageError(
            f"feature folder {features_dir} does not exist or is not a folder",
            hint="pass the folder that holds one .h5 or .pt file per slide",
        )
    by_stem: dict[str, list[Path]] = {}
    for path in sorted(features_dir.iterdir()):
        if path.is_file() and path.suffix.lower() in FEATURE_SUFFIXES:
            by_stem.setdefault(path.stem, []).append(path)
    return by_stem


def read_manifest(manifest_path: Path) -> dict[str, Path]:
    """A CSV with columns `id,path`; relative paths are taken from the manifest's folder."""
    try:
        text = manifest_path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise UsageError(
            f"cannot read manifest {manifest_path}: {exc.strerror or exc}",
            hint="pass a CSV file with the columns id,path",
        ) from None
    reader = csv.DictReader(text.splitlines())
    columns = [c.strip() for c in (reader.fieldnames or [])]
    if "id" not in columns or "path" not in columns:
        raise InvalidInputError(
            f"manifest {manifest_path}: header has columns {columns}, expected id and path",
            hint="the first line must name the columns, e.g. 'id,path'",
        )
    mapping: dict[str, Path] = {}
    for line_no, row in enumerate(reader, start=2):
        row = {(k or "").strip(): (v or "").strip() for k, v in row.items()}
        slide_id, raw_path = row.get("id", ""), row.get("path", "")
        if not slide_id or not raw_path:
            raise InvalidInputError(
                f"manifest {manifest_path}, line {line_no}: empty id or path",
                hint="every row needs both an id and a path",
            )
        if slide_id in mapping:
            raise InvalidInputError(
                f"manifest {manifest_path}, line {line_no}: id {slide_id} appears twice",
                hint="list each slide once",
            )
        path = Path(raw_path)
        mapping[slide_id] = path if path.is_absolute() else manifest_path.parent / path
    return mapping


def resolve_feature_paths(
    ids: Sequence[str], features_dir: Path | None = None, manifest: Path | None = None
) -> dict[str, Path | None]:
    """The feature file of each id (None when there is none): manifest first, else stem."""
    if features_dir is None and manifest is None:
        raise UsageError("no feature source given", hint="pass --features DIR or --manifest CSV")
    from_manifest = read_manifest(manifest) if manifest is not None else {}
    by_stem = index_feature_dir(features_dir) if features_dir is not None else {}
    resolved: dict[str, Path | None] = {}
    for slide_id in ids:
        if slide_id in from_manifest:
            resolved[slide_id] = from_manifest[slide_id]
            continue
        candidates = by_stem.get(slide_stem(slide_id), [])
        if len(candidates) > 1:
            names = ", ".join(p.name for p in candidates)
            raise UsageError(
                f"slide {slide_id}: several feature files share its name ({names}) "
                f"in {features_dir}",
                hint="keep one file per slide, or name each with --manifest id,path",
            )
        resolved[slide_id] = candidates[0] if candidates else None
    return resolved


@contextmanager
def _open_torch_bag(slide_id: str, path: Path) -> Iterator[FeatureBag]:
    import torch

    try:
        loaded = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many kinds for a bad pickle
        raise UsageError(
            f"slide {slide_id}: cannot read torch file {path}: {type(exc).__name__}: {exc}",
            hint="save a tensor, or a dict with a 'features' tensor, with torch.save",
        ) from None
    if isinstance(loaded, dict):
        if "features" not in loaded:
            raise InvalidInputError(
                f"slide {slide_id} ({path}): dict without a 'features' key; "
                f"found {sorted(map(str, loaded))}",
                hint="save {'features': tensor} or the tensor itself",
            )
        loaded = loaded["features"]
    if not isinstance(loaded, torch.Tensor):
        raise InvalidInputError(
            f"slide {slide_id} ({path}): holds a {type(loaded).__name__}, not a tensor",
            hint="save a (N, D) or (D,) tensor",
        )
    if loaded.is_complex() or loaded.dtype == torch.bool:
        raise InvalidInputError(
            f"slide {slide_id} ({path}): tensor has dtype {loaded.dtype}, not real numbers"
        )
    rows, dim, batched = bag_geometry(f"slide {slide_id}", path, tuple(loaded.shape))
    tensor = loaded[0] if batched else (loaded[None, :] if loaded.ndim == 1 else loaded)

    def read_rows(start: int, stop: int) -> np.ndarray:
        return tensor[start:stop].to(torch.float64).numpy()

    yield FeatureBag(rows, dim, read_rows, None)


def _open_bag(slide_id: str, path: Path) -> AbstractContextManager[FeatureBag]:
    suffix = path.suffix.lower()
    if suffix in H5_SUFFIXES:
        return open_h5_bag(path, label=f"slide {slide_id}")
    if suffix in TORCH_SUFFIXES:
        return _open_torch_bag(slide_id, path)
    raise UsageError(
        f"slide {slide_id}: {path} is neither an h5 nor a torch file",
        hint=f"feature files end in one of {', '.join(FEATURE_SUFFIXES)}",
    )


def mean_pool_file(
    slide_id: str,
    path: Path,
    *,
    expected_dim: int | None = None,
    dim_source: str = "",
    chunk_rows: int | None = None,
) -> tuple[np.ndarray, int]:
    """Mean of a slide's patch features (float64) and the number of patches."""
    if not path.is_file():
        raise UsageError(
            f"slide {slide_id}: feature file {path} is missing",
            hint="extract features for every slide, or pass --skip-bad to leave it out",
        )
    with _open_bag(slide_id, path) as bag:
        if bag.dim == 0:
            raise InvalidInputError(f"slide {slide_id} ({path}): features have dimension 0")
        if expected_dim is not None and bag.dim != expected_dim:
            source = f" ({dim_source})" if dim_source else ""
            raise InvalidInputError(
                f"slide {slide_id} ({path}): features have dimension {bag.dim}, "
                f"expected {expected_dim}{source}",
                hint="all slides must come from the same feature extractor",
            )
        if bag.n_rows == 0:
            raise InvalidInputError(
                f"slide {slide_id} ({path}): empty bag (0 patches)",
                hint="patching found no tissue; re-run it or pass --skip-bad",
            )
        step = chunk_rows or max(1, CHUNK_BYTES // (8 * bag.dim))
        total = np.zeros(bag.dim, dtype=np.float64)
        for start in range(0, bag.n_rows, step):
            try:
                chunk = bag.read_rows(start, min(start + step, bag.n_rows))
            except OSError as exc:
                raise UsageError(
                    f"slide {slide_id}: cannot read patch rows from {start} in {path}: {exc}",
                    hint="the file may be truncated; extract its features again",
                ) from None
            finite_rows = np.isfinite(chunk).all(axis=1)
            if not finite_rows.all():
                row = start + int(np.argmin(finite_rows))
                column = int(np.argmin(np.isfinite(chunk[row - start])))
                raise InvalidInputError(
                    f"slide {slide_id} ({path}): patch row {row} holds "
                    f"{chunk[row - start, column]} at column {column}",
                    hint="NaN or Inf features come from a failed extraction; redo this slide",
                )
            total += chunk.sum(axis=0)
        return total / bag.n_rows, bag.n_rows


def pool_slides(
    ids: Sequence[str],
    *,
    features_dir: Path | None = None,
    manifest: Path | None = None,
    expected_dim: int | None = None,
    dim_source: str = "",
    skip_bad: bool = False,
    chunk_rows: int | None = None,
    progress: bool = False,
) -> PooledFeatures:
    """Mean-pool every slide; a bad slide raises, or under `skip_bad` is listed and left out.

    Without `expected_dim`, the first slide read fixes the dimension for the others.
    `progress` shows a bar on stderr (slides/s, ETA).
    """
    paths = resolve_feature_paths(ids, features_dir, manifest)
    kept: list[str] = []
    rows: list[np.ndarray] = []
    counts: list[int] = []
    skipped: list[SkippedSlide] = []
    order: Iterable[str] = ids
    if progress:
        from tqdm import tqdm

        order = tqdm(ids, unit="slide", desc="pooling features", dynamic_ncols=True)
    for slide_id in order:
        path = paths[slide_id]
        try:
            if path is None:
                where = features_dir if features_dir is not None else manifest
                raise UsageError(
                    f"slide {slide_id}: no feature file {slide_stem(slide_id)}"
                    f"{{{','.join(FEATURE_SUFFIXES)}}} in {where}",
                    hint="extract features for every slide, name them with --manifest, "
                    "or pass --skip-bad to leave them out",
                )
            pooled, n_patches = mean_pool_file(
                slide_id, path, expected_dim=expected_dim, dim_source=dim_source,
                chunk_rows=chunk_rows,
            )
        except RegEvalError as exc:
            if not skip_bad:
                raise
            skipped.append(SkippedSlide(slide_id, path, exc.message))
            continue
        if expected_dim is None:
            expected_dim, dim_source = int(pooled.shape[0]), f"as slide {slide_id}"
        kept.append(slide_id)
        rows.append(pooled)
        counts.append(n_patches)
    dim = expected_dim or 0
    matrix = np.vstack(rows) if rows else np.zeros((0, dim), dtype=np.float64)
    return PooledFeatures(kept, matrix, counts, skipped)
