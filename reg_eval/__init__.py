"""reg-eval: validation, scoring and benchmarking for pathology report generation."""

__version__ = "0.1.0"
