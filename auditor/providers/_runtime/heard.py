"""Whether a provider answered anything at all in one run.

A failed listing is a coverage gap, not a lost provider: the run goes on and reports what
the other reads gave. Only a run in which no call was answered (every endpoint refused,
every read denied or failed) has nothing to report; the adapter then fails as a whole.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from auditor.errors import NotConfigured

R = TypeVar("R")


class Heard:
    """Mixin for a RetryingCaller (put it first in the bases): ``heard`` turns True at the
    first call that answered with a value or a documented "not configured"."""

    heard: bool = False

    def __call__(self, operation: str, fn: Callable[[], R]) -> R:
        try:
            value: R = super().__call__(operation, fn)  # type: ignore[misc]
        except NotConfigured:
            self.heard = True  # an answer: the setting is absent
            raise
        self.heard = True
        return value

