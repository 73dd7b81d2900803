"""auditor.toml: the whole job in one validated file; every CLI flag overrides its key.

The file is named explicitly (--config FILE, else the environment variable AUDITOR_CONFIG):
a ./auditor.toml that happens to lie in the working folder is never read on its own, so a
scheduled job does what its command line and environment say.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from auditor.checks import Check, CompiledCheck, compile_check
from auditor.errors import ConfigError, InputError, UsageError
from auditor.model import SEVERITIES

CONFIG_ENV = "AUDITOR_CONFIG"
# Keys holding paths, taken against the config file's folder: (table, key), "" = top level.
PATH_KEYS = (("", "mutelist"), ("", "output_dir"), ("history", "path"), ("checks", "dirs"))


def config_file(given: str | Path | None) -> str | None:
    """The config file to read: --config, else $AUDITOR_CONFIG, else none."""
    if given:
        return str(given)
    return os.environ.get(CONFIG_ENV, "").strip() or None


def load_config(path: str | Path | None, registry: Any = None) -> dict[str, Any]:
    """The validated config (``{}`` when no file is named), its provider option values passed
    through each option's own check and its paths made absolute. ``registry``: the
    ProviderRegistry whose providers may have tables (default: the installed one)."""
    path = config_file(path)
    if path is None:
        return {}
    from auditor.config_schema import config_schema
    from auditor.documents import parse_toml, read_text
    from auditor.providers.base import ProviderRegistry

    source = str(path)
    doc = parse_toml(read_text(path, ConfigError), source, ConfigError)
    registry = registry if registry is not None else ProviderRegistry.from_entry_points()
    sections = [key for key in doc if key in registry.names()]
    schema = config_schema(registry, sections)
    _refuse_unknown_keys(doc, schema, source, registry.names())
    from jsonschema import Draft202012Validator

    from auditor.schema import validate_against

    validate_against(Draft202012Validator(schema), doc, source, ConfigError)
    for provider in sections:
        _check_option_values(doc[provider], registry.get(provider).options, source,
                             f"$.{provider}")
    _resolve_paths(doc, Path(source).resolve().parent)
    return doc


def _refuse_unknown_keys(doc: Mapping[str, Any], schema: Mapping[str, Any], source: str,
                         providers: Sequence[str]) -> None:
    """An unknown key is named with its path and the nearest known one (a typo is the usual
    cause), before the schema's own, vaguer 'additional properties' message."""
    from auditor.providers._option_values import suggestion_text
    from auditor.schema import path_step

    known = list(schema["properties"])
    for key, value in doc.items():
        if key not in schema["properties"]:
            raise ConfigError(source, "$" + path_step(key),
                              f"unknown key {key!r}: neither a setting nor a registered provider "
                              f"({', '.join(providers)}){suggestion_text(key, [*known, *providers])}")
        table = schema["properties"][key]
        if isinstance(value, dict) and table.get("additionalProperties") is False:
            for inner in value:
                if inner not in table.get("properties", {}):
                    kind = table.get("x-key-kind", f"key of [{key}]")
                    raise ConfigError(source, "$" + path_step(key) + path_step(inner),
                                      f"unknown {kind} {inner!r}"
                                      f"{suggestion_text(inner, table.get('properties', {}))}")


def _check_option_values(section: dict[str, Any], options: Iterable[Any], source: str,
                         where: str) -> None:
    """Each value passes its option's own check, as the same value given as a flag would."""
    by_name = {opt.name: opt for opt in options}
    for key, value in section.items():
        check = by_name[key].check
        if check is None or by_name[key].flag:
            continue
        items = value if isinstance(value, list) else [value]
        checked = []
        for i, item in enumerate(items):
            try:
                checked.append(check(item))
            except ValueError as exc:
                at = f"{where}.{key}[{i}]" if isinstance(value, list) else f"{where}.{key}"
                raise ConfigError(source, at, str(exc)) from exc
        section[key] = checked if isinstance(value, list) else checked[0]


def _resolve_paths(doc: dict[str, Any], base: Path) -> None:
    for table, key in PATH_KEYS:
        holder = doc.get(table) if table else doc
        if not isinstance(holder, dict) or key not in holder:
            continue
        value = holder[key]
        if isinstance(value, list):
            holder[key] = [str(base / Path(v).expanduser()) for v in value]
        else:
            holder[key] = str(base / Path(value).expanduser())


def select_checks(checks: Iterable[Check], include: Iterable[str] = (),
                  exclude: Iterable[str] = (), severities: Iterable[str] = (),
                  source: str = "--checks") -> list[Check]:
    """Filter by id and severity; naming an unknown id is a usage error."""
    checks = list(checks)
    known = {c.id for c in checks}
    include, exclude, severities = set(include), set(exclude), set(severities)
    for name, ids in (("--checks", include), ("--exclude-checks", exclude)):
        refuse_unknown_ids(sorted(ids), known, UsageError,
                           source if source != "--checks" else name, "$")
    bad = sorted(severities - set(SEVERITIES))
    if bad:
        raise UsageError("--severity", "$", f"unknown severity {bad[0]!r}")
    return [c for c in checks
            if (not include or c.id in include) and c.id not in exclude
            and (not severities or c.severity in severities)]


def refuse_unknown_ids(typed: Iterable[str], known: Iterable[str], error: type[InputError],
                       source: str, path: str) -> None:
    """The first id that names no check is ``error``, with the closest ids (a typo is the
    usual cause); ``path`` gains the item's index when it is a list's path."""
    from auditor.providers._option_values import suggestion_text

    known = sorted(known)
    for i, name in enumerate(typed):
        if name not in known:
            at = f"{path}[{i}]" if path != "$" else path
            raise error(source, at, f"unknown check id {name!r}{suggestion_text(name, known)}")


def compile_with_params(checks: Iterable[Check], params: Mapping[str, Mapping[str, Any]],
                        source: str, known: Iterable[Check] | None = None) -> list[CompiledCheck]:
    """Compile each check with its config params; ``"*"`` params go to every check declaring them.

    Param names are validated against ``known`` (all loaded checks), so one config can serve
    any ``--checks`` or ``--severity`` selection.
    """
    checks = list(checks)
    every = {c.id: c for c in (known if known is not None else checks)}
    shared = dict(params.get("*", {}))
    for check_id, values in params.items():
        if check_id == "*":
            continue
        if check_id not in every:
            raise ConfigError(source, f"$.params.{check_id}", "no such check")
        for name in values:
            if name not in every[check_id].param_specs:
                raise ConfigError(source, f"$.params.{check_id}.{name}",
                                  f"check {check_id} has no parameter {name!r}")
    declared = {name for c in every.values() for name in c.param_specs}
    for name in shared:
        if name not in declared:
            raise ConfigError(source, f"$.params.*.{name}", "no check has this parameter")
    compiled = []
    for check in checks:
        overrides = {k: v for k, v in shared.items() if k in check.param_specs}
        overrides.update(params.get(check.id, {}))
        compiled.append(compile_check(check, overrides, source))
    return compiled
