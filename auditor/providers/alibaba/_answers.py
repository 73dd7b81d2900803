"""Raw answer bodies -> plain values, checked against answers.yaml (no SDK imports).

OSS answers XML, KMS and ECS JSON. Neither SDK's own model parsing is trusted with an odd
body: the OSS SDK matches child tags without their namespace, so an answer in the namespace
the OSS references show (``xmlns="http://doc.oss-cn-hangzhou.aliyuncs.com"``) read as empty,
and the Tea models turn a wrong type into an exception or a silent None. Here a body that is
empty, unsafe (a DTD, an entity), truncated, of another root or namespace, or of another
shape than its reference documents raises MalformedAnswer: its facts are ``error``.

A listing (:data:`LISTINGS`) is judged per item: its envelope (the root, the counts and
markers, the list) as a whole, then each entry, so that one odd entry spoils only itself;
``odd_items(answer)`` names the entries left out (the listing's reader records them).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as safe_xml
from defusedxml import DefusedXmlException

from auditor.errors import MalformedAnswer
from auditor.providers._runtime.shapes import AnswerShapes, ItemList, OddItem

ANSWERS = Path(__file__).resolve().parent / "answers.yaml"
# operation -> where its entries are and what names one (the first member: the resource's id)
LISTINGS: dict[str, ItemList] = {
    "oss:ListBuckets": ItemList(("ListAllMyBucketsResult", "Buckets", "Bucket"), ("Name",)),
    "kms:ListKeys": ItemList(("Keys", "Key"), ("KeyId",), ("KeyArn",)),
    "kms:ListAliases": ItemList(("Aliases", "Alias"), ("AliasName",)),
    "ecs:DescribeDisks": ItemList(("Disks", "Disk"), ("DiskId",)),
    "ecs:DescribeSnapshots": ItemList(("Snapshots", "Snapshot"), ("SnapshotId",)),
    "ecs:DescribeImages": ItemList(("Images", "Image"), ("ImageId",)),
    "nas:DescribeFileSystems": ItemList(("FileSystems", "FileSystem"), ("FileSystemId",)),
    "rds:DescribeDBInstances": ItemList(("Items", "DBInstance"), ("DBInstanceId",)),
    "resourcemanager:ListAccounts": ItemList(("Accounts", "Account"), ("AccountId",),
                                             ("DisplayName",)),
}
# Listings whose odd entry, when it names itself, is still read by its name (a key is
# described, a bucket read): nothing else of the entry is used.
KEEP_NAMED = frozenset({"oss:ListBuckets", "kms:ListKeys"})
SHAPES = AnswerShapes(ANSWERS, LISTINGS)
# The namespace the OSS API references show on some roots (GetBucketLocation, ListParts).
OSS_NAMESPACE = "http://doc.oss-cn-hangzhou.aliyuncs.com"
MAX_BODY = 8 * 1024 * 1024  # a bucket listing of 1000 entries is ~0.5 MiB
MAX_DEPTH = 16  # the deepest documented answer (GetBucketObjectWormConfiguration) has 5
_NAME_LIMIT = 60


@cache
def _schemas() -> Mapping[str, Any]:
    from auditor.provider_data import load_data_file

    return {op: entry["schema"] for op, entry in load_data_file(ANSWERS)["operations"].items()}


def _local(operation: str, tag: str) -> str:
    """``{ns}Name`` -> ``Name`` when ns is the documented one; any other namespace is not."""
    if not tag.startswith("{"):
        return tag
    namespace, _, name = tag[1:].partition("}")
    if namespace != OSS_NAMESPACE:
        raise MalformedAnswer(operation, "UnexpectedNamespace",
                              f"element {name[:_NAME_LIMIT]} is in an undocumented namespace")
    return name


def _is(schema: Mapping[str, Any], kind: str) -> bool:
    return schema.get("type") == kind


def _convert(operation: str, elem: Element, schema: Mapping[str, Any], path: str,
             depth: int, odd: list[OddItem] | None = None) -> Any:
    """One element: an object when its schema says so or it has children, else its text.

    ``odd``: collect here the entries of the operation's listing that cannot be converted
    (an element repeated, text where elements belong), leaving them out, instead of failing
    the whole answer."""
    if depth > MAX_DEPTH:
        raise MalformedAnswer(operation, "UnexpectedShape", f"{path}: nested too deeply")
    children = list(elem)
    if not children and not _is(schema, "object"):
        return elem.text or ""
    if (elem.text or "").strip():
        raise MalformedAnswer(operation, "UnexpectedShape",
                              f"{path}: text where the reference shows elements")
    properties = schema.get("properties", {})
    out: dict[str, Any] = {}
    where = LISTINGS.get(operation)
    entries = "$." + ".".join(where.path) if where is not None and odd is not None else None
    places: dict[str, int] = {}
    for child in children:
        name = _local(operation, child.tag)
        sub = properties.get(name, {})
        if _is(sub, "array") and f"{path}.{name}" == entries:
            place = places[name] = places.get(name, -1) + 1
            try:
                item = _convert(operation, child, sub.get("items", {}), "$", depth + 1)
            except MalformedAnswer as exc:
                assert odd is not None and where is not None
                odd.append(SHAPES.odd_item(operation, place, _named(operation, child, where),
                                           exc.message))
                out.setdefault(name, [])
                continue
            out.setdefault(name, []).append(item)
        elif _is(sub, "array"):
            out.setdefault(name, []).append(_convert(
                operation, child, sub.get("items", {}), f"{path}.{name}[]", depth + 1))
        elif name in out:
            raise MalformedAnswer(operation, "UnexpectedShape",
                                  f"{path}.{name[:_NAME_LIMIT]}: repeated element")
        else:
            out[name] = _convert(operation, child, sub, f"{path}.{name}", depth + 1, odd)
    return out


def _named(operation: str, elem: Element, where: ItemList) -> dict[str, str]:
    """The identity members an odd entry states once each, as text (twice: neither)."""
    found: dict[str, list[str]] = {}
    for child in elem:
        name = child.tag.rpartition("}")[2]
        if name in (*where.identity, *where.also):
            found.setdefault(name, []).append("" if len(child) else (child.text or ""))
    return {name: texts[0] for name, texts in found.items() if len(texts) == 1 and texts[0]}


def xml_answer(operation: str, body: bytes | None, root: str) -> dict[str, Any]:
    """``{root: content}`` of an OSS XML answer, or MalformedAnswer."""
    if not body or not body.strip():
        raise MalformedAnswer(operation, "EmptyBody", f"a 200 answer without the <{root}> body")
    if len(body) > MAX_BODY:
        raise MalformedAnswer(operation, "UnexpectedShape", f"body over {MAX_BODY} bytes")
    try:
        elem = safe_xml.fromstring(body, forbid_dtd=True, forbid_entities=True,
                                   forbid_external=True)
    except DefusedXmlException as exc:
        raise MalformedAnswer(operation, "UnsafeXml",
                              f"the body declares a {type(exc).__name__.removesuffix('Forbidden')}"
                              " (refused: no DTD, entity or external reference is read)") from exc
    except ParseError as exc:
        raise MalformedAnswer(operation, "UnparsableXml",
                              f"the body is not well-formed XML (line {exc.position[0]}, "
                              f"column {exc.position[1]})") from exc
    name = _local(operation, elem.tag)
    if name != root:
        raise MalformedAnswer(operation, "UnexpectedRoot",
                              f"root element is <{name[:_NAME_LIMIT]}>, not <{root}>")
    schema = _schemas().get(operation, {}).get("properties", {}).get(root, {})
    odd: list[OddItem] = []
    answer = {root: _convert(operation, elem, schema, f"$.{root}", 1, odd)}
    return SHAPES.check_listing(operation, answer, tuple(odd))  # type: ignore[no-any-return]


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def json_answer(operation: str, body: str | bytes | None) -> dict[str, Any]:
    """The JSON object of a KMS/ECS (or OSS policy) answer, or MalformedAnswer."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    if not text or not text.strip():
        raise MalformedAnswer(operation, "EmptyBody", "a 200 answer without a JSON body")
    if len(body) > MAX_BODY:
        raise MalformedAnswer(operation, "UnexpectedShape", f"body over {MAX_BODY} bytes")
    try:
        value = json.loads(body, parse_constant=_no_constant)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError, bad UTF-8, NaN
        raise MalformedAnswer(operation, "UnparsableJson", "the body is not JSON") from exc
    if not isinstance(value, dict):
        raise MalformedAnswer(operation, "UnexpectedShape",
                              f"$: expected object, got {type(value).__name__}")
    return SHAPES.check_listing(operation, value)  # type: ignore[no-any-return]
