"""REG 2026 Metric B probes from your own slides: ROI images, their pairings and the mapping.

For each slide, tissue is found on the thumbnail (`tissue.detect_tissue`), the patch grid at
the asked magnification is laid over it, and `n_tissue` patches that are at least 90% tissue
and `n_background` patches with no tissue at all are drawn with the seed. Each tissue ROI gets
a perturbed variant; each tissue ROI is paired (B3) with a background ROI of the same slide
when there is one, else of any slide. Rows are shuffled and numbered, as the organisers'
anonymous ids are, and written as `rois_mapping.txt` in their columns.

Perturbations are reg-eval's own choice (the organisers' are not public): a content-keeping
change, so that a grounded answer should stay the same (B2 counts SAME as right): the ROI
rotated by 90, 180 or 270 degrees, with brightness scaled by a factor in [0.92, 1.08].

The folder holds `rois/roi_<id>.jpg`, `rois_mapping.txt`, `probes.json` (the settings) and
`input/<id>/` with what an algorithm container of the region-of-interest interface reads:
`histopathology-region-of-interest-thumbnail.jpeg`, `visual-context-question.json` and
`inputs.json`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from reg_eval.errors import InvalidInputError, UsageError
from reg_eval.io.grounding import mapping_text
from reg_eval.io.writers import atomic_folder

DEFAULT_QUESTION = "Is tissue visible in this ROI? Answer briefly"
"""The question of the organisers' example mapping."""
THUMBNAIL_NAME = "histopathology-region-of-interest-thumbnail.jpeg"
QUESTION_NAME = "visual-context-question.json"
MIN_TISSUE_SHARE = 0.9
JPEG_QUALITY = 90
BRIGHTNESS_RANGE = (0.92, 1.08)
DEFAULT_SLIDE_MPP = 0.25
"""Assumed for a slide that records no resolution (a 40x scan); the probe summary says so."""


@dataclass(frozen=True)
class ProbeSettings:
    n_tissue: int = 4
    n_background: int = 2
    magnification: str = "5x"
    patch_size: int = 256
    seed: int = 0
    question: str = DEFAULT_QUESTION

    @property
    def target_mpp(self) -> float:
        """Microns per pixel of a magnification: 10 / M (40x is 0.25 µm/px)."""
        match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*[xX]\s*", self.magnification)
        if not match or float(match.group(1)) <= 0:
            raise UsageError(f"--magnification {self.magnification!r}: write it as e.g. 5x")
        return 10.0 / float(match.group(1))


@dataclass(frozen=True)
class Region:
    slide_id: str
    label: str
    x: int
    y: int
    image: np.ndarray


def _perturb(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    turns = int(rng.integers(1, 4))
    factor = float(rng.uniform(*BRIGHTNESS_RANGE))
    rotated = np.rot90(image, k=turns)
    return np.clip(rotated.astype(np.float64) * factor, 0, 255).round().astype(np.uint8)


def _regions(path: Path, settings: ProbeSettings, rng: np.random.Generator,
             notes: list[str]) -> list[Region]:
    from PIL import Image

    from reg_eval.slides.reader import open_slide
    from reg_eval.slides.tiling import choose_geometry, tile_coords
    from reg_eval.slides.tissue import TissueMask, detect_tissue

    with open_slide(path) as reader:
        mpp = reader.mpp
        if mpp is None:
            mpp = DEFAULT_SLIDE_MPP
            notes.append(f"{path.name}: no resolution recorded; assumed {mpp} µm/px")
        geometry = choose_geometry(settings.patch_size, settings.target_mpp, mpp,
                                   reader.level_downsamples, where=str(path))
        thumbnail, downsample = reader.thumbnail()
        tissue = detect_tissue(thumbnail, downsample)
        glass = TissueMask(~tissue.mask, downsample, tissue.threshold)
        size0 = reader.level_dimensions[0]
        found = {
            "tissue": tile_coords(size0, tissue, geometry.patch_size_level0,
                                  min_tissue=MIN_TISSUE_SHARE),
            "background": tile_coords(size0, glass, geometry.patch_size_level0,
                                      min_tissue=1.0),
        }
        wanted = {"tissue": settings.n_tissue, "background": settings.n_background}
        regions = []
        for label in ("tissue", "background"):
            coords = found[label]
            if len(coords) < wanted[label]:
                notes.append(f"{path.name}: {len(coords)} {label} patch(es) where "
                             f"{wanted[label]} were asked")
            picks = rng.permutation(len(coords))[: wanted[label]]
            for x, y in coords[np.sort(picks)]:
                region = reader.read_region(geometry.level, int(x), int(y),
                                            geometry.read_size, geometry.read_size)
                if geometry.read_size != settings.patch_size:
                    region = np.asarray(Image.fromarray(region).resize(
                        (settings.patch_size, settings.patch_size), Image.Resampling.BILINEAR))
                regions.append(Region(path.name, label, int(x), int(y), region))
    return regions


def _inputs_json(question: str) -> list[dict[str, object]]:
    """The two sockets of the region-of-interest interface, as the organisers' template."""
    return [
        {"socket": {"slug": "visual-context-question", "relative_path": QUESTION_NAME,
                    "is_image_kind": False, "is_panimg_kind": False,
                    "is_dicom_image_kind": False, "is_json_kind": True, "is_file_kind": False},
         "file": None, "image": None, "value": question},
        {"socket": {"slug": "histopathology-region-of-interest-thumbnail",
                    "relative_path": THUMBNAIL_NAME, "is_image_kind": False,
                    "is_panimg_kind": False, "is_dicom_image_kind": False,
                    "is_json_kind": False, "is_file_kind": True},
         "file": THUMBNAIL_NAME, "image": None, "value": None},
    ]


def write_probes(slides: list[Path], out: Path, settings: ProbeSettings, *,
                 force: bool = False) -> dict[str, object]:
    """Write a probe folder; returns its summary (also saved as `probes.json`)."""
    from PIL import Image

    if settings.n_tissue < 1 or settings.n_background < 1:
        raise UsageError("--n-tissue and --n-background must be 1 or more")
    if settings.patch_size < 16:
        raise UsageError("--patch-size must be 16 or more")
    if any(ch in settings.question for ch in "\t\r\n"):
        raise UsageError("--question must be one line without tabs")
    _ = settings.target_mpp
    rng = np.random.default_rng(settings.seed)
    notes: list[str] = []
    regions: list[Region] = []
    for path in sorted(slides):
        regions.extend(_regions(Path(path), settings, rng, notes))
    tissue = [r for r in regions if r.label == "tissue"]
    background = [r for r in regions if r.label == "background"]
    if not tissue or not background:
        raise InvalidInputError(
            f"found {len(tissue)} tissue and {len(background)} background patch(es) in "
            f"{len(slides)} slide(s); Metric B needs both",
            hint="pass more slides, a smaller --patch-size or a higher --magnification",
        )
    # entries: (region, variant, image); tissue originals then their perturbed copies
    entries: list[tuple[Region, str, np.ndarray]] = []
    for region in tissue:
        entries.append((region, "original", region.image))
        entries.append((region, "perturbed", _perturb(region.image, rng)))
    entries.extend((region, "original", region.image) for region in background)
    order = rng.permutation(len(entries))
    ids = {int(index): f"{position:06d}" for position, index in enumerate(order)}
    # B3: each tissue original with a background of its slide (round robin), else any
    b3: dict[int, int] = {}
    background_of_slide: dict[str, list[int]] = {}
    for n, (region, _, _) in enumerate(entries):
        if region.label == "background":
            background_of_slide.setdefault(region.slide_id, []).append(n)
    all_backgrounds = [n for pool in background_of_slide.values() for n in pool]
    used: dict[str, int] = {}
    for n, (region, variant, _) in enumerate(entries):
        if region.label == "tissue" and variant == "original":
            pool = background_of_slide.get(region.slide_id) or all_backgrounds
            key = region.slide_id if region.slide_id in background_of_slide else ""
            b3[n] = pool[used.get(key, 0) % len(pool)]
            used[key] = used.get(key, 0) + 1
    back_pair = {}
    for tissue_n, background_n in b3.items():
        back_pair.setdefault(background_n, tissue_n)
    rows = []
    with atomic_folder(out, force=force) as staging:
        (staging / "rois").mkdir()
        for n in (int(i) for i in order):
            region, variant, image = entries[n]
            rid = ids[n]
            name = f"roi_{rid}.jpg"
            if region.label == "tissue":
                partner = n + 1 if variant == "original" else n - 1
                paired = ids[partner]
                pair_id = f"tissue_pair_{n // 2:06d}"
            else:
                paired = "none"
                pair_id = f"background_{n - 2 * len(tissue):06d}"
            b3_partner = b3.get(n, back_pair.get(n))
            rows.append({
                "row_index": len(rows), "anonymous_id": rid, "image_path": f"rois/{name}",
                "image": name, "variant": variant, "paired_anonymous_id": paired,
                "b3_paired_anonymous_id": ids[b3_partner] if b3_partner is not None
                and variant == "original" else "none",
                "pair_id": pair_id, "label": region.label,
                "slide_id": region.slide_id.split(".", 1)[0], "x": region.x, "y": region.y,
                "magnification": settings.magnification.strip(),
                "patch_size": settings.patch_size, "question": settings.question,
            })
            Image.fromarray(image).save(staging / "rois" / name, quality=JPEG_QUALITY)
            case = staging / "input" / rid
            case.mkdir(parents=True)
            Image.fromarray(image).save(case / THUMBNAIL_NAME, quality=JPEG_QUALITY)
            (case / QUESTION_NAME).write_text(json.dumps(settings.question) + "\n",
                                              encoding="utf-8")
            (case / "inputs.json").write_text(
                json.dumps(_inputs_json(settings.question), indent=4) + "\n", encoding="utf-8")
        (staging / "rois_mapping.txt").write_text(mapping_text(rows), encoding="utf-8")
        summary: dict[str, object] = {
            "slides": [Path(s).name for s in sorted(slides)],
            "n_rois": len(rows),
            "n_tissue": len(tissue),
            "n_background": len(background),
            "magnification": settings.magnification.strip(),
            "target_mpp": settings.target_mpp,
            "patch_size": settings.patch_size,
            "seed": settings.seed,
            "question": settings.question,
            "perturbation": "rot90 by 1-3 quarter turns, brightness x U[0.92, 1.08]",
            "notes": notes,
        }
        (staging / "probes.json").write_text(json.dumps(summary, indent=2) + "\n",
                                             encoding="utf-8")
    return summary
