"""Mutelist rules by account, region and tags; reason and expiry required; expired rules are
reported and mute nothing."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from auditor.errors import ConfigError
from auditor.model import Evidence, ExpiredMute, Finding, Status
from auditor.mutelist import apply_mutes, expired_rules, load_mutelist, rules_need_tags

TODAY = dt.date(2030, 6, 1)
ARN = "arn:aws:s3:::logs"


def _finding(account="111111111111", region="eu-west-1", status=Status.FAIL, provider="aws",
             resource_id=ARN):
    return Finding("bucket-versioning", "t", "versioning", "medium", status,
                   "versioning.enabled=false", "storage.bucket", provider, account, region,
                   resource_id, "logs",
                   [Evidence("versioning.enabled", "observed", False, ["s3:GetBucketVersioning"])])


def _rules(tmp_path, body: str):
    path = tmp_path / "mute.yaml"
    path.write_text("mute:\n" + body)
    return load_mutelist(path)


def _rule(fields: str, expires: str = "2099-12-31") -> str:
    return f"  - reason: accepted for the test\n    expires: {expires}\n" + fields


def test_account_and_region_globs(tmp_path):
    rules = _rules(tmp_path, _rule("    account: '1111*'\n    region: eu-*\n"))
    hit, other_account, other_region = (_finding(), _finding(account="222222222222"),
                                        _finding(region="us-east-1"))
    apply_mutes([hit, other_account, other_region], rules, today=TODAY)
    assert hit.status is Status.MUTED and hit.muted_status is Status.FAIL
    assert other_account.status is Status.FAIL and other_region.status is Status.FAIL


def test_tag_rule_needs_every_listed_tag_to_match(tmp_path):
    rules = _rules(tmp_path, _rule("    tags:\n      env: sandbox-*\n      owner: data\n"))
    key = ("aws", ARN)
    cases = {
        "all match": ({"env": "sandbox-eu", "owner": "data", "extra": "x"}, Status.MUTED),
        "value differs": ({"env": "prod", "owner": "data"}, Status.FAIL),
        "one tag missing": ({"env": "sandbox-eu"}, Status.FAIL),
        "no tags at all": ({}, Status.FAIL),
    }
    for name, (tags, expected) in cases.items():
        finding = _finding()
        apply_mutes([finding], rules, today=TODAY, tags={key: tags})
        assert finding.status is expected, name


def test_unobserved_tags_never_match_a_tag_rule(tmp_path):
    rules = _rules(tmp_path, _rule("    tags:\n      env: '*'\n"))
    unseen, other_provider = _finding(), _finding()
    apply_mutes([unseen], rules, today=TODAY)  # no tag lookup at all
    apply_mutes([other_provider], rules, today=TODAY,
                tags={("gcp", ARN): {"env": "dev"}})  # same id, another provider's tags
    assert unseen.status is Status.FAIL and other_provider.status is Status.FAIL


def test_tag_rule_is_what_needs_tags(tmp_path):
    assert rules_need_tags(_rules(tmp_path, _rule("    tags: {env: dev}\n")))
    assert not rules_need_tags(_rules(tmp_path, _rule("    check: bucket-*\n")))
    assert not rules_need_tags([])


def test_expired_rule_mutes_nothing_and_is_reported(tmp_path):
    rules = _rules(tmp_path, _rule("    check: bucket-*\n", expires="2030-05-31")
                   + _rule("    region: eu-*\n", expires="2030-06-01"))
    source = str(tmp_path / "mute.yaml")
    assert expired_rules(rules, today=TODAY, source=source) == [
        ExpiredMute(0, "accepted for the test", "2030-05-31", source)]
    finding = _finding(region="us-east-1")  # only the expired rule would match it
    apply_mutes([finding], rules, today=TODAY)
    assert finding.status is Status.FAIL
    last_day = _finding()
    apply_mutes([last_day], rules, today=TODAY)  # the second rule mutes through its date
    assert last_day.status is Status.MUTED
    assert [m.rule for m in expired_rules(rules, today=dt.date(2030, 6, 2))] == [0, 1]
    assert expired_rules(rules, today=dt.date(2030, 5, 31)) == []


@pytest.mark.parametrize("body, where, words", [
    ("  - check: x\n    reason: legacy rule\n", "$.mute[0]", "add expires: YYYY-MM-DD"),
    ("  - check: x\n    expires: 2099-01-01\n", "$.mute[0]", "add reason:"),
    ("  - check: x\n", "$.mute[0]", "add reason: <why this finding is accepted> and expires"),
    (_rule("    check: a\n") + "  - check: b\n", "$.mute[1]", "a rule needs a reason and an expiry"),
    (_rule("    tags: {}\n"), "$.mute[0].tags", "non-empty"),
    (_rule("    tags: {env: 3}\n"), "$.mute[0].tags.env", "string"),
    (_rule("    tags: [env]\n"), "$.mute[0].tags", "object"),
    (_rule("    tagz: {env: dev}\n"), "$.mute[0]", "tagz"),
])
def test_bad_rules_are_one_line_errors(tmp_path, body, where, words):
    with pytest.raises(ConfigError) as info:
        _rules(tmp_path, body)
    assert info.value.path == where
    assert words in info.value.reason
    assert "\n" not in str(info.value)


def test_old_mutelist_through_the_cli_says_what_to_add(auditor, golden, tmp_path):
    mute = tmp_path / "old.yaml"
    mute.write_text("mute:\n  - check: bucket-not-public\n    reason: public website\n")
    out = auditor("evaluate", str(golden / "mixed-inventory.json"), "-q", "--mutelist", str(mute))
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert lines == [f"auditor: error: {mute}: $.mute[0]: a rule needs a reason and an expiry: "
                     "add expires: YYYY-MM-DD (the last day it mutes)"]


def test_expired_rule_through_the_cli_is_one_stderr_line_and_in_the_report(auditor, golden,
                                                                           tmp_path):
    mute = tmp_path / "mute.yaml"
    mute.write_text("mute:\n  - check: bucket-not-public\n    reason: website, was public\n"
                    "    expires: 2001-01-01\n"
                    "  - check: kms-key-not-public\n    reason: test key\n"
                    "    expires: 2099-12-31\n")
    out = auditor("evaluate", str(golden / "mixed-inventory.json"), "-q", "-f", "json",
                  "-o", str(tmp_path / "out"), "--mutelist", str(mute), "--no-history")
    assert out.returncode in (1, 3), out.stderr
    assert (f"auditor: {mute}: $.mute[0]: expired on 2001-01-01, mutes nothing any more: "
            "website, was public") in out.stderr.splitlines()
    report = json.loads((tmp_path / "out" / "auditor-report.json").read_text())
    assert report["expired_mutes"] == [{"rule": 0, "reason": "website, was public",
                                        "expires": "2001-01-01", "source": str(mute)}]
    statuses = {(f["check_id"], f["status"]) for f in report["findings"]}
    assert ("bucket-not-public", "MUTED") not in statuses
    assert ("bucket-not-public", "FAIL") in statuses
