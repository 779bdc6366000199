"""The Hugging Face Space of the module: a form around `compute` (needs gradio)."""

from __future__ import annotations

import evaluate
from evaluate.utils import launch_gradio_widget

module = evaluate.load("reg2025.py")
launch_gradio_widget(module)
