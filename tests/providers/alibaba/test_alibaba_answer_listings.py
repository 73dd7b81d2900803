"""Bounded listings, KMS and ECS JSON answers that are not documented, derived facts and
the per-call timeout, each through the real SDKs (a rewriting proxy before the stand-in)."""

from __future__ import annotations

import json
import time

import pytest
from alibaba_answer_proxy import AnswerProxy, fixed
from alibaba_support import ACCOUNT, b, buckets, keys, scan

from auditor.errors import EndpointError
from auditor.model import FactState
from auditor.providers.alibaba import AlibabaAdapter
from auditor.providers.base import CollectRequest

KEY = {"id": "key-cust", "region": "cn-hangzhou", "rotation": "90d"}
SERVICE_KEY = {"id": "key-svc", "region": "cn-hangzhou", "creator": "Oss",
               "aliases": ["alias/acs/oss"], "rotation": "365d"}
HSM_KEY = {"id": "key-hsm", "region": "cn-hangzhou", "protection": "HSM", "instance": "kst-1",
           "policy": {"Version": "1", "Statement": []}}


def section(*specs, keys_=(KEY, SERVICE_KEY, HSM_KEY), **extra):
    return {"account": ACCOUNT, "public_access_block": False, "keys": list(keys_),
            "buckets": list(specs), **extra}


def gaps(collection):
    return {(e.operation, e.code) for e in collection.run.errors if e.kind == "listing"}


def _oss_page(names, truncated, marker=None):
    items = "".join(f"<Bucket><Name>{n}</Name><Location>oss-cn-hangzhou</Location></Bucket>"
                    for n in names)
    tail = f"<NextMarker>{marker}</NextMarker>" if marker else ""
    return (f'<?xml version="1.0"?><ListAllMyBucketsResult><IsTruncated>{truncated}'
            f"</IsTruncated>{tail}<Owner><ID>{ACCOUNT}</ID></Owner><Buckets>{items}</Buckets>"
            "</ListAllMyBucketsResult>").encode()


@pytest.mark.parametrize(("page", "code", "pages"), [
    (_oss_page(["bkt-a"], "true"), "TruncatedWithoutMarker", 1),
    (_oss_page(["bkt-a"], "true", "bkt-a"), "RepeatedMarker", 2)])
def test_a_bucket_listing_that_cannot_be_followed_keeps_what_it_listed(
        make_ali_sandbox, page, code, pages):
    box = make_ali_sandbox(section(b("bkt-a"), b("bkt-b")))
    with AnswerProxy(box.oss_url, "oss:ListBuckets", fixed(page)) as proxy:
        collection, _ = scan(box, facts={"storage.bucket": frozenset(
            {"versioning.enabled"})}, options={**box.scan_options(), "oss_endpoint": proxy.url})
    assert sorted(buckets(collection)) == ["bkt-a"]
    assert gaps(collection) == {("oss:ListBuckets", code)}
    assert proxy.rewritten == pages  # bounded: no loop on a marker that repeats
    assert collection.run.status == "partial"


# First pages of ListBuckets that are not its documented answer (OSS API reference,
# ListBuckets (GetService): a ListAllMyBucketsResult root with Owner and Buckets): each is a
# malformed answer, recorded as the bucket listing's gap; the keys and the account's
# settings are still read.
_PAGE = _oss_page(["bkt-a"], "false")
NOT_A_LISTING = [
    ("empty", b"", "EmptyBody"),
    ("not-xml", b"<html>gateway says hello", "UnparsableXml"),
    ("cut-in-half", _PAGE[:len(_PAGE) // 2], "UnparsableXml"),
    ("another-root", b'<?xml version="1.0"?><UnexpectedResult/>', "UnexpectedRoot"),
    ("no-buckets-element", _PAGE.replace(b"<Buckets>", b"<Other>").replace(
        b"</Buckets>", b"</Other>"), "UnexpectedShape"),
]


@pytest.mark.parametrize(("body", "code"), [(body, code) for _, body, code in NOT_A_LISTING],
                         ids=[name for name, _, _ in NOT_A_LISTING])
def test_a_first_bucket_page_that_is_not_a_listing_is_a_gap(make_ali_sandbox, body, code):
    box = make_ali_sandbox(section(b("bkt-a")))
    with AnswerProxy(box.oss_url, "oss:ListBuckets", fixed(body)) as proxy:
        collection, _ = scan(box, options={**box.scan_options(), "oss_endpoint": proxy.url})
    assert buckets(collection) == {}
    assert {(e.scope, e.operation, e.code, e.kind) for e in collection.run.errors} == {
        (ACCOUNT, "oss:ListBuckets", code, "listing")}
    assert proxy.rewritten == 1  # a malformed answer is not asked again
    assert sorted(keys(collection)) == ["key-cust", "key-hsm", "key-svc"]
    assert collection.run.accounts == [ACCOUNT] and collection.run.status == "partial"
    account = next(r for r in collection.resources if r.kind == "account"
                   and r.region == "global")
    assert account.id == ACCOUNT
    assert account.facts["public_access_block.enabled"].state is FactState.OBSERVED


def _kms_keys_page(page_number, total, ids):
    return json.dumps({"Keys": {"Key": [{"KeyId": i, "KeyArn": f"acs:kms:cn-hangzhou:{ACCOUNT}:"
                                         f"key/{i}"} for i in ids]},
                       "TotalCount": total, "PageNumber": page_number, "PageSize": 100,
                       "RequestId": "r"}).encode()


@pytest.mark.parametrize(("body", "code", "pages"), [
    # An endpoint that ignores PageNumber answers page 1 again: stop, do not loop.
    (_kms_keys_page(1, 250, ["key-cust"]), "RepeatedMarker", 2),
    # TotalCount says more, the page is empty: nothing to follow.
    (_kms_keys_page(1, 250, []), "TruncatedWithoutMarker", 1)])
def test_a_key_listing_that_cannot_be_followed_is_a_gap(make_ali_sandbox, body, code, pages):
    box = make_ali_sandbox(section(b("bkt-a")))
    with AnswerProxy(box.kms_url, "kms:ListKeys", fixed(body)) as proxy:
        collection, _ = scan(box, facts={"kms.key": frozenset({"key.state"})},
                             options={**box.scan_options(), "alibaba_kms_endpoint": proxy.url})
    assert gaps(collection) == {("kms:ListKeys", code)}
    assert proxy.rewritten == pages
    assert sorted(keys(collection)) == (["key-cust"] if pages == 2 else [])


NOT_JSON = (b"<html>gateway</html>", b"", b"[]", b'{"KeyMetadata": "text"}')


@pytest.mark.parametrize("body", NOT_JSON, ids=["html", "empty", "array", "wrong-type"])
def test_describe_key_that_is_not_documented_makes_only_its_key_facts_errors(
        make_ali_sandbox, body):
    box = make_ali_sandbox(section(b("by-key", encryption={"algorithm": "KMS", "key": "key-cust"},
                                     versioning="Enabled")))
    with AnswerProxy(box.kms_url, "kms:DescribeKey", fixed(body)) as proxy:
        collection, _ = scan(box, options={**box.scan_options(),
                                           "alibaba_kms_endpoint": proxy.url})
    bucket = buckets(collection)["by-key"].facts
    assert bucket["key_custody.level"].state is FactState.ERROR
    assert bucket["encryption.key_id"].value == "key-cust"  # from OSS: unchanged
    assert bucket["versioning.enabled"].value is True
    assert {keys(collection)[k].facts["key.state"].state for k in keys(collection)} == {
        FactState.ERROR}
    codes = {e.code for e in collection.run.errors if e.operation == "kms:DescribeKey"}
    assert codes and codes <= {"UnparsableJson", "EmptyBody", "UnexpectedShape"}


@pytest.mark.parametrize(("operation", "body"), [
    ("kms:GetKeyPolicy", b'{"Policy": 7}'), ("kms:GetKeyPolicy", b"not json"),
    ("kms:ListAliases", b'{"Aliases": {"Alias": "x"}, "TotalCount": 1, "PageNumber": 1}')])
def test_other_kms_reads_that_are_not_documented(make_ali_sandbox, operation, body):
    box = make_ali_sandbox(section(b("svc", encryption={"algorithm": "KMS"})))
    with AnswerProxy(box.kms_url, operation, fixed(body)) as proxy:
        collection, _ = scan(box, options={**box.scan_options(),
                                           "alibaba_kms_endpoint": proxy.url})
    assert proxy.rewritten >= 1
    if operation == "kms:GetKeyPolicy":
        hsm = keys(collection)["key-hsm"].facts
        assert hsm["key_exposure.is_public"].state is FactState.ERROR
        assert hsm["key.state"].value == "enabled"
    else:  # the service key cannot be found: its facts are errors, the listing a gap
        assert buckets(collection)["svc"].facts["key_custody.hsm"].state is FactState.ERROR
        assert ("kms:ListAliases", "UnexpectedShape") in gaps(collection)


@pytest.mark.parametrize("body", [b'{"Encrypted": "yes"}', b"{}", b"<xml/>"])
def test_disk_encryption_status_that_is_not_documented_is_an_error(make_ali_sandbox, body):
    box = make_ali_sandbox(section(b("bkt-a"), ecs_default_encryption={
        "cn-hangzhou": {"encrypted": True, "key": "key-cust"}}))
    with AnswerProxy(box.ecs_url, "ecs:DescribeDiskEncryptionByDefaultStatus",
                     fixed(body)) as proxy:
        collection, _ = scan(box, facts={"account": frozenset(
            {"block_storage_encryption.enabled"})},
            options={**box.scan_options(), "alibaba_ecs_endpoint": proxy.url})
    (account,) = [r for r in collection.resources if r.region == "cn-hangzhou"]
    assert account.facts["block_storage_encryption.enabled"].state is FactState.ERROR


# --- derived facts: an unread input is never a verdict ---------------------------------

def test_effective_block_settles_on_one_level_and_not_on_an_unread_one(make_ali_sandbox):
    box = make_ali_sandbox(section(
        b("blocked-here", acl="public-read", block_public_access=True,
          info_omits=["BlockPublicAccess"]),
        b("open-unread", acl="public-read", info_omits=["BlockPublicAccess"],
          faults={"GetBucketPublicAccessBlock": 403})))
    found = {n: r.facts for n, r in buckets(scan(box)[0]).items()}
    blocked = found["blocked-here"]
    assert blocked["public_access_block.effective"].value is True
    assert blocked["public_exposure.is_public"].value is False
    unread = found["open-unread"]
    for path in ("public_access_block.effective", "public_exposure.is_public"):
        fact = unread[path]
        # The account block is off, the bucket's unread: not "not blocked", not "public".
        assert fact.state is FactState.DENIED and fact.value is None, path
        assert "bucket denied" in fact.detail and fact.source[0] == \
            "oss:GetBucketPublicAccessBlock"


# --- one timeout per call --------------------------------------------------------------

def test_request_timeout_bounds_every_call(make_ali_sandbox):
    box = make_ali_sandbox(section(b("bkt-a")), latency=1.5)
    adapter = AlibabaAdapter(retry_attempts=2, retry_base_delay=0.001, retry_max_delay=0.001)
    env = box.environment()
    started = time.monotonic()
    with pytest.MonkeyPatch.context() as mp:
        for name, value in env.items():
            mp.setenv(name, value)
        # Bucket facts only: ListBuckets is the one call, and as nothing answers (every
        # attempt times out) the run has nothing to report.
        with pytest.raises(EndpointError):
            adapter.collect(CollectRequest(options=box.scan_options(), timeout=0.3,
                                           facts={"storage.bucket": frozenset(
                                               {"versioning.enabled"})}))
    assert time.monotonic() - started < 2.5  # two attempts of 0.3 s, not of 1.5 s
