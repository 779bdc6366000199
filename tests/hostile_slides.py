"""Small crafted TIFFs that a hostile or broken export could hold, each a few KB.

Each builder writes a well-formed slide with tifffile and then changes the bytes that make
it hostile (a next-directory offset, a tag value, a tile's data), finding their places
with tifffile, so the tests state exactly which bytes are wrong.
Shared by tests/reliability and tests/slides (the tests folder is on sys.path).
"""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np

from reg_eval.slides import synthetic

TILE = 128
REPO = Path(__file__).resolve().parents[1]
MEMORY_CEILING_KB = 1024 * 1024  # 1 GB: well under the 1.5 GB a grader's machine allows
EXTRACT = ["--encoder", "tiny", "--patch-size", "64", "--workers", "0", "--device", "cpu",
           "--quiet"]
"""Options of `features extract` for the crafted slides: the tiny encoder on the CPU."""

MEASURE = """
import json, resource, subprocess, sys, time
start = time.perf_counter()
done = subprocess.run(sys.argv[1:], capture_output=True, text=True, timeout=120)
print(json.dumps({
    "rc": done.returncode,
    "seconds": time.perf_counter() - start,
    "max_rss_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
    "stdout": done.stdout,
    "stderr": done.stderr,
}))
"""


def run_measured(*args: object) -> dict[str, object]:
    """`python -m reg_eval ARGS` under a parent whose only child it is (so RUSAGE_CHILDREN is
    that run's peak resident memory): exit code, output, seconds, peak memory in KB."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "NO_COLOR": "1"}
    env.pop("REG_EVAL_DEBUG", None)
    done = subprocess.run([sys.executable, "-c", MEASURE, sys.executable, "-m", "reg_eval",
                           *map(str, args)], capture_output=True, text=True, env=env,
                          timeout=180)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def small_slide(path: Path, *, width: int = 512, height: int = 384, levels: int = 2,
                seed: int = 7, bigtiff: bool = False) -> Path:
    """A tiled YCbCr JPEG pyramid with tissue (as the synthetic slides), optionally BigTIFF."""
    image = synthetic.tissue_image(width, height, seed=seed).image
    if not bigtiff:
        return synthetic.write_jpeg_slide(path, image, mpp=0.5, tile=TILE, levels=levels)
    import tifffile

    tiles = synthetic._encode_tiles(image, TILE, "ycbcr", 90)
    with tifffile.TiffWriter(path, bigtiff=True) as writer:
        writer.write(iter(tiles), shape=image.shape, dtype="uint8", tile=(TILE, TILE),
                     compression="jpeg", photometric="ycbcr", subsampling=(2, 2),
                     resolution=(20_000.0, 20_000.0), resolutionunit="CENTIMETER",
                     metadata=None)
    return Path(path)


def ifd_layout(path: Path) -> tuple[bool, str, list[int]]:
    """(bigtiff, struct byte order, offsets of every IFD in chain order)."""
    data = Path(path).read_bytes()
    order = "<" if data[:2] == b"II" else ">"
    bigtiff = struct.unpack(order + "H", data[2:4])[0] == 43
    offsets = []
    offset = struct.unpack(order + ("Q" if bigtiff else "I"),
                           data[8:16] if bigtiff else data[4:8])[0]
    while offset:
        offsets.append(offset)
        count = struct.unpack(order + ("Q" if bigtiff else "H"),
                              data[offset:offset + (8 if bigtiff else 2)])[0]
        at = offset + (8 + 20 * count if bigtiff else 2 + 12 * count)
        offset = struct.unpack(order + ("Q" if bigtiff else "I"),
                               data[at:at + (8 if bigtiff else 4)])[0]
    return bigtiff, order, offsets


def _next_field(data: bytes, offset: int, bigtiff: bool, order: str) -> int:
    count = struct.unpack(order + ("Q" if bigtiff else "H"),
                          data[offset:offset + (8 if bigtiff else 2)])[0]
    return offset + (8 + 20 * count if bigtiff else 2 + 12 * count)


def make_ifd_loop(path: Path, length: int) -> Path:
    """Point the next-IFD offset of IFD `length - 1` back to the first IFD (1: a self-loop)."""
    bigtiff, order, offsets = ifd_layout(path)
    assert len(offsets) >= length, "the slide needs as many IFDs as the loop is long"
    data = bytearray(Path(path).read_bytes())
    at = _next_field(bytes(data), offsets[length - 1], bigtiff, order)
    data[at:at + (8 if bigtiff else 4)] = struct.pack(order + ("Q" if bigtiff else "I"),
                                                      offsets[0])
    Path(path).write_bytes(bytes(data))
    return Path(path)


def _entry_value_offset(path: Path, page: int, tag: int) -> tuple[int, str]:
    import tifffile

    with tifffile.TiffFile(path) as handle:
        entry = handle.pages[page].tags[tag]
        fmt = {3: "H", 4: "I", 16: "Q"}[entry.dtype]
        return int(entry.valueoffset), handle.byteorder + fmt


def set_tag(path: Path, page: int, tag: int, value: int) -> Path:
    """Write over the single SHORT/LONG value of a tag (ImageWidth, TileWidth, ...)."""
    offset, fmt = _entry_value_offset(path, page, tag)
    data = bytearray(Path(path).read_bytes())
    data[offset:offset + struct.calcsize(fmt)] = struct.pack(fmt, value)
    Path(path).write_bytes(bytes(data))
    return Path(path)


def set_tag_count(path: Path, page: int, tag: int, count: int) -> Path:
    """Write over the count of an IFD entry (e.g. keep 1 of 12 tile offsets)."""
    import tifffile

    with tifffile.TiffFile(path) as handle:
        entry = handle.pages[page].tags[tag]
        bigtiff, order = handle.is_bigtiff, handle.byteorder
        count_at = int(entry.offset) + 4
    data = bytearray(Path(path).read_bytes())
    fmt = order + ("Q" if bigtiff else "I")
    data[count_at:count_at + struct.calcsize(fmt)] = struct.pack(fmt, count)
    Path(path).write_bytes(bytes(data))
    return Path(path)


def tile_spans(path: Path, page: int = 0) -> list[tuple[int, int]]:
    import tifffile

    with tifffile.TiffFile(path) as handle:
        p = handle.pages[page]
        return [(int(o), int(c)) for o, c in zip(p.dataoffsets, p.databytecounts, strict=True)]


def corrupt_tile(path: Path, index: int, page: int = 0) -> Path:
    """Make one JPEG tile undecodable: its scan names Huffman tables that were never defined."""
    offset, count = tile_spans(path, page)[index]
    data = bytearray(Path(path).read_bytes())
    tile = bytes(data[offset:offset + count])
    sos = tile.find(b"\xff\xda")
    components = tile[sos + 4]
    for i in range(components):
        data[offset + sos + 6 + 2 * i] = 0x33  # DC table 3, AC table 3: not in the stream
    Path(path).write_bytes(bytes(data))
    return Path(path)


def enlarge_jpeg_frame(path: Path, index: int, width: int, height: int,
                       page: int = 0) -> Path:
    """Make one tile's JPEG start-of-frame declare `width` x `height` pixels."""
    offset, count = tile_spans(path, page)[index]
    data = bytearray(Path(path).read_bytes())
    tile = bytes(data[offset:offset + count])
    sof = tile.find(b"\xff\xc0")
    assert sof >= 0
    at = offset + sof + 5  # FF C0, length (2), precision (1), then height, width
    data[at:at + 4] = struct.pack(">HH", height, width)
    Path(path).write_bytes(bytes(data))
    return Path(path)


def deflate_rows(width: int, rows: int, value: int = 255) -> bytes:
    """`rows` rows of `width` RGB pixels of one grey value, Deflate-compressed."""
    row = bytes([value]) * (width * 3)
    packer = zlib.compressobj(1)
    parts = [packer.compress(row) for _ in range(rows)]
    return b"".join(parts) + packer.flush()


def raw_tiff(path: Path, width: int, height: int, segments: list[bytes | None], *,
             tile: int | None = None, rows_per_strip: int | None = None,
             description: str | None = None) -> Path:
    """A Deflate RGB TIFF written byte by byte: the header says exactly what it is told,
    however much (or little) data follows; a segment None is stored as empty (offset and
    byte count 0). 2 um/px resolution tags; tiles of `tile` pixels or strips."""
    n = len(segments)
    entries: list[tuple[int, int, int, object]] = [
        (256, 4, 1, width), (257, 4, 1, height), (258, 3, 3, "bits"), (259, 3, 1, 8),
        (262, 3, 1, 2)]
    if description is not None:
        entries.append((270, 2, len(description) + 1, "description"))
    if tile is None:
        entries += [(273, 4, n, "offsets"), (277, 3, 1, 3),
                    (278, 4, 1, rows_per_strip or height), (279, 4, n, "counts")]
    else:
        entries += [(277, 3, 1, 3)]
    entries += [(282, 5, 1, "xres"), (283, 5, 1, "yres"), (296, 3, 1, 3)]
    if tile is not None:
        entries += [(322, 4, 1, tile), (323, 4, 1, tile), (324, 4, n, "offsets"),
                    (325, 4, n, "counts")]
    ifd_at = 8
    extra_at = ifd_at + 2 + 12 * len(entries) + 4
    blobs: dict[str, bytes] = {
        "bits": struct.pack("<HHH", 8, 8, 8),
        "xres": struct.pack("<II", 5_000, 1), "yres": struct.pack("<II", 5_000, 1),
        "description": (description or "").encode("ascii") + b"\0",
    }
    blob_at: dict[str, int] = {}
    extra = bytearray()
    for name in ("bits", "xres", "yres", "description"):
        blob_at[name] = extra_at + len(extra)
        extra += blobs[name] + (b"\0" if len(blobs[name]) % 2 else b"")
    offsets_at = extra_at + len(extra)
    counts_at = offsets_at + 4 * n
    data_at = counts_at + 4 * n
    offsets, counts, data = [], [], bytearray()
    for segment in segments:
        if segment is None:
            offsets.append(0)
            counts.append(0)
        else:
            offsets.append(data_at + len(data))
            counts.append(len(segment))
            data += segment
    blob_at["offsets"], blob_at["counts"] = offsets_at, counts_at
    out = bytearray(b"II*\x00" + struct.pack("<I", ifd_at) + struct.pack("<H", len(entries)))
    for tag, dtype, count, value in entries:
        if isinstance(value, str):
            if value in ("offsets", "counts") and count == 1:
                field = struct.pack("<I", (offsets if value == "offsets" else counts)[0])
            else:
                field = struct.pack("<I", blob_at[value])
        elif dtype == 3:
            field = struct.pack("<HH", value, 0)
        else:
            field = struct.pack("<I", value)
        out += struct.pack("<HHI", tag, dtype, count) + field
    out += struct.pack("<I", 0) + extra
    out += struct.pack(f"<{n}I", *offsets) + struct.pack(f"<{n}I", *counts) + data
    Path(path).write_bytes(bytes(out))
    return Path(path)


def white(width: int, height: int) -> np.ndarray:
    return np.full((height, width, 3), 255, dtype=np.uint8)


def disc_strips(width: int, height: int, rows_per_strip: int) -> list[bytes]:
    """Deflate strips of a white RGB image with a pink disc (tissue to the detector) in its
    middle, compressed row by row so the whole image is never held."""
    strips: list[bytes] = []
    radius2 = (min(width, height) / 3) ** 2
    for top in range(0, height, rows_per_strip):
        packer = zlib.compressobj(1)
        parts = []
        for y in range(top, min(height, top + rows_per_strip)):
            row = np.full((width, 3), 255, np.uint8)
            half = (radius2 - (y - height / 2) ** 2) ** 0.5 if (
                y - height / 2) ** 2 < radius2 else -1.0
            if half >= 0:
                row[int(width / 2 - half):int(width / 2 + half)] = (200, 100, 160)
            parts.append(packer.compress(row.tobytes()))
        strips.append(b"".join(parts) + packer.flush())
    return strips


TREE_MEASURE = """
import json, os, subprocess, sys, threading, time
def pss_kb(pid):
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            return sum(int(line.split()[1]) for line in f if line.startswith("Pss:"))
    except OSError:
        return 0
def group(pgid):
    pids = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == pgid:
                pids.append(int(name))
    return pids
start = time.perf_counter()
child = subprocess.Popen(sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, start_new_session=True)
peak = [0]
def sample():
    while child.poll() is None:
        peak[0] = max(peak[0], sum(pss_kb(pid) for pid in group(child.pid)))
        time.sleep(0.02)
watcher = threading.Thread(target=sample)
watcher.start()
stdout, stderr = child.communicate(timeout=170)
watcher.join()
print(json.dumps({"rc": child.returncode, "seconds": time.perf_counter() - start,
                  "tree_pss_kb": peak[0], "stdout": stdout, "stderr": stderr}))
"""
"""Runs a command in its own process group and samples the summed proportional set size
(PSS) of every process in the group (the command and its data-loader workers): the memory
the whole run holds at once, with shared pages counted once."""


def run_tree_measured(*args: object) -> dict[str, object]:
    """`python -m reg_eval ARGS` with the peak summed PSS of its whole process tree in KB."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "NO_COLOR": "1"}
    env.pop("REG_EVAL_DEBUG", None)
    done = subprocess.run([sys.executable, "-c", TREE_MEASURE, sys.executable, "-m",
                           "reg_eval", *map(str, args)], capture_output=True, text=True,
                          env=env, timeout=180)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)
