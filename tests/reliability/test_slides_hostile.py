"""Slides under hostile input: every crafted file is answered within seconds, with exit 1 or
2, a message naming the slide and the reason, and peak memory well under 1.5 GB.

The files are built here from a few KB each (tests/hostile_slides.py says which bytes are
wrong). Memory is measured on a fresh process: `python -m reg_eval ...` runs under a parent
whose only child it is, so RUSAGE_CHILDREN is that run's peak resident memory.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import hostile_slides as hs
import pytest

MEMORY_CEILING_KB = hs.MEMORY_CEILING_KB
SECONDS_CEILING = 60  # per run on a loaded 2-core machine; each takes a few seconds alone
run_measured = hs.run_measured
MEASURE = hs.MEASURE


# -- the crafted files ---------------------------------------------------------------------

def _loop(length: int, bigtiff: bool = False) -> Callable[[Path], Path]:
    def build(path: Path) -> Path:
        hs.small_slide(path, levels=3, bigtiff=bigtiff)
        return hs.make_ifd_loop(path, length)
    return build


def _tile_tags_30000(path: Path) -> Path:
    hs.small_slide(path)
    hs.set_tag(path, 0, 322, 30_000)
    return hs.set_tag(path, 0, 323, 30_000)


def _jpeg_frame_30000(path: Path) -> Path:
    return hs.enlarge_jpeg_frame(hs.small_slide(path), 0, 30_000, 30_000)


def _deflate_strip_25000(path: Path) -> Path:
    return hs.raw_tiff(path, 25_000, 25_000, [hs.deflate_rows(25_000, 8)])


def _declared_million(path: Path) -> Path:
    return hs.raw_tiff(path, 1_000_000, 1_000_000, [hs.deflate_rows(1_000, 8)])


def _sparse_100k(path: Path) -> Path:
    across = -(-100_000 // 256)
    return hs.raw_tiff(path, 100_000, 100_000,
                       [hs.deflate_rows(256, 256, 200)] + [None] * (across * across - 1),
                       tile=256)


def _striped_60000(path: Path) -> Path:
    return hs.raw_tiff(path, 60_000, 16_384, [hs.deflate_rows(60_000, 16)])


def _deflate_bomb_strip(path: Path) -> Path:
    # declares one 2000 x 64 strip (384 KB) whose data unpacks to 12 MB; 0.5 um/px, so that
    # features extract at its default --mpp reads the strip
    return hs.raw_tiff(path, 2_000, 64, [hs.deflate_rows(2_000, 2_000, 200)],
                       description="Aperio Image Library|AppMag = 20|MPP = 0.5")


def _zero_width(path: Path) -> Path:
    return hs.set_tag(hs.small_slide(path), 0, 256, 0)


def _missing_offsets(path: Path) -> Path:
    return hs.set_tag_count(hs.small_slide(path), 0, 324, 1)  # 1 of its 12 tile offsets


def _corrupt_tile(path: Path) -> Path:
    return hs.corrupt_tile(hs.small_slide(path), 5)


def _fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path


# name: (builder, extra check options, problem code, words the message holds)
CHECK_CASES: dict[str, tuple[Callable[[Path], Path], list[str], str, list[str]]] = {
    "ifd-self-loop": (_loop(1), [], "unreadable", ["loops", "directory 0"]),
    "ifd-3-loop": (_loop(3), [], "unreadable", ["loops", "directory 2 points back"]),
    "bigtiff-ifd-loop": (_loop(1, bigtiff=True), [], "unreadable", ["loops"]),
    "tile-tags-30000": (_tile_tags_30000, [], "over-limit",
                        ["30000 x 30000", "--max-decoded-mb"]),
    "jpeg-frame-30000": (_jpeg_frame_30000, [], "decoder-error",
                         ["JPEG frame declares 30000 x 30000"]),
    "deflate-strip-25000": (_deflate_strip_25000, [], "over-limit",
                            ["625,000,000 pixels", "--max-pixels-per-byte"]),
    "deflate-strip-25000-ratio-raised": (_deflate_strip_25000,
                                         ["--max-pixels-per-byte", "1000000"], "over-limit",
                                         ["1,788.1 MB", "--max-decoded-mb"]),
    "declared-1e6-square": (_declared_million, [], "over-limit", ["--max-pixels-per-byte"]),
    "sparse-100k-square": (_sparse_100k, [], "over-limit", ["--max-pixels-per-byte"]),
    "striped-60000x16384": (_striped_60000, [], "over-limit", ["--max-pixels-per-byte"]),
    "deflate-bomb-strip": (_deflate_bomb_strip, [], "decoder-error",
                           ["unpacks to more than the 384,000 bytes"]),
    "zero-width": (_zero_width, [], "unreadable", ["0 x 384", "ImageWidth"]),
    "missing-tile-offsets": (_missing_offsets, [], "unreadable",
                             ["needs 12 tiles", "1 tile offsets"]),
    "corrupt-tile": (_corrupt_tile, [], "decoder-error",
                     ["tile 5 does not decode", "Huffman table"]),
    "fifo": (_fifo, [], "not-a-file", ["FIFO"]),
}


@pytest.mark.parametrize("case", sorted(CHECK_CASES))
def test_check_answers_each_crafted_file(tmp_path: Path, case: str) -> None:
    build, options, code, words = CHECK_CASES[case]
    slide = build(tmp_path / f"{case}.tiff")
    if slide.is_file():
        assert slide.stat().st_size < 2 * 1024 * 1024
    measured = run_measured("slides", "check", slide, "--format", "json", *options)
    assert measured["rc"] == 1, measured["stderr"]
    row = json.loads(str(measured["stdout"]))["slides"][0]
    assert row["id"] == f"{case}.tiff" and not row["readable"]
    problems = {p["code"]: p["message"] for p in row["problems"]}
    assert code in problems, problems
    for word in words:
        assert word in problems[code], problems[code]
    assert int(measured["max_rss_kb"]) < MEMORY_CEILING_KB, measured
    assert float(measured["seconds"]) < SECONDS_CEILING  # type: ignore[arg-type]
    print(f"check {case}: rc 1, {measured['seconds']:.2f} s, "
          f"peak {int(measured['max_rss_kb']) // 1024} MB")


def test_fix_refuses_a_directory_loop(tmp_path: Path) -> None:
    slide = _loop(3)(tmp_path / "S.tiff")
    measured = run_measured("slides", "fix", slide, "--out", tmp_path / "out")
    assert measured["rc"] == 1
    assert "S.tiff" in str(measured["stderr"]) and "loops" in str(measured["stderr"])
    assert int(measured["max_rss_kb"]) < MEMORY_CEILING_KB
    assert not (tmp_path / "out" / "S.tiff").exists()


# -- features extract: good slides plus hostile ones -----------------------------------------

EXTRACT = hs.EXTRACT
EXTRACT_CASES = ["ifd-self-loop", "ifd-3-loop", "bigtiff-ifd-loop", "tile-tags-30000",
                 "jpeg-frame-30000", "deflate-strip-25000", "declared-1e6-square",
                 "sparse-100k-square", "striped-60000x16384", "deflate-bomb-strip",
                 "zero-width", "missing-tile-offsets", "corrupt-tile", "fifo"]


def _good_and_corrupt_smallest(folder: Path) -> tuple[list[Path], Path]:
    """Two good slides, and one whose smallest level's only tile is corrupt (the level the
    tissue is found on) as well as one tile of the base."""
    folder.mkdir(parents=True, exist_ok=True)
    good = [hs.small_slide(folder / f"GOOD_{i}.tiff", seed=10 + i) for i in range(2)]
    corrupt = hs.small_slide(folder / "BAD_tile.tiff", levels=3, seed=12)
    hs.corrupt_tile(corrupt, 5)
    hs.corrupt_tile(corrupt, 0, page=2)
    return good, corrupt


def test_extract_isolates_each_hostile_slide(tmp_path: Path) -> None:
    slides = tmp_path / "slides"
    slides.mkdir()
    good, corrupt = _good_and_corrupt_smallest(slides)
    for case in EXTRACT_CASES:
        CHECK_CASES[case][0](slides / f"{case}.tiff")
    out = tmp_path / "features"
    started = time.perf_counter()
    measured = run_measured("features", "extract", slides, "--out", out, *EXTRACT)
    stderr = str(measured["stderr"])
    assert measured["rc"] == 1, stderr
    assert "internal error" not in stderr and "Traceback" not in stderr
    failed = len(EXTRACT_CASES) + 1
    assert f"2 extracted, 0 already done, 0 without tissue, {failed} failed" in str(
        measured["stdout"])
    for path in good:
        assert (out / f"{path.stem}.h5").is_file()
    manifest = json.loads((out / "manifest.json").read_text())
    rows = {row["id"]: row for row in manifest["slides"]}
    assert rows[corrupt.stem]["status"] == "failed"
    assert "does not decode" in rows[corrupt.stem]["message"]
    reasons = {"ifd-self-loop": "loops", "ifd-3-loop": "loops", "bigtiff-ifd-loop": "loops",
               "tile-tags-30000": "--max-decoded-mb", "jpeg-frame-30000": "JPEG frame",
               "deflate-strip-25000": "--max-pixels-per-byte",
               "declared-1e6-square": "--max-pixels-per-byte",
               "striped-60000x16384": "--max-pixels-per-byte",
               "sparse-100k-square": "--max-pixels-per-byte",
               "deflate-bomb-strip": "unpacks to more than the 384,000 bytes",
               "zero-width": "ImageWidth",
               "missing-tile-offsets": "tile offsets", "corrupt-tile": "does not decode",
               "fifo": "FIFO"}
    for case, reason in reasons.items():
        assert rows[case]["status"] == "failed", rows[case]
        assert reason in rows[case]["message"], rows[case]
        assert f"error: slide {case}:" in stderr
        assert not (out / f"{case}.h5").exists()
    assert int(measured["max_rss_kb"]) < MEMORY_CEILING_KB, measured
    print(f"extract over {len(rows)} slides: {measured['seconds']:.2f} s, peak "
          f"{int(measured['max_rss_kb']) // 1024} MB ({time.perf_counter() - started:.1f} s)")


@pytest.mark.parametrize("reader", ["tifffile", "openslide", "auto"])
def test_a_corrupt_tile_is_an_error_never_no_tissue(cli: Callable[..., object],
                                                    tmp_path: Path, reader: str) -> None:
    good, corrupt = _good_and_corrupt_smallest(tmp_path / "slides")
    out = tmp_path / "features"
    result = cli("features", "extract", *good, corrupt, "--out", out, "--reader", reader,
                 *EXTRACT)
    assert result.exit_code == 1, result.output  # type: ignore[attr-defined]
    assert "2 extracted, 0 already done, 0 without tissue, 1 failed" in result.stdout  # type: ignore[attr-defined]
    assert f"error: slide {corrupt.stem}:" in result.stderr  # type: ignore[attr-defined]
    assert "does not decode" in result.stderr or "Huffman" in result.stderr  # type: ignore[attr-defined]
    assert not (out / f"{corrupt.stem}.h5").exists()


def test_a_memory_error_fails_that_slide_only(cli: Callable[..., object], tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from reg_eval.slides import tissue

    good = [hs.small_slide(tmp_path / f"S{i}.tiff", seed=20 + i) for i in range(3)]
    real = tissue.detect_tissue
    calls = []

    def exhausted(thumbnail: object, downsample: float) -> object:
        calls.append(1)
        if len(calls) == 2:
            raise MemoryError
        return real(thumbnail, downsample)  # type: ignore[arg-type]

    monkeypatch.setattr(tissue, "detect_tissue", exhausted)
    result = cli("features", "extract", *good, "--out", tmp_path / "f", *EXTRACT)
    assert result.exit_code == 1  # type: ignore[attr-defined]
    assert "error: slide S1:" in result.stderr and "out of memory" in result.stderr  # type: ignore[attr-defined]
    assert "2 extracted" in result.stdout  # type: ignore[attr-defined]


def test_the_measurement_sees_a_large_child() -> None:
    """RUSAGE_CHILDREN as used above does see a child's memory."""
    env = {**os.environ}
    done = subprocess.run([sys.executable, "-c", MEASURE, sys.executable, "-c",
                           "b = bytearray(300 * 1024 * 1024); b[::4096] = b'x' * len(b[::4096])"],
                          capture_output=True, text=True, env=env, timeout=120)
    assert int(json.loads(done.stdout)["max_rss_kb"]) > 300 * 1024


def test_a_bad_tile_read_by_a_loader_worker_is_one_line(cli: Callable[..., object],
                                                        tmp_path: Path) -> None:
    """Loader workers re-raise with their traceback in the message; the user sees one line."""
    slide = hs.enlarge_jpeg_frame(hs.small_slide(tmp_path / "E.tiff"), 5, 30_000, 30_000)
    options = list(EXTRACT)
    options[options.index("--workers") + 1] = "2"
    result = cli("features", "extract", slide, "--out", tmp_path / "f", "--reader",
                 "tifffile", *options)
    assert result.exit_code == 1  # type: ignore[attr-defined]
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]  # type: ignore[attr-defined]
    assert errors == [f"error: slide E: {slide}: cannot read the patch at x=128, y=192 (level "
                      "0): page 0, tile 5: its JPEG frame declares 30000 x 30000 pixels, more "
                      "than the page's 128 x 128 tiles"]
    assert "Traceback" not in result.stderr  # type: ignore[attr-defined]


# -- features extract with its default workers: the whole process tree --------------------

TREE_BUDGET_KB = 1536 * 1024
"""1.5 GB, the memory a grader's machine allows the whole run (workers included)."""


def test_extract_default_workers_fits_the_budget_on_one_strip_slides(tmp_path: Path) -> None:
    slides = tmp_path / "slides"
    slides.mkdir()
    # 9200 x 9200 RGB in one strip: 254 MB decoded from about 0.3 MB of Deflate data,
    # within --max-pixels-per-byte; and 4600 x 4600 in one strip, 63.5 MB decoded
    hs.raw_tiff(slides / "BIG_strip.tiff", 9_200, 9_200, hs.disc_strips(9_200, 9_200, 9_200))
    hs.raw_tiff(slides / "MID_strip.tiff", 4_600, 4_600, hs.disc_strips(4_600, 4_600, 4_600))
    out = tmp_path / "features"
    measured = hs.run_tree_measured("features", "extract", slides, "--out", out, "--encoder",
                                    "tiny", "--patch-size", "64", "--mpp", "8", "--device",
                                    "cpu", "--quiet")
    stderr = str(measured["stderr"])
    assert "internal error" not in stderr and "Traceback" not in stderr
    assert int(measured["tree_pss_kb"]) < TREE_BUDGET_KB, {
        k: v for k, v in measured.items() if k != "stdout"}
    assert measured["rc"] == 1, stderr
    assert "error: slide BIG_strip:" in stderr and "--max-decoded-mb" in stderr
    assert (out / "MID_strip.h5").is_file() and not (out / "BIG_strip.h5").exists()
    print(f"extract, default workers: {measured['seconds']:.1f} s, whole-tree peak PSS "
          f"{int(measured['tree_pss_kb']) // 1024} MB")
