"""An account carrying its organization listing's gaps (entries that named no account): when
its own collection fails, the failure's reason names the gaps, so they are never lost with the
failed account (AWS Organizations, Google Cloud's project search, Alibaba's Resource
Directory)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from auditor.errors import CallError, ProviderError


@contextmanager
def naming_gaps(gaps: Sequence[CallError], entries: str, named: str) -> Iterator[None]:
    """A ProviderError raised inside is re-raised with ``; and N <entries> named no <named>:
    <the first gap>`` after its reason (its class, and so the exit code, kept)."""
    try:
        yield
    except ProviderError as exc:
        if gaps:
            first = gaps[0]
            exc.redact(lambda reason: f"{reason}; and {len(gaps)} {entries} named no {named}: "
                                      f"{first.operation}: {first.code}: {first.message}")
        raise
