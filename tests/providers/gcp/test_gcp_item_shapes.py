"""A nameless listing item spoils only itself (gcp/answers.yaml per item), through the real
clients over HTTP against the GCP stand-in: the item is a recorded gap (run partial,
UnexpectedShape naming the operation and the item's place), the other items kept.
"""

from __future__ import annotations

from typing import Any

import pytest
from answer_proxy import AnswerProxy, in_item
from gcp_support import fast_adapter, resources

from auditor.providers.base import CollectRequest


def _nameless(item: dict[str, Any]) -> None:
    item.pop("name")


def test_a_nameless_bucket_spoils_only_itself(make_sandbox) -> None:
    box = make_sandbox({"projects": [{"id": "k", "number": "5", "buckets": [
        {"name": "b0", "location": "US"}, {"name": "b1", "location": "US"}]}]})
    proxy = AnswerProxy(box).on("storage.buckets.list", in_item("b0", _nameless))
    try:
        collection = fast_adapter().collect(CollectRequest(
            options=proxy.scan_options(),
            facts={"storage.bucket": frozenset({"versioning.enabled"})}))
    finally:
        proxy.stop()
    assert set(resources(collection, "storage.bucket")) == {"b1"}
    gaps = [(e.operation, e.code, e.kind) for e in collection.run.errors]
    assert gaps == [("storage:buckets.list", "UnexpectedShape", "listing")]
    assert "items[" in collection.run.errors[0].message
    assert collection.run.status == "partial"


ROWS = [
    # (row id, proxy action, items key, operation, kind, fact, estate of two items)
    ("sql", "sqladmin.instances.list", "items", "sqladmin:instances.list",
     "database.instance", "backup.enabled",
     {"sql_instances": [{"name": "x0"}, {"name": "x1"}]}),
]


@pytest.mark.parametrize(("action", "key", "operation", "kind", "path", "estate"),
                         [row[1:] for row in ROWS], ids=[row[0] for row in ROWS])
def test_a_nameless_item_spoils_only_itself(make_sandbox, action: str, key: str,
                                            operation: str, kind: str, path: str,
                                            estate: dict[str, Any]) -> None:
    box = make_sandbox({"projects": [{"id": "k", "number": "5", **estate}]})
    proxy = AnswerProxy(box).on(action, in_item("x0", _nameless, key=key))
    try:
        collection = fast_adapter().collect(CollectRequest(
            options=proxy.scan_options(), facts={kind: frozenset({path})}))
    finally:
        proxy.stop()
    assert set(resources(collection, kind)) == {"x1"}
    gaps = [(e.operation, e.code, e.kind) for e in collection.run.errors]
    assert gaps == [(operation, "UnexpectedShape", "listing")]
    assert collection.run.status == "partial"
