"""The run's Scrubber: credential shapes from the providers' documents, values in every form,
and the one translation point (RetryingCaller / attempt / ledger) that applies it.

Shape rows quote the providers' own documented examples (request signing pages, key file
formats, error bodies); each says what must vanish and what must stay readable.
"""

from __future__ import annotations

import base64
import html
import json
import threading
from dataclasses import dataclass
from urllib.parse import quote, quote_plus

import boto3
import pytest
from echo_support import canary

from auditor.errors import AccessDenied, CallError, CredentialsError, MalformedAnswer
from auditor.model import Fact, FactState, ProviderRun, Resource, RunError
from auditor.providers._runtime import ApiLedger, RetryPolicy, attempt
from auditor.providers._runtime.scrub import REDACTED, Scrubber, forms, scrub_shapes
from auditor.sandbox.base import RecordingServer, Reply

AKID = "AKIAIOSFODNN7EXAMPLE"  # the documented example key id (IAM: access keys)
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"  # the documented example secret key
LTAI = "LTAI5tEXAMPLEKEYID00001"
CAIS = "CAIS8QF1q6Ft5B2yfSjIr5bSEsnBhrd6hJWHVk4uJ2w3AvZhgOaX0jzz2IHhMf3FrAucXvv8"
SIG64 = "fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024"


@dataclass(frozen=True)
class Shape:
    source: str  # the document the example comes from
    text: str
    gone: tuple[str, ...]  # must not survive
    kept: tuple[str, ...] = ()  # must survive verbatim


SHAPES = [
    Shape("S3: Authenticating requests, Authorization header (SigV4)",
          f"Authorization: AWS4-HMAC-SHA256 Credential={AKID}/20130524/us-east-1/s3/"
          f"aws4_request, SignedHeaders=host;range;x-amz-date, Signature={SIG64}\n"
          "x-amz-date: 20130524T000000Z", (AKID, SIG64[:16]), ("x-amz-date: 20130524T000000Z",)),
    Shape("S3: Authenticating requests, query parameters (presigned URL)",
          "https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256"
          f"&X-Amz-Credential={AKID}%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
          "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
          "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404",
          (AKID, "aeeed9bbccd4d02e"), ("examplebucket.s3.amazonaws.com/test.txt",
                                       "X-Amz-Expires=86400")),
    Shape("STS: temporary credentials, X-Amz-Security-Token header",
          "x-amz-security-token: FwoGZXIvYXdzEBYaDHqa0AP1ZEaXAMPLEtokenEXAMPLE0123456789abcd"
          " host: sts.amazonaws.com", ("FwoGZXIvYXdzEBYaDHqa0AP",), ("host: sts.amazonaws.com",)),
    Shape("STS: session token quoted without its header",
          "token IQoJb3JpZ2luX2VjEHoaCXVzLWVhc3QtMSJHMEUCIQDexampleEXAMPLE0123 expired",
          ("IQoJb3JpZ2luX2VjEHoa",), ("expired",)),
    Shape("IAM identifiers: ASIA temporary key id in a message",
          "The security token included in the request is invalid: ASIAIOSFODNN7EXAMPLE",
          ("ASIAIOSFODNN7EXAMPLE",), ("The security token included in the request is invalid",)),
    Shape("S3: REST authentication (SigV2), Authorization: AWS id:signature",
          f"Authorization: AWS {AKID}:bWq2s1WEIj+Ydj0vQ697zp+IXMU=", (AKID, "bWq2s1WEIj")),
    Shape("S3 error responses: SignatureDoesNotMatch body",
          f"<Error><Code>SignatureDoesNotMatch</Code><AWSAccessKeyId>{AKID}</AWSAccessKeyId>"
          "<StringToSign>AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/"
          "aws4_request\n7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972"
          f"</StringToSign><SignatureProvided>{SIG64}</SignatureProvided>"
          "<CanonicalRequest>GET\n/test.txt\n\nx-amz-security-token:FwoGZXIvYXdzEXAMPLE0123"
          "456789\n</CanonicalRequest></Error>",
          (AKID, SIG64[:16], "7344ae5b7ee6c3e7", "FwoGZXIvYXdzEXAMPLE"),
          ("<Code>SignatureDoesNotMatch</Code>",)),
    Shape("AWS CLI: credentials file",
          f"[default]\naws_access_key_id = {AKID}\naws_secret_access_key = {SECRET}\n",
          (AKID, SECRET[:16]), ("[default]",)),
    Shape("OSS: V4 signature in the Authorization header",
          f"Authorization: OSS4-HMAC-SHA256 Credential={LTAI}/20250417/cn-hangzhou/oss/"
          "aliyun_v4_request,AdditionalHeaders=host,Signature=a7c3554c729d71929e0b84489addee6b2"
          "e8d5cb48595adfc51868c299c0c218e", (LTAI, "a7c3554c729d7192")),
    Shape("OSS: V1 signature, OSS AccessKeyId:Signature",
          f"OSS {LTAI}:26NBxoKdsyly4EDv6inkoDft/yA= was rejected", (LTAI, "26NBxoKdsyly4"),
          ("was rejected",)),
    Shape("Alibaba Cloud OpenAPI: V3 signature (ACS3-HMAC-SHA256)",
          f"authorization: ACS3-HMAC-SHA256 Credential={LTAI},SignedHeaders=host;x-acs-action;"
          "x-acs-date,Signature=06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0"
          " x-acs-action: ListKeys", (LTAI, "06563a9e1b43f5df"), ("x-acs-action: ListKeys",)),
    Shape("Alibaba Cloud OpenAPI: RPC (V2) signed query with an STS token",
          f"GET /?AccessKeyId={LTAI}&Action=ListKeys&Signature=OLeaidS1JvxuMvnyHOwuJ%2BuX5qY%3D"
          f"&SignatureMethod=HMAC-SHA1&SecurityToken={quote(CAIS, safe='')}",
          (LTAI, "OLeaidS1JvxuMvny", CAIS[:16]), ("Action=ListKeys", "SignatureMethod=HMAC-SHA1")),
    Shape("KMS stand-in: SignatureDoesNotMatch echoes the string to sign",
          f"server string to sign is: ACS3-HMAC-SHA256 Credential=STS.NUgYrLnoTotallyKey9 "
          f"x-acs-action:ListKeys x-acs-security-token:{CAIS}",
          ("STS.NUgYrLnoTotallyKey9", CAIS[:16]), ("x-acs-action:ListKeys",)),
    Shape("Alibaba STS: security token in text", f"token {CAIS} has expired",
          (CAIS[:16],), ("has expired",)),
    Shape("Google OAuth 2.0: Bearer access token",
          "Authorization: Bearer ya29.a0AfH6SMBxExampleAccessTokenValue_-123 x-goog-api-client:"
          " gl-python/3.11", ("ya29.a0AfH6SMBx",), ("x-goog-api-client: gl-python/3.11",)),
    Shape("Google OAuth 2.0: access and refresh tokens in an answer",
          '{"access_token": "ya29.c.b0AXv0zTExample", "refresh_token": "1//0gExampleRefresh'
          'TokenValue-abcdefgh", "token_type": "Bearer"}',
          ("ya29.c.b0AXv0zT", "1//0gExampleRefresh"), ('"token_type": "Bearer"',)),
    Shape("Google: service account key file (private_key with escaped newlines)",
          '{"type": "service_account", "private_key_id": "abcdef0123456789abcdef0123456789abcd'
          'ef01", "private_key": "-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBgkqhkiG9w0BAQEFAA'
          'SCBKcwggSjAgEAAoIBAQC7\\n-----END PRIVATE KEY-----\\n", "client_email": '
          '"auditor@p.iam.gserviceaccount.com"}',
          ("abcdef0123456789", "MIIEvQIBADANBgkq", "PRIVATE KEY"),
          ('"client_email": "auditor@p.iam.gserviceaccount.com"',)),
    Shape("RFC 7468: PEM private keys (RSA, EC, encrypted, cut short)",
          "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAexampleRSA\n-----END RSA PRIVATE "
          "KEY----- and -----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIexampleEC\n-----END EC PRIVATE"
          " KEY----- and -----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIFHDBOBgkqexampleENC\n-----END"
          " ENCRYPTED PRIVATE KEY----- then -----BEGIN PRIVATE KEY-----\nMIIEvQIBADANcutshort",
          ("MIIEowIBAAKCAQEA", "MHcCAQEEIexample", "MIIFHDBOBgkq", "MIIEvQIBADANcut",
           "PRIVATE KEY"), (" and ", " then ")),
    Shape("Google OAuth 2.0 for service accounts: JWT assertion in the token request",
          "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=eyJhbGciOi"
          "JSUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJhdWRpdG9yQHAuaWFtIn0.c2lnbmF0dXJlLXBhcnQ",
          ("eyJhbGciOiJSUzI1", "eyJpc3MiOiJhdWRp", "c2lnbmF0dXJlLXBh"),
          ("grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer",)),
    Shape("Cloud Storage: V4 signed URL",
          "https://storage.googleapis.com/example-bucket/cat.jpeg?X-Goog-Algorithm=GOOG4-RSA-"
          "SHA256&X-Goog-Credential=example%40example-project.iam.gserviceaccount.com%2F20181026"
          "%2Fus%2Fstorage%2Fgoog4_request&X-Goog-Date=20181026T211942Z&X-Goog-Expires=3600&X-"
          "Goog-SignedHeaders=host&X-Goog-Signature=2d2a6f5055eb004b8690b9479883292ae7450cdc15f"
          "17d7f99bc49b916f9e7429106ed7e5858ae6b4ab0bbbdb1a8ccc364dad3a0da2caebd30887a70c5b2569",
          ("2d2a6f5055eb004b", "example%40example-project"), ("X-Goog-Expires=3600",)),
    Shape("RFC 7617: Basic authentication",
          "Authorization: Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==", ("QWxhZGRpbjpvcGVu",)),
    Shape("Google: authorized_user credentials (client_secret)",
          '{"type": "authorized_user", "client_id": "764086051850-6qr4p6gpi6hn506pt8ejuq83di341hu'
          'r.apps.googleusercontent.com", "client_secret": "d-FL95Q19q7MQmFpd7hHD0Ty"}',
          ("d-FL95Q19q7MQmFp",), ('"type": "authorized_user"',)),
    Shape("An echo of request headers as a Python dict",
          "{'Authorization': b'Bearer ya29.a0Example_token-value', 'X-Amz-Security-Token': "
          "b'FwoGZXIvYXdzEXAMPLEtoken0123456789', 'User-Agent': b'Boto3/1.44'}",
          ("ya29.a0Example", "FwoGZXIvYXdzEXAMPLE"), ("'User-Agent': b'Boto3/1.44'",)),
]

# Messages that carry no credential: they must come out as they went in.
KEPT = [
    "User: arn:aws:iam::123456789012:user/auditor is not authorized to perform: "
    "s3:GetBucketPolicy on resource: arn:aws:s3:::my-bucket because no identity-based policy "
    "allows the s3:GetBucketPolicy action",
    "The request signature we calculated does not match the signature you provided. Check "
    "your key and signing method.",
    "NextToken=AAAAAQ ContinuationToken=1ueGcxLPRx1Tr",
    "projects/canary-project/locations/us-east1/keyRings/ring-1/cryptoKeys/key-1",
    "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    "Forbidden.RAM: User not authorized to operate on the specified resource, or this API "
    "doesn't support RAM.",
    "403 forbidden: auditor@canary-project.iam.gserviceaccount.com does not have "
    "storage.buckets.getIamPolicy access to the Google Cloud Storage bucket.",
    "SignatureMethod=HMAC-SHA1&SignatureVersion=1.0&Action=ListKeys",
    "x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "Token bucket rate exceeded; SlowDown",
]


@pytest.mark.parametrize("row", SHAPES, ids=lambda r: r.source)
def test_credential_shapes_are_scrubbed(row: Shape):
    for scrubbed in (scrub_shapes(row.text, 10_000), Scrubber().scrub(row.text)):
        for secret in row.gone:
            assert secret not in scrubbed, (secret, scrubbed)
        for text in row.kept:
            assert text in scrubbed, (text, scrubbed)
        assert REDACTED in scrubbed
        assert Scrubber().scrub(scrubbed) == scrubbed  # a second pass changes nothing


@pytest.mark.parametrize("text", KEPT)
def test_messages_without_credentials_are_kept(text: str):
    assert scrub_shapes(text, 10_000) == text
    assert Scrubber(SECRET, "some-other-secret-value").scrub(text) == text


# --- by value: the credentials the adapter resolved, in every form --------------------

VALUE = "Zx9/qW+e3=Rt7yU1iO0pAs4dF6gH8jK2lL5"  # no known shape: only its value can find it


def _inside_base64(prefix: bytes, suffix: bytes) -> str:
    return base64.b64encode(prefix + VALUE.encode() + suffix).decode()


VALUE_FORMS = {
    "raw": f"key {VALUE} was rejected",
    "url-encoded": f"secret={quote(VALUE, safe='')}&x=1",
    "form-encoded": f"s {quote_plus(VALUE)} s",
    "json-escaped": json.dumps({"v": VALUE}),
    "xml-escaped": f"<V>{html.escape(VALUE)}</V>",
    "base64": base64.b64encode(VALUE.encode()).decode(),
    "base64url": base64.urlsafe_b64encode(VALUE.encode()).decode(),
    "base64 after 1 byte": _inside_base64(b":", b""),
    "base64 after 2 bytes (Basic id:secret)": _inside_base64(b"i:", b"!"),
    "base64 after 3 bytes": _inside_base64(b"id:", b"?!"),
    "cut short by an earlier cap": "message ends in " + VALUE[:14] + "...",
}


@pytest.mark.parametrize("form", sorted(VALUE_FORMS))
def test_a_resolved_value_is_scrubbed_in_every_form(form: str):
    text = VALUE_FORMS[form]
    scrubbed = Scrubber(VALUE).scrub(text)
    assert REDACTED in scrubbed
    for piece in {VALUE, quote(VALUE, safe=""), quote_plus(VALUE), VALUE[:12]}:
        assert piece not in scrubbed, scrubbed
    if not form.startswith("cut"):  # an encoding loses all but a few characters at its edges
        assert len(text) - len(scrubbed) >= len(VALUE) - 8, scrubbed
    assert scrub_shapes(text, 10_000) == text  # nothing shape-like: the value alone found it


def test_placeholders_are_not_values_and_multi_line_keys_are_remembered_per_line():
    scrubber = Scrubber("testing", None, b"", "")  # moto's placeholder, nothing, nothing
    assert len(scrubber) == 0 and scrubber.scrub("testing bucket") == "testing bucket"
    pem_line = canary("pem-line", 64)
    scrubber.add(f"-----BEGIN PRIVATE KEY-----\n{pem_line}\n{canary('l2', 64)}\n-----END "
                 "PRIVATE KEY-----\n")
    assert scrubber.scrub(f"line {pem_line[:40]}...") == "line ***..."
    assert pem_line not in scrubber.scrub(f"echo: {pem_line}")
    assert {pem_line, quote(pem_line, safe="")} <= forms(pem_line)


def test_a_cap_cuts_after_scrubbing_and_leaves_one_line():
    scrubber = Scrubber(VALUE)
    text = "x" * 480 + "\n" + VALUE + "\r\n" + "tail " * 50
    line = scrubber.line(text, 500)
    assert "\n" not in line and "\r" not in line and len(line) <= 500
    assert VALUE[:8] not in line and "***" in line


def test_values_added_while_others_scrub():
    scrubber = Scrubber()
    values = [canary(f"v{i}", 24, "alnum") for i in range(40)]
    leaks: list[str] = []

    def add(items: list[str]) -> None:
        for item in items:
            scrubber.add(item)

    def scrub() -> None:
        for item in values[:10]:
            out = scrubber.scrub(f"echo {item}")
            if item in out and item in values[:10] and len(scrubber) >= 10:
                leaks.append(item)

    add(values[:10])
    threads = [threading.Thread(target=add, args=(values[i::3],)) for i in range(3)]
    threads += [threading.Thread(target=scrub) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not leaks and len(scrubber) == 40
    assert all(scrubber.scrub(v) == REDACTED for v in values)


# --- the translation point ---------------------------------------------------------------


def test_attempt_and_the_ledger_scrub_what_they_record():
    ledger = ApiLedger(Scrubber(VALUE))

    def refused() -> None:  # an adapter's own failure, raised outside any RetryingCaller
        raise AccessDenied("s3:GetBucketPolicy", "AccessDenied", f"echo {VALUE}\nAuthorization:"
                           f" AWS4-HMAC-SHA256 Credential={AKID}/x, Signature={SIG64}")

    outcome = attempt(ledger, "bucket-a", "s3:GetBucketPolicy", refused)
    fact = outcome.failure()
    (error,) = ledger.errors
    for text in (str(outcome.error), fact.detail, error.message):
        assert VALUE not in text and AKID not in text and SIG64[:16] not in text
        assert "\n" not in text
    assert fact.state is FactState.DENIED and error.operation == "s3:GetBucketPolicy"
    assert error.code == "AccessDenied" and "***" in error.message


def test_finish_scrubs_every_fact_detail_and_run_error():
    ledger = ApiLedger(Scrubber(VALUE))
    facts = {"a": Fact.error(f"answer quoted {VALUE}", "s3:GetBucketAcl"),
             "b": Fact.observed({"v": VALUE}, "s3:GetBucketTagging"),  # values untouched
             "c": Fact.denied("plain", "s3:GetBucketPolicy")}
    resource = Resource("storage.bucket", "aws", "1", "us-east-1", "b", "b", facts)
    run = ProviderRun("aws")
    ledger.errors.append(RunError("b", "s3:GetBucketAcl", "E", f"token={VALUE} rest"))
    ledger.finish(run, [resource])
    assert resource.facts["a"].detail == "answer quoted ***"
    assert resource.facts["a"].state is FactState.ERROR
    assert resource.facts["b"].value == {"v": VALUE}
    assert resource.facts["c"].detail == "plain"
    assert run.errors[0].message == "token=*** rest" and run.status == "partial"


class _Answering:
    """A 127.0.0.1 endpoint answering every request with one fixed body."""

    def __init__(self, body: bytes, content_type: str) -> None:
        self.server = RecordingServer(lambda _r: Reply(200, body, content_type),
                                      allowed_methods=frozenset({"GET", "POST"}))

    def __enter__(self) -> str:
        self.server.start()
        return self.server.url

    def __exit__(self, *_: object) -> None:
        self.server.stop()


DEEP = b"[" * 100_000 + b"]" * 100_000
# What botocore raises inside the call on an odd 200 answer (each observed through the real
# client): none may escape the call, each is that call's MalformedAnswer.
ODD_ANSWERS = [
    ("kms", b'{"KeyMetadata": {"KeyId": "k", "CreationDate": "SECRET"}}', "ValueError"),
    ("kms", b'{"KeyMetadata": [1]}', "AttributeError"),
    ("kms", b'{"KeyMetadata": {"KeyId": "k", "CreationDate": 99999999999999999}}',
     "RuntimeError"),
    ("kms", b"\xff\xfe{}", "UnicodeDecodeError"),
    ("kms", DEEP, "RecursionError"),
    ("s3", b'<?xml version="1.0" encoding="UTF-8"?><ListAllMyBucketsResult xmlns="http://s3.'
     b'amazonaws.com/doc/2006-03-01/"><Buckets><Bucket><Name>b</Name><CreationDate>SECRET'
     b"</CreationDate></Bucket></Buckets></ListAllMyBucketsResult>", "ValueError"),
]


@pytest.mark.parametrize("service,body,code", ODD_ANSWERS,
                         ids=[f"{s}-{c}" for s, _, c in ODD_ANSWERS])
def test_an_sdk_choking_on_an_answer_is_that_calls_malformed_answer(service, body, code):
    from auditor.providers.aws._errors import Caller

    body = body.replace(b"SECRET", VALUE.encode())
    content_type = "application/x-amz-json-1.1" if service == "kms" else "application/xml"
    ledger = ApiLedger(Scrubber(VALUE))
    caller = Caller(ledger, RetryPolicy(max_attempts=3, base_delay=0.01))
    with _Answering(body, content_type) as url:
        client = boto3.client(service, endpoint_url=url, region_name="us-east-1",
                              aws_access_key_id="AKIDEXAMPLE0001",
                              aws_secret_access_key="x" * 40)
        method, operation = (("describe_key", "kms:DescribeKey") if service == "kms"
                             else ("list_buckets", "s3:ListBuckets"))
        kwargs = {"KeyId": "k"} if service == "kms" else {}
        outcome = caller.call(client, method, operation, "scope", **kwargs)
    error = outcome.error
    assert isinstance(error, MalformedAnswer) and error.code == code
    assert error.operation == operation and "\n" not in error.message
    assert VALUE not in str(error)  # the odd value may be a secret echoed back: scrubbed
    assert ledger.calls[operation] == 1  # an odd answer is not retried
    assert outcome.failure().state is FactState.ERROR  # never denied, never a value
    assert [(e.operation, e.code) for e in ledger.errors] == [(operation, code)]


def test_a_refused_token_refresh_is_a_scrubbed_credentials_error(tmp_path):
    """google-auth puts the token endpoint's answer into RefreshError; the GCP translate turns
    it into a provider-level CredentialsError, which the RetryingCaller scrubs by value."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from google.auth.transport.requests import Request
    from google.oauth2 import service_account

    from auditor.providers.gcp._errors import Caller
    from auditor.providers.gcp._session import _secrets

    pem = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()).decode()
    key_id = canary("refresh-key-id", 40, "alnum")

    def token_endpoint(request) -> Reply:  # OAuth 2.0 error answer, echoing the request
        return Reply(400, json.dumps({"error": "invalid_grant", "error_description": (
            f"key {key_id} refused; request was {request.body.decode()}")}).encode())

    server = RecordingServer(token_endpoint, allowed_methods=frozenset({"POST"}))
    server.start()
    try:
        info = {"type": "service_account", "project_id": "p", "private_key_id": key_id,
                "private_key": pem, "client_email": "auditor@p.iam.gserviceaccount.com",
                "client_id": "1", "token_uri": f"{server.url}/token"}
        creds = service_account.Credentials.from_service_account_info(info)
        ledger = ApiLedger(Scrubber(*_secrets(info)))
        with pytest.raises(CredentialsError) as raised:
            Caller(ledger, RetryPolicy(max_attempts=1))("storage:buckets.list",
                                                        lambda: creds.refresh(Request()))
    finally:
        server.stop()
    reason = raised.value.reason
    assert "refused" in reason and "\n" not in reason and "***" in reason
    assert key_id not in str(raised.value) and "eyJ" not in str(raised.value)


def test_gcp_tokens_in_use_are_remembered_after_each_answer():
    """A non-emulated session refreshes its own token: the hook tells the Scrubber the token
    sent, before the client can turn an error answer into a message."""
    from google.auth.transport.requests import AuthorizedSession
    from google.oauth2.credentials import Credentials

    from auditor.providers.gcp._session import _remember_tokens

    token = canary("gcp-access-token", 48, "alnum")  # not ya29-shaped: by value only
    scrubber = Scrubber()
    server = RecordingServer(lambda _r: Reply(403, b'{"error": {"code": 403}}'))
    server.start()
    try:
        session = AuthorizedSession(Credentials(token=token))
        _remember_tokens(session, scrubber)
        session.get(f"{server.url}/storage/v1/b")
        (request,) = server.requests()
    finally:
        server.stop()
    assert request.headers["authorization"] == f"Bearer {token}"
    assert scrubber.scrub(f"echo {token}") == "echo ***"


def test_every_call_error_class_keeps_its_class_when_scrubbed():
    from auditor import errors

    classes = [c for c in vars(errors).values()
               if isinstance(c, type) and issubclass(c, CallError)]
    scrubber = Scrubber(VALUE)
    for cls in classes:
        error = scrubber.call_error(cls("op:Read", f"C{VALUE}", f"m {VALUE}\nx"))
        assert type(error) is cls and error.operation == "op:Read"
        assert VALUE not in str(error) and error.message == "m *** x" and error.code == "C***"
