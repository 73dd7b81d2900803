"""Every AWS answer is checked before a fact is made of it: its raw body, then its parsed shape.

botocore parses an empty or foreign 200 body into ``{}`` (indistinguishable from a documented
empty answer) and reads any boolean that is not ``true`` as False, so the raw body is checked
first, in a ``before-parse`` handler on every client (:func:`register`): XML must be the
operation's documented root element in its service's namespace (or none), parsed without DTDs
or entities; JSON must be one well-formed object. Each leaf the service model types as a
boolean or an integer must read as one. Then the parsed answer must fit its documented shape
in ``answers.yaml`` (:func:`checked`). Either failure is a MalformedAnswer: the facts of that
call are ``error``, never "not configured" and never a value.

A resource listing (:data:`LISTINGS`) is judged per item: the envelope as a whole, then each
item. An item whose raw leaves are odd is taken out of the body before botocore parses it
(botocore would read ``yes`` as False, and an odd integer or timestamp would fail the whole
page), the others are parsed as ever; the parsed answer keeps the items that fit and names
the others (``odd_items``): each consumer reports what it can of them, the Caller records
them. One odd item never spoils its page.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element, ParseError, tostring

import botocore.handlers
from botocore.utils import parse_timestamp
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from auditor.errors import MalformedAnswer
from auditor.providers._runtime.shapes import AnswerShapes, ItemList, OddItem
from auditor.providers.aws._answer_leaves import leaf_types, local_name, typed_root, xml_name

# operation -> where its items are and what names one (the first member: the resource's id)
LISTINGS: dict[str, ItemList] = {
    "s3:ListBuckets": ItemList(("Buckets",), ("Name",)),
    "kms:ListKeys": ItemList(("Keys",), ("KeyId",), ("KeyArn",)),
    "kms:ListAliases": ItemList(("Aliases",), ("AliasName",)),
    "ec2:DescribeVolumes": ItemList(("Volumes",), ("VolumeId",)),
    "ec2:DescribeSnapshots": ItemList(("Snapshots",), ("SnapshotId",)),
    "rds:DescribeDBInstances": ItemList(("DBInstances",), (
        "DBInstanceIdentifier", "DBInstanceArn"), ("DBClusterIdentifier",)),
    "rds:DescribeDBClusters": ItemList(("DBClusters",), ("DBClusterIdentifier", "DBClusterArn")),
    "rds:DescribeDBSnapshots": ItemList(("DBSnapshots",), (
        "DBSnapshotIdentifier", "DBSnapshotArn")),
    "rds:DescribeDBClusterSnapshots": ItemList(("DBClusterSnapshots",), (
        "DBClusterSnapshotIdentifier", "DBClusterSnapshotArn")),
    "elasticfilesystem:DescribeFileSystems": ItemList(("FileSystems",), (
        "FileSystemId", "FileSystemArn"), ("Name",)),
    "organizations:ListAccounts": ItemList(("Accounts",), ("Id",), ("Name",)),
}
SHAPES = AnswerShapes(Path(__file__).resolve().parent / "answers.yaml", LISTINGS)
# Items found odd in the raw body of the answer this thread is receiving: botocore parses a
# body and hands it back on the thread that asked, so before-parse and checked() meet here.
_BODY_ODD = threading.local()

S3 = "http://s3.amazonaws.com/doc/2006-03-01/"
S3_CONTROL = "http://awss3control.amazonaws.com/doc/2018-08-20/"
STS = "https://sts.amazonaws.com/doc/2011-06-15/"
# The EC2 API reference's examples end the namespace in a slash, its service model does not.
EC2 = ("http://ec2.amazonaws.com/doc/2016-11-15/", "http://ec2.amazonaws.com/doc/2016-11-15")
RDS = "http://rds.amazonaws.com/doc/2014-10-31/"


@dataclass(frozen=True, slots=True)
class Xml:
    """A documented XML answer: its root element and the namespaces it may be in ("" none)."""

    root: str
    namespaces: tuple[str, ...]


JSON_OBJECT = "json"

# operation -> documented body of its 200 answer (each API reference page's Response Syntax).
BODIES: dict[str, Xml | str] = {
    "s3:ListBuckets": Xml("ListAllMyBucketsResult", (S3, "")),
    "s3:GetBucketLocation": Xml("LocationConstraint", (S3, "")),
    "s3:GetBucketEncryption": Xml("ServerSideEncryptionConfiguration", (S3, "")),
    "s3:GetPublicAccessBlock": Xml("PublicAccessBlockConfiguration", (S3, "")),
    "s3:GetBucketPolicy": JSON_OBJECT,  # the body is the policy document itself
    "s3:GetBucketPolicyStatus": Xml("PolicyStatus", (S3, "")),
    "s3:GetBucketOwnershipControls": Xml("OwnershipControls", (S3, "")),
    "s3:GetBucketAcl": Xml("AccessControlPolicy", (S3, "")),
    "s3:GetBucketVersioning": Xml("VersioningConfiguration", (S3, "")),
    "s3:GetObjectLockConfiguration": Xml("ObjectLockConfiguration", (S3, "")),
    "s3:GetBucketLogging": Xml("BucketLoggingStatus", (S3, "")),
    "s3:GetBucketReplication": Xml("ReplicationConfiguration", (S3, "")),
    "s3:GetBucketTagging": Xml("Tagging", (S3, "")),
    "s3control:GetPublicAccessBlock": Xml("PublicAccessBlockConfiguration", (S3_CONTROL, "")),
    "sts:GetCallerIdentity": Xml("GetCallerIdentityResponse", (STS, "")),
    "sts:AssumeRole": Xml("AssumeRoleResponse", (STS, "")),
    "organizations:ListAccounts": JSON_OBJECT,
    "ec2:DescribeRegions": Xml("DescribeRegionsResponse", (*EC2, "")),
    "ec2:GetEbsEncryptionByDefault": Xml("GetEbsEncryptionByDefaultResponse", (*EC2, "")),
    "ec2:GetEbsDefaultKmsKeyId": Xml("GetEbsDefaultKmsKeyIdResponse", (*EC2, "")),
    "kms:ListKeys": JSON_OBJECT,
    "kms:ListAliases": JSON_OBJECT,
    "kms:DescribeKey": JSON_OBJECT,
    "kms:GetKeyRotationStatus": JSON_OBJECT,
    "kms:GetKeyPolicy": JSON_OBJECT,
    "kms:ListResourceTags": JSON_OBJECT,
    **{f"ec2:{op}": Xml(f"{op}Response", (*EC2, "")) for op in (
        "DescribeVolumes", "DescribeSnapshots", "DescribeSnapshotAttribute",
        "GetSnapshotBlockPublicAccessState")},
    **{f"rds:{op}": Xml(f"{op}Response", (RDS, "")) for op in (
        "DescribeDBInstances", "DescribeDBClusters", "DescribeDBParameters",
        "DescribeDBClusterParameters", "DescribeDBSnapshots", "DescribeDBClusterSnapshots",
        "DescribeDBSnapshotAttributes", "DescribeDBClusterSnapshotAttributes")},
    "elasticfilesystem:DescribeFileSystems": JSON_OBJECT,
    "elasticfilesystem:DescribeFileSystemPolicy": JSON_OBJECT,
}
# botocore's service name -> the prefix operations are named by (the IAM one)
_PREFIXES = {"efs": "elasticfilesystem"}


def checked(operation: str, answer: dict[str, Any]) -> dict[str, Any]:
    """The parsed ``answer`` when it fits its documented shape; else MalformedAnswer. A
    listing's answer keeps the items that fit; ``odd_items(answer)`` names the others (those
    its raw body already showed odd among them)."""
    odd = getattr(_BODY_ODD, "items", None)
    _BODY_ODD.items = None
    found = odd[1] if odd is not None and odd[0] == operation else ()
    return SHAPES.check_listing(operation, answer, found)  # type: ignore[no-any-return]


def register(client: Any, service: str) -> None:
    """Check every 200 answer ``client`` receives before botocore parses it."""

    prefix = _PREFIXES.get(service, service)

    def before_parse(operation_model: Any, response_dict: dict[str, Any], **_: Any) -> None:
        if check_body(f"{prefix}:{operation_model.name}", operation_model,
                      int(response_dict.get("status_code") or 0), response_dict.get("body")):
            response_dict["status_code"] = 500  # S3's 200 with an Error inside: that error
        body = getattr(_BODY_ODD, "body", None)
        if body is not None:  # a listing whose odd items were taken out
            _BODY_ODD.body = None
            response_dict["body"] = body

    if service == "s3":
        # botocore's own look at an S3 200 body parses it with a plain XML parser before any
        # handler of ours; the defused check takes its place and keeps its rule (a 200 whose
        # root is Error is that error, as the S3 API reference documents for some calls).
        stock = getattr(botocore.handlers, "_handle_200_error", None)
        if stock is not None:
            client.meta.events.unregister("before-parse.s3.*", stock)
    client.meta.events.register("before-parse", before_parse)


def check_body(operation: str, model: Any, status: int, body: Any) -> bool:
    """Raise MalformedAnswer when a 2xx ``body`` is not the answer the reference documents;
    True when it is an S3 error document sent with 200 (then an error answer).

    Error answers are left to botocore: their codes are translated in _errors.
    """
    _BODY_ODD.items = _BODY_ODD.body = None
    if not 200 <= status < 300 or not isinstance(body, bytes | bytearray):
        return False
    expected = BODIES.get(operation)
    if expected is None:  # an operation without an entry: at least well-formed
        expected = JSON_OBJECT if model.service_model.protocol == "json" else None
    if expected == JSON_OBJECT:
        value = _json_object(operation, bytes(body))
        if operation in LISTINGS and model.output_shape is not None:
            _odd_json_items(operation, value, model.output_shape)
        return False
    root = _xml(operation, bytes(body))
    if operation.startswith("s3:") and root.tag == "Error":
        return True
    if isinstance(expected, Xml):
        namespace, _, local = root.tag[1:].partition("}") if root.tag.startswith("{") \
            else ("", "", root.tag)
        if local != expected.root:
            raise MalformedAnswer(operation, "UnexpectedRoot",
                                  f"the root element is not the documented {expected.root}")
        if namespace not in expected.namespaces:
            raise MalformedAnswer(operation, "UnexpectedRoot",
                                  f"{expected.root} is in a namespace the service does not use")
    if operation != "s3:GetBucketLocation":  # its root's text is the whole answer
        shape, node = typed_root(model, root)
        if shape is not None and node is not None:
            skip = _odd_items_out(operation, node, shape) if operation in LISTINGS else None
            leaf_types(operation, node, shape, "$", skip)
            if getattr(_BODY_ODD, "items", None):  # botocore parses the items that are left
                _BODY_ODD.body = tostring(root)
    return False


def _odd_items_out(operation: str, node: Element, shape: Any) -> str | None:
    """Judge each item of a listing's XML list on its own; remove the odd ones from the tree
    and remember them for :func:`checked`. The list member's name (the envelope pass leaves
    it alone), or None when the model has no such list."""
    name = LISTINGS[operation].path[0]
    member = shape.members.get(name)
    if member is None or member.type_name != "list":
        return None
    flattened = bool(member.serialization.get("flattened"))
    holder = node if flattened else next(
        (c for c in node if local_name(c.tag) == xml_name(name, member)), None)
    if holder is None:
        return name
    tag = member.member.serialization.get("name", "member")
    odd: list[OddItem] = []
    items = [c for c in holder if local_name(c.tag) == tag]
    for index, element in enumerate(items):
        try:
            leaf_types(operation, element, member.member, "$", timestamps=True)
        except MalformedAnswer as exc:
            raw = _xml_identity(operation, element, member.member)
            odd.append(SHAPES.odd_item(operation, index, raw, exc.message))
            holder.remove(element)
    _BODY_ODD.items = (operation, tuple(odd)) if odd else None
    return name


def _xml_identity(operation: str, element: Element, shape: Any) -> dict[str, Any]:
    """The identity members of an odd item, read from its raw element."""
    texts = {}
    where = LISTINGS[operation]
    for member in (*where.identity, *where.also):
        found = shape.members.get(member)
        if found is None:
            continue
        child = next((c for c in element if local_name(c.tag) == xml_name(member, found)), None)
        if child is not None and child.text and not len(child):
            texts[member] = child.text
    return texts


def _odd_json_items(operation: str, value: dict[str, Any], shape: Any) -> None:
    """Take the items of a JSON listing whose leaves botocore would guess at or fail on out
    of the body, and remember them for :func:`checked`: rest-json reads any string as a
    boolean (``"yes"`` as False) and fails the whole page on an integer or a timestamp it
    cannot read."""
    name = LISTINGS[operation].path[0]
    member = shape.members.get(name)
    items = value.get(name)
    if member is None or member.type_name != "list" or not isinstance(items, list):
        return
    odd, good = [], []
    for index, item in enumerate(items):
        where = _bad_json_leaf(item, member.member, "$")
        if where is None:
            good.append(item)
        else:
            odd.append(SHAPES.odd_item(operation, index, item, where))
    if odd:
        _BODY_ODD.items = (operation, tuple(odd))
        _BODY_ODD.body = json.dumps({**value, name: good}).encode()


def _bad_json_leaf(value: Any, shape: Any, path: str) -> str | None:
    """Where (and why) the first leaf under ``value`` is not of its modelled JSON type; None.
    A null is left out by botocore, so it is no leaf."""
    kind = shape.type_name
    if value is None:
        return None
    if kind == "structure" and isinstance(value, dict):
        for name, member in shape.members.items():
            if name in value:
                found = _bad_json_leaf(value[name], member, f"{path}.{name}")
                if found is not None:
                    return found
    elif kind == "structure" and not getattr(shape, "is_document_type", False):
        # not an object: botocore's parser would fail the whole answer (AttributeError)
        return f"{path}: expected an object"
    elif kind == "list" and isinstance(value, list):
        for index, item in enumerate(value):
            found = _bad_json_leaf(item, shape.member, f"{path}[{index}]")
            if found is not None:
                return found
    elif kind == "boolean" and not isinstance(value, bool):
        return f"{path}: expected true or false"
    elif kind in ("integer", "long") and (isinstance(value, bool) or not isinstance(value, int)):
        return f"{path}: expected an integer"
    elif kind == "timestamp":
        try:
            parse_timestamp(value)
        except (ValueError, OverflowError, TypeError, RuntimeError):
            return f"{path}: not a timestamp"
    return None


def _json_object(operation: str, body: bytes) -> dict[str, Any]:
    def no_constant(name: str) -> None:
        raise ValueError(f"{name} is not JSON")

    try:
        value = json.loads(body.decode("utf-8"), parse_constant=no_constant)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError and JSONDecodeError too
        what = "an empty body" if not body.strip() else f"not JSON ({type(exc).__name__})"
        raise MalformedAnswer(operation, "UnparsableAnswer", what) from exc
    if not isinstance(value, dict):
        raise MalformedAnswer(operation, "UnparsableAnswer",
                              f"a JSON {type(value).__name__}, not the documented object")
    return value


def _xml(operation: str, body: bytes) -> Element:
    if not body.strip():
        raise MalformedAnswer(operation, "UnparsableAnswer", "an empty body")
    try:
        # No DTD, no entity, no external reference: a 200 answer of AWS has none.
        return fromstring(body, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise MalformedAnswer(operation, "UnparsableAnswer",
                              f"XML with a forbidden construct ({type(exc).__name__})") from exc
    except (ParseError, ValueError, RecursionError) as exc:
        raise MalformedAnswer(operation, "UnparsableAnswer",
                              f"not XML ({type(exc).__name__})") from exc
