"""Every parsed answer is checked against the shape its API reference documents.

An adapter ships ``answers.yaml`` (schemas/answers.schema.json): per operation, a JSON Schema
of the parsed answer with the elements the reference marks as always present and their types.
:meth:`AnswerShapes.check` passes a fitting answer through and raises
:class:`~auditor.errors.MalformedAnswer` for any other, so a 200 answer that is empty, in the
wrong namespace or of the wrong type becomes an ``error`` fact instead of "not configured".

A listing answer (an :class:`ItemList` names where its items are) is judged in two parts:
its envelope (the root, the pagination markers, the list being a list) as a whole, as any
answer; then each item on its own (:meth:`AnswerShapes.check_listing`). An odd item spoils
only itself: it comes back as an :class:`OddItem` (its index, what of its identity fits its
documented shape, the MalformedAnswer), the other items of the page as they were.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from auditor.errors import MalformedAnswer, PluginError

_REASON_LIMIT = 160
_ID_LIMIT = 80


@dataclass(frozen=True, slots=True)
class ItemList:
    """Where a listing answer keeps its items (``path``: the keys from the root to the
    list), the members that together name an item (``identity``: what its resource id is
    made of) and members kept beside them when readable (``also``: a display name, the
    cluster an instance belongs to)."""

    path: tuple[str, ...]
    identity: tuple[str, ...]
    also: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class OddItem:
    """One listing item that does not fit its documented shape: ``index`` on its page,
    ``identity`` its identity (and ``also``) members whose values fit their own shape,
    ``named`` when every identity member is among them (then it can be reported as a
    resource of its own), ``error`` why it does not fit."""

    index: int
    identity: Mapping[str, Any]
    error: MalformedAnswer
    named: bool = False

    @property
    def name(self) -> str | None:
        """The first readable identity value, or None."""
        return next((str(v) for v in self.identity.values()), None)


class ListedAnswer(dict[str, Any]):
    """A checked listing answer: its items are the ones that fit; ``odd`` the others."""

    __slots__ = ("odd",)

    def __init__(self, answer: Mapping[str, Any], odd: tuple[OddItem, ...] = ()) -> None:
        super().__init__(answer)
        self.odd = odd


def odd_items(answer: Any) -> tuple[OddItem, ...]:
    """The odd items of a checked listing answer (none for any other answer)."""
    return answer.odd if isinstance(answer, ListedAnswer) else ()


def odd_item_error(operation: str, item_path: str, identity: Mapping[str, Any],
                   reason: str, code: str = "UnexpectedShape") -> MalformedAnswer:
    """The MalformedAnswer of one odd item: the operation, the item's place (``item_path``,
    ``$.Buckets[2]``) and its name when readable, then ``reason`` (a path inside the item and
    the rule, as :meth:`AnswerShapes.misfit` words it: never a value beyond the identity)."""
    inner, _, rule = reason.partition(": ")
    named = next(((k, v) for k, v in identity.items()), None)
    who = f" ({named[0]} {str(named[1])[:_ID_LIMIT]})" if named else ""
    return MalformedAnswer(operation, code, f"item {item_path}{inner.removeprefix('$')}{who}: "
                                            f"{rule or inner}"[:_REASON_LIMIT * 2])


def _item_schema(schema: Mapping[str, Any], path: tuple[str, ...]) -> Mapping[str, Any]:
    node: Any = schema
    for key in path:
        node = node["properties"][key]
    if node.get("type") != "array":
        raise PluginError(f"the item list {'.'.join(path)} is not an array in its schema")
    return node.get("items", {})


def _envelope(schema: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    """``schema`` with the list's item shape left open: each item is judged apart."""
    out = copy.deepcopy(dict(schema))
    node: Any = out
    for key in path:
        node = node["properties"][key]
    node["items"] = {}
    return out


class AnswerShapes:
    """The documented answer shapes of one adapter, loaded from its ``answers.yaml``.

    An answer is judged by a compiled jsonschema-rs validator first (every answer of a scan
    passes here); only one it does not accept (or cannot take: a datetime) is walked by
    python jsonschema, which decides and names the error, so a rejection reads as it always
    did. Each schema is checked against the meta-schema once per content of the file
    (auditor.provider_data_cache).
    """

    def __init__(self, path: Path, listings: Mapping[str, ItemList] | None = None) -> None:
        self.path = path
        self.listings: Mapping[str, ItemList] = dict(listings or {})
        self._lock = threading.Lock()
        self._python: dict[str, Any] = {}

    @cached_property
    def _schemas(self) -> Mapping[str, Any]:
        from auditor import provider_data_cache
        from auditor.provider_data import load_data_file

        document = load_data_file(self.path)
        schemas = {op: entry["schema"] for op, entry in document["operations"].items()}
        digest = provider_data_cache.file_digest("answer-schemas", self.path.read_bytes())
        if not provider_data_cache.passed(digest):
            from jsonschema import Draft202012Validator
            from jsonschema.exceptions import SchemaError

            for operation, schema in schemas.items():
                try:
                    Draft202012Validator.check_schema(schema)
                except SchemaError as exc:
                    raise PluginError(f"{self.path}: $.operations.{operation}.schema: "
                                      f"{' '.join(exc.message.split())[:_REASON_LIMIT]}"
                                      ) from exc
            provider_data_cache.remember(digest)
        for operation, where in self.listings.items():
            if operation not in schemas:
                continue
            item = _item_schema(schemas[operation], where.path)
            schemas[f"{operation}[]"] = item
            for member in (*where.identity, *where.also):
                schemas[f"{operation}[].{member}"] = item.get("properties", {}).get(member, {})
            schemas[operation] = _envelope(schemas[operation], where.path)
        return schemas

    @cached_property
    def _fast(self) -> Mapping[str, Any]:
        import jsonschema_rs

        fast = {}
        for operation, schema in self._schemas.items():
            try:
                fast[operation] = jsonschema_rs.Draft202012Validator(schema,
                                                                     validate_formats=False)
            except (ValueError, jsonschema_rs.ValidationError):
                continue  # a schema it cannot compile: python jsonschema judges alone
        return fast

    def _validator(self, operation: str) -> Any:
        with self._lock:
            if operation not in self._python:
                from jsonschema import Draft202012Validator

                self._python[operation] = Draft202012Validator(self._schemas[operation])
            return self._python[operation]

    @property
    def operations(self) -> frozenset[str]:
        return frozenset(op for op in self._schemas if "[]" not in op)

    def fits(self, operation: str, answer: Any) -> bool:
        """True when jsonschema-rs accepts ``answer``; False when it does not or cannot."""
        fast = self._fast.get(operation)
        try:
            return fast is not None and bool(fast.is_valid(answer))
        except (ValueError, OverflowError, TypeError, RecursionError):
            return False

    def check(self, operation: str, answer: Any) -> Any:
        """``answer`` when it fits the documented shape of ``operation``; else MalformedAnswer.

        The reason names the JSON path and the rule, never the value (which may be long,
        or carry what the provider echoed back). For a listing (``listings``) this judges
        the envelope alone: see :meth:`check_listing`.
        """
        reason = self.misfit(operation, answer)
        if reason is not None:
            raise MalformedAnswer(operation, "UnexpectedShape", reason[:_REASON_LIMIT])
        return answer

    def check_listing(self, operation: str, answer: Any,
                      odd: tuple[OddItem, ...] = ()) -> Any:
        """The answer whose envelope fits, as a :class:`ListedAnswer` of the items that fit
        (odd ones apart, with ``odd``: items already found odd, say in the raw body); any
        other operation's answer as :meth:`check` judges it. A bad envelope raises
        MalformedAnswer, as a bad answer does."""
        where = self.listings.get(operation)
        if where is None or operation not in self._schemas:
            return self.check(operation, answer)
        self.check(operation, answer)
        node: Any = answer
        for key in where.path[:-1]:
            node = node.get(key) if isinstance(node, Mapping) else None
        items = node.get(where.path[-1]) if isinstance(node, Mapping) else None
        if not items:
            return ListedAnswer(answer, odd)
        good, found = [], list(odd)
        taken = {o.index for o in odd}  # already out of the list: the others keep their place
        places = [i for i in range(len(items) + len(taken)) if i not in taken]
        for place, item in zip(places, items, strict=False):
            reason = self.misfit(f"{operation}[]", item)
            if reason is None:
                good.append(item)
                continue
            found.append(self.odd_item(operation, place, item, reason))
        if len(good) == len(items):
            return ListedAnswer(answer, odd)
        out = ListedAnswer(copy.copy(answer), tuple(found))
        parent: Any = out
        for key in where.path[:-1]:
            parent[key] = dict(parent[key])
            parent = parent[key]
        parent[where.path[-1]] = good
        return out

    def odd_item(self, operation: str, index: int, item: Any, reason: str) -> OddItem:
        """The OddItem of ``item`` (the parsed item, or the identity members read from its
        raw form), at ``index`` on its page, odd for ``reason`` (as :meth:`misfit` words it)."""
        where = self.listings[operation]
        identity = self.identity(operation, item)
        error = odd_item_error(operation, f"$.{'.'.join(where.path)}[{index}]", identity,
                               reason)
        return OddItem(index, identity, error, all(m in identity for m in where.identity))

    def identity(self, operation: str, item: Any) -> dict[str, Any]:
        """The identity (and ``also``) members of one ``operation`` item whose values fit
        their own shape."""
        where = self.listings[operation]
        if not isinstance(item, Mapping):
            return {}
        return {m: item[m] for m in (*where.identity, *where.also)
                if isinstance(item.get(m), str | int) and not isinstance(item[m], bool)
                and item[m] != "" and self.misfit(f"{operation}[].{m}", item[m]) is None}

    def misfit(self, operation: str, answer: Any) -> str | None:
        """Why ``answer`` does not fit the shape of ``operation`` (a JSON path and the rule),
        or None when it fits or the operation has no documented shape."""
        if operation not in self._schemas or self.fits(operation, answer):
            return None
        error = next(iter(self._validator(operation).iter_errors(answer)), None)
        if error is None:
            return None
        from auditor.schema import json_path

        rule = error.validator
        expected = error.validator_value
        if rule == "required":
            missing = [name for name in expected
                       if not isinstance(error.instance, Mapping) or name not in error.instance]
            reason = f"missing {', '.join(missing) or 'a required element'}"
        elif rule == "type":
            reason = f"expected {expected}, got {type(error.instance).__name__}"
        else:
            reason = f"does not satisfy {rule}"
        return f"{json_path(error)}: {reason}"
