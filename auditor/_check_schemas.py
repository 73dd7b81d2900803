"""The JSON Schema side of checks as data: the self-contained registry a check's schemas are
resolved in (no network), their validator, and the lints that refuse a schema which could
never decide anything (bad dialect, dangling or cyclic $ref, non-finite numbers, empty
constraints). auditor.checks runs them on every check it loads.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from functools import cache
from typing import TYPE_CHECKING, Any, NoReturn

from auditor.errors import CheckDefinitionError, ConfigError, InputError

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator
    from referencing import Registry

REF_KEYS = ("$ref", "$dynamicRef")
DIALECT = "https://json-schema.org/draft/2020-12/schema"
# Keywords that annotate without constraining: a fact schema made only of these accepts anything.
ANNOTATIONS = frozenset({"title", "description", "$comment", "default", "examples", "deprecated",
                         "readOnly", "writeOnly"})


def _refuse_retrieval(uri: str) -> NoReturn:
    # A check is judged by its own text: no URI (http, file, urn...) is ever fetched or read.
    from referencing.exceptions import NoSuchResource

    raise NoSuchResource(ref=uri)


@cache
def self_contained() -> Registry[Any]:
    """The one registry of every check validator: it retrieves nothing."""
    from referencing import Registry

    return Registry(retrieve=_refuse_retrieval)


def schema_validator(schema: Any) -> Draft202012Validator:
    """A 2020-12 validator whose refs resolve only inside ``schema`` itself."""
    from jsonschema import Draft202012Validator

    return Draft202012Validator(schema, registry=self_contained())


def schema_paths(schema: Any, root: Any, seen: frozenset[str] = frozenset()
                  ) -> Iterator[tuple[str, Any]]:
    """The two-level fact paths a check schema names under ``properties``, each with the
    schema it must meet (``True`` where it binds nothing), through combinators and local
    refs (``check_refs`` ruled out cycles; ``seen`` is a second guard)."""
    if not isinstance(schema, dict):
        return
    properties = schema.get("properties", {})
    for head, sub in properties.items() if isinstance(properties, dict) else ():
        tails = sub.get("properties", {}) if isinstance(sub, dict) else {}
        if tails and isinstance(tails, dict):
            yield from ((f"{head}.{tail}", tail_schema) for tail, tail_schema in tails.items())
        else:
            yield f"{head}.*", sub
    for key in ("allOf", "anyOf", "oneOf", "not", "if", "then", "else"):
        branches = schema.get(key, [])
        branches = branches if isinstance(branches, list) else [branches]
        # A condition binds nothing by itself, nor does an anyOf with one branch that
        # accepts anything.
        binds = key != "if" and not (key == "anyOf" and not all(map(constrains, branches)))
        for sub in branches:
            yield from ((path, fact if binds else True)
                        for path, fact in schema_paths(sub, root, seen))
    for key in REF_KEYS:
        ref = schema.get(key)
        if isinstance(ref, str) and ref not in seen:
            yield from schema_paths(_ref_target(root, ref), root, seen | {ref})


def constrains(schema: Any) -> bool:
    """False for a schema that accepts every value (``true``, ``{}``, annotations only)."""
    if schema is True:
        return False
    return not (isinstance(schema, dict) and set(schema) <= ANNOTATIONS)


def check_schema(schema: Any, source: str, where: str) -> None:
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import SchemaError

    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        raise CheckDefinitionError(source, where, f"not a valid JSON Schema: {exc.message}") from exc


def walk(node: Any, where: str) -> Iterator[tuple[Any, Any, str]]:
    """Every (key, value, JSON path) of every mapping inside ``node``, and list items."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield key, value, f"{where}.{key}"
            yield from walk(value, f"{where}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield None, value, f"{where}[{i}]"
            yield from walk(value, f"{where}[{i}]")


def reject_non_finite(node: Any, source: str, where: str,
                       error: type[CheckDefinitionError] | type[ConfigError]) -> None:
    # NaN compares false with everything, so `maximum: .nan` would accept every value.
    for key, value, path in [(None, node, where), *walk(node, where)]:
        for number in (key, value):
            if isinstance(number, float) and not math.isfinite(number):
                raise error(source, path, f"{number} is not a finite number")


def check_refs(schema: Any, source: str, where: str,
                error: type[CheckDefinitionError] | type[ConfigError]) -> None:
    """Refs may only point inside ``schema`` ('#...'), resolve there, and not loop."""
    from referencing.exceptions import Unresolvable

    targets: dict[str, Any] = {}
    for key, value, path in walk(schema, where):
        if key == "$id":
            raise error(source, path, "$id is not allowed: it would move '#' refs "
                                      "to a document outside this check")
        if key == "$schema" and value != DIALECT:
            raise error(source, path, f"$schema must be {DIALECT!r}")
        if key in REF_KEYS:
            if not isinstance(value, str) or not value.startswith("#"):
                raise error(source, path, f"{key} {value!r} points outside this check; "
                                          "only local '#...' refs are allowed")
            try:
                targets[value] = _ref_target(schema, value)
            except Unresolvable as exc:
                raise error(source, path, f"{key} {value!r} resolves to nothing in this check"
                            ) from exc
    done: set[str] = set()
    for ref in targets:
        _reject_ref_cycle(ref, targets, done, (), (source, where, error))


def _reject_ref_cycle(ref: str, targets: dict[str, Any], done: set[str],
                      trail: tuple[str, ...], report: tuple[str, str, type[InputError]]) -> None:
    # A ref that reaches itself again recurses forever when the check is evaluated.
    if ref in trail:
        source, where, error = report
        raise error(source, where, f"$ref loop: {' -> '.join((*trail, ref))}")
    if ref in done:
        return
    for key, value, _ in walk(targets[ref], ""):
        if key in REF_KEYS:
            _reject_ref_cycle(value, targets, done, (*trail, ref), report)
    done.add(ref)


def _ref_target(root: Any, ref: str) -> Any:
    """The subschema of ``root`` a local ref names (raises Unresolvable if none)."""
    from referencing.jsonschema import DRAFT202012

    resolver = self_contained().resolver_with_root(DRAFT202012.create_resource(root))
    return resolver.lookup(ref).contents
