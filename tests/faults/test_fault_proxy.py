"""The proxy and the case table themselves: each fault does what the table says, over real
HTTP on 127.0.0.1, and each request shape is named as the adapter names its operation."""

from __future__ import annotations

import http.client
import json
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from faults_proxy import Answer, FaultProxy, Plan, RefusedPort, Seen
from faults_table import BY_ID, FAULTS, MALFORMED_BODY, PROTOCOLS, SLOW_S, TIMEOUT_S, arm
from faults_targets import TARGETS, aws_operation, gcp_operation, oss_operation, rpc_operation

from auditor.sandbox.base import RecordedRequest, RecordingServer, Reply

UPSTREAM_BODY = b'<?xml version="1.0"?><VersioningConfiguration><Status>Enabled</Status>' \
                b'</VersioningConfiguration>'


def _upstream(request: RecordedRequest) -> Reply:
    return Reply(200, UPSTREAM_BODY, "application/xml",
                 {"x-echo-host": request.headers.get("host", "")})


@pytest.fixture
def proxy() -> Iterator[FaultProxy]:
    upstream = RecordingServer(_upstream, frozenset({"GET", "POST"}))
    upstream.start()
    # Every request here is one operation: the plan decides what happens to it.
    built = FaultProxy(upstream.url, lambda seen: "s3:GetBucketVersioning", Plan()).start()
    yield built
    built.stop()
    upstream.stop()


def _get(url: str, path: str = "/b?versioning", timeout: float = 5.0):
    host, port = url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=timeout)
    try:
        conn.request("GET", path, headers={"Host": "fault.example:1234"})
        reply = conn.getresponse()
        return reply.status, dict(reply.getheaders()), reply.read()
    finally:
        conn.close()


def test_without_a_fault_the_proxy_is_transparent(proxy):
    status, headers, body = _get(proxy.url)
    assert (status, body) == (200, UPSTREAM_BODY)
    assert headers["x-echo-host"] == "fault.example:1234"  # signatures cover the Host header
    assert proxy.plan.counts() == {"s3:GetBucketVersioning": 1}


def test_an_answer_replaces_the_stand_ins(proxy):
    arm(proxy.plan, "s3:GetBucketVersioning", BY_ID["denied"], PROTOCOLS["s3"])
    status, headers, body = _get(proxy.url)
    assert status == 403 and headers["Content-Type"] == "application/xml"
    assert ET.fromstring(body).findtext("Code") == "AccessDenied"


def test_another_operation_is_forwarded(proxy):
    arm(proxy.plan, "s3:GetBucketPolicy", BY_ID["denied"], PROTOCOLS["s3"])
    assert _get(proxy.url)[0] == 200


def test_throttled_once_per_request_then_forwarded(proxy):
    arm(proxy.plan, "s3:GetBucketVersioning", BY_ID["throttled-once"], PROTOCOLS["s3"])
    assert _get(proxy.url)[0] == 503
    assert _get(proxy.url)[0] == 200  # the retry of the same request passes
    assert _get(proxy.url, "/other?versioning")[0] == 503  # another request: once too
    assert _get(proxy.url, "/other?versioning")[0] == 200


def test_5xx_every_time(proxy):
    arm(proxy.plan, "s3:GetBucketVersioning", BY_ID["5xx"], PROTOCOLS["s3"])
    assert [_get(proxy.url)[0] for _ in range(3)] == [500, 500, 500]


def test_slow_answers_after_the_timeout(proxy):
    arm(proxy.plan, "s3:GetBucketVersioning", BY_ID["slow"], PROTOCOLS["s3"])
    assert SLOW_S > TIMEOUT_S
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        _get(proxy.url, timeout=TIMEOUT_S)
    assert time.monotonic() - started < SLOW_S
    started = time.monotonic()
    assert _get(proxy.url, timeout=SLOW_S + 5)[2] == UPSTREAM_BODY  # late, yet whole
    assert time.monotonic() - started >= SLOW_S


def test_truncated_is_half_the_answer_framed_as_whole(proxy):
    arm(proxy.plan, "s3:GetBucketVersioning", BY_ID["truncated"], PROTOCOLS["s3"])
    status, headers, body = _get(proxy.url)
    assert status == 200 and body == UPSTREAM_BODY[: len(UPSTREAM_BODY) // 2]
    assert int(headers["Content-Length"]) == len(body)
    with pytest.raises(ET.ParseError):
        ET.fromstring(body)


@pytest.mark.parametrize("fault", ["malformed", "wrong-shape"])
def test_a_200_body_of_the_fault(proxy, fault):
    arm(proxy.plan, "s3:GetBucketVersioning", BY_ID[fault], PROTOCOLS["s3"])
    status, _, body = _get(proxy.url)
    assert status == 200
    assert body == (MALFORMED_BODY if fault == "malformed" else PROTOCOLS["s3"].wrong_shape)


def test_reset_drops_the_connection(proxy):
    arm(proxy.plan, "s3:GetBucketVersioning", BY_ID["reset"], PROTOCOLS["s3"])
    with pytest.raises((ConnectionResetError, http.client.RemoteDisconnected)):
        _get(proxy.url)


def test_a_refused_port_refuses():
    port = RefusedPort()
    try:
        with pytest.raises(ConnectionRefusedError):
            _get(port.url)
    finally:
        port.close()


def test_every_fault_can_be_armed_for_every_protocol():
    plan = Plan()
    for protocol in PROTOCOLS.values():
        for fault in FAULTS:
            arm(plan, "x:Op", fault, protocol)
            assert plan.fault and plan.operation == "x:Op"
    assert {t.protocol(f"{s}:Op") for t in TARGETS.values() for s in t.protocols} == set(
        PROTOCOLS)


@pytest.mark.parametrize("name", sorted(PROTOCOLS))
def test_each_protocol_speaks_its_documented_error_format(name):
    protocol = PROTOCOLS[name]
    for answer, status in ((protocol.denied, (400, 403)), (protocol.throttled, (400, 429, 503)),
                           (protocol.internal, (500,))):
        assert isinstance(answer, Answer) and answer.status in status
        if "xml" in protocol.content_type:
            root = ET.fromstring(answer.body)
            assert root.iter() and any(el.tag.endswith("Code") and el.text
                                       for el in root.iter()), answer.body
        else:
            doc = json.loads(answer.body)
            if doc.get("ErrorCode"):  # rest-json (EFS): the type in a header as well
                assert dict(answer.headers)["x-amzn-ErrorType"] == doc["ErrorCode"]
                continue
            assert doc.get("__type") or doc.get("Code") or doc["error"]["code"] == answer.status
    # A wrong shape is still well-formed: only its shape is wrong.
    if "xml" in protocol.content_type:
        assert ET.fromstring(protocol.wrong_shape).tag.endswith("Unexpected" + (
            "Result" if name in ("s3", "s3control", "oss") else "Response"))
    else:
        assert json.loads(protocol.wrong_shape) in ({}, [])


def _seen(method: str, target: str, headers: dict[str, str] | None = None,
          body: bytes = b"") -> Seen:
    return Seen(method, target, headers or {}, body)


SIGV4 = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20250101/us-east-1/{}/aws4_request, " \
        "SignedHeaders=host, Signature=0"

# Request shapes from the API references -> the operation as the adapter names it.
SHAPES = [
    (aws_operation, _seen("GET", "/?max-buckets=1000"), "s3:ListBuckets"),
    (aws_operation, _seen("GET", "/b1?versioning"), "s3:GetBucketVersioning"),
    (aws_operation, _seen("GET", "/b1?policyStatus"), "s3:GetBucketPolicyStatus"),
    (aws_operation, _seen("GET", "/b1?object-lock"), "s3:GetObjectLockConfiguration"),
    (aws_operation, _seen("GET", "/b1?location"), "s3:GetBucketLocation"),
    (aws_operation, _seen("GET", "/v20180820/configuration/publicAccessBlock"),
     "s3control:GetPublicAccessBlock"),
    (aws_operation, _seen("POST", "/", {"X-Amz-Target": "TrentService.ListKeys"}),
     "kms:ListKeys"),
    (aws_operation, _seen("POST", "/", {"Authorization": SIGV4.format("sts")},
                          b"Action=GetCallerIdentity&Version=2011-06-15"),
     "sts:GetCallerIdentity"),
    (aws_operation, _seen("POST", "/", {"Authorization": SIGV4.format("ec2")},
                          b"Action=GetEbsEncryptionByDefault&Version=2016-11-15"),
     "ec2:GetEbsEncryptionByDefault"),
    (aws_operation, _seen("POST", "/", {"Authorization": SIGV4.format("rds")},
                          b"Action=DescribeDBInstances&Version=2014-10-31"),
     "rds:DescribeDBInstances"),
    (aws_operation, _seen("GET", "/2015-02-01/file-systems?MaxItems=100"),
     "elasticfilesystem:DescribeFileSystems"),
    (aws_operation, _seen("GET", "/2015-02-01/file-systems/fs-0123abcd/policy"),
     "elasticfilesystem:DescribeFileSystemPolicy"),
    (gcp_operation, _seen("GET", "/storage/v1/b?project=p&projection=noAcl"),
     "storage:buckets.list"),
    (gcp_operation, _seen("GET", "/storage/v1/b/b1/iam?optionsRequestedPolicyVersion=3"),
     "storage:buckets.getIamPolicy"),
    (gcp_operation, _seen("GET", "/storage/v1/b/b1/defaultObjectAcl"),
     "storage:defaultObjectAccessControls.list"),
    (gcp_operation, _seen("GET", "/v1/projects/p/locations/us/keyRings/r/cryptoKeys/k"
                                 ":getIamPolicy"), "cloudkms:cryptoKeys.getIamPolicy"),
    (gcp_operation, _seen("GET", "/v1/projects/p/locations/us/keyRings/r/cryptoKeys"),
     "cloudkms:cryptoKeys.list"),
    (gcp_operation, _seen("GET", "/v2/projects/p/policies/storage.publicAccessPrevention"
                                 ":getEffectivePolicy"), "orgpolicy:policies.getEffectivePolicy"),
    (oss_operation, _seen("GET", "/?max-keys=100"), "oss:ListBuckets"),
    (oss_operation, _seen("GET", "/?publicAccessBlock"), "oss:GetPublicAccessBlock"),
    (oss_operation, _seen("GET", "/b1/?bucketInfo"), "oss:GetBucketInfo"),
    (oss_operation, _seen("GET", "/b1/?objectWorm"), "oss:GetBucketObjectWormConfiguration"),
    (rpc_operation("kms"), _seen("POST", "/", {"x-acs-action": "DescribeKey"}),
     "kms:DescribeKey"),
    (rpc_operation("ecs"), _seen("POST", "/", {"x-acs-action": "DescribeDiskDefaultKMSKeyId"}),
     "ecs:DescribeDiskDefaultKMSKeyId"),
    (gcp_operation, _seen("GET", "/nowhere"), ""),
]


@pytest.mark.parametrize(("classify", "seen", "operation"), SHAPES,
                         ids=[op or "unknown" for _, _, op in SHAPES])
def test_requests_are_named_as_the_adapter_names_them(classify, seen, operation):
    assert classify(seen) == operation


def test_the_doc_lists_every_fault_and_protocol():
    doc = (Path(__file__).resolve().parents[2] / "docs" / "faults.md").read_text()
    for fault in (*FAULTS, BY_ID["down"]):
        assert f"| `{fault.id}` |" in doc, fault.id
    for name in PROTOCOLS:
        assert f"`{name}`" in doc, name
