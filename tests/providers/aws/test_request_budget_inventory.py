"""The inventory written one resource at a time is the same file as the whole-document one."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from aws_support import collect, mocked_estate

from auditor.documents import dump_inventory, inventory_text, load_inventory
from auditor.errors import InventoryError
from auditor.inventory_write import write_to
from auditor.model import Fact, Inventory, Resource

GOLDEN = Path(__file__).resolve().parents[2] / "golden" / "mixed-inventory.json"


def streamed(inventory: Inventory) -> str:
    out = io.StringIO()
    write_to(inventory, out)
    return out.getvalue()


@pytest.mark.parametrize("keep", ["all", "runs only", "nothing"])
def test_same_text_as_the_whole_document(keep: str) -> None:
    inventory = load_inventory(GOLDEN)
    if keep != "all":
        inventory = Inventory(inventory.runs if keep == "runs only" else [], [])
    assert streamed(inventory) == inventory_text(inventory)


def test_a_moto_collection_is_written_as_before(tmp_path: Path) -> None:
    estate = {"buckets": [{"name": "iw-plain", "region": "us-east-1",
                           "encryption": {"algorithm": "AES256"}}]}
    with mocked_estate(estate, tmp_path):
        collection = collect({"region": ["us-east-1"]})
    inventory = Inventory([collection.run], collection.resources)
    path = dump_inventory(inventory, tmp_path / "out" / "inventory.json")
    assert path.read_text(encoding="utf-8") == inventory_text(inventory)
    assert path.stat().st_mode & 0o777 == 0o600
    assert load_inventory(path).to_dict() == inventory.to_dict()


def test_lone_surrogates_are_cleaned_as_before() -> None:
    inventory = load_inventory(GOLDEN)
    first = inventory.resources[0]
    inventory.resources[0] = Resource(first.kind, first.provider, first.account, first.region,
                                      first.id, "odd-\udcff", first.facts, first.tags)
    text = streamed(inventory)
    assert text == inventory_text(inventory) and "odd-\\ufffd" in text


def test_a_bad_resource_names_its_place_and_leaves_no_file(tmp_path: Path) -> None:
    inventory = load_inventory(GOLDEN)
    first = inventory.resources[1]
    facts = dict(first.facts)
    facts["no.such_fact"] = Fact.observed(True, "s3:GetBucketEncryption")
    inventory.resources[1] = Resource(first.kind, first.provider, first.account, first.region,
                                      first.id, first.name, facts)
    target = tmp_path / "inventory.json"
    with pytest.raises(InventoryError) as caught:
        dump_inventory(inventory, target)
    assert caught.value.path.startswith("$.resources[1]"), caught.value
    assert "<collected inventory>" in str(caught.value)
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(InventoryError) as whole:
        inventory_text(inventory)
    assert whole.value.reason == caught.value.reason
