"""Every AWS answer is checked before a fact is made of it: its raw body, then its parsed shape.

botocore parses an empty or foreign 200 body into ``{}`` (indistinguishable from a documented
empty answer) and reads any boolean that is not ``true`` as False, so the raw body is checked
first, in a ``before-parse`` handler on every client (:func:`register`): XML must be the
operation's documented root element in its service's namespace (or none), parsed without DTDs
or entities; JSON must be one well-formed object. Each leaf the service model types as a
boolean or an integer must read as one. Then the parsed answer must fit its documented shape
in ``answers.yaml`` (:func:`checked`). Either failure is a MalformedAnswer: the facts of that
call are ``error``, never "not configured" and never a value.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element, ParseError

import botocore.handlers
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from auditor.errors import MalformedAnswer
from auditor.providers._runtime import AnswerShapes

SHAPES = AnswerShapes(Path(__file__).resolve().parent / "answers.yaml")

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
_INTEGER = re.compile(r"\s*[+-]?\d+\s*")


def checked(operation: str, answer: dict[str, Any]) -> dict[str, Any]:
    """The parsed ``answer`` when it fits its documented shape; else MalformedAnswer."""
    return SHAPES.check(operation, answer)


def register(client: Any, service: str) -> None:
    """Check every 200 answer ``client`` receives before botocore parses it."""

    prefix = _PREFIXES.get(service, service)

    def before_parse(operation_model: Any, response_dict: dict[str, Any], **_: Any) -> None:
        if check_body(f"{prefix}:{operation_model.name}", operation_model,
                      int(response_dict.get("status_code") or 0), response_dict.get("body")):
            response_dict["status_code"] = 500  # S3's 200 with an Error inside: that error

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
    if not 200 <= status < 300 or not isinstance(body, bytes | bytearray):
        return False
    expected = BODIES.get(operation)
    if expected is None:  # an operation without an entry: at least well-formed
        expected = JSON_OBJECT if model.service_model.protocol == "json" else None
    if expected == JSON_OBJECT:
        _json_object(operation, bytes(body))
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
        shape, node = _typed_root(model, root)
        if shape is not None and node is not None:
            _leaf_types(operation, node, shape, "$")
    return False


def _json_object(operation: str, body: bytes) -> None:
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


def _local(tag: Any) -> str:
    return str(tag).rpartition("}")[2]


def _typed_root(model: Any, root: Element) -> tuple[Any, Element | None]:
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
        return shape, next((c for c in root if _local(c.tag) == wrapper), None)
    return shape, root


def _xml_name(name: str, member: Any) -> str:
    """The element name botocore reads a structure member from."""
    if member.type_name == "list" and member.serialization.get("flattened"):
        item = member.member.serialization.get("name")
        if item:
            return str(item)
    return str(member.serialization.get("name") or name)


def _leaf_types(operation: str, node: Element, shape: Any, path: str) -> None:
    """Booleans must be ``true``/``false`` and integers digits, as botocore would otherwise guess.

    Elements the model does not know are left alone: answers may grow new ones.
    """
    kind = shape.type_name
    if kind == "structure":
        members = {_xml_name(name, m): (name, m) for name, m in shape.members.items()
                   if not m.serialization.get("location")}
        for child in node:
            found = members.get(_local(child.tag))
            if found is None:
                continue
            name, member = found
            if member.type_name == "list" and member.serialization.get("flattened"):
                _leaf_types(operation, child, member.member, f"{path}.{name}[]")
            else:
                _leaf_types(operation, child, member, f"{path}.{name}")
    elif kind == "list":
        item = shape.member.serialization.get("name", "member")
        for child in node:
            if _local(child.tag) == item:
                _leaf_types(operation, child, shape.member, f"{path}[]")
    elif kind == "boolean" and (node.text or "") not in ("true", "false"):
        raise MalformedAnswer(operation, "UnexpectedShape",
                              f"{path}: expected true or false")
    elif kind in ("integer", "long") and not _INTEGER.fullmatch(node.text or ""):
        raise MalformedAnswer(operation, "UnexpectedShape", f"{path}: expected an integer")
