"""Every entry of a PageNumber/PageSize RPC listing (KMS, Resource Manager, ECS, NAS, RDS).

The listings differ only in where they put the entries and the count: ``{Container:
{Item: [...]}}`` with TotalCount (KMS, ECS, NAS) or TotalRecordCount (RDS).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from alibabacloud_tea_openapi.client import Client as OpenApiClient

from auditor.errors import CallError, ListingIncomplete
from auditor.providers._runtime import PageGuard
from auditor.providers.alibaba._errors import Caller
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
        try:
            following = guard.follow(body["PageNumber"] + 1 if found else None,
                                     truncated=len(entries) < body[total])
        except ListingIncomplete as exc:
            return entries, exc
        if following is None:
            return entries, None
        page = int(following)
