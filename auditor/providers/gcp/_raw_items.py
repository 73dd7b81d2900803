"""Listing items a GAPIC REST client could not parse, taken out of the page before it does.

The REST transports of google-cloud-kms, -compute, -filestore and -resource-manager parse a
whole page with ``json_format.Parse``: one item of a wrong JSON type (a number for a string,
a string for a list) or one that is no object fails the whole page, and the good items
beside it are lost. A page the client could not parse because of some of its items
(:func:`items_at_fault`, judged from the body kept by :func:`watching`) is asked for once
more (``_answers.read_pages``), this time expected on this thread (:func:`expecting`): the
session's response hook (:func:`take_out`, from ``_answers.json_object_only``) takes the
items the client's own message cannot read out of the raw body, keeping their place and why
(never their values) for the listing to report (:func:`taken`); the client then parses the
others as ever. A page that parses is never judged here: the good path costs nothing.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from google.protobuf import json_format

_LOCAL = threading.local()
_FIELD = re.compile(r"Failed to parse (\w+) field")


@dataclass(frozen=True, slots=True)
class RawListing:
    """A page as its client parses it: ``message`` gives the response message class
    (proto-plus or protobuf), ``items_key`` the JSON name of its items (``scoped``: in an
    aggregatedList, the name of the list inside each scope of the ``items_key`` map)."""

    message: Callable[[], Any]
    items_key: str
    scoped: str | None = None
    # The client parses without ignore_unknown_fields (the Locations mixin): an item with a
    # field newer than the client is given to it without that field.
    strict: bool = False


@dataclass(frozen=True, slots=True)
class RawOdd:
    """One item taken out: the JSON path of its list, its index there, the item as served,
    and why the client could not read it (a path inside the item and the rule)."""

    path: str
    index: int
    item: Any
    reason: str


@contextmanager
def watching(raw: RawListing | None) -> Iterator[None]:
    """While inside, the body of a page answered on this thread is kept (not read) for
    :func:`items_at_fault`."""
    _LOCAL.watch, _LOCAL.body = raw is not None, None
    try:
        yield
    finally:
        _LOCAL.watch = False


@contextmanager
def expecting(raw: RawListing | None) -> Iterator[None]:
    """While inside, a page answered on this thread is judged as ``raw`` describes."""
    _LOCAL.expect, _LOCAL.odd = raw, []
    try:
        yield
    finally:
        _LOCAL.expect = None


def _document(body: Any) -> dict[str, Any] | None:
    try:
        document = json.loads(body)
    except (TypeError, ValueError):
        return None
    return document if isinstance(document, dict) else None


def items_at_fault(raw: RawListing) -> bool:
    """Whether the page last watched on this thread is a JSON object of which some item is
    one its client cannot parse (then the page is worth asking for again, those items out)."""
    body, _LOCAL.body = getattr(_LOCAL, "body", None), None
    document = _document(body) if body else None
    if document is None:
        return False
    message = _message(raw)
    return any(_judge(message, raw, scope, item) != (None, item)
               for _, scope, items in _lists(raw, document) for item in items)


def forget() -> None:
    """Forget what was taken out of an earlier page of this thread."""
    _LOCAL.odd = []


def taken() -> list[RawOdd]:
    """The items taken out of the last page this thread received (and forget them)."""
    odd = getattr(_LOCAL, "odd", None) or []
    _LOCAL.odd = []
    return list(odd)


def _message(raw: RawListing) -> Any:
    cls = raw.message()
    pb = getattr(cls, "pb", None)
    return pb() if pb is not None else cls


def _parsed(message: Any, raw: RawListing, scope: str | None, item: Any,
            lenient: bool = True) -> Any:
    page = ({raw.items_key: {scope: {raw.scoped: [item]}}} if raw.scoped
            else {raw.items_key: [item]})
    return json_format.ParseDict(page, message(), ignore_unknown_fields=lenient)


def _judge(message: Any, raw: RawListing, scope: str | None, item: Any) -> tuple[str | None, Any]:
    """Why the client could not read ``item`` (None: it can), and the item to give it (for
    a strict client, without the fields it does not know)."""
    if not isinstance(item, dict):
        return f"$: expected object, got {type(item).__name__}", item
    try:
        parsed = _parsed(message, raw, scope, item)
    except (json_format.ParseError, TypeError, ValueError) as exc:
        fields = _FIELD.findall(str(exc))
        skip = {raw.items_key, raw.scoped}
        while fields and fields[0] in skip:
            fields.pop(0)
        return (f"$.{'.'.join(fields)}: not of its documented JSON type" if fields
                else "$: not of its documented JSON type"), item
    if raw.strict:
        try:
            _parsed(message, raw, scope, item, lenient=False)
        except (json_format.ParseError, TypeError, ValueError):
            page = json_format.MessageToDict(parsed)
            return None, page[raw.items_key][0]
    return None, item


def _lists(raw: RawListing, document: dict[str, Any]) -> list[tuple[str, str | None, list[Any]]]:
    found = document.get(raw.items_key)
    if raw.scoped is None:
        return [(f"$.{raw.items_key}", None, found)] if isinstance(found, list) else []
    if not isinstance(found, dict):
        return []
    return [(f"$.{raw.items_key}.{scope}.{raw.scoped}", scope, value[raw.scoped])
            for scope, value in sorted(found.items())
            if isinstance(value, dict) and isinstance(value.get(raw.scoped), list)]


def take_out(response: Any) -> None:
    """The response hook's part: judge the page this thread expects, item by item, when the
    client could not parse it whole; leave it out of the body the items that fail."""
    if getattr(_LOCAL, "watch", False):
        _LOCAL.body = response.content
    raw = getattr(_LOCAL, "expect", None)
    if raw is None:
        return
    document = _document(response.content)
    if document is None:
        return  # the client's own parse names it
    message = _message(raw)
    try:
        json_format.ParseDict(document, message(), ignore_unknown_fields=not raw.strict)
        return  # the whole page reads: nothing to take out
    except (json_format.ParseError, TypeError, ValueError):
        pass
    odd: list[RawOdd] = []
    changed = False
    for path, scope, items in _lists(raw, document):
        kept = []
        for index, item in enumerate(items):
            reason, given = _judge(message, raw, scope, item)
            if reason is None:
                kept.append(given)
                changed = changed or given is not item
            else:
                odd.append(RawOdd(path, index, item, reason))
        items[:] = kept
    if odd or changed:
        response._content = json.dumps(document).encode()
    _LOCAL.odd = odd
