"""REG 2026 (REG²) Metric A: chain-of-thought scoring (see docs/reg2026.md).

Metric B (visual grounding, judged by an LLM against a hidden ROI mapping) is not here: it
cannot be reproduced from public material.
"""
