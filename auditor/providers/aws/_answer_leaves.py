"""The typed leaves of an AWS XML answer, walked along botocore's service model.

botocore reads any boolean that is not ``true`` as False and fails a whole answer on an
integer or a timestamp it cannot read; these helpers find such a leaf first (_answers.py).
"""

from __future__ import annotations

import re
from typing import Any
from xml.etree.ElementTree import Element

from botocore.utils import parse_timestamp

from auditor.errors import MalformedAnswer

_INTEGER = re.compile(r"\s*[+-]?\d+\s*")


def local_name(tag: Any) -> str:
    return str(tag).rpartition("}")[2]


def typed_root(model: Any, root: Element) -> tuple[Any, Element | None]:
    """(shape, element) where the service model's output structure starts in the body."""
    shape = model.output_shape
    if shape is None:
        return None, None
    payload = shape.serialization.get("payload")
    if payload:
        member = shape.members[payload]
        return (member, root) if member.type_name == "structure" else (None, None)
    wrapper = shape.serialization.get("resultWrapper")
    if wrapper:  # the query protocol wraps the result: <OpResponse><OpResult>
        return shape, next((c for c in root if local_name(c.tag) == wrapper), None)
    return shape, root


def xml_name(name: str, member: Any) -> str:
    """The element name botocore reads a structure member from."""
    if member.type_name == "list" and member.serialization.get("flattened"):
        item = member.member.serialization.get("name")
        if item:
            return str(item)
    return str(member.serialization.get("name") or name)


def leaf_types(operation: str, node: Element, shape: Any, path: str, skip: str | None = None,
                *, timestamps: bool = False) -> None:
    """Booleans must be ``true``/``false`` and integers digits, as botocore would otherwise guess;
    with ``timestamps`` (an item judged on its own) a timestamp must be one botocore reads.

    Elements the model does not know are left alone: answers may grow new ones. ``skip``: a
    member of this structure judged elsewhere (a listing's items).
    """
    kind = shape.type_name
    if kind == "structure":
        members = {xml_name(name, m): (name, m) for name, m in shape.members.items()
                   if not m.serialization.get("location") and name != skip}
        for child in node:
            found = members.get(local_name(child.tag))
            if found is None:
                continue
            name, member = found
            if member.type_name == "list" and member.serialization.get("flattened"):
                leaf_types(operation, child, member.member, f"{path}.{name}[]",
                            timestamps=timestamps)
            else:
                leaf_types(operation, child, member, f"{path}.{name}", timestamps=timestamps)
    elif kind == "list":
        item = shape.member.serialization.get("name", "member")
        for child in node:
            if local_name(child.tag) == item:
                leaf_types(operation, child, shape.member, f"{path}[]", timestamps=timestamps)
    elif kind == "timestamp" and timestamps:
        try:
            parse_timestamp(node.text or "")
        except (ValueError, OverflowError, TypeError, RuntimeError) as exc:
            raise MalformedAnswer(operation, "UnexpectedShape",
                                  f"{path}: not a timestamp") from exc
    elif kind == "boolean" and (node.text or "") not in ("true", "false"):
        raise MalformedAnswer(operation, "UnexpectedShape",
                              f"{path}: expected true or false")
    elif kind in ("integer", "long") and not _INTEGER.fullmatch(node.text or ""):
        raise MalformedAnswer(operation, "UnexpectedShape", f"{path}: expected an integer")
