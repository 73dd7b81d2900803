"""Shared adapter runtime: call outcomes, one retry policy, the ledger, progress, the pool."""

from auditor.providers._runtime.calls import RetryingCaller, RetryPolicy, Translate, attempt
from auditor.providers._runtime.derive import derive, unobserved
from auditor.providers._runtime.ledger import ApiLedger, utc_now
from auditor.providers._runtime.outcome import Outcome, OutcomeState, UnreadValueError
from auditor.providers._runtime.pages import PageGuard
from auditor.providers._runtime.pool import bounded_map
from auditor.providers._runtime.progress import Progress
from auditor.providers._runtime.shapes import AnswerShapes

__all__ = [
    "AnswerShapes", "ApiLedger", "Outcome", "OutcomeState", "PageGuard", "Progress",
    "RetryPolicy", "RetryingCaller", "Translate", "UnreadValueError", "attempt", "bounded_map",
    "derive", "unobserved", "utc_now",
]
