"""The demo estate: one description, one section per provider, each shipped by its stand-in.

``auditor demo``, ``auditor sandbox up`` and the end-to-end tests seed the local stand-ins from
it. Each stand-in class declares ``estate_file`` (e.g. auditor/providers/aws/sandbox/estate.yaml),
a YAML file whose one top-level key is its provider name; the section's fields are documented in
its provider's sandbox module (auditor/providers/<provider>/sandbox/). The sections are found
through the ``auditor.sandboxes`` registry, so nothing here names a provider.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from auditor.errors import PluginError
from auditor.sandbox.base import Sandbox
from auditor.sandbox.registry import SandboxRegistry


def load_estate(registry: SandboxRegistry | None = None) -> dict[str, Any]:
    """provider -> its estate section, for every stand-in of ``registry`` (default: the
    ``auditor.sandboxes`` entry points, read once)."""
    if registry is None:
        return _registered_estate()
    return {name: load_section(name, registry.estate_file(name)) for name in registry.names()}


@cache
def _registered_estate() -> dict[str, Any]:
    return load_estate(SandboxRegistry.from_entry_points())


def load_section(provider: str, path: Path) -> Any:
    """The ``provider:`` section of one estate file; one-line PluginError if it holds anything
    else (a shipped estate that does not parse is a packaging bug)."""
    import yaml

    try:
        with open(path, encoding="utf-8") as fh:
            document = yaml.safe_load(fh)
    except yaml.YAMLError as exc:
        raise PluginError(f"{path}: not valid YAML: {' '.join(str(exc).split())}") from exc
    if not isinstance(document, dict) or list(document) != [provider]:
        keys = list(document) if isinstance(document, dict) else type(document).__name__
        raise PluginError(f"{path}: an estate file holds one key, {provider!r}; found {keys}")
    return document[provider]


def make_sandbox(provider: str) -> Sandbox:
    """A new, unstarted stand-in of ``provider``, from the ``auditor.sandboxes`` registry."""
    return SandboxRegistry.from_entry_points().create(provider)
