"""The fast evaluation path gives what the old one gave (issue 14, part 4).

Old path vs new path on the same input: the streamed inventory (ijson, jsonschema-rs, shared
facts) equals the one read whole; the engine's shared decisions equal deciding every
(check, resource) afresh; a bad large inventory gets the old one-line error.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from auditor import documents
from auditor.checks import compile_check, load_checks
from auditor.engine import evaluate, finding_for, uncollected
from auditor.errors import InventoryError
from auditor.inventory_stream import load_streamed
from auditor.model import Inventory
from auditor.schema import fast_valid, validator

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "mixed-inventory.json"


def _replicated(copies: int) -> dict:
    base = json.loads(GOLDEN.read_text(encoding="utf-8"))
    resources = [{**r, "id": f"{r['id']}-{k}", "name": f"{r['name']}-{k}"}
                 for k in range(copies) for r in base["resources"]]
    return {**base, "resources": resources}


def _depth(node, start):
    return documents.check_depth(node, "x", InventoryError, start=start)


def test_streamed_inventory_equals_the_whole_file_read(tmp_path):
    document = _replicated(3)
    path = tmp_path / "inventory.json"
    path.write_text(json.dumps(document, indent=2), encoding="utf-8")
    streamed = load_streamed(path, _depth)
    assert streamed is not None
    assert streamed.to_dict() == Inventory.from_dict(document).to_dict()


@pytest.mark.parametrize("mutate", [
    lambda d: d.update(extra=1),                                   # unknown top-level key
    lambda d: d["resources"][0].update(kind="storage.volume"),     # schema-invalid resource
    lambda d: d["resources"][0]["facts"].update({"nope.x": {}}),   # unknown fact
    lambda d: d.update(resources={}),                              # not a list
])
def test_a_bad_inventory_is_declined_and_python_jsonschema_names_the_error(tmp_path, mutate):
    document = _replicated(1)
    mutate(document)
    path = tmp_path / "inventory.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    assert load_streamed(path, _depth) is None
    assert list(validator("inventory").iter_errors(document))


@pytest.mark.parametrize("text", [
    '{"schema_version": "1.0", "runs": [], "resources": [], "runs": []}',  # duplicate key
    '{"schema_version": "1.0", "runs": [], "resources": [{"x": "\\ud800"}]}',  # lone surrogate
    '{"schema_version": "1.0", "runs": [], "resources": [' + "[" * 150 + "]" * 150 + "]}",
    '{"schema_version": "1.0", "runs": [], "resources": []} trailing',
])
def test_shapes_yajl_reads_otherwise_take_the_old_path(tmp_path, text):
    path = tmp_path / "inventory.json"
    path.write_text(text, encoding="utf-8")
    assert load_streamed(path, _depth) is None


def test_large_bad_inventory_gets_the_old_one_line_error(tmp_path, monkeypatch):
    document = _replicated(1)
    document["resources"][1]["kind"] = "storage.volume"
    path = tmp_path / "inventory.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(InventoryError) as old:
        documents.load_inventory(path)
    monkeypatch.setattr(documents, "STREAM_FROM", 0)  # stream every file
    with pytest.raises(InventoryError) as new:
        documents.load_inventory(path)
    assert str(new.value) == str(old.value)


def test_fast_validator_agrees_on_the_golden_inventory():
    document = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert fast_valid("inventory", document)
    for resource in document["resources"]:
        assert fast_valid("inventory", resource, "resource")


def test_shared_decisions_equal_deciding_every_pair_afresh(tmp_path, monkeypatch):
    path = tmp_path / "inventory.json"
    path.write_text(json.dumps(_replicated(2)), encoding="utf-8")
    monkeypatch.setattr(documents, "STREAM_FROM", 0)
    inventory = documents.load_inventory(path)  # streamed: equal facts shared
    checks = [compile_check(c) for c in load_checks()]
    shared = evaluate(inventory, checks)  # first: it adds the derived facts to the resources
    skipped = {(n.check_id, n.provider) for n in uncollected(inventory, checks)}
    fresh = [finding_for(c, r) for c in checks for r in inventory.resources
             if r.kind in c.check.kinds and (c.check.id, r.provider) not in skipped]
    assert [f.to_dict() for f in shared] == [f.to_dict() for f in fresh]
    assert {f.status.value for f in shared} >= {"PASS", "FAIL", "OPAQUE", "UNVERIFIED"}


def test_one_pass_takes_any_key_order_and_refuses_a_second_resources(tmp_path):
    document = _replicated(2)
    reordered = {"resources": document["resources"], "runs": document["runs"],
                 "schema_version": document["schema_version"]}
    path = tmp_path / "inventory.json"
    path.write_text(json.dumps(reordered), encoding="utf-8")
    streamed = load_streamed(path, _depth)
    assert streamed is not None
    assert streamed.to_dict() == Inventory.from_dict(document).to_dict()
    text = json.dumps(reordered)
    path.write_text(text[:-1] + ', "resources": []}', encoding="utf-8")  # a second key
    assert load_streamed(path, _depth) is None


def test_one_pass_holds_only_the_resources_of_the_latest_read(tmp_path, monkeypatch):
    """The raw resources are taken out of the list ijson fills as the file is read, so they
    are never all held at once (the model is what grows)."""
    from auditor import inventory_stream

    document = _replicated(40)
    path = tmp_path / "inventory.json"
    path.write_text(json.dumps(document, indent=2), encoding="utf-8")
    held: list[int] = []
    take = inventory_stream._Taker.take

    def counting(self, last_too=False):
        held.append(len(self.raw) if isinstance(self.raw, list) else 0)
        take(self, last_too)

    monkeypatch.setattr(inventory_stream._Taker, "take", counting)
    streamed = load_streamed(path, _depth)
    assert streamed is not None and len(streamed.resources) == len(document["resources"])
    assert len(held) > 10  # one take per read, the file is many reads long
    assert max(held) < len(document["resources"]) / 5
