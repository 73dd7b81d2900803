"""auditor.toml: validated settings that the CLI flags can override."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from auditor.checks import Check, CompiledCheck, compile_check
from auditor.errors import ConfigError, UsageError
from auditor.model import SEVERITIES
from auditor.schema import validate


def load_config(path: str | Path | None) -> dict[str, Any]:
    if path is None:
        return {}
    from auditor.documents import parse_toml, read_text

    source = str(path)
    doc = parse_toml(read_text(path, ConfigError), source, ConfigError)
    validate("config", doc, source, ConfigError)
    return doc


def select_checks(checks: Iterable[Check], include: Iterable[str] = (),
                  exclude: Iterable[str] = (), severities: Iterable[str] = (),
                  source: str = "--checks") -> list[Check]:
    """Filter by id and severity; naming an unknown id is a usage error."""
    checks = list(checks)
    known = {c.id for c in checks}
    include, exclude, severities = set(include), set(exclude), set(severities)
    for name, ids in (("--checks", include), ("--exclude-checks", exclude)):
        unknown = sorted(ids - known)
        if unknown:
            raise UsageError(source if source != "--checks" else name, "$",
                             f"unknown check id {unknown[0]!r}")
    bad = sorted(severities - set(SEVERITIES))
    if bad:
        raise UsageError("--severity", "$", f"unknown severity {bad[0]!r}")
    return [c for c in checks
            if (not include or c.id in include) and c.id not in exclude
            and (not severities or c.severity in severities)]


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
