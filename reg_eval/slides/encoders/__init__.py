"""Patch encoders: a typed registry of named pathology encoders, `tiny`, and local folders.

`catalog.py` holds what each model card fixes, `base.py` the loaded encoder and its input
transform, `modules.py` the pooling modules, `load.py` where weights come from.
"""

from reg_eval.slides.encoders.base import Encoder, Preprocess
from reg_eval.slides.encoders.catalog import ENTRIES, EncoderSpec, find_entry
from reg_eval.slides.encoders.load import load_encoder

__all__ = ["ENTRIES", "Encoder", "EncoderSpec", "Preprocess", "find_entry", "load_encoder"]
