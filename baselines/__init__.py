"""Reference baselines for pathology report generation from pre-extracted slide features.

Feature readers (CLAM, TRIDENT, `.pt`), a synthetic REG-like benchmark, and the
`majority`, `knn` and `prefix_lm` baselines that turn pooled slide features into a
submission file.
"""

from __future__ import annotations
