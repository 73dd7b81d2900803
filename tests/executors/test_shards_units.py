"""How a run asks for shards (--shard-by over the config key shard_by, a bad value one line
naming the flag or file and key, exit 2) and what expand_units makes of an adapter's shards
hook: each unit replaced by its parts, options updated, the facts a part leaves removed, the
label in WorkUnit.shard; a unit left whole when the run does not ask, the adapter cannot split
or gives one part. The adapters below are plain classes with the hook (no SDK involved)."""

from __future__ import annotations

import argparse
from typing import Any

import pytest

from auditor.config import load_config
from auditor.errors import ConfigError, PluginError, ProviderError, UsageError
from auditor.executors import ExecutorChoice
from auditor.executors.local import LocalExecutor
from auditor.executors.shards import expand_units, shard_dimension
from auditor.executors.unit import WorkUnit, wire_ready, work_unit
from auditor.exit_codes import EXIT_INPUT
from auditor.providers.base import CollectRequest, ShardTarget, validate_adapter
from auditor.run_failures import ACCOUNT_SCOPE
from auditor.schema import fact_catalog
from auditor.settings import executing

SOURCE = "/etc/auditor.toml"
BY_REGION = LocalExecutor(ExecutorChoice(shard_by="region"))
PAB = {"account": frozenset({"public_access_block.enabled"})}


def _args(**flags: Any) -> argparse.Namespace:
    values = {"executor": None, "scheduler": None, "dask_workers": None, "shard_by": None,
              "config": SOURCE}
    return argparse.Namespace(**{**values, **flags})


class Regional:
    """Splits by region over the unit's ``region`` option; records what it was asked."""

    def __init__(self) -> None:
        self.asked: list[tuple[dict[str, Any], str]] = []

    def shards(self, request: CollectRequest, by: str) -> list[ShardTarget] | None:
        self.asked.append((dict(request.options), by))
        if by != "region":
            return None
        regions = request.options.get("region") or []
        return [ShardTarget(f"region {r}", {"region": [r]}, {} if i == 0 else PAB)
                for i, r in enumerate(regions)]


def _unit(account: str, regions: list[str], facts: dict[str, frozenset[str]] | None = None,
          ) -> WorkUnit:
    request = CollectRequest(options={"role_arn": f"arn:aws:iam::{account}:role/Audit",
                                      "region": regions}, facts=facts)
    return work_unit("aws", account, ACCOUNT_SCOPE, request, {"bucket": ["x"]})


def test_shard_by_comes_from_the_flag_over_the_config_key():
    assert executing(_args(), {}).shard_by == "account"
    assert executing(_args(), {"shard_by": "region"}).shard_by == "region"
    assert executing(_args(shard_by="account"), {"shard_by": "region"}).shard_by == "account"
    dask = executing(_args(executor="dask", scheduler="tcp://h:8786", shard_by="region"), {})
    assert (dask.name, dask.scheduler, dask.shard_by) == ("dask", "tcp://h:8786", "region")
    assert executing(_args(executor="dask", shard_by="region"), {}).shard_by == "region"


@pytest.mark.parametrize(("flags", "config", "source", "where"), [
    ({}, {"shard_by": "zone"}, SOURCE, "$.shard_by"),
    ({"shard_by": "bucket"}, {}, "--shard-by", "$")])
def test_a_bad_shard_dimension_names_its_flag_or_key(flags, config, source, where):
    with pytest.raises(UsageError) as info:
        executing(_args(**flags), config)
    assert (info.value.source, info.value.path) == (source, where)
    assert "not a shard dimension" in info.value.reason and "account, region" in info.value.reason


def test_the_config_file_refuses_a_bad_shard_by_naming_the_key(tmp_path):
    path = tmp_path / "auditor.toml"
    path.write_text('shard_by = "zone"\n')
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert info.value.path == "$.shard_by" and str(path) in str(info.value)
    path.write_text('shard_by = "region"\n')
    assert load_config(path)["shard_by"] == "region"


def test_a_bad_flag_and_a_bad_key_are_one_line_and_exit_2(auditor, tmp_path):
    flagged = auditor("scan", "aws", "--shard-by", "zone", "--no-history")
    assert flagged.returncode == EXIT_INPUT
    (line,) = flagged.stderr.splitlines()
    assert line.startswith("auditor: error: ") and "--shard-by" in line and "zone" in line
    path = tmp_path / "auditor.toml"
    path.write_text('shard_by = "zone"\n')
    keyed = auditor("scan", "aws", "--config", str(path), "--no-history")
    assert keyed.returncode == EXIT_INPUT
    assert keyed.stderr.splitlines() == [
        f"auditor: error: {path}: $.shard_by: 'zone' is not one of ['account', 'region']"]


def test_each_unit_is_replaced_by_its_shards_in_order():
    adapter = Regional()
    units = [_unit("111111111111", ["us-east-1", "eu-west-1"]), _unit("222222222222", ["ap-south-1"]),
             _unit("333333333333", ["eu-central-1", "us-west-2", "sa-east-1"])]
    out = expand_units(adapter, units, BY_REGION)
    assert [(u.account, u.shard) for u in out] == [
        ("111111111111", "region us-east-1"), ("111111111111", "region eu-west-1"),
        ("222222222222", ""),  # one region: whole
        ("333333333333", "region eu-central-1"), ("333333333333", "region us-west-2"),
        ("333333333333", "region sa-east-1")]
    first, second = out[0], out[1]
    # the unit's options updated by the shard's: the account's role kept, one region
    assert first.options == {"role_arn": "arn:aws:iam::111111111111:role/Audit",
                             "region": ["us-east-1"]}
    assert second.options["region"] == ["eu-west-1"]
    assert units[0].options["region"] == ["us-east-1", "eu-west-1"]  # the unit is untouched
    # everything else of the unit is the shard's too
    for field in ("provider", "scope", "requested", "timeout", "max_workers", "tags"):
        assert getattr(first, field) == getattr(units[0], field), field
    # the facts a shard leaves to another: every fact but those (None meant every fact)
    assert first.facts is None
    catalog = fact_catalog()
    assert second.facts["account"] == sorted(set(catalog["account"]) - PAB["account"])
    assert second.facts["storage.bucket"] == sorted(catalog["storage.bucket"])
    for unit in out:
        wire_ready(unit)
    assert [by for _, by in adapter.asked] == ["region"] * 3


def test_wanted_facts_are_narrowed_not_widened():
    unit = _unit("111111111111", ["us-east-1", "eu-west-1"],
                 {"account": frozenset({"public_access_block.enabled",
                                        "block_storage_encryption.enabled"})})
    first, second = expand_units(Regional(), [unit], BY_REGION)
    assert first.facts == unit.facts
    assert second.facts == {"account": ["block_storage_encryption.enabled"]}


def test_units_stay_whole_unless_asked_and_the_adapter_can_split():
    units = [_unit("111111111111", ["us-east-1", "eu-west-1"])]
    adapter = Regional()
    assert expand_units(adapter, units, LocalExecutor()) == units  # not asked
    assert adapter.asked == []  # nor is the hook called
    assert expand_units(object(), units, BY_REGION) == units  # no hook
    assert expand_units(adapter, units, None) == units  # no executor choice: whole
    assert shard_dimension(None) == "account" and shard_dimension(BY_REGION) == "region"


def test_a_hook_answering_junk_is_the_adapters_bug_said_so():
    class Junk:
        def shards(self, request, by):
            return {"region": "us-east-1"}

    with pytest.raises(TypeError, match="not a list of ShardTarget"):
        expand_units(Junk(), [_unit("111111111111", ["us-east-1"])], BY_REGION)


def test_a_shard_overlay_holding_a_secret_is_refused_on_the_wire():
    class Leaky:
        def shards(self, request, by):
            return [ShardTarget("region a", {"session_token": "abcdefghijklmnop"}),
                    ShardTarget("region b", {})]

    leaky, clean = expand_units(Leaky(), [_unit("111111111111", ["a", "b"])], BY_REGION)
    with pytest.raises(ProviderError, match="session_token holds a secret"):
        wire_ready(leaky)
    wire_ready(clean)


def test_a_shards_attribute_that_is_not_callable_is_refused_on_registration():
    from auditor.providers.base import ProviderRegistry

    adapter = ProviderRegistry.from_entry_points().get("aws")

    class Broken(type(adapter)):
        shards = ["region us-east-1"]

    with pytest.raises(PluginError, match="its shards hook is not callable"):
        validate_adapter(Broken(), "aws")


def test_google_cloud_projects_are_never_split():
    from auditor.providers.base import ProviderRegistry

    gcp = ProviderRegistry.from_entry_points().get("gcp")
    assert not any(opt.name == "region" for opt in gcp.options)  # nothing to split by
    unit = work_unit("gcp", "acme-data-eu", ACCOUNT_SCOPE,
                     CollectRequest(options={"project": "acme-data-eu"}), {})
    assert expand_units(gcp, [unit], BY_REGION) == [unit]
