"""Every answer this adapter reads, checked against answers.yaml before anything indexes it;
paginated listings followed through one PageGuard, complete or with their gap.

A listing page is judged in two parts: its envelope as a whole (the item list left open),
then each item on its own (``read_pages``): an item that names itself but does not fit is
listed as an :class:`OddListed` (its consumer reports a resource whose facts are error), one
that cannot be named is a gap of its own (``Listed.unnamed``); the page's other items are
read as ever. A GAPIC client that could not parse a page because of some items gets the page
again without them (``_raw_items``).

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
from auditor.providers._runtime import AnswerShapes, ItemList, OddItem, PageGuard
from auditor.providers._runtime.shapes import odd_item_error
from auditor.providers.gcp import _raw_items
from auditor.providers.gcp._errors import Caller
from auditor.providers.gcp._raw_items import RawListing

T = TypeVar("T")
# operation -> where a page keeps its items and what names one (its resource's id). The
# envelope of each is judged whole, each item on its own: one odd item spoils only itself.
# (disks.aggregatedList keeps its items in a map of scopes: judged in read_pages.)
LISTINGS: dict[str, ItemList] = {
    "storage:buckets.list": ItemList(("items",), ("name",)),
    "sqladmin:instances.list": ItemList(("items",), ("name",)),
    "file:instances.list": ItemList(("instances",), ("name",)),
    "compute:snapshots.list": ItemList(("items",), ("name",)),
    "compute:images.list": ItemList(("items",), ("name",)),
    "cloudkms:locations.list": ItemList(("locations",), ("locationId",), ("name",)),
    "cloudkms:keyRings.list": ItemList(("keyRings",), ("name",)),
    "cloudkms:cryptoKeys.list": ItemList(("cryptoKeys",), ("name",)),
    "cloudkms:cryptoKeyVersions.list": ItemList(("cryptoKeyVersions",), ("name",)),
    "cloudresourcemanager:projects.search": ItemList(("projects",), ("projectId",)),
    "cloudresourcemanager:folders.list": ItemList(("folders",), ("name",)),
}
SHAPES = AnswerShapes(Path(__file__).resolve().parent / "answers.yaml", LISTINGS)


def check(operation: str, answer: Any) -> Any:
    """``answer`` when it has the documented shape of ``operation``; else MalformedAnswer."""
    return SHAPES.check(operation, answer)


def check_item(operation: str, item: Any) -> Any:
    """One item of an ``operation`` listing, against the ``<operation>.item`` shape; the
    MalformedAnswer names the listing (the call that gave it), not the item's entry. An
    :class:`OddListed` item (it named itself, but did not fit its page) raises its error."""
    if isinstance(item, OddListed):
        raise item.error
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
    word, which would read as "no keys"; this makes such a body an unparsable answer. The
    page of a listing this thread expects (``_raw_items``) loses the items the client could
    not parse, before it parses the page: one odd item would fail the whole page.
    """
    if 200 <= response.status_code < 300 and response.content:
        if not response.content.lstrip().startswith(b"{"):
            raise requests.exceptions.InvalidJSONError(
                "the answer is not a JSON object", response=response)
        _raw_items.take_out(response)


class OddListed(dict[str, Any]):
    """A listed item that names itself but does not fit its documented shape: its readable
    identity members, and ``error`` (every fact read from it is error)."""

    __slots__ = ("error",)

    def __init__(self, identity: dict[str, Any], error: MalformedAnswer) -> None:
        super().__init__(identity)
        self.error = error


@dataclass(frozen=True, slots=True)
class Listed(Generic[T]):
    """What a listing gave, and why it stopped before its end (None: it is complete);
    ``unnamed``: the errors of items that could not even be named (each a gap: what the
    item is, is missing), for the caller to record under its scope."""

    items: list[T] = field(default_factory=list)
    gap: CallError | None = None
    unnamed: tuple[MalformedAnswer, ...] = ()


def _on_page(error: MalformedAnswer, page: int) -> MalformedAnswer:
    return MalformedAnswer(error.operation, error.code, f"{error.message} (page {page})")


def _name_of(item: Any) -> dict[str, str]:
    """The name of an item judged by its name alone, with its zone or region (a disk's
    scope is part of its id) when they are strings."""
    name = item.get("name") if isinstance(item, dict) else None
    if not (isinstance(name, str) and name):
        return {}
    return {"name": name, **{k: item[k] for k in ("zone", "region")
                             if isinstance(item.get(k), str) and item[k]}}


def _named_odd(operation: str, place: str, item: Any, reason: str) -> OddItem:
    """The OddItem of an item of a listing whose items are not in one list (judged by its
    name alone), at ``place`` (a JSON path)."""
    identity = _name_of(item)
    return OddItem(0, identity, odd_item_error(operation, place, identity, reason),
                   bool(identity))


def _judged(operation: str, page: dict[str, Any], items_key: str, number: int,
            items_of: Callable[[dict[str, Any]], list[Any]] | None,
            ) -> tuple[list[Any], list[MalformedAnswer]]:
    """The items of one checked page (an odd one that names itself as an OddListed: it does
    not fit its list's item or its ``<operation>.item`` shape) and the errors of the items
    that cannot be named."""
    where = LISTINGS.get(operation)
    placed: list[tuple[str, Any]] = []
    if where is None:  # items not in one list: each judged by its name alone
        odd = [_named_odd(operation, f"{r.path}[{r.index}]", r.item, r.reason)
               for r in _raw_items.taken()]
        for place, item in enumerate(items_of(page) if items_of else (page.get(items_key) or ())):
            if _name_of(item):
                placed.append((f"$.{items_key}[{place}]", item))
            else:
                odd.append(_named_odd(operation, f"$.{items_key}[{place}]", item,
                                      "$: missing name"))
    else:
        raw_odd = tuple(SHAPES.odd_item(operation, r.index, r.item, r.reason)
                        for r in _raw_items.taken())
        listed = SHAPES.check_listing(operation, page, raw_odd)
        odd = list(listed.odd)
        taken = {o.index for o in odd}
        good = list(listed.get(where.path[0]) or ())
        places = [i for i in range(len(good) + len(taken)) if i not in taken]
        path = ".".join(where.path)
        placed = [(f"$.{path}[{i}]", item) for i, item in zip(places, good, strict=False)]
    kept = []
    shape = f"{operation}.item"
    for place, item in placed:
        reason = SHAPES.misfit(shape, item) if shape in SHAPES.operations else None
        if reason is None:
            kept.append(item)
            continue
        identity = SHAPES.identity(operation, item) if where is not None else _name_of(item)
        kept.append(OddListed(identity, _on_page(odd_item_error(
            operation, place, identity, reason), number)))
    unnamed = [_on_page(o.error, number) for o in odd if not o.named]
    kept += [OddListed(dict(o.identity), _on_page(o.error, number)) for o in odd if o.named]
    return kept, unnamed


def read_pages(call: Caller, operation: str, fetch: Callable[[str | None], Any],
               items_key: str, budget: int = DEFAULT_PAGE_BUDGET,
               items_of: Callable[[dict[str, Any]], list[Any]] | None = None,
               raw: RawListing | None = None) -> Listed[dict[str, Any]]:
    """Follow ``nextPageToken`` from page to page, each page one checked, retried call.

    A first page that fails raises (nothing was listed). A later page that fails, a token
    that repeats, or a spent page budget stops the listing: what was listed is kept and the
    failure is the listing's gap. ``items_of`` reads a page's items where they are not one
    list under ``items_key`` (an aggregatedList's map of scopes). Each item is judged on
    its own: one that names itself but does not fit is listed as an :class:`OddListed`;
    one that cannot be named is left out, its error in ``unnamed``. ``raw``: the listing's
    page as its client parses it; a page the client could not parse is asked for once more,
    the items it cannot parse taken out of the body first (``_raw_items``).
    """
    guard = PageGuard(operation, budget)
    items: list[dict[str, Any]] = []
    unnamed: list[MalformedAnswer] = []
    token: str | None = None

    def one(token: str | None) -> Any:
        _raw_items.forget()
        with _raw_items.watching(raw):
            try:
                return check(operation, fetch(token))
            except json_format.ParseError:
                if raw is None or not _raw_items.items_at_fault(raw):
                    raise  # a body that is no page at all (cut short, empty): no item to blame
        with _raw_items.expecting(raw):  # the page again, the items it could not parse out
            return check(operation, fetch(token))
    while True:
        try:
            page = call(operation, lambda token=token: one(token))
        except CallError as exc:
            if guard.pages == 0:
                raise
            return Listed(items, exc, tuple(unnamed))
        good, odd = _judged(operation, page, items_key, guard.pages + 1, items_of)
        items += good
        unnamed += odd
        try:
            token = guard.follow(page.get("nextPageToken") or None)  # type: ignore[assignment]
        except ListingIncomplete as exc:
            return Listed(items, exc, tuple(unnamed))
        if token is None:
            return Listed(items, None, tuple(unnamed))


def pager_listing(call: Caller, operation: str, items_key: str, timeout: float,
                  fetch: Callable[[str, float], Any],
                  raw: RawListing | None = None) -> Listed[dict[str, Any]]:
    """One paged listing of a GAPIC REST client (Cloud KMS, Resource Manager): ``fetch(token,
    timeout)`` returns the client's pager, whose first page is the one answer of each call."""
    def page(token: str | None) -> dict[str, Any]:
        answer = fetch(token or "", timeout)
        pages = getattr(answer, "pages", None)
        return as_dict(next(iter(pages)) if pages is not None else answer)
    return read_pages(call, operation, page, items_key, raw=raw)
