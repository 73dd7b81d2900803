"""Every page of an EC2, RDS or EFS listing, through one PageGuard.

EC2 pages with NextToken (request and answer), RDS with Marker (both), EFS with Marker in the
request and NextMarker in the answer. A page that fails, repeats a marker or exceeds the page
budget leaves the rest out, recorded as a listing failure (a coverage gap), never as an end.
An item that does not fit its documented shape (answers.yaml, judged per item) spoils only
itself: when it names itself it is kept as a resource whose facts are error (OPAQUE where the
provider never exposes them: _runtime.placeholder_facts, applied in _kinds), else it is a gap
(the Caller records both).
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

from auditor.errors import CallError, ListingIncomplete
from auditor.providers._runtime import Outcome, PageGuard
from auditor.providers._runtime.shapes import odd_items
from auditor.providers.aws._errors import Caller
from auditor.providers.aws._storage_facts import Raw


@dataclass(frozen=True, slots=True)
class Paging:
    """How one API pages: the request's marker, the answer's, and the page size asked for."""

    marker_in: str
    marker_out: str
    size_name: str | None = None
    size: int = 0


EC2 = Paging("NextToken", "NextToken", "MaxResults", 1000)
RDS = Paging("Marker", "Marker", "MaxRecords", 100)
EFS = Paging("Marker", "NextMarker", "MaxItems", 100)


@dataclass(slots=True)
class Listed:
    """The items of one listing and how it ended: ``answer`` is the last page's outcome
    (failed when the listing is incomplete)."""

    answer: Outcome
    items: list[dict[str, Any]]
    # items that do not fit their shape but name themselves: (what of them is readable, why)
    odd: list[tuple[dict[str, Any], CallError]] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return self.answer.ok


def list_all(caller: Caller, client: Any, method: str, operation: str, scope: str,
             item_key: str, paging: Paging, *, listing: bool = True, **kwargs: Any) -> Listed:
    """Every item under ``item_key`` of every page (answers.yaml requires the list);
    ``listing``: a listing of resources, whose failure is a coverage gap (a parameter
    group's parameters are not: their failure is the failure of the facts read from them)."""
    items: list[dict[str, Any]] = []
    odd: list[tuple[dict[str, Any], CallError]] = []
    guard = PageGuard(operation)
    marker: Hashable | None = None
    while True:
        ask = dict(kwargs)
        if paging.size_name:
            ask[paging.size_name] = paging.size
        if marker:
            ask[paging.marker_in] = marker
        answer = caller.call(client, method, operation, scope, listing=listing, **ask)
        if not answer.ok:
            return Listed(answer, items, odd)
        items.extend(answer.value.get(item_key) or [])
        odd += [(dict(o.identity), o.error) for o in odd_items(answer.value) if o.named]
        try:
            marker = guard.follow(answer.value.get(paging.marker_out))
        except ListingIncomplete as exc:
            if listing:
                caller.ledger.listing_failed(scope, exc)
            else:
                caller.ledger.failed(scope, exc)
            return Listed(Outcome.failed(exc), items, odd)
        if marker is None:
            return Listed(answer, items, odd)


def list_raws(caller: Caller, client: Any, method: str, operation: str, item_key: str,
              paging: Paging, kind: str, region: str, variant: str = "",
              **kwargs: Any) -> list[Raw]:
    """The resources of one region's listing (scope ``<service>/<region>``)."""
    scope = f"{operation.split(':', 1)[0].replace('elasticfilesystem', 'efs')}/{region}"
    listed = list_all(caller, client, method, operation, scope, item_key, paging, **kwargs)
    return [Raw(kind, region, item, variant=variant) for item in listed.items] + [
        Raw(kind, region, named, variant=variant, malformed=error)
        for named, error in listed.odd]
