"""The reg-eval version, in one place: pyproject.toml reads it, signatures print it."""

__version__ = "0.1.0"
