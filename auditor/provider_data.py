"""The data files each provider adapter ships in its own package, found through the registry.

An adapter declares ``data_dir`` (its package folder); it holds ``exposure.yaml``,
``regions.yaml``, ``not_configured.yaml`` (DATA_FILES, all required) and may hold
``checks.yaml`` (OPTIONAL_DATA_FILES), each with a JSON Schema in schemas/. The core
(auditor.regions) reaches a provider's table through the ``auditor.providers`` entry points,
never by importing a provider package. Nothing here runs at import: yaml and jsonschema are
imported on first use, so ``auditor --help`` stays light; a file or adapter whose content
passed validation before is not validated again (auditor.provider_data_cache).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from auditor._data_dirs import data_dir
from auditor.errors import PluginError

ENTRY_POINT_GROUP = "auditor.providers"
# data file name -> its schema (schemas/<name>.schema.json); every adapter ships all of them.
DATA_FILES: Mapping[str, str] = {
    "exposure.yaml": "exposure",
    "regions.yaml": "regions",
    "not_configured.yaml": "not_configured",
    "answers.yaml": "answers",
    "permissions.yaml": "permissions",  # IAM/RAM action per operation (auditor permissions)
}
# Shipped by an adapter only when it has them; validated when present.
OPTIONAL_DATA_FILES: Mapping[str, str] = {
    "checks.yaml": "provider_checks",  # remediation and frameworks per check id
}


@cache
def _validator(schema: str) -> Any:
    from jsonschema import Draft202012Validator

    with open(data_dir("schemas") / f"{schema}.schema.json", encoding="utf-8") as fh:
        return Draft202012Validator(json.load(fh))


def yaml_loader() -> Any:
    """libyaml's safe loader where PyYAML was built with it (same documents, in C), else
    PyYAML's own."""
    import yaml

    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml(path: Path) -> Any:
    """A data file's YAML (safe types only), unchecked."""
    import yaml

    with open(path, encoding="utf-8") as fh:
        return yaml.load(fh, Loader=yaml_loader())  # a safe loader: plain data only


def load_data_file(path: Path) -> Any:
    """The parsed file, checked against its schema (once per content: provider_data_cache);
    else a one-line PluginError naming file, JSON path and reason (a shipped data file that
    does not fit is a packaging bug)."""
    import yaml

    from auditor import provider_data_cache

    known = {**DATA_FILES, **OPTIONAL_DATA_FILES}
    schema = known.get(path.name)
    if schema is None:
        raise PluginError(f"{path}: $: not a provider data file ({', '.join(known)})")
    try:
        content = path.read_bytes()
        document = yaml.load(content.decode("utf-8"), Loader=yaml_loader())
    except FileNotFoundError as exc:
        raise PluginError(f"{path}: $: file not found") from exc
    except OSError as exc:
        raise PluginError(f"{path}: $: cannot be read: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise PluginError(f"{path}: $: not UTF-8 text (byte {exc.start})") from exc
    except yaml.YAMLError as exc:
        raise PluginError(f"{path}: $: not valid YAML: {' '.join(str(exc).split())}") from exc
    digest = provider_data_cache.file_digest(schema, content)
    if not provider_data_cache.passed(digest):
        _check(path, schema, document)
        provider_data_cache.remember(digest)
    return document


def _check(path: Path, schema: str, document: Any) -> None:
    from auditor.schema import best_error, json_path

    errors = list(_validator(schema).iter_errors(document))
    if errors:
        err = best_error(errors)
        reason = " ".join(err.message.split())[:200]
        raise PluginError(f"{path}: {json_path(err)}: {reason}")


def data_file(adapter: Any, name: str) -> Path:
    """``name`` in the adapter's (class or instance) declared data folder."""
    folder = getattr(adapter, "data_dir", None)
    if not isinstance(folder, Path):
        raise PluginError(f"adapter {getattr(adapter, 'name', adapter)!r} declares no data_dir "
                          "(a Path to the folder holding its data files)")
    return folder / name


def validate_data_files(adapter: Any) -> None:
    """Every data file the adapter must ship exists and fits its schema, as does every
    optional one it ships."""
    for name in DATA_FILES:
        load_data_file(data_file(adapter, name))
    for name in OPTIONAL_DATA_FILES:
        if data_file(adapter, name).is_file():
            load_data_file(data_file(adapter, name))


def validate_once(adapter: Any, name: str, validate: Callable[[], None]) -> None:
    """Run ``validate`` (raising PluginError for a broken adapter) unless this adapter, with
    these data files and this code, passed it before; remember it when it passes."""
    from auditor import provider_data_cache

    files = [data_file(adapter, f) for f in (*DATA_FILES, *OPTIONAL_DATA_FILES)]
    digest = provider_data_cache.adapter_digest(adapter, name, files)
    if provider_data_cache.passed(digest):
        return
    validate()
    provider_data_cache.remember(digest)


@cache
def registered_data_files(name: str) -> dict[str, Path]:
    """provider -> its ``name`` file, for every adapter registered through entry points.

    Loads each adapter class (cheap: adapters import their SDKs only when collecting).
    """
    found: dict[str, Path] = {}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        try:
            adapter = ep.load()
        except (ImportError, AttributeError) as exc:
            raise PluginError(f"provider {ep.name!r} could not be loaded: {exc}") from exc
        found[ep.name] = data_file(adapter, name)
    return found


@dataclass(frozen=True, slots=True)
class NotConfiguredTable:
    """Per operation, the documented answers meaning "this setting is absent"."""

    codes: Mapping[str, frozenset[str]]  # operation -> error codes
    statuses: Mapping[str, frozenset[int]]  # operation -> HTTP statuses documented without a code

    def code_means_absent(self, operation: str, code: str) -> bool:
        return code in self.codes.get(operation, frozenset())

    def status_means_absent(self, operation: str, status: int) -> bool:
        return status in self.statuses.get(operation, frozenset())


def load_not_configured(path: Path) -> NotConfiguredTable:
    """An adapter's not_configured.yaml (operation -> [code | {status: N}]) as lookup sets."""
    document = load_data_file(path) or {}
    codes: dict[str, frozenset[str]] = {}
    statuses: dict[str, frozenset[int]] = {}
    for operation, answers in document.items():
        named = frozenset(a for a in answers if isinstance(a, str))
        numbered = frozenset(a["status"] for a in answers if isinstance(a, dict))
        if named:
            codes[operation] = named
        if numbered:
            statuses[operation] = numbered
    return NotConfiguredTable(codes, statuses)
