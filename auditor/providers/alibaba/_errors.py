"""The one translation point from Alibaba SDK errors to the auditor tree, with retries.

OSS answers ``<Error><Code>..</Code>`` XML (alibabacloud_oss_v2 ``ServiceError``); KMS and
ECS answer JSON ``{"Code": ..}`` (a ``TeaException``). Both become AccessDenied,
NotConfigured, NotFound, Throttled or ServiceError. Throttling, 5xx and network
failures are retried with backoff here (the SDK retryers are switched off so that one
place decides), then the call is an ``error``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from alibabacloud_oss_v2 import exceptions as oss_exc
from Tea.exceptions import TeaException, UnretryableException

from auditor.errors import (
    AccessDenied,
    CallError,
    MalformedAnswer,
    NotConfigured,
    NotFound,
    ServiceError,
    Throttled,
)
from auditor.provider_data import load_not_configured
from auditor.providers._runtime import ApiLedger, RetryingCaller, RetryPolicy
from auditor.providers._runtime.scrub import scrub_shapes

T = TypeVar("T")

# Documented "nothing configured" answers, per operation: observed values, not failures.
# Any other NoSuch* code is an error: an undocumented absence is never read as "off". The
# table is data (not_configured.yaml, each answer with its API reference page); an operation
# may document "not configured" as an HTTP status without naming a code
# (GetBucketObjectWormConfiguration: 404), while a 404 naming a missing bucket stays NotFound.
_NOT_CONFIGURED = load_not_configured(Path(__file__).resolve().parent / "not_configured.yaml")
NOT_CONFIGURED_CODES: dict[str, frozenset[str]] = dict(_NOT_CONFIGURED.codes)
NOT_CONFIGURED_STATUS: dict[str, frozenset[int]] = dict(_NOT_CONFIGURED.statuses)
# "NoSuch..." codes that name a missing resource rather than a missing setting.
NOT_FOUND_CODES = frozenset({
    "NoSuchBucket", "NoSuchKey", "NoSuchUpload",
    "Forbidden.KeyNotFound", "Forbidden.AliasNotFound", "Forbidden.ResourceNotFound",
    "EntityNotExist.Key", "EntityNotExist.Alias",
})
THROTTLING_CODES = frozenset({
    "SlowDown", "TooManyRequests", "Throttling", "Throttling.User", "Throttling.Api",
    "QpsLimitExceeded",
})
DENIED_CODES = frozenset({
    "AccessDenied", "Forbidden", "Forbidden.RAM", "Forbidden.NoPermission", "NoPermission",
    "InvalidAccessKeyId", "InvalidAccessKeyId.NotFound", "SignatureDoesNotMatch",
    "InvalidAccessKeyId.Inactive", "SecurityTokenExpired",
})
# ECS answers these with HTTP 403, but they say the region cannot answer, not that we may
# not look: an error, never "denied".
REGION_CODES = frozenset({"InvalidParameter.RegionIdNotExists",
                          "Abs.InvalidAction.RegionNotSupport"})
# Codes that mean the credentials themselves are bad (a provider-level failure).
CREDENTIAL_CODES = frozenset({
    "InvalidAccessKeyId", "InvalidAccessKeyId.NotFound", "InvalidAccessKeyId.Inactive",
    "SignatureDoesNotMatch", "SecurityTokenExpired", "InvalidSecurityToken",
})

# The models of both SDKs raise these on an odd value (int("x"), None.get): an answer the
# SDK could not read, so an error fact for that call, never a crashed scan.
ODD_VALUE_ERRORS: tuple[type[BaseException], ...] = (ValueError, TypeError, AttributeError)
SDK_ERRORS: tuple[type[BaseException], ...] = (oss_exc.BaseError, TeaException,
                                               *ODD_VALUE_ERRORS)

Scrub = Callable[[str], str]


def _classify(operation: str, code: str, status: int, message: str) -> tuple[CallError, bool]:
    """(translated error, retryable)."""
    if code in NOT_CONFIGURED_CODES.get(operation, frozenset()):
        return NotConfigured(operation, code, message), False
    if code in NOT_FOUND_CODES:
        return NotFound(operation, code, message), False
    if status and status in NOT_CONFIGURED_STATUS.get(operation, frozenset()):
        return NotConfigured(operation, code or f"HTTP{status}", message), False
    if code.startswith("NoSuch"):
        # Not a documented "not configured" answer of this operation: unknown, not "off".
        return ServiceError(operation, code, message), False
    if code in REGION_CODES:
        return ServiceError(operation, code, message), False
    if code in THROTTLING_CODES or code.startswith("Throttling") or status == 429:
        return Throttled(operation, code, message), True
    if code in DENIED_CODES or code.startswith("Forbidden") or status == 403:
        return AccessDenied(operation, code or "AccessDenied", message), False
    if status == 404:
        return NotFound(operation, code or "NotFound", message), False
    if status >= 500:
        return ServiceError(operation, code or f"HTTP{status}", message), True
    return ServiceError(operation, code or f"HTTP{status}", message), False


def translate(operation: str, exc: BaseException, scrub: Scrub = str) -> tuple[CallError, bool]:
    """Map one SDK exception onto the tree; the flag says whether a retry may help."""
    inner: BaseException = exc
    while isinstance(inner, oss_exc.OperationError) and inner.unwrap() is not None:
        inner = inner.unwrap()
    if isinstance(inner, oss_exc.ServiceError):
        return _classify(operation, str(inner.code or ""), int(inner.status_code or 0),
                         scrub(str(inner.message or "")))
    if isinstance(inner, (oss_exc.RequestError, oss_exc.ResponseError)):
        return ServiceError(operation, "NetworkError", scrub(_short(inner))), True
    if isinstance(inner, (oss_exc.DeserializationError, *ODD_VALUE_ERRORS)):
        return MalformedAnswer(operation, "UnparsableResponse",
                               f"{type(inner).__name__}: {scrub(_short(inner))}"), False
    if isinstance(inner, UnretryableException):
        return ServiceError(operation, "NetworkError", scrub(_short(inner))), True
    if isinstance(inner, TeaException):
        data = inner.data if isinstance(getattr(inner, "data", None), dict) else {}
        status = int(getattr(inner, "status_code", None) or data.get("statusCode") or 0)
        code = str(inner.code or data.get("Code") or "")
        message = str(data.get("Message") or inner.message or "")
        return _classify(operation, code, status, scrub(message))
    return ServiceError(operation, type(inner).__name__, scrub(_short(inner))), False


def _short(exc: BaseException, limit: int = 300) -> str:
    """One line, credential shapes out before it is cut (the run's values follow)."""
    return scrub_shapes(exc, limit)


class Caller(RetryingCaller):
    """The shared retrying caller with OSS/KMS error translation and credential scrubbing."""

    def __init__(self, ledger: ApiLedger, retry: RetryPolicy, scrub: Scrub = str) -> None:
        super().__init__(ledger, retry, lambda op, exc: translate(op, exc, scrub), SDK_ERRORS)
