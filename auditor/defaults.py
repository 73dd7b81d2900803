"""Defaults shared by the CLI, the pipeline and the adapters (import-light: no SDK, no yaml)."""

DEFAULT_MAX_WORKERS = 16
