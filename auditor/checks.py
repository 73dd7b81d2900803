"""Checks as data: load, validate and compile the YAML files in checks/."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError, ValidationError

from auditor._data_dirs import data_dir
from auditor.errors import CheckDefinitionError, ConfigError
from auditor.model import CUSTODY_LADDER, CheckSummary, custody_at_least
from auditor.schema import fact_catalog, json_path, validate

PARAM_KEY = "$param"
CUSTODY_KEY = "$custody_at_least"


@dataclass(frozen=True, slots=True)
class Check:
    id: str
    title: str
    safeguard: str
    resource: str
    severity: str
    reads: tuple[str, ...]
    assertion: dict[str, Any]
    rationale: str
    remediation: dict[str, str]
    param_specs: dict[str, dict[str, Any]] = field(default_factory=dict)
    applies_if: dict[str, Any] | None = None
    # provider -> framework name (with its version) -> control ids
    frameworks: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    source: str = ""
    context: tuple[str, ...] = ()

    @classmethod
    def from_document(cls, doc: dict[str, Any], source: str) -> Check:
        return cls(doc["id"], doc["title"], doc["safeguard"], doc["resource"], doc["severity"],
                   tuple(doc["reads"]), doc["assert"], doc["rationale"], doc["remediation"],
                   doc.get("params", {}), doc.get("applies_if"), doc.get("frameworks", {}),
                   source, tuple(doc.get("context", ())))

    def defaults(self) -> dict[str, Any]:
        return {name: spec["default"] for name, spec in self.param_specs.items()}

    def frameworks_for(self, provider: str) -> dict[str, list[str]]:
        """The mappings of ``provider``'s own benchmarks; a fresh copy, empty when unmapped."""
        return {name: list(ids) for name, ids in self.frameworks.get(provider, {}).items()}


@dataclass(slots=True)
class CompiledCheck:
    """A check with its params resolved and its validators compiled once."""

    check: Check
    params: dict[str, Any]
    validator: Draft202012Validator
    applies: Draft202012Validator | None

    @property
    def summary(self) -> CheckSummary:
        c = self.check
        return CheckSummary(c.id, c.title, c.safeguard, c.resource, c.severity, self.params)


def resolve_params(node: Any, params: Mapping[str, Any], source: str, where: str = "$") -> Any:
    """A copy of ``node`` with ``{"$param": n}`` and ``{"$custody_at_least": n}`` replaced."""
    if isinstance(node, dict):
        if set(node) == {PARAM_KEY}:
            return _param(node[PARAM_KEY], params, source, where)
        if set(node) == {CUSTODY_KEY}:
            return custody_at_least(_param(node[CUSTODY_KEY], params, source, where))
        return {k: resolve_params(v, params, source, f"{where}.{k}") for k, v in node.items()}
    if isinstance(node, list):
        return [resolve_params(v, params, source, f"{where}[{i}]") for i, v in enumerate(node)]
    return node


def _param(name: Any, params: Mapping[str, Any], source: str, where: str) -> Any:
    if name not in params:
        raise CheckDefinitionError(source, where, f"unknown parameter {name!r}")
    return params[name]


def load_check_file(path: Path) -> Check:
    from auditor.documents import parse_yaml, read_text

    source = str(path)
    doc = parse_yaml(read_text(path, CheckDefinitionError), source, CheckDefinitionError)
    validate("check", doc, source, CheckDefinitionError)
    check = Check.from_document(doc, source)
    _lint(check)
    return check


def _lint(check: Check) -> None:
    """Semantic rules the JSON Schema cannot state."""
    known = fact_catalog()[check.resource]
    for key, paths in (("reads", check.reads), ("context", check.context)):
        for i, path in enumerate(paths):
            if path not in known:
                raise CheckDefinitionError(check.source, f"$.{key}[{i}]",
                                           f"no fact {path!r} on {check.resource}")
    for name, spec in check.param_specs.items():
        _check_schema(spec["schema"], check.source, f"$.params.{name}.schema")
        _validate_param(check, name, spec["default"], check.source, f"$.params.{name}.default",
                        CheckDefinitionError)
    for key, node in (("assert", check.assertion), ("applies_if", check.applies_if)):
        if node is not None:
            _check_schema(resolve_params(node, check.defaults(), check.source, f"$.{key}"),
                          check.source, f"$.{key}")
            # A path the check does not read is never in the instance: the schema would
            # pass vacuously (a typo would make the check PASS everywhere).
            for path in sorted(_schema_paths(node) - set(check.reads)):
                raise CheckDefinitionError(check.source, f"$.{key}",
                                           f"names {path!r}, which is not in reads")


def _schema_paths(schema: Any) -> set[str]:
    """The two-level fact paths a check schema names under ``properties``."""
    paths: set[str] = set()
    if not isinstance(schema, dict):
        return paths
    for head, sub in schema.get("properties", {}).items():
        tails = sub.get("properties", {}) if isinstance(sub, dict) else {}
        paths.update(f"{head}.{tail}" for tail in tails)
        if not tails:
            paths.add(f"{head}.*")
    for key in ("allOf", "anyOf", "oneOf"):
        for sub in schema.get(key, []):
            paths |= _schema_paths(sub)
    if isinstance(schema.get("not"), dict):
        paths |= _schema_paths(schema["not"])
    return paths


def _check_schema(schema: Any, source: str, where: str) -> None:
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        raise CheckDefinitionError(source, where, f"not a valid JSON Schema: {exc.message}") from exc


def _validate_param(check: Check, name: str, value: Any, source: str, where: str,
                    error: type[CheckDefinitionError] | type[ConfigError]) -> None:
    try:
        Draft202012Validator(check.param_specs[name]["schema"]).validate(value)
    except ValidationError as exc:
        raise error(source, where + json_path(exc)[1:],
                    f"bad value for {check.id} parameter {name}: {exc.message}") from exc


def load_checks(extra_dirs: Iterable[Path] = ()) -> list[Check]:
    """The shipped checks plus any user directories; ids must be unique."""
    checks: dict[str, Check] = {}
    for directory in (data_dir("checks"), *extra_dirs):
        if not Path(directory).is_dir():
            raise CheckDefinitionError(str(directory), "$", "checks directory not found")
        for path in sorted(Path(directory).glob("*.y*ml")):
            check = load_check_file(path)
            if check.id in checks:
                raise CheckDefinitionError(str(path), "$.id",
                                           f"duplicate check id {check.id!r} "
                                           f"(also in {checks[check.id].source})")
            checks[check.id] = check
    return list(checks.values())


def compile_check(check: Check, overrides: Mapping[str, Any] | None = None,
                  source: str = "config") -> CompiledCheck:
    """Resolve params (defaults + overrides, validated) and compile the validators."""
    params = check.defaults()
    for name, value in (overrides or {}).items():
        if name not in check.param_specs:
            raise ConfigError(source, f"$.params.{check.id}.{name}",
                              f"check {check.id} has no parameter {name!r}")
        _validate_param(check, name, value, source, f"$.params.{check.id}.{name}", ConfigError)
        params[name] = value
    assertion = resolve_params(check.assertion, params, check.source, "$.assert")
    applies = (Draft202012Validator(resolve_params(check.applies_if, params, check.source))
               if check.applies_if is not None else None)
    return CompiledCheck(check, params, Draft202012Validator(assertion), applies)


__all__ = ["CUSTODY_LADDER", "Check", "CompiledCheck", "compile_check", "load_check_file",
           "load_checks", "resolve_params"]
