"""The stand-ins by provider name, fed by the ``auditor.sandboxes`` entry points.

Each provider package registers its own stand-in (``aws = "auditor.providers.aws.sandbox:
AwsSandbox"``), so nothing here names a provider. Loading is lazy: a stand-in's module (and
moto, for AWS) is imported only when that stand-in is created or its estate file is asked for.
Each stand-in class declares ``estate_file``: the ``Path`` of its own demo-estate section,
shipped in its package (read by auditor.sandbox.estate.load_estate).
"""

from __future__ import annotations

from pathlib import Path

from auditor._plugins import EntryPointRegistry
from auditor.errors import PluginError
from auditor.sandbox.base import Sandbox

ENTRY_POINT_GROUP = "auditor.sandboxes"
_CONTRACT = ("start", "seed", "deny", "scan_options", "environment", "requests",
             "reset_requests", "stop")


class SandboxRegistry(EntryPointRegistry):
    """Stand-in factories by provider name; ``create`` checks the result keeps the contract."""

    GROUP = ENTRY_POINT_GROUP
    KIND = "stand-in"

    def estate_file(self, name: str) -> Path:
        """The demo-estate file stand-in ``name`` declares; PluginError if none or missing."""
        loaded = self._factories.load(name, _unknown(name))
        path = getattr(loaded, "estate_file", None)
        if not isinstance(path, Path):
            raise PluginError(f"stand-in {name!r} declares no estate_file (the Path of its "
                              "demo-estate section, shipped in its package)")
        if not path.is_file():
            raise PluginError(f"stand-in {name!r}: estate_file {path} not found")
        return path

    def create(self, name: str) -> Sandbox:
        """A new, unstarted stand-in for provider ``name`` (its estate file checked first)."""
        self.estate_file(name)
        sandbox = self._factories.build(name, _unknown(name))
        missing = [m for m in _CONTRACT if not callable(getattr(sandbox, m, None))]
        if missing:
            raise PluginError(f"stand-in {name!r} lacks {', '.join(missing)} of the Sandbox "
                              "contract (auditor.sandbox.base.Sandbox)")
        if getattr(sandbox, "provider", None) != name:
            raise PluginError(f"stand-in {name!r} calls itself "
                              f"{getattr(sandbox, 'provider', None)!r}")
        return sandbox


def _unknown(name: str) -> str:
    return f"no stand-in registered for provider {name!r}"
