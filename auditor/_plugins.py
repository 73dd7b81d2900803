"""Lazy plugin factories by name from one entry-point group: what both registries share."""

from __future__ import annotations

from collections.abc import Callable
from importlib.metadata import entry_points
from typing import Any, Self

from auditor.errors import PluginError, UnknownProviderError


class Factories:
    """Name -> factory (a class or an instance, loaded on first use) for one entry-point group.

    ``what`` names the plugin kind in errors ("provider", "stand-in").
    """

    def __init__(self, what: str) -> None:
        self.what = what
        self._factories: dict[str, Callable[[], Any]] = {}

    def load_group(self, group: str) -> None:
        for ep in entry_points(group=group):
            self.register(ep.name, ep.load)

    def register(self, name: str, factory: Callable[[], Any]) -> None:
        self._factories[name] = factory

    def names(self) -> list[str]:
        return sorted(self._factories)

    def load(self, name: str, unknown: str) -> Any:
        """What ``name``'s factory gives (a class, or an instance), not instantiated."""
        if name not in self._factories:
            raise UnknownProviderError(f"{unknown}; registered: {', '.join(self.names()) or 'none'}")
        try:
            return self._factories[name]()
        except (ImportError, AttributeError) as exc:
            raise PluginError(f"{self.what} {name!r} could not be loaded: {exc}") from exc

    def build(self, name: str, unknown: str) -> Any:
        """A new plugin object for ``name``; ``unknown`` is the message when none is registered."""
        loaded = self.load(name, unknown)
        return loaded() if isinstance(loaded, type) else loaded


class EntryPointRegistry:
    """What a registry of one plugin kind shares: its group, registering, listing names.

    Subclasses set ``GROUP`` (the entry-point group) and ``KIND`` (the plugin kind in errors).
    """

    GROUP: str = ""
    KIND: str = "plugin"

    def __init__(self) -> None:
        self._factories = Factories(self.KIND)

    @classmethod
    def from_entry_points(cls) -> Self:
        registry = cls()
        registry._factories.load_group(cls.GROUP)
        return registry

    def register(self, name: str, factory: Callable[[], Any]) -> None:
        """``factory`` returns the plugin class (or an instance); loaded on first use."""
        self._factories.register(name, factory)

    def names(self) -> list[str]:
        return self._factories.names()
