"""Every answer this adapter reads, checked against answers.yaml before anything indexes it;
paginated listings followed through one PageGuard, complete or with their gap.

Cloud Storage answers are the JSON API's own JSON. Cloud KMS answers are protobuf messages:
they are checked (and read) as their proto3 JSON form, so that one schema language covers
both and no normalizer touches an answer that was not checked.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

import requests
from google.protobuf import json_format

from auditor.defaults import DEFAULT_PAGE_BUDGET
from auditor.errors import CallError, ListingIncomplete, MalformedAnswer
from auditor.providers._runtime import AnswerShapes, PageGuard
from auditor.providers.gcp._errors import Caller

T = TypeVar("T")
SHAPES = AnswerShapes(Path(__file__).resolve().parent / "answers.yaml")


def check(operation: str, answer: Any) -> Any:
    """``answer`` when it has the documented shape of ``operation``; else MalformedAnswer."""
    return SHAPES.check(operation, answer)


def check_item(operation: str, item: Any) -> Any:
    """One item of an ``operation`` listing, against the ``<operation>.item`` shape; the
    MalformedAnswer names the listing (the call that gave it), not the item's entry."""
    try:
        return SHAPES.check(f"{operation}.item", item)
    except MalformedAnswer as exc:
        raise MalformedAnswer(operation, exc.code, exc.message) from exc


def as_dict(message: Any) -> dict[str, Any]:
    """A Cloud KMS answer (proto-plus or protobuf message) as its proto3 JSON form, every
    field printed (camelCase names, enums by name or, when newer than the client, number)."""
    to_dict = getattr(type(message), "to_dict", None)
    if to_dict is not None and hasattr(type(message), "pb"):  # proto-plus
        return to_dict(message, use_integers_for_enums=False, preserving_proto_field_name=False,
                       always_print_fields_with_no_presence=True)
    return json_format.MessageToDict(message, always_print_fields_with_no_presence=True)


def json_object_only(response: requests.Response, *args: Any, **kwargs: Any) -> None:
    """A requests response hook: a 2xx answer must be a JSON object.

    Cloud KMS's REST transport parses ``[]`` or ``"x"`` into an empty message without a
    word, which would read as "no keys"; this makes such a body an unparsable answer.
    """
    if 200 <= response.status_code < 300 and response.content:
        if not response.content.lstrip().startswith(b"{"):
            raise requests.exceptions.InvalidJSONError(
                "the answer is not a JSON object", response=response)


@dataclass(frozen=True, slots=True)
class Listed(Generic[T]):
    """What a listing gave, and why it stopped before its end (None: it is complete)."""

    items: list[T] = field(default_factory=list)
    gap: CallError | None = None


def read_pages(call: Caller, operation: str, fetch: Callable[[str | None], Any],
               items_key: str, budget: int = DEFAULT_PAGE_BUDGET,
               items_of: Callable[[dict[str, Any]], list[Any]] | None = None,
               ) -> Listed[dict[str, Any]]:
    """Follow ``nextPageToken`` from page to page, each page one checked, retried call.

    A first page that fails raises (nothing was listed). A later page that fails, a token
    that repeats, or a spent page budget stops the listing: what was listed is kept and the
    failure is the listing's gap. ``items_of`` reads a page's items where they are not one
    list under ``items_key`` (an aggregatedList's map of scopes).
    """
    guard = PageGuard(operation, budget)
    items: list[dict[str, Any]] = []
    token: str | None = None
    while True:
        try:
            page = call(operation, lambda token=token: check(operation, fetch(token)))
        except CallError as exc:
            if guard.pages == 0:
                raise
            return Listed(items, exc)
        for place, item in enumerate(items_of(page) if items_of else (page.get(items_key) or ())):
            if isinstance(item, dict) and isinstance(item.get("name"), str) and item["name"]:
                items.append(item)
            else:  # a nameless item spoils only itself: a recorded gap, the page kept
                call.ledger.listing_failed(operation, MalformedAnswer(
                    operation, "UnexpectedShape",
                    f"{items_key}[{place}] of page {guard.pages + 1}: no name"))
        try:
            token = guard.follow(page.get("nextPageToken") or None)  # type: ignore[assignment]
        except ListingIncomplete as exc:
            return Listed(items, exc)
        if token is None:
            return Listed(items)


def pager_listing(call: Caller, operation: str, items_key: str, timeout: float,
                  fetch: Callable[[str, float], Any]) -> Listed[dict[str, Any]]:
    """One paged listing of a GAPIC REST client (Cloud KMS, Resource Manager): ``fetch(token,
    timeout)`` returns the client's pager, whose first page is the one answer of each call."""
    def page(token: str | None) -> dict[str, Any]:
        answer = fetch(token or "", timeout)
        pages = getattr(answer, "pages", None)
        return as_dict(next(iter(pages)) if pages is not None else answer)
    return read_pages(call, operation, page, items_key)
