"""The one translation point from botocore exceptions to the auditor error tree."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionError,
    EndpointConnectionError,
    HTTPClientError,
    NoCredentialsError,
    PartialCredentialsError,
)
from botocore.parsers import ResponseParserError

from auditor.errors import (
    AccessDenied,
    CallError,
    CredentialsError,
    EndpointError,
    NotConfigured,
    NotFound,
    ServiceError,
    Throttled,
)
from auditor.provider_data import load_not_configured
from auditor.providers._runtime import ApiLedger, Outcome, RetryingCaller, RetryPolicy, attempt
from auditor.providers._runtime.scrub import scrub_shapes
from auditor.providers._runtime.shapes import odd_items
from auditor.providers.aws._answers import checked
from auditor.providers.aws._name import PROVIDER

SDK_ERRORS: tuple[type[BaseException], ...] = (ClientError, BotoCoreError, ResponseParserError)

DENIED_CODES = frozenset({
    "AccessDenied", "AccessDeniedException", "AllAccessDisabled", "UnauthorizedOperation",
    "AuthorizationError", "Forbidden",
})

# "This setting is absent" answers, per operation: observed values, not failures. A code is
# only "absent" on the operation that documents it; on any other call it is a failure. The
# table is data (not_configured.yaml, each code with its API reference page).
NOT_CONFIGURED: dict[str, frozenset[str]] = dict(
    load_not_configured(Path(__file__).resolve().parent / "not_configured.yaml").codes)

NOT_FOUND_CODES = frozenset({"NoSuchBucket", "NotFoundException", "NoSuchKey", "NotFound"})

THROTTLE_CODES = frozenset({
    "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottled",
    "RequestThrottledException", "TooManyRequestsException", "SlowDown",
    "RequestLimitExceeded", "ProvisionedThroughputExceededException", "BandwidthLimitExceeded",
    "EC2ThrottledException", "PriorRequestNotComplete",
})

# Codes that mean the credentials themselves are unusable (provider-level failure).
CREDENTIAL_CODES = frozenset({
    "InvalidClientTokenId", "InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken",
    "ExpiredTokenException", "UnrecognizedClientException", "InvalidToken", "AuthFailure",
})

Scrub = Callable[[str], str]
# The shared shapes (key ids, tokens, signatures, ...), one line: where no run's Scrubber is
# at hand. A translated failure also passes the run's Scrubber in the RetryingCaller, which
# knows the credential values in use.
scrub: Scrub = scrub_shapes


def translate(exc: Exception, operation: str) -> CallError:
    """A botocore failure of one call as a CallError (not raised)."""
    if isinstance(exc, ClientError):
        error: dict[str, Any] = exc.response.get("Error", {}) or {}
        code = str(error.get("Code") or "")
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
        message = scrub(error.get("Message") or "")
        if not code:
            code = f"HTTP{status}" if status else "UnknownError"
        if code in NOT_CONFIGURED.get(operation, ()):
            return NotConfigured(operation, code, message)
        if code in DENIED_CODES or status == 403:
            return AccessDenied(operation, code, message)
        if code in NOT_FOUND_CODES:
            return NotFound(operation, code, message)
        if code in THROTTLE_CODES or status == 429:
            return Throttled(operation, code, message)
        if status >= 500:
            return ServiceError(operation, code, message)
        return ServiceError(operation, code, message)
    if isinstance(exc, ResponseParserError):
        # e.g. an HTML error page instead of an API answer
        first = str(exc).split("\n")[0].split(" Further retries")[0]
        return ServiceError(operation, "UnparsableResponse", scrub(first))
    if isinstance(exc, BotoCoreError):
        return ServiceError(operation, type(exc).__name__, scrub(str(exc)))
    raise TypeError(f"not a botocore error: {type(exc).__name__}")


def classify(operation: str, exc: BaseException) -> tuple[CallError, bool]:
    """(translated error, retryable) for the shared RetryingCaller: throttling, 5xx and a
    dropped or timed-out connection may pass on a later attempt."""
    if not isinstance(exc, Exception):
        raise TypeError(f"not a botocore error: {type(exc).__name__}")
    error = translate(exc, operation)
    if isinstance(exc, ConnectionError | HTTPClientError):
        return error, True
    if isinstance(exc, ClientError):
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
        return error, isinstance(error, Throttled) or (
            isinstance(error, ServiceError) and status >= 500)
    return error, False


def provider_failure(exc: Exception, what: str,
                     scrub: Scrub = scrub) -> CredentialsError | EndpointError | None:
    """The whole-provider failure this exception stands for, if it is one; ``scrub``: the
    run's Scrubber (the credentials in use), else the shapes alone."""
    if isinstance(exc, NoCredentialsError | PartialCredentialsError):
        return CredentialsError(PROVIDER, f"{what}: no usable credentials ({type(exc).__name__})")
    if isinstance(exc, EndpointConnectionError | ConnectionError):
        return EndpointError(PROVIDER, f"{what}: endpoint unreachable ({scrub(str(exc))})")
    if isinstance(exc, ClientError):
        code = str(exc.response.get("Error", {}).get("Code") or "")
        if code in CREDENTIAL_CODES or code in DENIED_CODES:
            message = scrub(exc.response.get("Error", {}).get("Message") or "")
            return CredentialsError(PROVIDER, f"{what}: {code}: {message}".rstrip(": "))
    return None


# The shared outcome type under the name the AWS modules (and their tests) use.


class Caller:
    """Makes one SDK call through the shared retry policy (botocore's retries are off, see
    _session), translates its failure and records it in the ledger."""

    def __init__(self, ledger: ApiLedger, policy: RetryPolicy | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.ledger = ledger
        self.retrying = RetryingCaller(ledger, policy or RetryPolicy(), classify, SDK_ERRORS,
                                       sleep)

    def call(self, client: Any, method: str, operation: str, scope: str, *,
             listing: bool = False, **kwargs: Any) -> Outcome:
        """One call; ``listing`` marks a call that lists resources, whose failure leaves them
        out of the inventory (recorded as a coverage gap)."""
        def once() -> dict[str, Any]:
            data = getattr(client, method)(**kwargs)
            data.pop("ResponseMetadata", None)
            return checked(operation, data)  # its documented shape, or MalformedAnswer

        # Past the identity call, even a dropped connection is one failed call.
        outcome = attempt(self.ledger, scope, operation, lambda: self.retrying(operation, once),
                          listing=listing)
        for odd in odd_items(outcome.value) if outcome.ok else ():
            # An odd listing item: its consumer reports it as a resource whose facts from it
            # are error when it names itself, else it is missing (a coverage gap).
            if odd.named:
                self.ledger.failed(scope, odd.error)
            else:
                self.ledger.listing_failed(scope, odd.error)
        return outcome
