"""Small synthetic slides: tissue-like blobs on white glass, written as real slide TIFFs.

They exercise the same paths as scanner files: a tiled JPEG pyramid with tables per tile
(YCbCr without a JFIF marker, as some scanners write, or true RGB with an Adobe marker),
the same with tag 262 wrongly saying RGB (the REG colour defect), a file cut short, a
slide of empty glass, and a striped Deflate TIFF that OpenSlide cannot open. Equal
arguments give equal bytes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from reg_eval.slides import jpeg
from reg_eval.slides.tiff import PHOTOMETRIC_RGB, TAG_PHOTOMETRIC

GLASS = (242, 240, 244)
STAINS = {
    "eosin": ((224, 130, 190), (150, 60, 140)),  # pink stroma, purple nuclei
    "haematoxylin": ((170, 120, 200), (90, 50, 150)),
}


@dataclass(frozen=True)
class SyntheticSlide:
    """Pixels of a slide and where its tissue is (a ground truth for tests)."""

    image: np.ndarray  # (H, W, 3) uint8
    tissue: np.ndarray  # (H, W) bool


def tissue_image(width: int, height: int, *, seed: int, stain: str = "eosin",
                 blobs: int = 3) -> SyntheticSlide:
    """Elliptic pieces of tissue with nuclei-like dots; `blobs=0` gives empty glass."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    tissue = np.zeros((height, width), dtype=bool)
    for _ in range(blobs):
        cx, cy = rng.uniform(0.25, 0.75) * width, rng.uniform(0.25, 0.75) * height
        rx, ry = rng.uniform(0.12, 0.25) * width, rng.uniform(0.12, 0.25) * height
        tissue |= ((xx - cx) / rx) ** 2 + ((yy - cy) / ry) ** 2 <= 1.0
    stroma, nuclei = STAINS[stain]
    image = np.empty((height, width, 3), dtype=np.float32)
    image[:] = GLASS
    image[tissue] = stroma
    dots = (rng.random((height, width)) < 0.02) & tissue
    image[dots] = nuclei
    image += rng.normal(0.0, 6.0, size=image.shape)
    return SyntheticSlide(np.clip(image, 0, 255).astype(np.uint8), tissue)


def downsample(image: np.ndarray, factor: int) -> np.ndarray:
    """Block mean by an integer factor (edges cropped to whole blocks)."""
    h, w = image.shape[0] // factor * factor, image.shape[1] // factor * factor
    blocks = image[:h, :w].reshape(h // factor, factor, w // factor, factor, -1)
    return blocks.astype(np.float32).mean(axis=(1, 3)).round().astype(np.uint8)


def _strip_app0(stream: bytes) -> bytes:
    """Remove a JFIF APP0 segment right after SOI (as scanners that omit it)."""
    if stream[2:4] == b"\xff\xe0" and stream[6:11] == b"JFIF\x00":
        length = int.from_bytes(stream[4:6], "big")
        return stream[:2] + stream[4 + length:]
    return stream


def _encode_tiles(level: np.ndarray, tile: int, colour: str, quality: int) -> list[bytes]:
    import imagecodecs

    h, w = level.shape[:2]
    padded = np.full(((h + tile - 1) // tile * tile, (w + tile - 1) // tile * tile, 3),
                     GLASS, dtype=np.uint8)
    padded[:h, :w] = level
    tiles = []
    for y in range(0, padded.shape[0], tile):
        for x in range(0, padded.shape[1], tile):
            block = np.ascontiguousarray(padded[y:y + tile, x:x + tile])
            if colour == jpeg.YCBCR:
                stream = imagecodecs.jpeg8_encode(block, level=quality, colorspace="RGB",
                                                  outcolorspace="YCbCr", subsampling=(2, 2))
                tiles.append(_strip_app0(bytes(stream)))
            else:
                stream = imagecodecs.jpeg8_encode(block, level=quality, colorspace="RGB",
                                                  outcolorspace="RGB")
                tiles.append(bytes(stream))
    return tiles


def write_jpeg_slide(path: Path, image: np.ndarray, *, mpp: float = 0.5, tile: int = 256,
                     levels: int = 3, colour: str = jpeg.YCBCR, quality: int = 90,
                     wrong_tag: bool = False) -> Path:
    """A tiled JPEG pyramid (each level half the one before), one IFD per level.

    `colour` is the space the tiles are encoded in; the tag says the same unless
    `wrong_tag`, which writes YCbCr tiles and then sets tag 262 to RGB.
    """
    import tifffile

    path = Path(path)
    with tifffile.TiffWriter(path) as writer:
        for level_index in range(levels):
            level = image if level_index == 0 else downsample(image, 2 ** level_index)
            if min(level.shape[:2]) < 16:
                break
            tiles = _encode_tiles(level, tile, colour, quality)
            options: dict[str, object] = {}
            if colour == jpeg.YCBCR:
                options = {"photometric": "ycbcr", "subsampling": (2, 2)}
            else:
                options = {"photometric": "rgb", "compressionargs": {"outcolorspace": "RGB"}}
            scale = mpp * 2 ** level_index
            writer.write(
                iter(tiles), shape=level.shape, dtype="uint8", tile=(tile, tile),
                compression="jpeg", subfiletype=0 if level_index == 0 else 1,
                resolution=(10_000.0 / scale, 10_000.0 / scale), resolutionunit="CENTIMETER",
                description=json.dumps({"synthetic": True}) if level_index == 0 else None,
                metadata=None, **options,
            )
    if wrong_tag:
        set_photometric(path, PHOTOMETRIC_RGB)
    return path


def set_photometric(path: Path, value: int) -> None:
    """Overwrite tag 262 of every JPEG page in place (test helper: makes the defect)."""
    import tifffile

    with tifffile.TiffFile(path, mode="r+b") as handle:
        for page in handle.pages:
            if int(page.compression) == 7:
                page.tags[TAG_PHOTOMETRIC].overwrite(value)


def write_striped_deflate(path: Path, image: np.ndarray, *, mpp: float = 0.5) -> Path:
    """A single-level striped Deflate TIFF: readable by tifffile, not by OpenSlide."""
    import tifffile

    tifffile.imwrite(path, image, photometric="rgb", compression="zlib", rowsperstrip=64,
                     resolution=(10_000.0 / mpp, 10_000.0 / mpp), resolutionunit="CENTIMETER",
                     metadata=None)
    return Path(path)


def truncate(path: Path, keep_fraction: float = 0.6) -> Path:
    """Cut a file short, as an interrupted download does."""
    data = Path(path).read_bytes()
    Path(path).write_bytes(data[: int(len(data) * keep_fraction)])
    return Path(path)


@dataclass(frozen=True)
class SlideSpec:
    slide_id: str
    stain: str
    defect: str  # "", "wrong-tag" or "truncated"


def demo_specs(n: int, seed: int) -> list[SlideSpec]:
    """Ids and stains of a demo set; slide 2 has the colour defect, slide 3 is truncated."""
    rng = np.random.default_rng([seed, 13])
    stains = sorted(STAINS)
    specs = []
    for index in range(n):
        defect = {1: "wrong-tag", 2: "truncated"}.get(index, "")
        stain = stains[int(rng.integers(len(stains)))] if index >= 2 else stains[index]
        specs.append(SlideSpec(f"PIT_01_{index + 1:05d}_01.tiff", stain, defect))
    return specs


def write_slide_set(out_dir: Path, *, n: int = 16, seed: int = 0, width: int = 1024,
                    height: int = 768, force: bool = False) -> list[SlideSpec]:
    """Slides plus the organisers' style lists: `corrupted_id.csv` names the truncated
    slide, `revised_list.csv` the one with the wrong tag; `slides.csv` says what each is."""
    from reg_eval.errors import UsageError
    from reg_eval.io.writers import atomic_write_text

    out_dir = Path(out_dir)
    if n < 3:
        raise UsageError("--n must be at least 3 (a good, a wrong-tag and a truncated slide)")
    if out_dir.exists() and any(out_dir.iterdir()):
        if not force:
            raise UsageError(f"{out_dir} already exists and is not empty",
                             hint="pass --force to replace earlier synthetic slides")
        if not (out_dir / "slides.csv").is_file():
            raise UsageError(f"{out_dir} holds no slides.csv, so it is not an earlier "
                             "synthetic slide set; --force will not replace it",
                             hint="choose an empty or new folder for --out")
        for old in out_dir.glob("*.tiff"):
            old.unlink()
    out_dir.mkdir(parents=True, exist_ok=True)
    specs = demo_specs(n, seed)
    for index, spec in enumerate(specs):
        slide = tissue_image(width, height, seed=seed * 100_003 + index, stain=spec.stain)
        path = write_jpeg_slide(out_dir / spec.slide_id, slide.image, mpp=0.5, tile=256,
                                levels=3, wrong_tag=spec.defect == "wrong-tag")
        if spec.defect == "truncated":
            truncate(path, 0.6)
    rows = ["id,stain,defect"] + [f"{s.slide_id},{s.stain},{s.defect}" for s in specs]
    atomic_write_text(out_dir / "slides.csv", "\n".join(rows) + "\n", force=True)
    for name, defect in (("corrupted_id.csv", "truncated"), ("revised_list.csv", "wrong-tag")):
        ids = [s.slide_id.removesuffix(".tiff") for s in specs if s.defect == defect]
        atomic_write_text(out_dir / name, "id_list\n" + "".join(f"{i}\n" for i in ids),
                          force=True)
    return specs
