"""Write an inventory file one resource at a time (``auditor collect`` at scale).

``documents.inventory_text`` builds the whole document as dicts, a cleaned copy of it and then
its whole text before writing: three copies of the inventory beside the resources themselves.
``write_to`` writes the same bytes (the same ``json.dumps(..., indent=2)`` text) while
holding one resource's dict and text at a time:

- the skeleton (schema version, runs, no resources) is validated against the inventory schema;
- each resource is cleaned (auditor.safe_text) and validated against the schema's
  ``resource`` definition (compiled validator; python jsonschema names the error). The schema
  constrains resources item by item, so the two accept what one whole validation accepts;
- ``documents.dump_inventory`` gives it the file: whole or not at all (a temp file beside it,
  renamed into place with SIGINT and SIGTERM held, owner-only, as ``documents.write_all``).
"""

from __future__ import annotations

import json
from functools import cache
from typing import IO, Any

from auditor.errors import InventoryError
from auditor.model import SCHEMA_VERSION, Inventory, Resource
from auditor.safe_text import clean
from auditor.schema import fast_valid, load_schema, validate, validate_against

_SOURCE = "<collected inventory>"
_INDENT = "    "  # a resource sits two levels deep: document > "resources" > item


@cache
def _resource_validator() -> Any:
    from jsonschema import Draft202012Validator

    schema = load_schema("inventory")
    return Draft202012Validator({"$schema": schema.get("$schema"), "$defs": schema["$defs"],
                                 "$ref": "#/$defs/resource"})


def _resource_text(resource: Resource, index: int) -> str:
    document = clean(resource.to_dict())
    if not fast_valid("inventory", document, "resource"):
        try:
            validate_against(_resource_validator(), document, _SOURCE, InventoryError)
        except InventoryError as exc:  # the path within the whole document
            raise InventoryError(_SOURCE, f"$.resources[{index}]{exc.path.removeprefix('$')}",
                                 exc.reason) from exc
    text = json.dumps(document, indent=2, sort_keys=False)
    return _INDENT + text.replace("\n", "\n" + _INDENT)


def write_to(inventory: Inventory, out: IO[str]) -> None:
    """The text ``documents.inventory_text`` gives, written piece by piece to ``out``."""
    skeleton = clean({"schema_version": SCHEMA_VERSION,
                      "runs": [r.to_dict() for r in inventory.runs], "resources": []})
    validate("inventory", skeleton, _SOURCE, InventoryError)
    head = json.dumps(skeleton, indent=2, sort_keys=False)
    if not inventory.resources:
        out.write(head + "\n")
        return
    tail = '\n  "resources": []\n}'
    if not head.endswith(tail):  # the skeleton's last key is "resources", empty
        raise AssertionError("unexpected skeleton text")
    out.write(head[: -len(tail)] + '\n  "resources": [\n')
    for index, resource in enumerate(inventory.resources):
        if index:
            out.write(",\n")
        out.write(_resource_text(resource, index))
    out.write("\n  ]\n}\n")
