"""The shared adapter runtime: one outcome type, one Fact conversion, one retry policy for the
three SDKs (driven through the real clients against a local failing stand-in), one progress
counter."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from auditor.errors import AccessDenied, CallError, NotConfigured, ServiceError, Throttled
from auditor.model import Fact, FactState, ResourceKind
from auditor.providers._runtime import (
    ApiLedger,
    Outcome,
    OutcomeState,
    Progress,
    RetryingCaller,
    RetryPolicy,
    UnreadValueError,
    attempt,
)
from auditor.sandbox.base import RecordedRequest, RecordingServer, Reply

FAST = RetryPolicy(max_attempts=3, base_delay=0.001, max_delay=0.002)

# --- the outcome type -----------------------------------------------------------------


def test_outcome_states() -> None:
    value = Outcome("s3:GetBucketVersioning", {"Status": "Enabled"})
    absent = Outcome.not_configured("s3:GetBucketPolicy", "NoSuchBucketPolicy")
    failed = Outcome.failed(AccessDenied("s3:GetBucketAcl", "AccessDenied", "no"))
    unread = Outcome.not_read("s3:GetBucketAcl", "ACLs are disabled")
    assert [o.state for o in (value, absent, failed, unread)] == [
        OutcomeState.VALUE, OutcomeState.VALUE, OutcomeState.FAILED, OutcomeState.NOT_READ]
    assert [o.ok for o in (value, absent, failed, unread)] == [True, True, False, False]
    assert absent.absent and absent.code == "NoSuchBucketPolicy" and not value.absent
    assert failed.source == "s3:GetBucketAcl" and failed.value is None
    with pytest.raises(UnreadValueError):
        _ = unread.value


@pytest.mark.parametrize("build", [
    lambda: Outcome("op", 1, error=ServiceError("op", "X")),
    lambda: Outcome("op", error=ServiceError("op", "X"), unread="why"),
    lambda: Outcome("op", 1, unread="why"),
    lambda: Outcome("op", 1, code="NoSuch"),
    lambda: Outcome("op", code="NoSuch", unread="why"),
], ids=["value+error", "error+unread", "value+unread", "value+code", "code+unread"])
def test_outcome_refuses_mixed_states(build: Callable[[], Outcome]) -> None:
    with pytest.raises(ValueError):
        build()


def test_outcome_is_immutable() -> None:
    unread = Outcome.not_read("op", "not wanted")
    with pytest.raises(AttributeError):
        unread.unread = None  # type: ignore[misc]
    with pytest.raises(AttributeError):
        unread._value = True  # type: ignore[misc]


# --- the one Fact conversion ----------------------------------------------------------


def _observe(seen: list[Any]) -> Callable[[Any], Fact]:
    def observe(value: Any) -> Fact:
        seen.append(value)
        return Fact.observed(value, "op")
    return observe


def test_not_read_never_becomes_observed() -> None:
    seen: list[Any] = []
    fact = Outcome.not_read("kms:GetKeyPolicy", "key exposure not wanted").fact(_observe(seen))
    assert fact.state is FactState.ERROR and seen == []
    assert fact.source == ("kms:GetKeyPolicy",) and "not read" in (fact.detail or "")


@pytest.mark.parametrize(("outcome", "state"), [
    (Outcome("op", False), FactState.OBSERVED),
    (Outcome.not_configured("op", "NoSuchX"), FactState.OBSERVED),  # observed absence
    (Outcome.failed(AccessDenied("op", "AccessDenied")), FactState.DENIED),
    (Outcome.failed(ServiceError("op", "InternalError")), FactState.ERROR),
    (Outcome.failed(Throttled("op", "SlowDown")), FactState.ERROR),
    (Outcome.not_read("op", "skipped"), FactState.ERROR),
], ids=["value", "not-configured", "denied", "error", "throttled", "not-read"])
def test_fact_conversion(outcome: Outcome, state: FactState) -> None:
    seen: list[Any] = []
    fact = outcome.fact(_observe(seen))
    assert fact.state is state
    assert seen == ([outcome.value] if outcome.ok else [])  # observe runs on answers only
    if not outcome.ok:
        assert outcome.failure().state is state
    else:
        with pytest.raises(ValueError):
            outcome.failure()


def test_attempt_records_each_failure_once() -> None:
    ledger = ApiLedger()

    def fail(exc: CallError) -> Callable[[], Any]:
        def run() -> Any:
            raise exc
        return run

    got = attempt(ledger, "b", "s3:GetBucketAcl", fail(AccessDenied("s3:GetBucketAcl", "AD")))
    gap = attempt(ledger, "s3", "s3:ListBuckets", fail(ServiceError("s3:ListBuckets", "E")),
                  listing=True)
    absent = attempt(ledger, "b", "s3:GetBucketPolicy",
                     fail(NotConfigured("s3:GetBucketPolicy", "NoSuchBucketPolicy")))
    answered = attempt(ledger, "b", "s3:GetBucketVersioning", lambda: {"Status": "Enabled"})
    assert got.state is OutcomeState.FAILED and gap.state is OutcomeState.FAILED
    assert absent.absent and absent.code == "NoSuchBucketPolicy"  # not a failure
    assert answered.value == {"Status": "Enabled"}
    assert [(e.scope, e.code, e.kind) for e in ledger.errors] == [
        ("b", "AD", "call"), ("s3", "E", "listing")]


# --- one retry policy, through each SDK's real client ---------------------------------


@dataclass
class Row:
    """One error answer of a provider and the verdict the shared policy must reach."""

    status: int
    code: str
    retried: bool
    doc: str  # where the provider documents the answer (and that it is worth a retry)


class FailingStandIn:
    """A 127.0.0.1 server answering every request with one error, counting the requests."""

    def __init__(self, reply: Reply) -> None:
        self.server = RecordingServer(lambda _r: Reply(reply.status, reply.body,
                                                       reply.content_type, dict(reply.headers)),
                                      allowed_methods=frozenset({"GET", "POST"}))

    def __enter__(self) -> FailingStandIn:
        self.server.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.server.stop()

    def requests(self) -> list[RecordedRequest]:
        return self.server.requests()


def _expect(row: Row, outcome: Outcome, ledger: ApiLedger, operation: str,
            requests: list[RecordedRequest]) -> None:
    attempts = FAST.max_attempts if row.retried else 1
    assert len(requests) == attempts  # the SDK itself made no extra request
    assert ledger.calls[operation] == attempts
    assert outcome.state is OutcomeState.FAILED and outcome.error is not None
    assert outcome.error.code.endswith(row.code) or row.code in outcome.error.code
    if row.retried:
        assert isinstance(outcome.error, ServiceError)
        assert f"gave up after {attempts} attempts" in outcome.error.message
    else:
        assert isinstance(outcome.error, AccessDenied)


AWS_ROWS = [
    Row(503, "SlowDown", True, "https://docs.aws.amazon.com/AmazonS3/latest/userguide/"
        "ErrorBestPractices.html (reduce the request rate; retry)"),
    Row(500, "InternalError", True, "https://docs.aws.amazon.com/AmazonS3/latest/userguide/"
        "ErrorBestPractices.html (Retry InternalErrors)"),
    Row(403, "AccessDenied", False, "https://docs.aws.amazon.com/AmazonS3/latest/API/"
        "ErrorResponses.html (AccessDenied, 403)"),
]


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> Iterator[None]:
    for name in ("AWS_PROFILE", "AWS_MAX_ATTEMPTS", "AWS_RETRY_MODE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "5")  # must not bring botocore's retries back
    yield


@pytest.mark.parametrize("row", AWS_ROWS, ids=lambda r: r.code)
def test_aws_retry_policy_through_botocore(row: Row, aws_env: None,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from auditor.providers.aws._errors import Caller
    from auditor.providers.aws._session import AwsSession

    body = f"<Error><Code>{row.code}</Code><Message>m</Message></Error>".encode()
    with FailingStandIn(Reply(row.status, body, "application/xml")) as stand_in:
        monkeypatch.setenv("AWS_ENDPOINT_URL", stand_in.server.url)
        ledger = ApiLedger()
        outcome = Caller(ledger, FAST).call(AwsSession().client("s3"), "get_bucket_encryption",
                                            "s3:GetBucketEncryption", "b", Bucket="b")
        requests = stand_in.requests()
    _expect(row, outcome, ledger, "s3:GetBucketEncryption", requests)
    # botocore's own attempt counter never passes 1: each request is one attempt of ours.
    assert {r.headers["amz-sdk-request"].split(";")[0] for r in requests} == {"attempt=1"}


GCP_ROWS = [
    Row(503, "backendError", True, "https://cloud.google.com/storage/docs/retry-strategy "
        "(HTTP 408, 429 and 5xx are transient)"),
    Row(429, "rateLimitExceeded", True, "https://cloud.google.com/storage/docs/retry-strategy "
        "(HTTP 408, 429 and 5xx are transient)"),
    Row(408, "requestTimeout", True, "https://cloud.google.com/storage/docs/retry-strategy "
        "(HTTP 408, 429 and 5xx are transient)"),
    Row(403, "forbidden", False, "https://cloud.google.com/storage/docs/json_api/v1/"
        "status-codes (403 Forbidden)"),
]


@pytest.mark.parametrize("row", GCP_ROWS, ids=lambda r: r.code)
def test_gcp_retry_policy_through_google_cloud_storage(row: Row) -> None:
    import json

    from auditor.providers.gcp._errors import Caller
    from auditor.providers.gcp._session import open_session
    from auditor.providers.gcp._storage import OP_IAM, iam_public_members

    body = json.dumps({"error": {"code": row.status, "message": "m",
                                 "errors": [{"reason": row.code, "message": "m"}]}}).encode()
    with FailingStandIn(Reply(row.status, body)) as stand_in:
        # The adapter's own session: an endpoint override goes anonymous.
        session = open_session({"gcs_endpoint": stand_in.server.url, "project": "p"}, 1)
        ledger = ApiLedger()
        call = Caller(ledger, FAST, sleep=lambda _s: None)
        try:
            outcome = attempt(ledger, "b", OP_IAM, lambda: iam_public_members(
                call, session.storage, "b", timeout=5.0))
        finally:
            session.close()
        requests = stand_in.requests()
    _expect(row, outcome, ledger, OP_IAM, requests)


ALIBABA_ROWS = [
    Row(503, "ServiceUnavailable", True, "https://help.aliyun.com/zh/oss/support/"
        "http-status-code-503 (OSS busy: retry later)"),
    Row(503, "MetaOperationQpsLimitExceeded", True, "https://help.aliyun.com/zh/oss/support/"
        "http-status-code-503 (QPS limit of bucket operations: retry after a few seconds)"),
    Row(403, "AccessDenied", False, "OSS API reference, GetBucketAcl: AccessDenied, 403"),
]


@pytest.mark.parametrize("row", ALIBABA_ROWS, ids=lambda r: r.code)
def test_alibaba_retry_policy_through_oss_v2(row: Row) -> None:
    from alibabacloud_credentials.provider import StaticAKCredentialsProvider

    from auditor.providers.alibaba._errors import Caller
    from auditor.providers.alibaba._oss import bucket_acl
    from auditor.providers.alibaba._session import Session

    body = (f"<?xml version='1.0' encoding='UTF-8'?><Error><Code>{row.code}</Code>"
            "<Message>m</Message><RequestId>r</RequestId></Error>").encode()
    with FailingStandIn(Reply(row.status, body, "application/xml")) as stand_in:
        session = Session(stand_in.server.url, None, 1, provider=StaticAKCredentialsProvider(
            access_key_id="LTAI" + "x" * 20, access_key_secret="secret"))
        ledger = ApiLedger()
        call = Caller(ledger, FAST, session.scrub)
        outcome = attempt(ledger, "b", "oss:GetBucketAcl",
                          lambda: bucket_acl(session.oss("cn-hangzhou"), call, "audit-bucket"))
        requests = stand_in.requests()
    _expect(row, outcome, ledger, "oss:GetBucketAcl", requests)


# --- one progress counter, one name, one kind vocabulary -------------------------------


def test_progress_counts_every_tick_once_in_order() -> None:
    events: list[tuple[str, int, int | None]] = []
    progress = Progress(lambda *e: events.append(e), "aws", 200)
    progress.start()
    threads = [threading.Thread(target=lambda: [progress.tick() for _ in range(25)])
               for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert events == [("aws", done, 200) for done in range(201)]


@pytest.mark.parametrize("package", ["aws", "gcp", "alibaba"])
def test_adapter_name_is_defined_once(package: str) -> None:
    import importlib

    adapter_package = importlib.import_module(f"auditor.providers.{package}")
    name = importlib.import_module(f"auditor.providers.{package}._name").PROVIDER
    adapters = [v for v in vars(adapter_package).values() if isinstance(v, type)
                and getattr(v, "name", None) is not None and hasattr(v, "collect")]
    assert [a.name for a in adapters] == [name] == [package]


def test_resource_kinds_are_the_model_vocabulary() -> None:
    from auditor.providers.alibaba import _resources as alibaba_resources
    from auditor.providers.aws import _collect as aws_collect
    from auditor.providers.gcp import _collect as gcp_collect

    for module in (aws_collect, gcp_collect, alibaba_resources):
        assert (module.BUCKET, module.KEY, module.ACCOUNT) == (
            ResourceKind.BUCKET, ResourceKind.KEY, ResourceKind.ACCOUNT)
        assert all(isinstance(k, ResourceKind) for k in (module.BUCKET, module.KEY,
                                                           module.ACCOUNT))


class _Sdk(Exception):
    """Stands for an SDK's own exception type (the caller is SDK-agnostic)."""


def _translate_codes(operation: str, exc: BaseException) -> tuple[CallError, bool]:
    return Throttled(operation, str(exc)), True


def test_a_cancelled_run_sends_no_further_attempt_and_wakes_from_backoff() -> None:
    """Ctrl-C: the backoff pause wakes at once and no retry is sent after the cancel."""
    import time

    from auditor.cancellation import Cancelled, cancel_scope

    sent: list[float] = []
    event = threading.Event()

    def throttled() -> Any:
        sent.append(time.monotonic())
        threading.Timer(0.1, event.set).start()  # cancelled while the caller backs off
        raise _Sdk("Throttling")

    slow = RetryPolicy(max_attempts=4, base_delay=30.0, max_delay=30.0)
    caller = RetryingCaller(ApiLedger(), slow, _translate_codes, (_Sdk,))
    started = time.monotonic()
    with cancel_scope(event), pytest.raises(Cancelled):
        caller("svc:Read", throttled)
    assert len(sent) == 1  # the retry was never sent
    assert time.monotonic() - started < 5.0  # not the 15-30 s backoff
    with cancel_scope(event), pytest.raises(Cancelled):
        caller("svc:Read", throttled)
    assert len(sent) == 1  # already cancelled: not even a first attempt
