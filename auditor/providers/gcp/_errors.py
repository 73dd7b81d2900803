"""The one translation point from Google client errors to the auditor tree, with retries.

Both clients raise ``google.api_core.exceptions.GoogleAPICallError`` built from the JSON
error body (``{"error": {"code", "message", "errors": [{"reason"}], "details": [ErrorInfo]}}``).
403 becomes AccessDenied (a disabled API keeps the reason SERVICE_DISABLED), 404 NotFound,
429 Throttled and 5xx / network failures ServiceError. The SDK retry objects are switched
off at every call site (``retry=None``) so that this module alone decides: throttling, 5xx
and network failures are retried with backoff, then the call is an ``error``.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import TypeVar

import requests
from google.api_core import exceptions as gexc
from google.auth import exceptions as auth_exc
from google.protobuf import json_format

from auditor.errors import (
    AccessDenied,
    CallError,
    CredentialsError,
    MalformedAnswer,
    NotFound,
    ServiceError,
    Throttled,
)
from auditor.providers._runtime import ApiLedger, RetryingCaller, RetryPolicy
from auditor.providers._runtime.scrub import scrub_shapes
from auditor.providers.gcp._name import PROVIDER

T = TypeVar("T")

DISABLED_REASONS = frozenset({"SERVICE_DISABLED", "accessNotConfigured"})
_MAX_MESSAGE = 300
_URL_PREFIX = re.compile(r"^[A-Z]+ \S+://\S+: ")


def _short(text: object) -> str:
    """One line, credential shapes out before it is cut (the RetryingCaller then takes out
    the run's own credential values)."""
    return scrub_shapes(text, _MAX_MESSAGE)


def _message(exc: gexc.GoogleAPICallError) -> str:
    """The service's message without the ``GET https://...: `` prefix the client adds."""
    return _short(_URL_PREFIX.sub("", str(exc.message or "")))


def _reason(exc: gexc.GoogleAPICallError) -> str:
    """ErrorInfo reason (SERVICE_DISABLED, ...) or the legacy errors[0].reason (forbidden)."""
    if exc.reason:
        return str(exc.reason)
    for item in exc.errors or ():
        if isinstance(item, dict) and item.get("reason"):
            return str(item["reason"])
    return ""


def _from_api_error(operation: str, exc: gexc.GoogleAPICallError) -> tuple[CallError, bool]:
    status = int(exc.code or 0)
    reason = _reason(exc)
    message = _message(exc)
    code = f"{status} {reason or type(exc).__name__}" if status else (reason or type(exc).__name__)
    if status == 403 or status == 401:
        if reason in DISABLED_REASONS:
            return AccessDenied(operation, f"{status} SERVICE_DISABLED",
                                f"the API is disabled for this project: {message}"), False
        return AccessDenied(operation, code, message), False
    if status == 404:
        return NotFound(operation, code, message), False
    if status == 429:
        return Throttled(operation, code, message), True
    if status == 408:  # "Retry strategy": 408, 429 and 5xx are transient, worth a retry
        return ServiceError(operation, code, message), True
    if status >= 500:
        return ServiceError(operation, code, message), True
    return ServiceError(operation, code, message), False


def translate(operation: str, exc: BaseException) -> tuple[CallError, bool]:
    """Map one client exception onto the tree; the flag says whether a retry may help.

    A refused token refresh means the credentials are unusable for every call: that is a
    provider-level CredentialsError, raised rather than returned.
    """
    if isinstance(exc, auth_exc.RefreshError):
        raise CredentialsError(PROVIDER, f"the credentials were refused: {_short(exc)}") from exc
    if isinstance(exc, gexc.GoogleAPICallError):
        return _from_api_error(operation, exc)
    if isinstance(exc, (requests.exceptions.InvalidJSONError, json_format.ParseError)):
        # A 200 whose body is not the JSON object the reference documents (empty,
        # truncated, not JSON): its facts are error, and asking again will not mend it.
        return MalformedAnswer(operation, "UnparsableResponse", _short(exc)), False
    if isinstance(exc, (requests.ConnectionError, requests.Timeout, auth_exc.TransportError)):
        return ServiceError(operation, "NetworkError", _short(type(exc).__name__)), True
    return ServiceError(operation, type(exc).__name__, _short(exc)), False


CLIENT_ERRORS: tuple[type[BaseException], ...] = (
    gexc.GoogleAPICallError, requests.RequestException, auth_exc.GoogleAuthError,
    json_format.ParseError,
)


class Caller(RetryingCaller):
    """The shared retrying caller with Google's error translation."""

    def __init__(self, ledger: ApiLedger, policy: RetryPolicy | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        super().__init__(ledger, policy or RetryPolicy(), translate, CLIENT_ERRORS, sleep)
