"""One bound for every paginated listing: complete, or recorded as incomplete.

Each adapter follows its API's own marker (``ContinuationToken``, ``NextMarker``,
``nextPageToken``, ``PageNumber``) and asks a :class:`PageGuard` for the next one. The guard
raises :class:`~auditor.errors.ListingIncomplete` when a page says it is truncated but gives no
marker, when a marker comes back that was already followed, or when the page budget is spent,
so that a listing never loops and never silently ends early.
"""

from __future__ import annotations

from collections.abc import Hashable

from auditor.defaults import DEFAULT_PAGE_BUDGET
from auditor.errors import ListingIncomplete


class PageGuard:
    """Tracks one listing of ``operation``; call :meth:`follow` after every page."""

    __slots__ = ("_seen", "budget", "operation", "pages")

    def __init__(self, operation: str, budget: int = DEFAULT_PAGE_BUDGET) -> None:
        if budget < 1:
            raise ValueError("a listing needs a budget of at least one page")
        self.operation = operation
        self.budget = budget
        self.pages = 0
        self._seen: set[Hashable] = set()

    def follow(self, marker: Hashable | None, *, truncated: bool | None = None) -> Hashable | None:
        """The marker of the next page, or None when the listing is complete.

        ``truncated`` is the page's own "there is more" flag where the API has one
        (``IsTruncated``); None where the marker alone says so (``nextPageToken``).
        """
        self.pages += 1
        more = bool(marker) if truncated is None else truncated
        if not more:
            return None
        if not marker:
            raise ListingIncomplete(self.operation, "TruncatedWithoutMarker",
                                    f"page {self.pages} is truncated but names no next page")
        if marker in self._seen:
            raise ListingIncomplete(self.operation, "RepeatedMarker",
                                    f"page {self.pages} names a next page already listed")
        if self.pages >= self.budget:
            raise ListingIncomplete(self.operation, "PageBudgetSpent",
                                    f"stopped after {self.pages} pages (the bound of one listing)")
        self._seen.add(marker)
        return marker
