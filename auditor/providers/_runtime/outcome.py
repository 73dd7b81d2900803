"""The outcome of one API call: a value, a translated failure, or "not read".

Every adapter keeps its raw answers as Outcomes and turns them into Facts through
:meth:`Outcome.fact`, which hands the value to the adapter's normalizer only when the call
answered. An outcome that was not read has no value at all (reading it raises), so it can
never end up as an observed fact.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Any

from auditor.errors import CallError
from auditor.model import Fact


class OutcomeState(StrEnum):
    VALUE = "value"  # the API answered (a documented "not configured" answer included)
    FAILED = "failed"  # a translated failure (CallError)
    NOT_READ = "not_read"  # the call was not made, so nothing is known


class UnreadValueError(RuntimeError):
    """Asked for the value of a call that was never made."""


class Outcome:
    """Immutable. ``Outcome(source, value)`` is an answer, ``Outcome(source, error=exc)`` a
    failure, ``Outcome(source, code=...)`` a documented "not configured" answer (observed,
    no value) and ``Outcome.not_read(source, why)`` a call that was not made."""

    __slots__ = ("_value", "code", "error", "source", "unread")

    source: str
    error: CallError | None
    code: str | None
    unread: str | None

    def __init__(self, source: str, value: Any = None, error: CallError | None = None, *,
                 code: str | None = None, unread: str | None = None) -> None:
        if error is not None and (value is not None or code is not None or unread is not None):
            raise ValueError("a failed call has neither a value nor a not-configured code")
        if unread is not None and (value is not None or code is not None):
            raise ValueError("a call that was not read has no value")
        if code is not None and value is not None:
            raise ValueError("a not-configured answer carries its code, not a value")
        for name, item in (("source", source), ("_value", value), ("error", error),
                           ("code", code), ("unread", unread)):
            object.__setattr__(self, name, item)

    @classmethod
    def failed(cls, error: CallError, source: str | None = None) -> Outcome:
        return cls(source or error.operation, error=error)

    @classmethod
    def not_configured(cls, source: str, code: str) -> Outcome:
        return cls(source, code=code)

    @classmethod
    def not_read(cls, source: str, why: str) -> Outcome:
        return cls(source, unread=why)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("Outcome is immutable")

    @property
    def state(self) -> OutcomeState:
        if self.error is not None:
            return OutcomeState.FAILED
        if self.unread is not None:
            return OutcomeState.NOT_READ
        return OutcomeState.VALUE

    @property
    def ok(self) -> bool:
        """The API answered (with a value or with "not configured")."""
        return self.state is OutcomeState.VALUE

    @property
    def absent(self) -> bool:
        """The API answered that the setting is not configured (or answered nothing)."""
        return self.ok and self._value is None

    @property
    def value(self) -> Any:
        """The answer; None for a failure. A call that was not read has none: raises."""
        if self.unread is not None:
            raise UnreadValueError(f"{self.source} was not read: {self.unread}")
        return self._value

    def failure(self, *extra_source: str) -> Fact:
        """The fact a call that did not answer stands for: denied, or error."""
        if self.error is not None:
            return Fact.from_call_error(self.error, *extra_source)
        if self.unread is not None:
            return Fact.error(f"{self.source} was not read: {self.unread}", self.source,
                              *extra_source)
        raise ValueError(f"{self.source} answered: it is no failure")

    def fact(self, observe: Callable[[Any], Fact], *extra_source: str) -> Fact:
        """``observe(value)`` when the call answered, else the failure's fact."""
        if self.ok:
            return observe(self._value)
        return self.failure(*extra_source)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Outcome):
            return NotImplemented
        return (self.source, self._value, self.error, self.code, self.unread) == (
            other.source, other._value, other.error, other.code, other.unread)

    __hash__ = None  # type: ignore[assignment]  # values are often dicts

    def __repr__(self) -> str:
        if self.error is not None:
            return f"Outcome({self.source!r}, error={self.error!r})"
        if self.unread is not None:
            return f"Outcome.not_read({self.source!r}, {self.unread!r})"
        if self.code is not None:
            return f"Outcome.not_configured({self.source!r}, {self.code!r})"
        return f"Outcome({self.source!r}, {self._value!r})"
