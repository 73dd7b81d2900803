"""--shard-by region in a multi-account scan: the AWS Organization on the stand-in (a management
account and three members, tests/providers/aws/org_support.py) scanned in two regions, each
account whole and each account one unit per region, gives the same findings; the member whose
role cannot be assumed fails in each of its regions, each failure naming its region, and the
other accounts' regions all count."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from dask_support import report, untimed

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "providers" / "aws"))
from org_support import ROLE, US, Organization, organization

from auditor.exit_codes import EXIT_PARTIAL

EU = "eu-west-1"


@pytest.fixture(scope="module")
def org() -> Iterator[Organization]:
    with organization() as running:
        yield running


def _scan(auditor_cli, org: Organization, out: Path, *flags: str) -> dict[str, Any]:
    done = auditor_cli("scan", "aws", "--aws-organization", "--aws-role-name", ROLE,
                       "--aws-region", US, "--aws-region", EU, "-q", "--no-history",
                       "-f", "json", "-o", str(out), *flags, env=org.environment(),
                       timeout=300)
    assert done.returncode == EXIT_PARTIAL, done.stderr
    return report(out)


def test_an_organization_by_region_finds_what_it_finds_by_account(org, auditor_cli, tmp_path):
    whole = _scan(auditor_cli, org, tmp_path / "whole")
    split = _scan(auditor_cli, org, tmp_path / "split", "--shard-by", "region")
    assert len(whole["findings"]) > 20
    assert sorted(map(str, untimed(whole["findings"]))) == sorted(
        map(str, untimed(split["findings"])))
    refusing = org.accounts["refusing"]
    (one,) = [f for f in whole["account_failures"] if f["account"] == refusing]
    assert "AssumeRole" in one["reason"]
    # sharded: the refusing account fails in each region, each failure naming its region
    reasons = sorted(f["reason"] for f in split["account_failures"] if f["account"] == refusing)
    assert [r.split(":", 1)[0] for r in reasons] == [f"region {EU}", f"region {US}"]
    assert all("AssumeRole" in r for r in reasons)
    # every other account: one complete (or partial) run per region
    for name in ("plain", "denied"):
        account = org.accounts[name]
        regions = sorted(r for run in split["runs"] if account in run["accounts"]
                         for r in run["regions"])
        assert regions == [EU, US], name
        assert {f["account"] for f in split["findings"]} >= {account}
