"""Object-level retention (ObjectWorm) on OSS counts toward immutability.

The real alibabacloud-oss-v2 client reads GetBucketObjectWormConfiguration from the OSS
stand-in, which answers with the XML shape of the OSS API reference; the shipped checks
bucket-immutability and bucket-immutability-locked then judge the facts.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from alibaba_support import ACCOUNT, buckets, scan

from auditor.checks import compile_check, load_checks
from auditor.engine import evaluate_one
from auditor.model import FactState, Status
from auditor.providers.alibaba.sandbox import AlibabaSandbox

REF_GET = ("OSS API reference, GetBucketObjectWormConfiguration: ObjectWormEnabled, Rule."
           "DefaultRetention Mode/Days/Years; Rule absent without a default; HTTP 404 when "
           "ObjectWorm is not enabled")
REF_PUT = ("OSS API reference, PutBucketObjectWormConfiguration: ObjectWorm and a bucket WORM "
           "policy are mutually exclusive; the default applies to new objects")
REF_WORM = "OSS API reference, GetBucketWorm: State InProgress or Locked; NoSuchWORMConfiguration"
# OSS "Retention policies" / object-level retention guide: COMPLIANCE retention cannot be
# shortened or removed by any user; GOVERNANCE can be changed by users allowed to bypass it.
REF_MODES = "OSS object-level retention: COMPLIANCE cannot be bypassed, GOVERNANCE can"


def bucket(name: str, **spec: Any) -> dict[str, Any]:
    return {"name": name, "region": "oss-cn-hangzhou", "versioning": "Enabled", **spec}


# (bucket, spec, enabled, mode, retention_days, locked,
#  bucket-immutability status, bucket-immutability-locked status, documented source)
CASES = [
    ("ow-compliance-days", {"object_worm": {"mode": "COMPLIANCE", "days": 30}},
     True, "compliance", 30, True, Status.PASS, Status.PASS, f"{REF_GET}; {REF_MODES}"),
    ("ow-compliance-years", {"object_worm": {"mode": "COMPLIANCE", "years": 2}},
     True, "compliance", 730, True, Status.PASS, Status.PASS, f"{REF_GET}; {REF_MODES}"),
    ("ow-governance", {"object_worm": {"mode": "GOVERNANCE", "days": 7}},
     True, "governance", 7, False, Status.PASS, Status.FAIL, f"{REF_GET}; {REF_MODES}"),
    ("ow-no-default", {"object_worm": {}},
     False, "object_worm", None, False, Status.FAIL, Status.NOT_APPLICABLE,
     f"{REF_GET} (Rule is not returned without a default retention); {REF_PUT}"),
    ("ow-off", {},
     False, None, None, False, Status.FAIL, Status.NOT_APPLICABLE, f"{REF_GET}; {REF_WORM}"),
    ("bucket-worm-locked", {"worm": {"state": "Locked", "days": 90}},
     True, "worm", 90, True, Status.PASS, Status.PASS, REF_WORM),
    ("bucket-worm-inprogress", {"worm": {"state": "InProgress", "days": 90}},
     True, "worm", 90, False, Status.PASS, Status.FAIL, REF_WORM),
]
DENIED_OW = ("ow-denied", {"faults": {"GetBucketObjectWormConfiguration": 403}})
# A COMPLIANCE default shows the bucket immutable even when the other read failed: the two
# settings are exclusive (PutBucketObjectWormConfiguration), so the failed one cannot matter.
WORM_DENIED = ("ow-worm-denied", {"object_worm": {"mode": "COMPLIANCE", "days": 3},
                                  "faults": {"GetBucketWorm": 403}})


@pytest.fixture(scope="module")
def worm_scan() -> Iterator[dict[str, Any]]:
    box = AlibabaSandbox()
    box.start()
    try:
        specs = [bucket(name, **spec) for name, spec, *_ in CASES]
        specs += [bucket(name, **spec) for name, spec in (DENIED_OW, WORM_DENIED)]
        box.seed({"account": ACCOUNT, "buckets": specs})
        collection, requests = scan(box)
        yield {"buckets": buckets(collection), "requests": requests}
    finally:
        box.stop()


def status(check_id: str, resource: Any) -> Status:
    check = next(c for c in load_checks() if c.id == check_id)
    return evaluate_one(compile_check(check), resource)[0]


@pytest.mark.parametrize(("name", "spec", "enabled", "mode", "days", "locked", "retention",
                          "lock_status", "doc"), CASES, ids=[c[0] for c in CASES])
def test_object_worm_counts_toward_immutability(worm_scan, name, spec, enabled, mode, days,
                                                locked, retention, lock_status, doc):
    found = worm_scan["buckets"][name]
    facts = found.facts
    expected = {"immutability.enabled": enabled, "immutability.mode": mode,
                "immutability.retention_days": days, "immutability.locked": locked}
    for path, value in expected.items():
        assert facts[path].state is FactState.OBSERVED, (name, path, facts[path], doc)
        assert facts[path].value == value, (name, path, facts[path], doc)
    assert "oss:GetBucketObjectWormConfiguration" in facts["immutability.enabled"].source \
        or mode == "worm"
    assert status("bucket-immutability", found) is retention, (name, doc)
    assert status("bucket-immutability-locked", found) is lock_status, (name, doc)


def test_not_enabled_is_an_observed_absence_not_an_error(worm_scan):
    # REF_GET: "If ObjectWorm is not enabled for the bucket, the call returns a 404 error."
    fact = worm_scan["buckets"]["ow-off"].facts["immutability.enabled"]
    assert fact.state is FactState.OBSERVED and fact.value is False
    assert "ObjectWorm not enabled" in fact.detail
    asked = [r for r in worm_scan["requests"]
             if r.action == "oss:GetBucketObjectWormConfiguration"]
    assert asked and all(r.method == "GET" for r in asked)  # read-only
    assert all("objectWorm" in r.query for r in asked)


def test_a_denied_read_is_unverified_never_mutable(worm_scan):
    found = worm_scan["buckets"][DENIED_OW[0]]
    fact = found.facts["immutability.enabled"]
    assert fact.state is FactState.DENIED and fact.value is None
    assert fact.source[0] == "oss:GetBucketObjectWormConfiguration"
    assert status("bucket-immutability", found) is Status.UNVERIFIED


def test_compliance_default_decides_despite_a_failed_bucket_worm_read(worm_scan):
    found = worm_scan["buckets"][WORM_DENIED[0]]
    assert found.facts["immutability.locked"].value is True
    assert status("bucket-immutability-locked", found) is Status.PASS


def test_no_such_bucket_is_not_read_as_not_configured():
    from auditor.errors import NotConfigured, NotFound
    from auditor.providers.alibaba._errors import _classify

    operation = "oss:GetBucketObjectWormConfiguration"
    missing, _ = _classify(operation, "NoSuchBucket", 404, "The specified bucket does not exist.")
    assert isinstance(missing, NotFound)
    off, _ = _classify(operation, "AnyCodeOss404", 404, "not enabled")
    assert isinstance(off, NotConfigured)
    # Only this operation documents a bare 404 as "not configured".
    other, _ = _classify("oss:GetBucketWorm", "AnyCodeOss404", 404, "?")
    assert not isinstance(other, NotConfigured)
