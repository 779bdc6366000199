"""Whole-slide images: header and JPEG inspection, tag repair, region reading, tissue
detection, tiling and patch-feature extraction into TRIDENT-layout HDF5 files."""
