"""One retry policy for every SDK, and the one way a call's failure is recorded.

Each adapter switches its SDK's own retries off and hands its ``translate`` to a
:class:`RetryingCaller`, so that backoff, attempt counting and "gave up" look the same for
AWS, Google Cloud and Alibaba Cloud. This is also the one point where a failure leaves the
SDK: whatever it became (a CallError, or a ProviderError raised by ``translate``) is scrubbed
here by the run's Scrubber (``ledger.scrubber``) before anything can print or keep it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from auditor.cancellation import pause, raise_if_cancelled
from auditor.errors import CallError, MalformedAnswer, NotConfigured, ProviderError, ServiceError
from auditor.providers._runtime.ledger import ApiLedger
from auditor.providers._runtime.outcome import Outcome
from auditor.providers._runtime.retry import RetryPolicy
from auditor.providers._runtime.scrub import Scrubber

R = TypeVar("R")

# What an SDK raises when an answer is not what its model expects (a missing member, a value
# of the wrong type, bytes that do not decode, nesting past the interpreter's limit, a number
# out of range: botocore raises RuntimeError for an epoch timestamp it cannot place): that
# call's answer is malformed, not the run broken.
ODD_ANSWER_ERRORS: tuple[type[BaseException], ...] = (
    ValueError, TypeError, AttributeError, KeyError, UnicodeError, RecursionError,
    ArithmeticError, RuntimeError)


Translate = Callable[[str, BaseException], tuple[CallError, bool]]


class RetryingCaller:
    """Runs one SDK call: counts every attempt, retries what may pass, translates the rest.

    ``translate(operation, exc)`` maps an SDK exception to (error, retryable). A retryable
    failure that outlasts the policy becomes a ServiceError, so its fact is ``error``. An
    SDK that chokes on an odd answer (ODD_ANSWER_ERRORS) gives a MalformedAnswer named after
    the exception type, not retried. Every error raised from here is scrubbed.
    """

    def __init__(self, ledger: ApiLedger, policy: RetryPolicy, translate: Translate,
                 sdk_errors: tuple[type[BaseException], ...],
                 sleep: Callable[[float], None] = pause) -> None:
        self.ledger = ledger
        self.policy = policy
        self._translate = translate
        self._sdk_errors = sdk_errors
        self._sleep = sleep

    @property
    def scrubber(self) -> Scrubber:
        return self.ledger.scrubber

    def __call__(self, operation: str, fn: Callable[[], R]) -> R:
        attempt = 0
        while True:
            raise_if_cancelled()  # a cancelled run sends no further request
            attempt += 1
            self.ledger.count(operation)
            try:
                return fn()
            except self._sdk_errors as exc:
                error, retryable = self._translated(operation, exc)
                if not retryable:
                    raise error from exc
                if attempt >= self.policy.max_attempts:
                    raise ServiceError(operation, error.code,
                                       f"{error.message} (gave up after {attempt} attempts)"
                                       .strip()) from exc
            except ODD_ANSWER_ERRORS as exc:
                raise self.scrubber.call_error(
                    MalformedAnswer(operation, type(exc).__name__, str(exc))) from exc
            self._sleep(self.policy.delay(attempt))

    def _translated(self, operation: str, exc: BaseException) -> tuple[CallError, bool]:
        try:
            error, retryable = self._translate(operation, exc)
        except ProviderError as failure:  # the credentials themselves were refused
            raise self.scrubber.provider_error(failure) from exc
        return self.scrubber.call_error(error), retryable


def attempt(ledger: ApiLedger, scope: str, source: str, fn: Callable[[], Any], *,
            listing: bool = False) -> Outcome:
    """Run ``fn`` (which raises CallError) and keep what happened as an Outcome.

    A documented "not configured" answer is an observed absence, not a failure. Any other
    failure is recorded once, here: a ``listing`` failure as a coverage gap (what it would
    have listed is missing), any other as a failed call of ``scope``. Either is scrubbed
    first (one raised outside a RetryingCaller, a MalformedAnswer of the adapter's, too).
    """
    try:
        return Outcome(source, fn())
    except NotConfigured as exc:
        return Outcome.not_configured(source, exc.code)
    except CallError as exc:
        ledger.scrubber.call_error(exc)
        if listing:
            ledger.listing_failed(scope, exc)
        else:
            ledger.failed(scope, exc)
        return Outcome.failed(exc, source)
