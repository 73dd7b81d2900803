"""Checks as data: load, validate and compile the YAML files in checks/.

Import-light: jsonschema, referencing and yaml are imported when a check is validated or
compiled, not here, so that loading the shipped checks from their cache
(auditor.checks_cache: validated once per content) needs neither.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from auditor import checks_cache
from auditor._check_schemas import (
    REF_KEYS,
    check_refs,
    check_schema,
    constrains,
    reject_non_finite,
    schema_paths,
    schema_validator,
    walk,
)
from auditor._data_dirs import data_dir
from auditor.errors import CheckDefinitionError, ConfigError, PluginError
from auditor.model import CUSTODY_LADDER, CheckSummary, custody_at_least

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator

PARAM_KEY = "$param"
# The provider-neutral framework every check maps to (YAML ``ccm``), named as findings cite it.
CCM_FRAMEWORK = "CSA CCM v4.0.12"
CUSTODY_KEY = "$custody_at_least"
@dataclass(frozen=True, slots=True)
class Check:
    id: str
    title: str
    safeguard: str
    kinds: tuple[str, ...]  # the resource kinds it runs on (YAML ``resource``: one or a list)
    severity: str
    reads: tuple[str, ...]
    assertion: dict[str, Any]
    rationale: str
    # provider -> text for every kind, or kind -> text
    remediation: dict[str, str | dict[str, str]]
    param_specs: dict[str, dict[str, Any]] = field(default_factory=dict)
    applies_if: dict[str, Any] | None = None
    # provider -> framework name (with its version) -> control ids, or kind -> control ids
    frameworks: dict[str, dict[str, list[str] | dict[str, list[str]]]] = field(
        default_factory=dict)
    source: str = ""
    context: tuple[str, ...] = ()
    ccm: tuple[str, ...] = ()  # CSA CCM v4 control ids, the same for every provider and kind

    @classmethod
    def from_cache(cls, entry: dict[str, Any]) -> Check:
        """The check :meth:`to_cache` wrote (JSON: the tuples came back as lists)."""
        return cls(**{**entry, "kinds": tuple(entry["kinds"]), "reads": tuple(entry["reads"]),
                      "context": tuple(entry["context"]),
                      "ccm": tuple(entry["ccm"])})

    def to_cache(self) -> dict[str, Any]:
        """Every field, as JSON values (checks_cache refuses what JSON cannot keep)."""
        return {name: list(value) if isinstance(value, tuple) else value
                for name in self.__dataclass_fields__
                for value in (getattr(self, name),)}

    @classmethod
    def from_document(cls, doc: dict[str, Any], source: str) -> Check:
        resource = doc["resource"]
        kinds = (resource,) if isinstance(resource, str) else tuple(resource)
        return cls(doc["id"], doc["title"], doc["safeguard"], kinds, doc["severity"],
                   tuple(doc["reads"]), doc["assert"], doc["rationale"], doc.get("remediation", {}),
                   doc.get("params", {}), doc.get("applies_if"), doc.get("frameworks", {}),
                   source, tuple(doc.get("context", ())), tuple(doc.get("ccm", ())))

    def defaults(self) -> dict[str, Any]:
        return {name: spec["default"] for name, spec in self.param_specs.items()}

    @property
    def resource(self) -> str:
        """The kinds as one label (``storage.volume, database.instance``), for listings."""
        return ", ".join(self.kinds)

    def frameworks_for(self, provider: str, kind: str | None = None) -> dict[str, list[str]]:
        """The mappings of ``provider``'s own benchmarks for a resource of ``kind`` (None: only
        those given for every kind), with the check's CCM ids; a fresh copy, empty when
        unmapped."""
        out = {CCM_FRAMEWORK: list(self.ccm)} if self.ccm else {}
        for name, ids in self.frameworks.get(provider, {}).items():
            own = ids.get(kind) if isinstance(ids, dict) else ids
            if own:
                out[name] = list(own)
        return out

    def remediation_for(self, provider: str, kind: str) -> str:
        """``provider``'s text for fixing a FAIL on a resource of ``kind`` ("" when none)."""
        text = self.remediation.get(provider, "")
        return text.get(kind, "") if isinstance(text, dict) else text


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
        return CheckSummary(c.id, c.title, c.safeguard, c.kinds[0], c.severity, self.params,
                            list(c.kinds))


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
    from auditor.schema import validate

    source = str(path)
    doc = parse_yaml(read_text(path, CheckDefinitionError), source, CheckDefinitionError)
    reject_non_finite(doc, source, "$", CheckDefinitionError)
    validate("check", doc, source, CheckDefinitionError)
    check = Check.from_document(doc, source)
    _lint(check)
    return check


def _lint(check: Check) -> None:
    """Semantic rules the JSON Schema cannot state."""
    from auditor.schema import fact_catalog

    catalog = fact_catalog()
    for kind in check.kinds:
        for key, paths in (("reads", check.reads), ("context", check.context)):
            for i, path in enumerate(paths):
                if path not in catalog[kind]:
                    raise CheckDefinitionError(check.source, f"$.{key}[{i}]",
                                               f"no fact {path!r} on {kind}")
    from auditor.provider_checks import lint_kind_keys

    for provider in sorted({*check.remediation, *check.frameworks}):
        lint_kind_keys(check, check.remediation.get(provider), check.frameworks.get(provider),
                       check.source, (f"$.remediation.{provider}", f"$.frameworks.{provider}"))
    for name, spec in check.param_specs.items():
        where = f"$.params.{name}.schema"
        check_schema(spec["schema"], check.source, where)
        # Before the default is validated: validating may follow the schema's refs.
        check_refs(spec["schema"], check.source, where, CheckDefinitionError)
        _validate_param(check, name, spec["default"], check.source, f"$.params.{name}.default",
                        CheckDefinitionError)
    for key, node in (("assert", check.assertion), ("applies_if", check.applies_if)):
        if node is None:
            continue
        check_refs(node, check.source, f"$.{key}", CheckDefinitionError)
        schema = resolve_params(node, check.defaults(), check.source, f"$.{key}")
        check_schema(schema, check.source, f"$.{key}")
        check_refs(schema, check.source, f"$.{key}", CheckDefinitionError)
        named = list(schema_paths(schema, schema))
        # A path the check does not read is never in the instance: the schema would
        # pass vacuously (a typo would make the check PASS everywhere).
        for path in sorted({path for path, _ in named} - set(check.reads)):
            raise CheckDefinitionError(check.source, f"$.{key}",
                                       f"names {path!r}, which is not in reads")
        if key == "assert" and not any(constrains(sub) for _, sub in named):
            raise CheckDefinitionError(check.source, "$.assert",
                                       "constrains no fact it reads (it would PASS everything)")


def _validate_param(check: Check, name: str, value: Any, source: str, where: str,
                    error: type[CheckDefinitionError] | type[ConfigError]) -> None:
    from jsonschema.exceptions import ValidationError

    from auditor.schema import json_path

    try:
        schema_validator(check.param_specs[name]["schema"]).validate(value)
    except ValidationError as exc:
        raise error(source, where + json_path(exc)[1:],
                    f"bad value for {check.id} parameter {name}: {exc.message}") from exc


def load_checks(extra_dirs: Iterable[Path] = (),
                provider_files: Mapping[str, Path] | None = None) -> list[Check]:
    """The shipped checks plus any user directories (ids must be unique), with the providers'
    remediation and frameworks merged in from ``provider_files`` (provider -> its checks.yaml;
    default: those of the ``auditor.providers`` entry points, auditor.provider_checks).

    With no user directory the result may come from auditor.checks_cache: the same checks,
    validated by this function once for the same content of every input (check files,
    schemas, providers' checks.yaml, the validating code, versions). A user's own
    directories are validated on every call."""
    extra = list(extra_dirs)
    if extra:
        return _load_validated(extra, provider_files)
    from auditor import provider_checks

    try:
        files = provider_checks.registered_files() if provider_files is None else provider_files
    except PluginError:  # raised again, in its usual place, by the validating path
        return _load_validated(extra, provider_files)
    key = checks_cache.key(_shipped_files(), files)
    cached = checks_cache.read(key) if key else None
    if cached is not None:
        try:
            return [Check.from_cache(entry) for entry in cached]
        except (TypeError, KeyError):  # not an entry this code wrote: validate again
            pass
    checks = _load_validated(extra, files)
    if key:
        checks_cache.write(key, [c.to_cache() for c in checks])
    return checks


def _shipped_files() -> list[Path]:
    """The shipped check files, in the order load_checks reads them ([] if none or no dir)."""
    directory = data_dir("checks")
    return sorted(directory.glob("*.y*ml")) if directory.is_dir() else []


def _load_validated(extra_dirs: list[Path], provider_files: Mapping[str, Path] | None
                    ) -> list[Check]:
    """load_checks without the cache: every file read, linted and merged."""
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
    from auditor import provider_checks

    files = provider_checks.registered_files() if provider_files is None else provider_files
    for check_id, (remediation, frameworks) in provider_checks.merged(checks, files).items():
        checks[check_id] = replace(checks[check_id], remediation=remediation,
                                   frameworks=frameworks)
    return list(checks.values())


def compile_check(check: Check, overrides: Mapping[str, Any] | None = None,
                  source: str = "config") -> CompiledCheck:
    """Resolve params (defaults + overrides, validated) and compile the validators."""
    params = check.defaults()
    for name, value in (overrides or {}).items():
        if name not in check.param_specs:
            raise ConfigError(source, f"$.params.{check.id}.{name}",
                              f"check {check.id} has no parameter {name!r}")
        where = f"$.params.{check.id}.{name}"
        # An override lands inside assert: it may not bring NaN or references of its own.
        reject_non_finite(value, source, where, ConfigError)
        for key, _, path in walk(value, where):
            if key in (*REF_KEYS, "$id", "$schema", "$anchor", "$dynamicAnchor"):
                raise ConfigError(source, path, f"{key} is not allowed in a parameter value")
        _validate_param(check, name, value, source, where, ConfigError)
        params[name] = value
    assertion = resolve_params(check.assertion, params, check.source, "$.assert")
    applies = (schema_validator(resolve_params(check.applies_if, params, check.source))
               if check.applies_if is not None else None)
    return CompiledCheck(check, params, schema_validator(assertion), applies)


__all__ = ["CUSTODY_LADDER", "Check", "CompiledCheck", "compile_check", "load_check_file",
           "load_checks", "resolve_params", "schema_validator"]
