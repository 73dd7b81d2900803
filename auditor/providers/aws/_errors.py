"""The one translation point from botocore exceptions to the auditor error tree."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionError,
    EndpointConnectionError,
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
from auditor.providers._runtime import ApiLedger

PROVIDER = "aws"

DENIED_CODES = frozenset({
    "AccessDenied", "AccessDeniedException", "AllAccessDisabled", "UnauthorizedOperation",
    "AuthorizationError", "Forbidden",
})

# "This setting is absent" answers: observed values, not failures.
NOT_CONFIGURED_CODES = frozenset({
    "NoSuchBucketPolicy",
    "ServerSideEncryptionConfigurationNotFoundError",
    "NoSuchPublicAccessBlockConfiguration",
    "ObjectLockConfigurationNotFoundError",
    "ReplicationConfigurationNotFoundError",
    "OwnershipControlsNotFoundError",
    "NoSuchLifecycleConfiguration",
    "NoSuchTagSet",
    # KMS answers this to GetKeyRotationStatus for keys that cannot rotate automatically.
    "UnsupportedOperationException",
})

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

_ACCESS_KEY = re.compile(r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA)[A-Z0-9]{12,}\b")


def scrub(message: str) -> str:
    """Drop anything shaped like an access key id from a provider message."""
    return _ACCESS_KEY.sub("<redacted>", " ".join(str(message).split()))[:500]


def translate(exc: Exception, operation: str) -> CallError:
    """A botocore failure of one call as a CallError (not raised)."""
    if isinstance(exc, ClientError):
        error: dict[str, Any] = exc.response.get("Error", {}) or {}
        code = str(error.get("Code") or "")
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
        message = scrub(error.get("Message") or "")
        if not code:
            code = f"HTTP{status}" if status else "UnknownError"
        if code in NOT_CONFIGURED_CODES:
            return NotConfigured(operation, code, message)
        if code in DENIED_CODES or status == 403:
            return AccessDenied(operation, code, message)
        if code in NOT_FOUND_CODES:
            return NotFound(operation, code, message)
        if code in THROTTLE_CODES or status == 429:
            return Throttled(operation, code, message + " (after retries)")
        if status >= 500:
            return ServiceError(operation, code, message + " (after retries)")
        return ServiceError(operation, code, message)
    if isinstance(exc, ResponseParserError):
        # e.g. an HTML error page instead of an API answer, after retries
        first = str(exc).split("\n")[0].split(" Further retries")[0]
        return ServiceError(operation, "UnparsableResponse", scrub(first))
    if isinstance(exc, BotoCoreError):
        return ServiceError(operation, type(exc).__name__, scrub(str(exc)))
    raise TypeError(f"not a botocore error: {type(exc).__name__}")


def provider_failure(exc: Exception, what: str) -> CredentialsError | EndpointError | None:
    """The whole-provider failure this exception stands for, if it is one."""
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


@dataclass(frozen=True, slots=True)
class Answer:
    """The outcome of one call: an answer, an observed "not configured", or a failure."""

    operation: str
    data: dict[str, Any] | None = None
    error: CallError | None = None
    code: str | None = None  # the "not configured" code, when the setting is absent

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def absent(self) -> bool:
        """The API said the setting is not configured."""
        return self.error is None and self.data is None


class Caller:
    """Makes one SDK call: counts it, translates its failure, records it in the ledger."""

    def __init__(self, ledger: ApiLedger) -> None:
        self.ledger = ledger

    def call(self, client: Any, method: str, operation: str, scope: str,
             **kwargs: Any) -> Answer:
        self.ledger.count(operation)
        try:
            data = getattr(client, method)(**kwargs)
        except (ClientError, BotoCoreError, ResponseParserError) as exc:
            # Past the identity call, even a dropped connection is one failed call.
            error = translate(exc, operation)
            if isinstance(error, NotConfigured):
                return Answer(operation, code=error.code)
            self.ledger.failed(scope, error)
            return Answer(operation, error=error)
        data.pop("ResponseMetadata", None)
        return Answer(operation, data)
