"""The demo estate: one description, one section per provider, shipped in the package."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

from auditor.sandbox.base import Sandbox
from auditor.sandbox.registry import SandboxRegistry

ESTATE_FILE = Path(__file__).with_name("estate.yaml")


@cache
def load_estate(path: Path = ESTATE_FILE) -> dict[str, Any]:
    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def make_sandbox(provider: str) -> Sandbox:
    """A new, unstarted stand-in of ``provider``, from the ``auditor.sandboxes`` registry."""
    return SandboxRegistry.from_entry_points().create(provider)
