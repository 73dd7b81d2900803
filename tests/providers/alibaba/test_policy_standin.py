"""Bucket-policy verdicts end to end: the real OSS client against the OSS stand-in.

When GetBucketPolicyStatus cannot be read, the bucket policy itself is judged by the OSS
"Block Public Access" criteria (https://www.alibabacloud.com/help/en/oss/user-guide/
block-public-access): an acs:SecureTransport condition does not pin the requester, so an Allow
for "*" under it is public. When neither can be read, nothing is guessed.
"""

from __future__ import annotations

from alibaba_support import ACCOUNT, b, bucket_of, buckets, res, scan

from auditor.model import FactState

HTTPS_ONLY_PUBLIC = {"Version": "1", "Statement": [{
    "Effect": "Allow", "Principal": ["*"], "Action": ["oss:GetObject"],
    "Resource": res("https-public", bucket_itself=False),
    "Condition": {"Bool": {"acs:SecureTransport": ["true"]}}}]}
FIXED_USER = {"Version": "1", "Statement": [{
    "Effect": "Allow", "Principal": ["2746495857600000"], "Action": ["oss:GetObject"],
    "Resource": res("fixed-user", bucket_itself=False)}]}
STATUS_DENIED = {"GetBucketPolicyStatus": 403}
PUBLIC_FACTS = frozenset({"public_exposure.is_public", "public_exposure.reasons"})


def _estate(*spec):
    return {"account": ACCOUNT, "public_access_block": False, "keys": [], "buckets": list(spec)}


def test_policy_judged_when_policy_status_is_denied(make_ali_sandbox):
    box = make_ali_sandbox(_estate(
        b("https-public", policy=HTTPS_ONLY_PUBLIC, faults=STATUS_DENIED),
        b("fixed-user", policy=FIXED_USER, faults=STATUS_DENIED),
        b("no-policy", faults=STATUS_DENIED),
        b("both-denied", policy=HTTPS_ONLY_PUBLIC,
          faults={**STATUS_DENIED, "GetBucketPolicy": 403}),
        b("malformed", policy="{not json", faults=STATUS_DENIED),
        # Readable status: the provider's IsPublic is the answer; the document is not read.
        b("status-says-public", policy=FIXED_USER, policy_public=True)))
    collection, requests = scan(box, facts={"storage.bucket": PUBLIC_FACTS})
    found = {name: r.facts["public_exposure.is_public"] for name, r in
             buckets(collection).items()}

    public = found["https-public"]
    assert public.state is FactState.OBSERVED and public.value is True
    assert public.basis == "derived" and "oss:GetBucketPolicy" in public.source
    assert "Block Public Access criteria" in public.detail
    assert "Bool:acs:SecureTransport" in public.detail
    assert buckets(collection)["https-public"].facts["public_exposure.reasons"].value == [
        "policy"]

    for name in ("fixed-user", "no-policy"):
        assert found[name].state is FactState.OBSERVED and found[name].value is False, name
        assert found[name].basis == "derived"

    assert found["both-denied"].state is FactState.DENIED and found["both-denied"].value is None
    assert found["malformed"].state is FactState.DENIED  # the status failure, not a verdict
    assert found["status-says-public"].value is True
    assert found["status-says-public"].basis is None

    policy_reads = {bucket_of(r) for r in requests if r.action == "oss:GetBucketPolicy"}
    assert "status-says-public" not in policy_reads
    assert {"https-public", "fixed-user", "both-denied"} <= policy_reads


def test_tls_verdict_reads_string_equals_false(make_ali_sandbox):
    # RAM "Conditional operators": StringEquals on acs:SecureTransport "false" matches every
    # plain-HTTP request, as Bool false does.
    box = make_ali_sandbox(_estate(
        b("tls-string", policy={"Version": "1", "Statement": [{
            "Effect": "Deny", "Principal": ["*"], "Action": ["oss:*"], "Resource": res("tls-string"),
            "Condition": {"StringEquals": {"acs:SecureTransport": "false"}}}]}),
        b("tls-exempt", policy={"Version": "1", "Statement": [{
            "Effect": "Deny", "Principal": ["*"], "Action": ["oss:*"], "Resource": res("tls-exempt"),
            "Condition": {"Bool": {"acs:SecureTransport": "false"},
                          "StringNotEquals": {"acs:AccessId": ["LTAI5tAb"]}}}]})))
    collection, _ = scan(box, facts={"storage.bucket": frozenset({"tls_enforced.required"})})
    found = {n: r.facts["tls_enforced.required"] for n, r in buckets(collection).items()}
    assert found["tls-string"].state is FactState.OBSERVED and found["tls-string"].value is True
    assert found["tls-exempt"].value is False
    assert "StringNotEquals:acs:AccessId" in found["tls-exempt"].detail
