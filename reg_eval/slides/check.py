"""`slides check`: is each slide readable, what is it, and is its tag 262 right?

A problem makes a slide unusable as it is (exit 1); a warning is worth knowing but does not
stop feature extraction (exit 1 only under `--strict`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reg_eval.errors import InvalidInputError
from reg_eval.io.limits import LimitExceeded
from reg_eval.slides import bounds, tiff
from reg_eval.slides.bounds import SlideStructureError
from reg_eval.slides.lists import SlideList

SAMPLE_PER_LEVEL = 16
"""Tiles or strips decoded per pyramid level (`--sample-tiles`): evenly spaced over the
stored ones, the first and last included (every one of a level that has no more). A 256-pixel
JPEG tile decodes in about a millisecond: some 50 ms for a slide of three levels."""
UNREADABLE_CODES = frozenset({"unreadable", "not-a-tiff", "not-a-file", "truncated", "no-tiles",
                              "decoder-error", "over-limit"})


@dataclass(frozen=True)
class Finding:
    code: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


@dataclass
class SlideCheck:
    """The verdict on one slide file."""

    path: Path
    readable: bool = False
    problems: list[Finding] = field(default_factory=list)
    warnings: list[Finding] = field(default_factory=list)
    info: tiff.TiffInfo | None = None
    excluded: bool = False
    revised: bool = False

    @property
    def id(self) -> str:
        return tiff.slide_id(self.path)

    @property
    def fixable_pages(self) -> list[tiff.PageInfo]:
        return [p for p in self.info.pages if p.photometric_wrong] if self.info else []

    def to_dict(self) -> dict[str, Any]:
        info = self.info
        base = info.base if info and info.levels else None
        levels = []
        if info and base:
            for page in info.levels:
                levels.append({
                    "width": page.width, "height": page.height,
                    "downsample": round(base.width / page.width, 4),
                    "tile": [page.tile_width, page.tile_height] if page.tiled else None,
                })
        wrong = self.fixable_pages
        return {
            "path": str(self.path),
            "id": self.id,
            "readable": self.readable,
            "problems": [f.to_dict() for f in self.problems],
            "warnings": [f.to_dict() for f in self.warnings],
            "levels": levels,
            "mpp": info.mpp if info else None,
            "mpp_source": info.mpp_source if info else None,
            "magnification": info.magnification if info else None,
            "compression": base.compression_name if base else None,
            "tiled": base.tiled if base else None,
            "photometric": base.photometric_name if base else None,
            "jpeg_colour": base.jpeg_space if base else None,
            "jpeg_evidence": base.jpeg_evidence if base else None,
            "photometric_expected": (
                tiff.PHOTOMETRIC_NAMES[base.right_photometric]
                if base and base.right_photometric else None
            ),
            "pages_with_wrong_tag": [p.index for p in wrong],
            "excluded": self.excluded,
            "revised": self.revised,
        }


def sample_indices(stored: list[int], n: int = SAMPLE_PER_LEVEL) -> list[int]:
    """`n` evenly spaced items of `stored`, the first and last included (all when fewer)."""
    if len(stored) <= n:
        return list(stored)
    if n < 2:
        return list(stored[:n])
    picks = {round(i * (len(stored) - 1) / (n - 1)) for i in range(n)}
    return [stored[i] for i in sorted(picks)]


def _decode_sample(path: Path, info: tiff.TiffInfo, per_level: int) -> None:
    """Decode `per_level` stored tiles or strips of each level; raises
    InvalidInputError (or LimitExceeded) naming the first that does not decode."""
    import tifffile

    with tifffile.TiffFile(path) as handle:
        for page in info.levels:
            counts = handle.pages[page.index].databytecounts
            stored = [i for i, count in enumerate(counts) if count]
            for index in sample_indices(stored, per_level):
                tiff.decode_segment(handle, page, index, path)


def check_slide(path: Path, *, exclude: SlideList | None = None,
                revised: SlideList | None = None, decode: bool = True,
                sample: int = SAMPLE_PER_LEVEL) -> SlideCheck:
    """Inspect one file: headers, tile byte ranges, JPEG markers and a sample of decoded
    tiles (`sample` per level)."""
    result = SlideCheck(Path(path))
    name = result.id
    result.excluded = exclude is not None and name in exclude
    result.revised = revised is not None and name in revised
    if result.excluded and exclude is not None:
        result.problems.append(Finding(
            "excluded", f"listed in {exclude.path.name} (column {exclude.column}): the "
            "organisers excluded this slide"))
    kind = bounds.file_kind(result.path)
    if kind is not None:
        what = kind if kind.startswith(("missing", "unreadable")) else (
            f"{kind}, not a regular file; it is not opened")
        result.problems.append(Finding("not-a-file", f"the path is {what}"))
        return result
    try:
        info = tiff.read_tiff_info(result.path)
    except tiff.NotATiffError:
        result.problems.append(Finding("not-a-tiff", "not a TIFF file (no II*/MM* header)"))
        return result
    except LimitExceeded as exc:
        result.problems.append(Finding("over-limit", _without_path(exc, result.path)))
        return result
    except (SlideStructureError, InvalidInputError) as exc:
        result.problems.append(Finding("unreadable", _without_path(exc, result.path)))
        return result
    except Exception as exc:  # tifffile and the JPEG walker raise many kinds on bad bytes
        size = result.path.stat().st_size if result.path.exists() else 0
        result.problems.append(Finding(
            "unreadable", f"TIFF structure cannot be read ({type(exc).__name__}: {exc}); "
            f"the file has {size} bytes and may be truncated"))
        return result
    result.info = info
    if not info.levels:
        result.problems.append(Finding("no-tiles", "the file holds no image data"))
        return result
    for page in info.pages:
        if page.data_end > info.file_size:
            result.problems.append(Finding(
                "truncated", f"page {page.index} ({page.width}x{page.height}) has image data "
                f"up to byte {page.data_end} but the file ends at byte {info.file_size}"))
            break
    base = info.base
    if base.n_segments == base.empty_segments:
        result.problems.append(Finding("no-tiles", "the base level has no stored tiles"))
    elif base.empty_segments:
        result.warnings.append(Finding(
            "missing-tiles", f"{base.empty_segments} of {base.n_segments} tiles of the base "
            "level are empty (read as background)"))
    broken_jpeg = [p for p in info.pages if p.jpeg_error]
    if broken_jpeg:
        result.problems.append(Finding(
            "decoder-error", f"page {broken_jpeg[0].index}: the JPEG data cannot be read "
            f"({broken_jpeg[0].jpeg_error})"))
    wrong = result.fixable_pages
    if wrong:
        tag = wrong[0]
        result.problems.append(Finding(
            "photometric-mismatch",
            f"tag 262 says {tag.photometric_name} but the JPEG tiles are "
            f"{tag.jpeg_space.upper() if tag.jpeg_space else '?'} ({tag.jpeg_evidence}) on "
            f"page(s) {', '.join(str(p.index) for p in wrong)}: colours decode wrongly; "
            f"fix with `reg-eval slides fix` (tag 262 -> {tag.right_photometric})"))
    elif result.revised:
        result.warnings.append(Finding(
            "revised-already-consistent", "listed as colour-distorted in "
            f"{revised.path.name if revised else 'the revised list'}, but tag 262 already "
            "matches the JPEG tiles (fixed before?)"))
    if info.notes:
        used = (f"; {info.mpp:.4g} µm/px from the {info.mpp_source} is used instead"
                if info.mpp is not None else "")
        result.warnings.append(Finding("bad-description", "; ".join(info.notes) + used))
    if info.mpp is None:
        result.warnings.append(Finding(
            "no-resolution", "no microns per pixel in the file (no usable MPP in the "
            "description, no XResolution with a unit); pass --slide-mpp to features extract"))
    if not base.tiled:
        result.warnings.append(Finding(
            "striped", "the base level is stored in strips, not tiles: OpenSlide cannot "
            "open it; features extract reads it with tifffile"))
    truncated = any(f.code == "truncated" for f in result.problems)
    if decode and not truncated and not broken_jpeg and base.n_segments > base.empty_segments:
        try:
            _decode_sample(result.path, info, sample)
        except LimitExceeded as exc:
            result.problems.append(Finding("over-limit", _without_path(exc, result.path)))
        except InvalidInputError as exc:
            result.problems.append(Finding("decoder-error", _without_path(exc, result.path)))
        except Exception as exc:  # reading the file failed half-way (it changed, an I/O error)
            result.problems.append(Finding(
                "decoder-error", f"the tiles cannot be read ({type(exc).__name__}: {exc})"))
    result.readable = not any(f.code in UNREADABLE_CODES for f in result.problems)
    return result


def _without_path(exc: Exception, path: Path) -> str:
    """The message of an error about `path`, without the path (the row already names it)."""
    message = getattr(exc, "message", str(exc))
    prefix = f"{path}: "
    text = message[len(prefix):] if message.startswith(prefix) else message
    hint = getattr(exc, "hint", None)
    return f"{text} ({hint})" if hint else text


def check_slides(paths: list[Path], *, exclude: SlideList | None = None,
                 revised: SlideList | None = None,
                 sample: int = SAMPLE_PER_LEVEL) -> list[SlideCheck]:
    return [check_slide(p, exclude=exclude, revised=revised, sample=sample) for p in paths]


def summary(results: list[SlideCheck]) -> dict[str, Any]:
    by_code: dict[str, int] = {}
    for result in results:
        for finding in result.problems + result.warnings:
            by_code[finding.code] = by_code.get(finding.code, 0) + 1
    return {
        "slides": len(results),
        "with_problems": sum(1 for r in results if r.problems),
        "with_warnings": sum(1 for r in results if r.warnings),
        "unreadable": sum(1 for r in results if not r.readable),
        "fixable": sum(1 for r in results if r.fixable_pages),
        "by_code": dict(sorted(by_code.items())),
    }
