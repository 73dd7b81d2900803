"""Multi-account scans through the installed CLI: a failed account is exit 3 with one stderr
line and the other accounts' findings; every account failing is exit 5 (scan and collect);
collect then evaluate gives the same account failures; --max-accounts is checked.

The provider is a test plugin without any SDK, installed like any third-party adapter (a module
and a dist-info with an ``auditor.providers`` entry point on PYTHONPATH, as crash_plugin.py
does). Its ``--toyorg-organization`` switch makes its accounts hook list TOYORG_ACCOUNTS; each
account's collect clones resources of the golden inventory, or raises for TOYORG_FAIL.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from auditor.exit_codes import EXIT_INPUT, EXIT_NOTHING, EXIT_OK, EXIT_PARTIAL

PLUGIN = "toyorg"
GOLDEN = Path(__file__).parents[1] / "golden" / "mixed-inventory.json"
REASON = "sts:AssumeRole refused: AccessDenied on AuditRole"

SOURCE = '''\
"""Test plugin: a multi-account provider without an SDK (see tests/e2e/test_accounts_cli.py)."""
import dataclasses
import os
import threading
from pathlib import Path

from auditor.documents import load_inventory
from auditor.errors import ProviderError
from auditor.model import ProviderRun
from auditor.providers import alibaba
from auditor.providers.base import AccountTarget, Collection, ProviderOption, load_exposure_profile

CROWD = threading.Condition()
FLIGHT = {"now": 0, "most": 0}


class OrgAdapter:
    name = "toyorg"
    title = "Toy organization (test plugin)"
    options = (ProviderOption("organization", "scan every account", flag=True),)
    data_dir = Path(alibaba.__file__).parent

    def exposure_profile(self):
        return load_exposure_profile(self.data_dir / "exposure.yaml")

    def accounts(self, request):
        if not request.options.get("organization"):
            return None
        return [AccountTarget(a, {"account": a})
                for a in os.environ["TOYORG_ACCOUNTS"].split(",")]

    def collect(self, request):
        with CROWD:  # hold until TOYORG_HOLD collects are in flight (at most 1.5 s)
            FLIGHT["now"] += 1
            FLIGHT["most"] = max(FLIGHT["most"], FLIGHT["now"])
            CROWD.notify_all()
            CROWD.wait_for(lambda: FLIGHT["now"] >= int(os.environ.get("TOYORG_HOLD", "1")),
                           timeout=1.5)
            if os.environ.get("TOYORG_TRACE"):
                Path(os.environ["TOYORG_TRACE"]).write_text(str(FLIGHT["most"]))
        try:
            return self._collect(request)
        finally:
            with CROWD:
                FLIGHT["now"] -= 1

    def _collect(self, request):
        account = request.options.get("account") or "000000000000"
        failing = os.environ.get("TOYORG_FAIL", "").split(",")
        if account in failing:
            raise ProviderError("toyorg", os.environ["TOYORG_REASON"])
        if "crash-" + account in failing:
            raise KeyError("Credentials")
        golden = load_inventory(os.environ["TOYORG_INVENTORY"]).resources
        resources = [dataclasses.replace(r, provider="toyorg", account=account,
                                         id=r.id + "@" + account)
                     for r in golden if r.provider == "aws"][: 2 + int(account[-1])]
        run = ProviderRun("toyorg", accounts=[account], status="complete",
                          api_calls={"List": 1, "Get": len(resources)})
        return Collection(run, resources)
'''


@pytest.fixture
def plugin_env(tmp_path):
    folder = tmp_path / "plugin"
    folder.mkdir()
    (folder / "toyorg_adapter.py").write_text(SOURCE, encoding="utf-8")
    info = folder / "toyorg_adapter-0.0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: toyorg-adapter\n"
                                   "Version: 0.0.1\n", encoding="utf-8")
    (info / "entry_points.txt").write_text(
        f"[auditor.providers]\n{PLUGIN} = toyorg_adapter:OrgAdapter\n", encoding="utf-8")
    path = os.pathsep.join(p for p in (str(folder), os.environ.get("PYTHONPATH", "")) if p)
    return {"PYTHONPATH": path, "TOYORG_INVENTORY": str(GOLDEN), "TOYORG_REASON": REASON,
            "TOYORG_ACCOUNTS": "111111111111,222222222222,333333333333"}


def _scan(auditor, env, out, *extra, fail=""):
    return auditor("scan", PLUGIN, "--toyorg-organization", "-o", str(out), "-f", "json,junit",
                   *extra, env={**env, "TOYORG_FAIL": fail})


def _lines(stderr: str, needle: str) -> list[str]:
    return [line for line in stderr.splitlines() if needle in line]


def test_a_failed_account_is_exit_3_with_its_reason_and_the_others_reported(
        auditor, plugin_env, tmp_path):
    result = _scan(auditor, plugin_env, tmp_path, fail="222222222222")
    assert result.returncode == EXIT_PARTIAL, result.stderr
    assert _lines(result.stderr, "222222222222") == [
        f"auditor: {PLUGIN}: account 222222222222: not collected: {REASON}"]
    assert "collected no buckets" not in result.stderr
    report = json.loads((tmp_path / "auditor-report.json").read_text(encoding="utf-8"))
    assert report["provider_failures"] == {}
    assert report["account_failures"] == [
        {"provider": PLUGIN, "account": "222222222222", "reason": REASON}]
    accounts = {f["account"] for f in report["findings"]}
    assert accounts == {"111111111111", "333333333333"}
    per_account = report["transparency"]["accounts"][PLUGIN]
    for account in accounts:
        mine = [f for f in report["findings"] if f["account"] == account]
        assert per_account[account]["fail"] == sum(f["status"] == "FAIL" for f in mine)
        assert per_account[account]["pass"] == sum(f["status"] == "PASS" for f in mine)
    assert "account-collection" in (tmp_path / "auditor-report.xml").read_text(encoding="utf-8")
    # the terminal table (stdout) lists the account runs and the lost account
    table = auditor("report", str(tmp_path / "auditor-report.json")).stdout
    assert _lines(table, "not collected") == [
        f"{PLUGIN}: account 222222222222: not collected: {REASON}"]
    assert len(_lines(table, "complete")) == 2


def test_every_account_failing_is_exit_5(auditor, plugin_env, tmp_path):
    result = _scan(auditor, plugin_env, tmp_path,
                   fail="111111111111,222222222222,333333333333")
    assert result.returncode == EXIT_NOTHING, result.stderr
    assert len(_lines(result.stderr, "not collected")) == 3
    assert "collected no buckets" not in result.stderr
    report = json.loads((tmp_path / "auditor-report.json").read_text(encoding="utf-8"))
    assert len(report["account_failures"]) == 3 and not report["findings"]
    # --fail-on cannot turn it into 0 or 1: there is no finding at all
    again = _scan(auditor, plugin_env, tmp_path / "again", "--fail-on", "info",
                  fail="111111111111,222222222222,333333333333")
    assert again.returncode == EXIT_NOTHING


def test_collect_then_evaluate_keeps_the_account_failures(auditor, plugin_env, tmp_path):
    inventory = tmp_path / "inventory.json"
    collected = auditor("collect", PLUGIN, "--toyorg-organization", "-o", str(inventory),
                        env={**plugin_env, "TOYORG_FAIL": "333333333333"})
    assert collected.returncode == EXIT_PARTIAL, collected.stderr
    assert _lines(collected.stderr, "333333333333") == [
        f"auditor: {PLUGIN}: account 333333333333: not collected: {REASON}"]
    evaluated = auditor("evaluate", str(inventory), "-o", str(tmp_path / "eval"), "-f", "json",
                        env=plugin_env)
    assert evaluated.returncode == EXIT_PARTIAL, evaluated.stderr
    scanned = _scan(auditor, plugin_env, tmp_path / "scan", fail="333333333333")
    reports = [json.loads((d / "auditor-report.json").read_text(encoding="utf-8"))
               for d in (tmp_path / "eval", tmp_path / "scan")]
    assert reports[0]["account_failures"] == reports[1]["account_failures"] == [
        {"provider": PLUGIN, "account": "333333333333", "reason": REASON}]
    assert (reports[0]["transparency"]["accounts"] == reports[1]["transparency"]["accounts"])
    assert scanned.returncode == EXIT_PARTIAL


def test_collect_with_every_account_failing_is_exit_5(auditor, plugin_env, tmp_path):
    result = auditor("collect", PLUGIN, "--toyorg-organization", "-o",
                     str(tmp_path / "inventory.json"),
                     env={**plugin_env, "TOYORG_FAIL": "111111111111,222222222222,333333333333"})
    assert result.returncode == EXIT_NOTHING, result.stderr


def test_without_the_switch_the_provider_is_collected_once(auditor, plugin_env, tmp_path):
    result = auditor("scan", PLUGIN, "-o", str(tmp_path), "-f", "json", env=plugin_env)
    assert result.returncode in (EXIT_OK, EXIT_PARTIAL), result.stderr  # golden has UNVERIFIED
    report = json.loads((tmp_path / "auditor-report.json").read_text(encoding="utf-8"))
    assert [r["accounts"] for r in report["runs"]] == [["000000000000"]]


def test_an_unexpected_account_exception_is_one_line_and_a_traceback_with_debug(
        auditor, plugin_env, tmp_path):
    result = _scan(auditor, plugin_env, tmp_path, fail="crash-111111111111")
    assert result.returncode == EXIT_PARTIAL, result.stderr
    line, = _lines(result.stderr, "111111111111")
    assert line.startswith(f"auditor: {PLUGIN}: account 111111111111: not collected: "
                           "unexpected KeyError at toyorg_adapter.py:")
    assert "Traceback" not in result.stderr
    debug = _scan(auditor, plugin_env, tmp_path / "debug", "--debug", fail="crash-111111111111")
    assert "Traceback" in debug.stderr and "KeyError: 'Credentials'" in debug.stderr


@pytest.mark.parametrize("value", ["0", "-2"])
def test_max_accounts_below_one_is_a_usage_error(auditor, plugin_env, tmp_path, value):
    result = _scan(auditor, plugin_env, tmp_path, "--max-accounts", value)
    assert result.returncode == EXIT_INPUT
    assert result.stderr.strip().splitlines() == [
        "auditor: error: --max-accounts: must be a whole number, at least 1"]
    assert not (tmp_path / "auditor-report.json").exists()


def test_max_accounts_one_still_collects_every_account(auditor, plugin_env, tmp_path):
    result = _scan(auditor, plugin_env, tmp_path, "--max-accounts", "1")
    assert result.returncode in (EXIT_OK, EXIT_PARTIAL), result.stderr
    report = json.loads((tmp_path / "auditor-report.json").read_text(encoding="utf-8"))
    assert sorted(a for r in report["runs"] for a in r["accounts"]) == [
        "111111111111", "222222222222", "333333333333"]


@pytest.mark.parametrize("config_value, flag, most", [(1, None, 1), (1, "3", 3), (2, None, 2)])
def test_max_accounts_from_config_and_flag_bounds_the_accounts_in_flight(
        auditor, plugin_env, tmp_path, config_value, flag, most):
    config = tmp_path / "auditor.toml"
    config.write_text(f"max_accounts = {config_value}\n", encoding="utf-8")
    trace = tmp_path / "most.txt"
    env = {**plugin_env, "TOYORG_TRACE": str(trace), "TOYORG_HOLD": "3",
           "TOYORG_ACCOUNTS": "111111111111,222222222222,333333333333,444444444444"}
    result = _scan(auditor, env, tmp_path / "out", "--config", str(config),
                   *(("--max-accounts", flag) if flag else ()))
    assert result.returncode in (EXIT_OK, EXIT_PARTIAL), result.stderr
    assert int(trace.read_text()) == most
