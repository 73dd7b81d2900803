"""A failed account in the second of two real multi-account scans: the Alibaba Cloud stand-in's
Resource Directory (ListAccounts, a RAM role assumed in each member through STS AssumeRole),
where the member refuses the role the second night. The drift names the failed account with
its reason and does not read its resources as removed."""

from __future__ import annotations

import copy
import json

import pytest

from auditor.cli import main
from auditor.sandbox.estate import make_sandbox
from auditor.sandbox.manage import scan_flags

MANAGEMENT, PAYMENTS = "1000000000000001", "2000000000000002"
# Fields as documented by the stand-in (auditor/providers/alibaba/sandbox: the directory
# section, as tests/providers/alibaba/rd_support.py seeds it).
NIGHT_ONE = {
    "account": MANAGEMENT,
    "buckets": [{"name": "mgmt-audit-logs", "region": "cn-hangzhou"}],
    "directory": {"id": "rd-3G9kQ2", "members": [
        {"account": PAYMENTS, "name": "payments-prod", "estate": {
            "buckets": [{"name": "pay-ledger", "region": "cn-hangzhou"}]}}]},
}


def _night_two() -> dict:
    estate = copy.deepcopy(NIGHT_ONE)
    estate["directory"]["members"][0]["refuse"] = "NoPermission"
    return estate


def test_an_account_refusing_the_role_is_a_failure_not_a_removal(tmp_path, capsys):
    db = tmp_path / "history.sqlite"
    sandbox = make_sandbox("alibaba")
    sandbox.start()
    mp = pytest.MonkeyPatch()
    codes = []
    try:
        for n, estate in enumerate((NIGHT_ONE, _night_two())):
            sandbox.seed(estate)
            for name, value in sandbox.environment().items():
                mp.setenv(name, value)
            mp.delenv("ALIBABA_CLOUD_SECURITY_TOKEN", raising=False)
            codes.append(main(["scan", "alibaba", *scan_flags("alibaba", sandbox.scan_options()),
                               "--alibaba-resource-directory", "--alibaba-role-name",
                               "ResourceDirectoryAccountAccessRole", "-q", "-f", "json",
                               "-o", str(tmp_path / f"out{n}"), "--history-db", str(db)]))
    finally:
        mp.undo()
        sandbox.stop()
    second = json.loads((tmp_path / "out1" / "auditor-report.json").read_text())
    refused = {a["account"]: a["reason"] for a in second["account_failures"]}
    assert list(refused) == [PAYMENTS] and codes[1] == 3  # partial: one account failed
    capsys.readouterr()
    assert main(["diff", "--history-db", str(db), "-f", "json"]) == 0
    drift = json.loads(capsys.readouterr().out)
    assert [(f["provider"], f["account"], f["reason"]) for f in drift["failures_new"]] == [
        ("alibaba", PAYMENTS, refused[PAYMENTS])]
    removed = {(r["kind"], r["name"]): (r["account"], r["cause"], r["cause_detail"])
               for r in drift["resources_removed"]}
    assert ("storage.bucket", "pay-ledger") in removed  # and the account's own settings
    assert set(removed.values()) == {(PAYMENTS, "account_failed", refused[PAYMENTS])}
    # Whatever failed on pay-ledger the first night is not "resolved" without the cause.
    assert all(c["cause"] == "account_failed" for c in drift["resolved_failures"]
               if c["account"] == PAYMENTS)
    assert f"alibaba:{PAYMENTS}" in drift["new"]["accounts"]  # the scope is the same job's
