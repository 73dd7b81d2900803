"""The demo estate: one description, one section per provider, shipped in the package."""

from __future__ import annotations

from functools import cache
from importlib import import_module
from pathlib import Path
from typing import Any

import yaml

from auditor.sandbox import SANDBOXES
from auditor.sandbox.base import Sandbox

ESTATE_FILE = Path(__file__).with_name("estate.yaml")


@cache
def load_estate(path: Path = ESTATE_FILE) -> dict[str, Any]:
    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def make_sandbox(provider: str) -> Sandbox:
    module_name, _, class_name = SANDBOXES[provider].partition(":")
    return getattr(import_module(module_name), class_name)()
