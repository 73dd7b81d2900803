"""The case table: the faults injected, the answers each protocol gets, the outcome expected.

docs/faults.md is this table in prose. Every answer follows the provider's API reference for
that protocol's error (or, for a wrong shape, is valid XML/JSON of a shape the operation never
answers); ``PROTOCOLS`` maps an operation's service prefix to its protocol.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from faults_proxy import Answer, Plan

TIMEOUT_S = 1.0  # CollectRequest.timeout of every case (the --timeout a user would pass)
SLOW_S = TIMEOUT_S + 1.5  # the slow fault answers this late: past the timeout
CASE_BOUND_S = 20.0  # wall-clock bound of one case
MAX_ATTEMPTS = 4  # auditor.defaults.DEFAULT_RETRY_ATTEMPTS: requests per call at most


@dataclass(frozen=True, slots=True)
class Fault:
    id: str
    summary: str
    expect: str | None  # fact state of every fact naming the operation; None: as the clean run
    exit_code: int | None  # None: the clean run's exit code


# The faults applied to one operation at a time, then the one applied to everything.
FAULTS: tuple[Fault, ...] = (
    Fault("denied", "the provider's documented access-denied answer", "denied", 3),
    Fault("throttled-once", "the documented throttling answer once per request, then the "
          "stand-in's answer", None, None),
    Fault("5xx", "the documented internal-error answer (HTTP 500), every time", "error", 3),
    Fault("slow", f"the stand-in's answer after {SLOW_S:g} s, past the {TIMEOUT_S:g} s "
          "timeout", "error", 3),
    Fault("truncated", "the stand-in's answer cut in half, framed as complete", "error", 3),
    Fault("malformed", "HTTP 200 with a body that is neither XML nor JSON", "error", 3),
    Fault("wrong-shape", "HTTP 200 with valid XML/JSON of a shape the operation never "
          "answers", "error", 3),
    Fault("reset", "the connection reset (TCP RST) instead of an answer", "error", 3),
)
# Nothing at all could be read: exit 5 (nothing collected), not 3 (partial).
DOWN = Fault("down", "every endpoint refuses connections (provider down)", "error", 5)
BY_ID = {f.id: f for f in (*FAULTS, DOWN)}
MALFORMED_BODY = b"\x00\xffproxy says: this is neither XML nor JSON {<"


def _xml(root: str, inner: str, ns: str | None = None) -> bytes:
    attr = f' xmlns="{ns}"' if ns else ""
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<{root}{attr}>{inner}</{root}>'.encode()


def _el(**fields: str) -> str:
    return "".join(f"<{k}>{v}</{k}>" for k, v in fields.items())


def _s3(code: str, message: str) -> bytes:  # S3 API reference, "Error responses"
    return _xml("Error", _el(Code=code, Message=message, RequestId="FAULT0REQUEST0ID",
                             HostId="fault-proxy-host-id"))


def _query(code: str, message: str, kind: str = "Sender",
           ns: str = "https://sts.amazonaws.com/doc/2011-06-15/") -> bytes:  # query errors
    return _xml("ErrorResponse", "<Error>" + _el(Type=kind, Code=code, Message=message)
                + "</Error>" + _el(RequestId="fault-0000-request"), ns)


RDS_NS = "http://rds.amazonaws.com/doc/2014-10-31/"


def _restjson(status: int, kind: str, message: str) -> Answer:
    # rest-json services (EFS "Errors"): the type in x-amzn-ErrorType, ErrorCode and Message
    # in the body
    return Answer(status, json.dumps({"ErrorCode": kind, "Message": message}).encode(),
                  JSON_CT, (("x-amzn-ErrorType", kind),))


def _ec2(code: str, message: str) -> bytes:  # EC2 API reference, "Error codes"
    return _xml("Response", "<Errors><Error>" + _el(Code=code, Message=message)
                + "</Error></Errors>" + _el(RequestID="fault-0000-request"))


def _awsjson(kind: str, message: str) -> bytes:  # KMS "Common Errors" (json protocol)
    return json.dumps({"__type": kind, "message": message}).encode()


def _gcs(status: int, reason: str, message: str) -> bytes:  # JSON API "status codes"
    return json.dumps({"error": {"code": status, "message": message, "errors": [
        {"domain": "global", "reason": reason, "message": message}]}}).encode()


def _rpc(status: int, code: str, message: str) -> bytes:  # google.rpc.Status over REST
    return json.dumps({"error": {"code": status, "message": message, "status": code}}).encode()


def _oss(code: str, message: str) -> bytes:  # OSS "Error responses"
    return _xml("Error", _el(Code=code, Message=message, RequestId="5F0A00000000FAULT000000",
                             HostId="oss-cn-hangzhou.aliyuncs.com", EC="0003-00000001"))


def _pop(code: str, message: str) -> bytes:  # Alibaba Cloud OpenAPI (KMS, ECS) error JSON
    return json.dumps({"RequestId": "FA0170E5-0000-4000-8000-000000000000",
                       "HostId": "kms.cn-hangzhou.aliyuncs.com", "Code": code,
                       "Message": message}).encode()


@dataclass(frozen=True, slots=True)
class Protocol:
    """The answers of one API protocol, each as the provider documents it."""

    content_type: str
    denied: Answer
    throttled: Answer
    internal: Answer
    wrong_shape: bytes


def _proto(ctype: str, denied: tuple[int, bytes], throttled: tuple[int, bytes],
           internal: tuple[int, bytes], wrong: bytes) -> Protocol:
    return Protocol(ctype, Answer(*denied, ctype), Answer(*throttled, ctype),
                    Answer(*internal, ctype), wrong)


S3_NS = "http://s3.amazonaws.com/doc/2006-03-01/"
XML, JSON_CT = "application/xml", "application/json"
# Wrong shapes: a foreign root element in the documented namespace (the XML SDKs match child
# names and ignore the root, so this reads as an empty answer unless the root is checked);
# for JSON, an object without any documented member (every AWS KMS and Alibaba answer has one
# that is always present) or, for Google, an array (an empty object is a documented empty
# list answer there: proto3 JSON omits empty fields).
PROTOCOLS: dict[str, Protocol] = {
    "s3": _proto(XML, (403, _s3("AccessDenied", "Access Denied")),
                 (503, _s3("SlowDown", "Please reduce your request rate.")),
                 (500, _s3("InternalError", "We encountered an internal error. Please try "
                                            "again.")),
                 _xml("UnexpectedResult", "", S3_NS)),
    "s3control": _proto(XML, (403, _s3("AccessDenied", "Access Denied")),
                        (503, _s3("SlowDown", "Please reduce your request rate.")),
                        (500, _s3("InternalError", "We encountered an internal error.")),
                        _xml("UnexpectedResult", "",
                             "http://awss3control.amazonaws.com/doc/2018-08-20/")),
    "kms": _proto("application/x-amz-json-1.1",
                  (400, _awsjson("AccessDeniedException", "User is not authorized")),
                  (400, _awsjson("ThrottlingException", "Rate exceeded")),
                  (500, _awsjson("KMSInternalException", "internal failure")), b"{}"),
    "sts": _proto("text/xml", (403, _query("AccessDenied", "not authorized")),
                  (400, _query("Throttling", "Rate exceeded")),
                  (500, _query("InternalFailure", "internal failure", "Receiver")),
                  _xml("UnexpectedResponse", "", "https://sts.amazonaws.com/doc/2011-06-15/")),
    "ec2": _proto("text/xml;charset=UTF-8",
                  (403, _ec2("UnauthorizedOperation", "You are not authorized to perform "
                                                      "this operation.")),
                  (503, _ec2("RequestLimitExceeded", "Request limit exceeded.")),
                  (500, _ec2("InternalError", "An internal error has occurred.")),
                  _xml("UnexpectedResponse", "", "http://ec2.amazonaws.com/doc/2016-11-15/")),
    "rds": _proto("text/xml", (403, _query("AccessDenied", "not authorized", ns=RDS_NS)),
                  (400, _query("Throttling", "Rate exceeded", ns=RDS_NS)),
                  (500, _query("InternalFailure", "internal failure", "Receiver", RDS_NS)),
                  _xml("UnexpectedResponse", "", RDS_NS)),
    "elasticfilesystem": Protocol(
        JSON_CT, _restjson(400, "AccessDeniedException", "not authorized"),
        _restjson(400, "ThrottlingException", "Rate exceeded"),
        _restjson(500, "InternalServerError", "internal failure"), b"{}"),
    "storage": _proto(JSON_CT, (403, _gcs(403, "forbidden", "caller does not have access")),
                      (429, _gcs(429, "rateLimitExceeded", "The rate of change requests to "
                                 "the resource is too high.")),
                      (500, _gcs(500, "backendError", "Backend Error")), b"[]"),
    "cloudkms": _proto(JSON_CT, (403, _rpc(403, "PERMISSION_DENIED", "Permission denied")),
                       (429, _rpc(429, "RESOURCE_EXHAUSTED", "Quota exceeded")),
                       (500, _rpc(500, "INTERNAL", "Internal error encountered.")), b"[]"),
    "orgpolicy": _proto(JSON_CT, (403, _rpc(403, "PERMISSION_DENIED", "Permission denied")),
                        (429, _rpc(429, "RESOURCE_EXHAUSTED", "Quota exceeded")),
                        (500, _rpc(500, "INTERNAL", "Internal error encountered.")), b"[]"),
    "oss": _proto(XML, (403, _oss("AccessDenied", "You have no right to access this object "
                                                  "because of bucket acl.")),
                  (503, _oss("SlowDown", "Please reduce your request rate.")),
                  (500, _oss("InternalError", "We encountered an internal error. Please try "
                                              "again.")),
                  _xml("UnexpectedResult", "", "http://doc.oss-cn-hangzhou.aliyuncs.com")),
    "alikms": _proto(JSON_CT, (403, _pop("Forbidden.NoPermission", "This operation is "
                                         "forbidden by permission system.")),
                     (400, _pop("Throttling.User", "Request was denied due to user flow "
                                "control.")),
                     (500, _pop("InternalFailure", "The request processing has failed due to "
                                "some unknown error.")), b"{}"),
    "ecs": _proto(JSON_CT, (403, _pop("Forbidden.RAM", "User not authorized to operate on "
                                      "the specified resource.")),
                  (400, _pop("Throttling.User", "Request was denied due to user flow "
                             "control.")),
                  (500, _pop("InternalError", "The request processing has failed due to "
                             "some unknown error.")), b"{}"),
}


def arm(plan: Plan, operation: str, fault: Fault, protocol: Protocol) -> None:
    """Set ``plan`` to inject ``fault`` into ``operation`` (spoken in ``protocol``)."""
    arms = {
        "denied": ("answer", protocol.denied),
        "throttled-once": ("answer_once", protocol.throttled),
        "5xx": ("answer", protocol.internal),
        "slow": ("slow", None),
        "truncated": ("truncate", None),
        "malformed": ("body", Answer(200, MALFORMED_BODY, protocol.content_type)),
        "wrong-shape": ("body", Answer(200, protocol.wrong_shape, protocol.content_type)),
        "reset": ("reset", None),
    }
    mode, answer = arms[fault.id]
    plan.reset(operation, mode, answer, SLOW_S if mode == "slow" else 0.0)
