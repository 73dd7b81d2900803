"""Every entry of a PageNumber/PageSize RPC listing (KMS, Resource Manager, ECS, NAS, RDS).

The listings differ only in where they put the entries and the count: ``{Container:
{Item: [...]}}`` with TotalCount (KMS, ECS, NAS) or TotalRecordCount (RDS).

Each entry is judged on its own (_answers.LISTINGS): an odd one spoils only itself. It is
recorded (its operation, place and name) and left out, a coverage gap, or, when it names
itself, kept: by that name alone for a listing in ``KEEP_NAMED`` (a key is still described),
as an OddEntry (an UNVERIFIED resource, _odd_entries) for one in ``KEEP_AS_UNVERIFIED``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from alibabacloud_tea_openapi.client import Client as OpenApiClient

from auditor.errors import CallError, ListingIncomplete
from auditor.providers._runtime import PageGuard
from auditor.providers._runtime.shapes import odd_items
from auditor.providers.alibaba._answers import KEEP_NAMED
from auditor.providers.alibaba._errors import Caller
from auditor.providers.alibaba._odd_entries import KEEP_AS_UNVERIFIED, OddEntry
from auditor.providers.alibaba._rpc import rpc

PAGE_SIZE = 100  # the maximum PageSize of every listing read here


def paged(client: OpenApiClient, call: Caller, operation: str, version: str,
          where: tuple[str, str], query: Mapping[str, str] | None = None, *,
          total: str = "TotalCount", on_page: Callable[[dict[str, Any]], None] | None = None,
          ) -> tuple[list[dict[str, Any]], CallError | None]:
    """(entries, None), or the entries of the pages that answered with the error that
    stopped the listing. A failed first page raises.

    ``where`` is (container, item). The next page is the one after the PageNumber the
    answer names, so an endpoint that ignores PageNumber repeats a page and stops
    (RepeatedMarker) instead of looping; an empty page while the count says more is
    truncated without a marker. ``on_page`` sees each answered page (fields beside the
    entries).
    """
    container, item = where
    entries: list[dict[str, Any]] = []
    seen = 0  # the entries of every page, odd ones too, against the count
    guard = PageGuard(operation)
    page = 1
    while True:
        try:
            body = rpc(client, call, operation, version,
                       {**(query or {}), "PageNumber": str(page), "PageSize": str(PAGE_SIZE)})
        except CallError as exc:
            if not guard.pages:
                raise
            return entries, exc
        if on_page is not None:
            on_page(body)
        found = body[container][item]
        entries.extend(found)
        odd = odd_items(body)
        entries.extend(record_odd(call, str((query or {}).get("RegionId") or operation),
                                  operation, odd))
        seen += len(found) + len(odd)
        try:
            following = guard.follow(body["PageNumber"] + 1 if found or odd else None,
                                     truncated=seen < body[total])
        except ListingIncomplete as exc:
            return entries, exc
        if following is None:
            return entries, None
        page = int(following)


def record_odd(call: Caller, scope: str, operation: str, odd: Any) -> list[dict[str, Any]]:
    """Record each odd entry of one page; the names of those still read (``KEEP_NAMED``: a
    plain dict of the identity) or reported as UNVERIFIED resources (``KEEP_AS_UNVERIFIED``:
    an OddEntry)."""
    kept: list[dict[str, Any]] = []
    for entry in odd:
        if entry.named and operation in KEEP_NAMED:
            kept.append(dict(entry.identity))
        elif entry.named and operation in KEEP_AS_UNVERIFIED:
            kept.append(OddEntry(operation, entry.identity, entry.error))
        else:  # left out of the inventory: a coverage gap
            call.ledger.listing_failed(scope, entry.error)
            continue
        call.ledger.failed(scope, entry.error)
    return kept
