"""The config schema of this installation: schemas/config.schema.json plus one table per
registered provider, generated from its ProviderOptions (providers are plugins, so the file
alone cannot name their options). `auditor schema config` prints it; load_config validates
against it. No provider is named here.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

from auditor.providers.base import ProviderOption, ProviderRegistry, option_flag
from auditor.schema import load_schema


def option_schema(provider: str, option: ProviderOption) -> dict[str, Any]:
    """A switch is a boolean, a repeatable option an array of strings, any other a string."""
    if option.flag:
        kind: dict[str, Any] = {"type": "boolean"}
    elif option.multiple:
        kind = {"type": "array", "items": {"type": "string", "minLength": 1}}
    else:
        kind = {"type": "string", "minLength": 1}
    return {"description": f"{option.help} (flag {option_flag(provider, option)})", **kind}


def provider_section(registry: ProviderRegistry, name: str) -> dict[str, Any]:
    adapter = registry.get(name)
    return {
        "description": f"{adapter.title}: the options of `auditor scan {name}`; the flag "
                       "given on the command line replaces the key's value",
        "type": "object",
        "additionalProperties": False,
        "x-key-kind": f"{name} option",
        "properties": {opt.name: option_schema(name, opt) for opt in adapter.options},
    }


def config_schema(registry: ProviderRegistry,
                  sections: Iterable[str] | None = None) -> dict[str, Any]:
    """The schema with a table for each provider in ``sections`` (default: every registered
    one; a loader passes only the tables a document has, so an unrelated plugin is not built).
    """
    schema = copy.deepcopy(load_schema("config"))
    names = registry.names()
    props = schema["properties"]
    props["providers"]["items"] = {"enum": names}
    for name in names if sections is None else [s for s in sections if s in names]:
        if name in props:  # a plugin named like a setting would shadow it
            continue
        props[name] = provider_section(registry, name)
    schema["x-key-kind"] = "setting"
    return schema


def installed_schema(name: str) -> dict[str, Any]:
    """``auditor schema NAME``: the shipped schema, the config's with its provider tables."""
    if name == "config":
        return config_schema(ProviderRegistry.from_entry_points())
    return load_schema(name)
