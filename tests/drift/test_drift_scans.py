"""Two real scans of the Google Cloud stand-in with a change in the estate between them, each
recorded in one history database, then ``auditor diff`` over them: every category asserted.

The scans run the real google-cloud clients over HTTP against the 127.0.0.1 stand-in
(auditor/providers/gcp/sandbox), in-process through auditor.cli.main.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json

import pytest

from auditor.cli import main
from auditor.exit_codes import report_exit_code
from auditor.model import Report
from auditor.sandbox.estate import make_sandbox
from auditor.sandbox.manage import scan_flags

# Estate fields as documented in auditor/providers/gcp/sandbox/estate.yaml.
BEFORE = {"projects": [
    {"id": "proj-a", "number": "1001",
     "key_rings": [{"name": "ring", "location": "us", "keys": [
         {"name": "soft", "protection": "SOFTWARE", "rotation_days": 90},
         {"name": "hsm", "protection": "HSM", "rotation_days": 90}]}],
     "buckets": [
         {"name": "a-orders", "location": "US", "kms_key": "us/ring/soft",
          "public_access_prevention": "enforced", "versioning": True},
         {"name": "a-public", "location": "US",
          "iam": [{"role": "roles/storage.objectViewer", "members": ["allUsers"]}]},
         {"name": "a-audit", "location": "US", "public_access_prevention": "enforced"},
         {"name": "a-open", "location": "US"},
         {"name": "a-legacy", "location": "US"}]},
    {"id": "proj-b", "number": "1002", "buckets": [{"name": "b-data", "location": "US"}]},
]}


def _after() -> dict:
    estate = copy.deepcopy(BEFORE)
    a, b = estate["projects"]
    buckets = {bucket["name"]: bucket for bucket in a["buckets"]}
    buckets["a-orders"]["versioning"] = False                 # PASS -> FAIL
    buckets["a-public"].pop("iam")                            # FAIL -> PASS (not public)
    buckets["a-public"]["public_access_prevention"] = "enforced"
    buckets["a-audit"]["kms_key"] = "us/ring/hsm"             # HSM: OPAQUE -> PASS
    buckets["a-open"]["faults"] = {"storage.buckets.getIamPolicy": 403}  # PASS -> UNVERIFIED
    a["buckets"] = [bk for bk in a["buckets"] if bk["name"] != "a-legacy"]
    a["buckets"].append({"name": "a-new", "location": "US"})  # a new resource, failing
    b["disabled"] = ["storage"]                               # proj-b's buckets not readable
    return estate


def _status(document: dict, bucket: str, check: str) -> str:
    return next(f["status"] for f in document["findings"]
                if f["resource_name"] == bucket and f["check_id"] == check)


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("drift-scans")
    db = tmp / "history.sqlite"
    sandbox = make_sandbox("gcp")
    sandbox.start()
    mp = pytest.MonkeyPatch()
    reports, scans = [], []
    try:
        for n, (estate, extra) in enumerate(((BEFORE, []),
                                             (_after(), ["--exclude-checks",
                                                         "bucket-tls-enforced"]))):
            sandbox.seed(estate)
            for name, value in sandbox.environment().items():
                mp.setenv(name, value)
            out = tmp / f"out{n}"
            printed = io.StringIO()
            with contextlib.redirect_stdout(printed):
                code = main(["scan", "gcp", *scan_flags("gcp", sandbox.scan_options()), "-q",
                             "-f", "json", "-o", str(out), "--history-db", str(db),
                             "--diff-last", "--save-inventory", *extra])
            report = json.loads((out / "auditor-report.json").read_text())
            reports.append(report)
            scans.append((code, printed.getvalue()))
    finally:
        mp.undo()
        sandbox.stop()
    return db, reports, scans


def _diff(capsys, *args: str) -> tuple[int, str]:
    capsys.readouterr()
    code = main(["diff", *args])
    return code, capsys.readouterr().out


def test_diff_of_two_scans_names_every_category(two_runs, capsys):
    db, (old, new), _ = two_runs
    code, out = _diff(capsys, "--history-db", str(db), "-f", "json")
    assert code == 0
    drift = json.loads(out)
    assert drift["old"]["id"] is not None and drift["new"]["id"] > drift["old"]["id"]

    def pairs(category):
        return {(c["resource_name"], c["check_id"]): (c["old"], c["new"])
                for c in drift[category]}

    # Each expectation read off the two reports the scans wrote.
    for bucket, check in (("a-orders", "bucket-versioning"),):
        assert (_status(old, bucket, check), _status(new, bucket, check)) == ("PASS", "FAIL")
        assert pairs("new_failures")[bucket, check] == ("PASS", "FAIL")
    assert pairs("resolved_failures")["a-public", "bucket-not-public"] == ("FAIL", "PASS")
    assert pairs("status_changes")["a-open", "bucket-not-public"] == ("PASS", "UNVERIFIED")
    assert pairs("status_changes")["a-audit", "bucket-key-hsm"] == ("OPAQUE", "PASS")
    new_failing = {k for k, v in pairs("new_failures").items() if v[0] is None}
    assert new_failing == {("a-new", f["check_id"]) for f in new["findings"]
                           if f["resource_name"] == "a-new" and f["status"] == "FAIL"}
    assert [r["name"] for r in drift["resources_added"]] == ["a-new"]
    removed = {r["name"]: r for r in drift["resources_removed"]}
    assert set(removed) == {"a-legacy", "b-data"}
    assert removed["a-legacy"]["cause"] is None
    # proj-b could not be read in the second run: its bucket is not "gone", and says why.
    assert removed["b-data"]["cause"] in ("listing_failed", "account_failed")
    assert removed["b-data"]["account"] == "proj-b"
    assert [c["id"] for c in drift["checks_removed"]] == ["bucket-tls-enforced"]
    assert drift["checks_added"] == []
    scores = {(c["account"], c["score"]) for c in drift["transparency_changes"]}
    before = old["transparency"]["providers"]["gcp"]
    after = new["transparency"]["providers"]["gcp"]
    assert {(None, s) for s in ("verifiability", "provider_opacity", "access_gap", "pass_rate")
            if before[s] != after[s]} <= scores
    assert scores  # the estate changed what could be verified
    assert drift["counts"] == {name: len(drift[name]) for name in drift["counts"]}


def test_fail_on_decides_the_exit_code(two_runs, capsys):
    db, _, _ = two_runs
    drift = json.loads(_diff(capsys, "--history-db", str(db), "-f", "json")[1])
    ranks = ("info", "low", "medium", "high", "critical")
    worst = max(ranks.index(c["severity"]) for c in drift["new_failures"])
    assert _diff(capsys, "--history-db", str(db), "--fail-on", ranks[worst])[0] == 1
    if worst + 1 < len(ranks):
        assert _diff(capsys, "--history-db", str(db), "--fail-on", ranks[worst + 1])[0] == 0


def test_markdown_is_a_job_summary(two_runs, capsys):
    db, _, _ = two_runs
    code, out = _diff(capsys, "--history-db", str(db), "-f", "markdown")
    assert code == 0
    drift = json.loads(_diff(capsys, "--history-db", str(db), "-f", "json")[1])
    assert out.startswith("## Safeguard Auditor drift")
    assert f"### New failures ({len(drift['new_failures'])})" in out
    assert "### Checks added (0)\n\nnone" in out
    assert "a\\-new" in out or "a-new" in out


def test_one_run_is_compared_with_the_previous_of_its_scope(two_runs, capsys):
    db, _, _ = two_runs
    both = json.loads(_diff(capsys, "--history-db", str(db), "-f", "json")[1])
    one = json.loads(_diff(capsys, "--history-db", str(db), "-f", "json", "last")[1])
    explicit = json.loads(_diff(capsys, "--history-db", str(db), "-f", "json",
                                str(both["old"]["id"]), str(both["new"]["id"]))[1])
    assert one == both == explicit
    reverse = json.loads(_diff(capsys, "--history-db", str(db), "-f", "json",
                               str(both["new"]["id"]), str(both["old"]["id"]))[1])
    assert reverse["counts"]["new_failures"] == both["counts"]["resolved_failures"]
    code = main(["diff", "--history-db", str(db), str(both["old"]["id"])])
    assert code == 2
    assert "first run of its scope" in capsys.readouterr().err


def test_scan_diff_last_prints_the_drift_and_keeps_its_exit_code(two_runs, capsys):
    db, reports, ((first_code, first_out), (second_code, second_out)) = two_runs
    assert first_out.strip() == "auditor: drift: no earlier run of scope gcp:proj-a,proj-b to " \
                                "compare with"
    # The drift printed after the second scan is the one `auditor diff` shows afterwards.
    assert second_out == _diff(capsys, "--history-db", str(db))[1]
    assert "New failures (" in second_out
    for code, report in zip((first_code, second_code), reports, strict=True):
        assert code == report_exit_code(Report.from_dict(report), None)


def test_evaluate_diff_last_markdown_and_no_history(two_runs, tmp_path, capsys):
    """evaluate records and diffs too; with -f markdown (and no table) the drift is Markdown;
    with --no-history it is compared with the last stored run and not stored itself."""
    db_src, _, _ = two_runs
    inventories = [db_src.parent / f"out{n}" / "auditor-inventory.json" for n in (0, 1)]
    db = tmp_path / "evaluate.sqlite"

    def evaluate(inventory, *flags):
        capsys.readouterr()
        code = main(["evaluate", str(inventory), "-q", "-o", str(tmp_path / "ev"),
                     "--history-db", str(db), "--diff-last", *flags])
        return code, capsys.readouterr().out

    assert "no earlier run" in evaluate(inventories[0], "-f", "json")[1]
    code, out = evaluate(inventories[1], "-f", "markdown", "--exclude-checks",
                         "bucket-tls-enforced")
    assert out.startswith("## Safeguard Auditor drift")
    assert "### Checks removed (1)" in out and "### Resources added (1)" in out
    from auditor.history import History

    with History(db) as history:
        stored = len(history.runs())
    again, out = evaluate(inventories[1], "-f", "json", "--no-history", "--exclude-checks",
                          "bucket-tls-enforced")
    assert again == code  # the same evaluation: the drift printed changes no exit code
    assert "drift: 0 new failure(s), 0 resolved, 0 other status change(s)" in out
    with History(db) as history:
        assert len(history.runs()) == stored
