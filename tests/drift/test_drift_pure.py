"""diff_reports over reports built from the model: every category, identities and causes."""

from __future__ import annotations

from drift_support import Estate, finding

from auditor.drift import diff_reports
from auditor.model import AccountFailure, RunError, Status

P, F, OP, U, NA, M = (Status.PASS, Status.FAIL, Status.OPAQUE, Status.UNVERIFIED,
                     Status.NOT_APPLICABLE, Status.MUTED)
ENC, LOG, CUST, VER = ("bucket-encryption-enabled", "bucket-access-logging",
                       "bucket-key-custody", "bucket-versioning")


def _old() -> Estate:
    return Estate([
        finding(ENC, "orders", P), finding(LOG, "orders", P),
        finding(ENC, "payments", F), finding(LOG, "payments", F),
        finding(ENC, "invoices", OP), finding(LOG, "invoices", U),
        finding(ENC, "legacy", F),  # removed in the new run
        finding(CUST, "orders", NA), finding(VER, "orders", M, muted_status=F),
    ])


def _new() -> Estate:
    return Estate([
        finding(ENC, "orders", F),            # PASS -> FAIL: new failure
        finding(LOG, "orders", U),            # PASS -> UNVERIFIED: status change
        finding(ENC, "payments", P),          # FAIL -> PASS: resolved
        finding(LOG, "payments", M, muted_status=F),  # FAIL -> MUTED: resolved, says MUTED
        finding(ENC, "invoices", P),          # OPAQUE -> PASS
        finding(LOG, "invoices", P),          # UNVERIFIED -> PASS
        finding(ENC, "fresh", F),             # a new resource failing: new failure
        finding(LOG, "fresh", P),             # a new resource passing: only resources_added
        finding(CUST, "orders", P),           # NOT_APPLICABLE -> PASS
        finding(VER, "orders", F),            # MUTED -> FAIL (the mute expired): new failure
    ])


def _by_identity(changes):
    return {(c.check_id, c.resource_name): (c.old, c.new, c.cause) for c in changes}


def test_every_finding_category():
    drift = diff_reports(_old().report(), _new().report())
    assert _by_identity(drift.new_failures) == {
        (ENC, "orders"): ("PASS", "FAIL", None),
        (ENC, "fresh"): (None, "FAIL", "resource_added"),
        (VER, "orders"): ("MUTED", "FAIL", None),
    }
    assert _by_identity(drift.resolved_failures) == {
        (ENC, "payments"): ("FAIL", "PASS", None),
        (LOG, "payments"): ("FAIL", "MUTED", None),
        (ENC, "legacy"): ("FAIL", None, "resource_removed"),
    }
    assert _by_identity(drift.status_changes) == {
        (LOG, "orders"): ("PASS", "UNVERIFIED", None),
        (ENC, "invoices"): ("OPAQUE", "PASS", None),
        (LOG, "invoices"): ("UNVERIFIED", "PASS", None),
        (CUST, "orders"): ("NOT_APPLICABLE", "PASS", None),
    }
    assert [(r.name, r.cause) for r in drift.resources_added] == [("fresh", None)]
    assert [(r.name, r.cause) for r in drift.resources_removed] == [("legacy", None)]
    assert drift.checks_added == drift.checks_removed == []
    assert drift.failures_new == drift.failures_recovered == []


def test_severity_is_carried_for_fail_on():
    drift = diff_reports(_old().report(), _new().report())
    severities = {c.check_id: c.severity for c in drift.new_failures}
    assert severities == {ENC: "high", VER: "low"}
    assert {c.check_id for c in drift.new_failures_at_or_above("high")} == {ENC}
    assert drift.new_failures_at_or_above("critical") == []
    assert len(drift.new_failures_at_or_above("info")) == len(drift.new_failures)


def test_identical_reports_have_no_drift():
    report = _old().report()
    drift = diff_reports(report, _old().report())
    assert drift.empty and set(drift.counts().values()) == {0}


def test_lists_are_sorted_by_identity():
    drift = diff_reports(_old().report(), _new().report())
    for name in ("new_failures", "resolved_failures", "status_changes"):
        items = getattr(drift, name)
        assert [c.sort_key() for c in items] == sorted(c.sort_key() for c in items)


def test_region_is_part_of_a_findings_identity():
    old = Estate([finding(ENC, "orders", P, region="us-east-1")])
    new = Estate([finding(ENC, "orders", P, region="eu-west-1")])
    drift = diff_reports(old.report(), new.report())
    # Same resource (provider, account, kind, id, name), another region: the finding moved.
    assert drift.resources_added == drift.resources_removed == []
    assert [(c.region, c.old, c.new, c.cause) for c in drift.status_changes] == [
        ("eu-west-1", None, "PASS", "finding_added"),
        ("us-east-1", "PASS", None, "finding_removed")]


def test_checks_added_and_removed():
    old = Estate([finding(ENC, "orders", P), finding(LOG, "orders", F)],
                 checks=[ENC, LOG])
    new = Estate([finding(ENC, "orders", P), finding(CUST, "orders", F)],
                 checks=[ENC, CUST])
    drift = diff_reports(old.report(), new.report())
    assert [c.id for c in drift.checks_added] == [CUST]
    assert [c.id for c in drift.checks_removed] == [LOG]
    assert [(c.check_id, c.cause) for c in drift.new_failures] == [(CUST, "check_added")]
    assert [(c.check_id, c.new, c.cause) for c in drift.resolved_failures] == [
        (LOG, None, "check_removed")]
    assert drift.resources_added == drift.resources_removed == []


def test_a_failed_account_is_not_read_as_resources_removed():
    accounts = {"aws": ["111111111111", "222222222222"]}
    old = Estate([finding(ENC, "orders", P), finding(ENC, "vault", F, account="222222222222"),
                  finding(LOG, "vault", P, account="222222222222")], accounts=accounts)
    reason = "AssumeRole refused: AccessDenied"
    new = Estate([finding(ENC, "orders", P)], accounts={"aws": ["111111111111"]},
                 account_failures=[AccountFailure("aws", "222222222222", reason)])
    drift = diff_reports(old.report(), new.report())
    assert [(r.name, r.cause, r.cause_detail) for r in drift.resources_removed] == [
        ("vault", "account_failed", reason)]
    assert [(c.resource_name, c.new, c.cause) for c in drift.resolved_failures] == [
        ("vault", None, "account_failed")]
    assert [(f.provider, f.account, f.reason) for f in drift.failures_new] == [
        ("aws", "222222222222", reason)]
    assert drift.failures_recovered == []
    # And back: the account recovers, its resources come back with the cause named.
    back = diff_reports(new.report(), old.report())
    assert [(r.name, r.cause) for r in back.resources_added] == [("vault", "account_recovered")]
    assert [(f.account, f.reason) for f in back.failures_recovered] == [("222222222222", reason)]


def test_a_failed_provider_and_a_failed_listing_are_causes_too():
    old = Estate([finding(ENC, "orders", P), finding(ENC, "logs", P, provider="gcp",
                                                     account="proj-a")],
                 accounts={"aws": ["111111111111"], "gcp": ["proj-a"]})
    listing = RunError("us-east-1", "s3:ListBuckets", "InternalError", kind="listing")
    new = Estate([], accounts={"aws": ["111111111111"]},
                 provider_failures={"gcp": "no credentials found"},
                 listing_errors={("aws", "111111111111"): [listing]})
    drift = diff_reports(old.report(), new.report())
    causes = {r.name: (r.cause, r.cause_detail) for r in drift.resources_removed}
    assert causes == {"logs": ("provider_failed", "no credentials found"),
                      "orders": ("listing_failed", "s3:ListBuckets InternalError (us-east-1)")}
    assert [(f.provider, f.account) for f in drift.failures_new] == [("gcp", None)]


def test_a_listing_gap_scoped_to_one_account_marks_only_that_accounts_removals():
    # One run covering two projects (as a GCP run with --gcp-project twice can).
    both = {"gcp": ["proj-a", "proj-b"]}
    old = Estate([finding(ENC, "a-gone", P, provider="gcp", account="proj-a"),
                  finding(ENC, "b-data", P, provider="gcp", account="proj-b")], accounts=both)
    new = Estate([], accounts=both)
    new_report = new.report()
    new_report.runs = [new_report.runs[0]]
    new_report.runs[0].accounts = ["proj-a", "proj-b"]
    new_report.runs[0].errors = [RunError("projects/proj-b", "storage:buckets.list",
                                          "403 SERVICE_DISABLED", kind="listing")]
    drift = diff_reports(old.report(), new_report)
    assert {r.name: r.cause for r in drift.resources_removed} == {
        "a-gone": None, "b-data": "listing_failed"}


def test_transparency_changes_per_provider_and_safeguard():
    old, new = _old().report(), _new().report()
    drift = diff_reports(old, new)
    changes = {(c.provider, c.account, c.score, c.safeguard): (c.old, c.new)
               for c in drift.transparency_changes}
    before, after = old.transparency["providers"]["aws"], new.transparency["providers"]["aws"]
    differing = {score for score in ("verifiability", "provider_opacity", "access_gap",
                                     "pass_rate") if before[score] != after[score]}
    assert differing  # the estates above differ in every score
    for score in differing:
        assert changes.pop(("aws", None, score, None)) == (before[score], after[score])
    # invoices' encryption was OPAQUE, so the estate's encryption exposure was partial; now
    # every encryption finding was decided: api.
    assert changes.pop(("aws", None, "exposure", "encryption_at_rest")) == ("partial", "api")
    # What is left is the per-account breakdown, when the report carries one.
    assert all(account is not None for (_, account, _, _) in changes)


def test_per_account_scores_only_when_both_reports_break_them_down():
    old, new = _old().report(), _new().report()
    old.transparency = {"providers": {}, "safeguards": {},
                        "accounts": {"aws": {"111": {"verifiability": 0.5, "pass_rate": 1.0},
                                             "222": {"verifiability": 1.0}}}}
    new.transparency = {"providers": {}, "safeguards": {},
                        "accounts": {"aws": {"111": {"verifiability": 0.75, "pass_rate": 1.0}}}}
    drift = diff_reports(old, new)
    assert [(c.account, c.score, c.old, c.new) for c in drift.transparency_changes] == [
        ("111", "verifiability", 0.5, 0.75), ("222", "verifiability", 1.0, None)]
    del new.transparency["accounts"]
    assert diff_reports(old, new).transparency_changes == []


def test_json_form_is_stable_and_names_every_category():
    drift = diff_reports(_old().report(), _new().report())
    document = drift.to_dict()
    assert list(document) == ["schema_version", "tool", "old", "new", "counts",
                              *drift.CATEGORIES]
    assert document["counts"] == {name: len(document[name]) for name in drift.CATEGORIES}
    assert document["old"]["accounts"] == ["aws:111111111111"]
