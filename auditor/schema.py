"""Load the JSON Schemas in schemas/ and validate documents against them."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterable, Mapping
from functools import cache
from typing import IO, Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from auditor._data_dirs import data_dir
from auditor.errors import InputError
from auditor.model import ResourceKind

SCHEMA_NAMES = ("inventory", "check", "report", "config", "mutelist", "drift")
KIND_FACT_DEFS = {ResourceKind.BUCKET.value: "bucket_facts", ResourceKind.KEY.value: "key_facts",
                  ResourceKind.ACCOUNT.value: "account_facts",
                  ResourceKind.VOLUME.value: "volume_facts",
                  ResourceKind.SNAPSHOT.value: "snapshot_facts",
                  ResourceKind.FILESYSTEM.value: "filesystem_facts",
                  ResourceKind.DATABASE.value: "database_facts"}


@cache
def load_schema(name: str) -> dict[str, Any]:
    if name not in SCHEMA_NAMES:
        raise KeyError(name)
    with open(data_dir("schemas") / f"{name}.schema.json", encoding="utf-8") as fh:
        return json.load(fh)


@cache
def validator(name: str) -> Draft202012Validator:
    return Draft202012Validator(load_schema(name))


@cache
def fast_validator(name: str, definition: str | None = None) -> Any:
    """A compiled (jsonschema-rs) validator of schema ``name``, or of one of its ``$defs``.

    It only answers valid or not: every error message still comes from ``validator`` (python
    jsonschema), so a rejected document reads as it always did. Formats are not asserted, as
    python jsonschema does not assert them without a format checker.
    """
    import jsonschema_rs

    schema = load_schema(name)
    if definition is not None:
        schema = {key: value for key, value in schema.items()
                  if key in ("$schema", "$id", "$defs")}
        schema["$ref"] = f"#/$defs/{definition}"
    return jsonschema_rs.Draft202012Validator(schema, validate_formats=False)


def fast_valid(name: str, document: Any, definition: str | None = None) -> bool:
    """True when jsonschema-rs finds ``document`` valid; False when invalid or when it cannot
    take the document (an integer beyond 64 bits): the caller then asks python jsonschema."""
    try:
        return bool(fast_validator(name, definition).is_valid(document))
    except (ValueError, OverflowError, TypeError, RecursionError):
        return False


_PLAIN_KEY = re.compile(r'[^\s"\[\]\x00-\x1f\x7f-\x9f]+')  # \s: also NEL, U+2028/9


def path_step(part: str | int) -> str:
    """One step of a JSON path: [3], .name, or ["odd key"] for a key holding a bracket, a
    quote, a space or a control character, so that an error stays one line. Dotted keys (the
    fact paths, "encryption.enabled") stay plain, as every existing message writes them."""
    if isinstance(part, int):
        return f"[{part}]"
    return f".{part}" if _PLAIN_KEY.fullmatch(part) else f"[{json.dumps(part)}]"


def json_path(error: ValidationError) -> str:
    return "$" + "".join(path_step(part) for part in error.absolute_path)


def best_error(errors: list[ValidationError]) -> ValidationError:
    """The most specific error: the deepest path, then the first reported."""
    from jsonschema.exceptions import best_match

    deepest = max(len(e.absolute_path) for e in errors)
    return best_match([e for e in errors if len(e.absolute_path) == deepest])


def validate(name: str, document: Any, source: str,
             error_class: type[InputError] = InputError) -> None:
    """Raise ``error_class(source, json_path, reason)`` if ``document`` does not fit.

    The compiled validator decides the common case (valid) fast; only a document it does not
    accept is walked by python jsonschema, which gives the error (and has the last word).
    """
    if fast_valid(name, document):
        return
    validate_against(validator(name), document, source, error_class)


def validate_against(checker: Draft202012Validator, document: Any, source: str,
                     error_class: type[InputError] = InputError) -> None:
    """``validate`` with a validator built here and now (a schema generated at run time)."""
    errors = list(checker.iter_errors(document))
    if errors:
        err = best_error(errors)
        raise error_class(source, json_path(err), _short(err.message))


def own_document_json(document: Any, name: str, violation: type[Exception],
                      prefix: str = "") -> str:
    """``document`` (one we built: a report, a drift) as indented JSON, once it fits
    schemas/<name>.schema.json; not fitting is our bug, raised as ``violation``. The compiled
    validator decides the common case (valid); python jsonschema names the error."""
    own_document_check(document, name, violation, prefix)
    return document_text(document) + "\n"


@cache
def definition_validator(name: str, definition: str) -> Draft202012Validator:
    """A python jsonschema validator of one of schema ``name``'s ``$defs``."""
    schema = load_schema(name)
    return Draft202012Validator({"$schema": schema.get("$schema"), "$defs": schema["$defs"],
                                 "$ref": f"#/$defs/{definition}"})


def own_document_check(document: Any, name: str, violation: type[Exception],
                       prefix: str = "", definition: str | None = None,
                       at: str = "$") -> None:
    """Raise ``violation`` unless ``document`` (one we built) fits schemas/<name>.schema.json,
    or its ``$defs/<definition>`` when given: then ``at`` is where the document sits in the
    whole one (``$.findings[3]``), and the error names the path from there. A report written
    piece by piece is checked this way: its skeleton once, then each finding as it goes."""
    if fast_valid(name, document, definition):
        return
    checker = validator(name) if definition is None else definition_validator(name, definition)
    errors = list(checker.iter_errors(document))
    if errors:
        err = best_error(errors)
        raise violation(f"{prefix}the {name} does not fit schemas/{name}.schema.json at "
                        f"{at}{json_path(err)[1:]}: {err.message[:300]} (please report this bug)")


def document_text(document: Any) -> str:
    """Indented JSON, but a top-level list of objects (a report's findings) holds one object
    per line: those lines go through the C encoder (``indent`` selects the pure-Python one,
    most of a report's encoding time), and a line per finding also reads and diffs well."""
    if not isinstance(document, dict):
        return json.dumps(document, indent=2, ensure_ascii=False)
    out = io.StringIO()
    write_document_text(out, document, {})
    return out.getvalue()


def write_document_text(out: IO[str], document: dict[str, Any],
                        rows: Mapping[str, tuple[int, Iterable[dict[str, Any]]]]) -> None:
    """``document_text(document)`` written to ``out``, where each key of ``rows`` maps to
    (how many, the objects) of a top-level list written one object (one line) at a time: the
    same text as the document holding those lists, without holding them."""
    one_line = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": ")).encode
    if not document:
        out.write("{}")
        return
    out.write("{\n")
    for position, (key, value) in enumerate(document.items()):
        if position:
            out.write(",\n")
        name = one_line(key)
        if key in rows:
            count, items = rows[key]
            value = []  # the placeholder in the skeleton: an empty list is written "[]"
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            count, items = len(value), value
        else:
            count, items = 0, ()
        if count:
            out.write(f"  {name}: [\n")
            for index, item in enumerate(items):
                out.write(("    " if not index else ",\n    ") + one_line(item))
            out.write("\n  ]")
        else:
            nested = json.dumps(value, indent=2, ensure_ascii=False).replace("\n", "\n  ")
            out.write(f"  {name}: {nested}")
    out.write("\n}")


def _short(message: str, limit: int = 200) -> str:
    message = " ".join(message.split())
    return message if len(message) <= limit else message[: limit - 3] + "..."


@cache
def fact_catalog() -> dict[str, dict[str, str]]:
    """kind -> fact path -> safeguard, read from the inventory schema."""
    defs = load_schema("inventory")["$defs"]
    return {kind: {path: spec["x-safeguard"]
                   for path, spec in defs[def_name]["properties"].items()}
            for kind, def_name in KIND_FACT_DEFS.items()}
