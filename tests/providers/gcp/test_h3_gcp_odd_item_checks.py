"""An odd listed item's never-exposed facts are OPAQUE findings, its exposed ones UNVERIFIED,
end to end: the real google-cloud clients over HTTP against the GCP stand-in, a proxy making
one item of a listing page not the documented resource, the checks run by the engine.

The references: a Cloud Storage bucket resource always has location and iamConfiguration
(Buckets resource, JSON API v1); Cloud Storage has no setting refusing plain HTTP and no
MFA-delete control (exposure.yaml level none), so a bucket-tls-enforced or bucket-mfa-delete
finding of such a bucket is OPAQUE, not UNVERIFIED; its legal reach is derived by the core
from its residency, which is the item's error (UNVERIFIED). Filestore v1 Instance has no
setting that requires encrypted NFS traffic: storage-tls-enforced of an odd instance is OPAQUE.
"""

from __future__ import annotations

from typing import Any

import pytest
from answer_proxy import AnswerProxy, in_item
from gcp_support import fast_adapter

from auditor.checks import compile_check, load_checks
from auditor.engine import evaluate, wanted_facts
from auditor.model import Inventory, Status
from auditor.providers._runtime.placeholders import CORE_DERIVED
from auditor.providers.base import CollectRequest

CHECKS = ("bucket-tls-enforced", "bucket-mfa-delete", "bucket-versioning", "storage-tls-enforced",
          "storage-encryption-enabled", "data-legal-reach")


def _drop(member: str) -> Any:
    return lambda item: item.pop(member)


ROWS = [
    # (row id, listing action, the item, its change, kind, {check: status of the odd item})
    ("bucket-without-iam-configuration", "storage.buckets.list", "b0",
     _drop("iamConfiguration"), "storage.bucket",
     {"bucket-tls-enforced": Status.OPAQUE, "bucket-mfa-delete": Status.OPAQUE,
      "bucket-versioning": Status.UNVERIFIED, "data-legal-reach": Status.UNVERIFIED}),
    ("bucket-location-number", "storage.buckets.list", "b0",
     lambda item: item.update(location=7), "storage.bucket",
     {"bucket-tls-enforced": Status.OPAQUE, "bucket-mfa-delete": Status.OPAQUE,
      "bucket-versioning": Status.UNVERIFIED, "data-legal-reach": Status.UNVERIFIED}),
    ("filestore-kms-key-number", "file.instances.list", "fs0",
     lambda item: item.update(kmsKeyName=5), "storage.filesystem",
     {"storage-tls-enforced": Status.OPAQUE, "storage-encryption-enabled": Status.UNVERIFIED,
      "data-legal-reach": Status.UNVERIFIED}),
]


@pytest.mark.parametrize(("action", "name", "change", "kind", "statuses"),
                         [r[1:] for r in ROWS], ids=[r[0] for r in ROWS])
def test_an_odd_items_hidden_facts_are_opaque_findings(make_sandbox, action: str, name: str,
                                                       change: Any, kind: str,
                                                       statuses: dict[str, Status]) -> None:
    checks = [compile_check(c) for c in load_checks() if c.id in CHECKS]
    box = make_sandbox({"projects": [{
        "id": "k", "number": "5",
        "buckets": [{"name": "b0", "location": "US"}, {"name": "b1", "location": "US"}],
        "filestore_instances": [{"name": "fs0"}, {"name": "fs1", "location": "us-east1"}]}]})
    proxy = AnswerProxy(box).on(action, in_item(name, change, key="items" if "buckets" in action
                                                else "instances"))
    try:
        collection = fast_adapter().collect(CollectRequest(options=proxy.scan_options(),
                                                           facts=wanted_facts(checks)))
    finally:
        proxy.stop()
    odd = next(r for r in collection.resources if r.kind == kind and r.name == name)
    assert not set(odd.facts) & CORE_DERIVED  # the adapter leaves them to the core
    failures = [e for e in collection.run.errors if e.scope == odd.id]
    assert [(e.code, e.kind) for e in failures] == [("UnexpectedShape", "call")]
    findings = evaluate(Inventory([collection.run], collection.resources), checks)
    mine = {f.check_id: f for f in findings if f.resource_id == odd.id}
    assert {c: mine[c].status for c in statuses} == statuses
    for check, finding in mine.items():  # never a PASS or FAIL from an odd item
        assert finding.status in (Status.OPAQUE, Status.UNVERIFIED), (check, finding.message)
        if finding.status is Status.OPAQUE:
            assert statuses.get(check) is Status.OPAQUE, check
    other = next(r for r in collection.resources if r.kind == kind and r.name != name)
    assert {f.status for f in findings if f.resource_id == other.id} - {
        Status.OPAQUE} <= {Status.PASS, Status.FAIL}  # the page's other item was read
