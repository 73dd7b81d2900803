"""What the adapter could not read stays unread: error facts and coverage gaps, never guesses.

Each scenario seeds its own stand-in and scans it through the real SDKs.
"""

from __future__ import annotations

import json
import threading
import time

from alibaba_support import ACCOUNT, allow_public, b, buckets, deny_http, keys, scan

from auditor.errors import CallError
from auditor.model import FactState, Inventory
from auditor.providers._runtime import ApiLedger, RetryPolicy
from auditor.providers.alibaba import _kms
from auditor.providers.alibaba._errors import Caller
from auditor.providers.alibaba._session import Session
from auditor.providers.alibaba.sandbox import ACCESS_KEY_ID
from auditor.sandbox.base import RecordedRequest, RecordingServer, Reply

KEY = {"id": "key-cust", "region": "cn-hangzhou", "rotation": "90d"}
SERVICE_KEY = {"id": "key-svc", "region": "cn-hangzhou", "creator": "Oss",
               "aliases": ["alias/acs/oss"], "rotation": "365d"}


def section(*bucket_specs, keys=(KEY, SERVICE_KEY), **extra):
    return {"account": ACCOUNT, "keys": list(keys), "buckets": list(bucket_specs), **extra}


def listing_gaps(collection) -> set[tuple[str, str, str]]:
    return {(e.scope, e.operation, e.code) for e in collection.run.errors if e.kind == "listing"}


# --- fix 1: DescribeKey fields that are missing are not guessed -----------------------

def test_missing_creator_and_protection_level_are_errors(make_ali_sandbox):
    no_creator = {"id": "key-no-creator", "region": "cn-hangzhou", "rotation": "90d",
                  "metadata_omits": ["Creator"]}
    no_level = {"id": "key-no-level", "region": "cn-hangzhou",
                "metadata_omits": ["ProtectionLevel"]}
    box = make_ali_sandbox(section(
        b("by-no-creator", encryption={"algorithm": "KMS", "key": "key-no-creator"}),
        b("by-no-level", encryption={"algorithm": "KMS", "key": "key-no-level"}),
        keys=[no_creator, no_level]))
    collection, _ = scan(box)
    found, bucket = keys(collection), buckets(collection)
    # Without Creator a key is neither "customer" nor "provider"; HSM use still reads.
    for facts in (found["key-no-creator"].facts, bucket["by-no-creator"].facts):
        level = facts["key_custody.level"]
        assert level.state is FactState.ERROR and "Creator" in level.detail
        assert facts["key_custody.hsm"].value is False
        assert facts["key_rotation.period_days"].value == 90
    assert found["key-no-creator"].facts["key.manager"].state is FactState.ERROR
    # Without ProtectionLevel, HSM use is unknown (not "SOFTWARE"); custody still reads.
    for facts in (found["key-no-level"].facts, bucket["by-no-level"].facts):
        hsm = facts["key_custody.hsm"]
        assert hsm.state is FactState.ERROR and "ProtectionLevel" in hsm.detail
        assert facts["key_custody.level"].value == "customer_kms"
    assert found["key-no-level"].facts["key.state"].value == "enabled"


# --- fix 2: only each operation's documented "not configured" code is a value ---------

def test_undocumented_no_such_codes_are_errors(make_ali_sandbox):
    box = make_ali_sandbox(section(
        b("pab-odd", info_omits=["BlockPublicAccess"],
          faults={"GetBucketPublicAccessBlock": "NoSuchPublicAccessBlockConfiguration"}),
        b("worm-odd", faults={"GetBucketWorm": "NoSuchObjectLockConfiguration"}),
        b("enc-odd", info_omits=["ServerSideEncryptionRule"],
          faults={"GetBucketEncryption": "NoSuchBucketPolicy"}),
        b("status-odd", faults={"GetBucketPolicyStatus": "NoSuchPolicyStatus"}),
        b("https-odd", policy=deny_http("https-odd"),
          faults={"GetBucketHttpsConfig": "NoSuchHttpsConfiguration"}),
        b("status-no-policy", faults={"GetBucketPolicyStatus": "NoSuchBucketPolicy"}),
        b("https-not-set", policy=deny_http("https-not-set"),
          faults={"GetBucketHttpsConfig": "NoSuchHttpsConfig"})))
    collection, _ = scan(box)
    found = {name: r.facts for name, r in buckets(collection).items()}
    for name, path, code in [
            ("pab-odd", "public_access_block.bucket", "NoSuchPublicAccessBlockConfiguration"),
            ("pab-odd", "public_access_block.effective", "NoSuchPublicAccessBlockConfiguration"),
            ("worm-odd", "immutability.enabled", "NoSuchObjectLockConfiguration"),
            ("worm-odd", "immutability.locked", "NoSuchObjectLockConfiguration"),
            ("enc-odd", "encryption.enabled", "NoSuchBucketPolicy")]:
        fact = found[name][path]
        # A derived fact (the effective block) names its unread input's code inside.
        assert fact.state is FactState.ERROR and code in fact.detail, (name, path)
    # An odd policy-status answer is a failed read, never "not public"; the verdict then comes
    # from the policy document itself (here: none), judged by the Block Public Access rules.
    odd = found["status-odd"]["public_exposure.is_public"]
    assert odd.basis == "derived" and odd.value is False
    assert "GetBucketPolicyStatus could not be read (error: NoSuchPolicyStatus" in odd.detail
    # The TLS verdict stands; the unreadable HTTPS config is reported beside it, not as "off".
    https = found["https-odd"]["tls_enforced.required"]
    assert https.value is True and "GetBucketHttpsConfig error: NoSuchHttpsConfiguration" \
        in https.detail
    # GetBucketPolicyStatus documents no NoSuch code (without a policy: 200 IsPublic false,
    # OSS API reference "GetBucketPolicyStatus"): a failed read, judged from the policy.
    no_policy = found["status-no-policy"]["public_exposure.is_public"]
    assert no_policy.value is False and \
        "GetBucketPolicyStatus could not be read (error: NoSuchBucketPolicy" in no_policy.detail
    # The documented answers still read as values.
    assert "no TLS version restriction" in found["https-not-set"]["tls_enforced.required"].detail
    failures = {(e.scope, e.code) for e in collection.run.errors}
    assert ("worm-odd", "NoSuchObjectLockConfiguration") in failures
    assert ("status-no-policy", "NoSuchBucketPolicy") in failures
    assert not any(e.scope == "https-not-set" for e in collection.run.errors)


# --- fix 3: TLS needs the owner and region the policy names ---------------------------

def test_tls_with_unknown_owner_is_an_error_where_the_policy_names_it(make_ali_sandbox):
    box = make_ali_sandbox(section(
        b("names-account", policy=deny_http("names-account")),
        b("any-account", policy=deny_http("any-account", Resource=[
            "acs:oss:*:*:any-account", "acs:oss:*:*:any-account/*"])),
        b("narrowed", policy=deny_http("narrowed", Principal=["203948571"])),
        list_omits=["Owner"]))
    collection, _ = scan(box, facts={"storage.bucket": frozenset({"tls_enforced.required"})})
    found = buckets(collection)
    assert collection.run.accounts == ["unknown"]
    names = found["names-account"].facts["tls_enforced.required"]
    assert names.state is FactState.ERROR and names.value is None
    assert f"acs:oss:*:{ACCOUNT}:names-account" in names.detail
    assert "could not read the bucket owner" in names.detail
    assert found["any-account"].facts["tls_enforced.required"].value is True
    narrowed = found["narrowed"].facts["tls_enforced.required"]
    assert narrowed.value is False and "is not everyone" in narrowed.detail


def test_tls_with_unknown_region_is_an_error_where_the_policy_names_it(make_ali_sandbox):
    regional = deny_http("lost", Resource=["acs:oss:oss-cn-hangzhou:*:lost",
                                           "acs:oss:oss-cn-hangzhou:*:lost/*"])
    box = make_ali_sandbox(section(
        b("lost", policy=regional, list_omits=["Location"], faults={"GetBucketLocation": 403}),
        b("lost-any", policy=deny_http("lost-any"), list_omits=["Location"],
          faults={"GetBucketLocation": 403})))
    collection, _ = scan(box, facts={"storage.bucket": frozenset({"tls_enforced.required"})})
    found = buckets(collection)
    lost = found["lost"].facts["tls_enforced.required"]
    # Derived from a region read that was denied: denied (the one rule of _runtime.derive).
    assert lost.state is FactState.DENIED and "region 'oss-cn-hangzhou'" in lost.detail
    assert "could not read the bucket region (AccessDenied" in lost.detail
    # A policy over every region decides without the bucket's.
    assert found["lost-any"].facts["tls_enforced.required"].value is True


# --- fix 6: a public bucket's known reasons are observed, marked partial --------------

def test_acl_unreadable_but_policy_public(make_ali_sandbox):
    box = make_ali_sandbox(section(b("policy-open", policy=allow_public("policy-open"),
                                     info_omits=["AccessControlList"],
                                     faults={"GetBucketAcl": 403})))
    facts = buckets(scan(box)[0])["policy-open"].facts
    assert facts["public_exposure.is_public"].value is True
    reasons = facts["public_exposure.reasons"]
    assert reasons.state is FactState.OBSERVED and reasons.value == ["policy"]
    assert "partial list" in reasons.detail and "oss:GetBucketAcl could not be read" \
        in reasons.detail


# --- listings that fail are coverage gaps ---------------------------------------------

def test_later_list_buckets_page_failing_keeps_the_first_pages(make_ali_sandbox):
    box = make_ali_sandbox(section(*(b(f"bkt-{i}") for i in range(5)), list_page_size=2,
                                   faults={"ListBuckets": [None, 403]}))
    collection, requests = scan(box, facts={"storage.bucket": frozenset({"versioning.enabled"})})
    assert sorted(buckets(collection)) == ["bkt-0", "bkt-1"]
    assert listing_gaps(collection) == {(ACCOUNT, "oss:ListBuckets", "AccessDenied")}
    assert collection.run.status == "partial"
    assert sum(r.action == "oss:ListBuckets" for r in requests) == 2


def test_failed_kms_listings_are_coverage_gaps(make_ali_sandbox):
    box = make_ali_sandbox(section(b("svc", encryption={"algorithm": "KMS"}),
                                   faults={"ListKeys": 403, "ListAliases": 403}))
    collection, _ = scan(box)
    assert listing_gaps(collection) == {("cn-hangzhou", "kms:ListKeys", "Forbidden.NoPermission"),
                                        ("cn-hangzhou", "kms:ListAliases",
                                         "Forbidden.NoPermission")}
    assert collection.run.status == "partial"
    calls = [e for e in collection.run.errors if e.kind == "call"]
    assert not calls, calls  # the listings are the only failures


def test_later_kms_pages_failing_are_coverage_gaps(make_ali_sandbox):
    many = [{"id": f"key-{i:03d}", "region": "cn-hangzhou", "aliases": [f"alias/k{i}"]}
            for i in range(101)] + [SERVICE_KEY]
    box = make_ali_sandbox(section(b("svc", encryption={"algorithm": "KMS"}), keys=many,
                                   faults={"ListKeys": [None, 500, 500, 500, 500],
                                           "ListAliases": [None, 403]}))
    collection, _ = scan(box, facts={"storage.bucket": frozenset({"key_custody.hsm"}),
                                     "kms.key": frozenset({"key.state"})})
    assert listing_gaps(collection) == {
        ("cn-hangzhou", "kms:ListKeys", "InternalFailure"),
        ("cn-hangzhou", "kms:ListAliases", "Forbidden.NoPermission")}
    # The first page of keys is kept; the rest is the gap. The service key is not guessed.
    assert sorted(keys(collection)) == [f"key-{i:03d}" for i in range(100)]
    assert buckets(collection)["svc"].facts["key_custody.hsm"].state is FactState.DENIED


# --- fix 5: credentials fetched after the first are scrubbed too -----------------------

ROTATED_ID, ROTATED_SECRET = "rotated-key-0002", "rotated-secret-0002"
ROTATED_TOKEN = "rotated-token-0002"


class CredentialsUri:
    """An ALIBABA_CLOUD_CREDENTIALS_URI endpoint: the sandbox key first, then a rotated STS
    key, each expiring at once so that the SDK fetches again before every request."""

    def __init__(self) -> None:
        self.served = 0
        self._lock = threading.Lock()
        self.server = RecordingServer(self._handle)

    def _handle(self, request: RecordedRequest) -> Reply:
        with self._lock:
            self.served += 1
            first = self.served == 1
        expires = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 1))
        body = {"Code": "Success", "Expiration": expires,
                "AccessKeyId": ACCESS_KEY_ID if first else ROTATED_ID,
                "AccessKeySecret": "first-secret" if first else ROTATED_SECRET,
                "SecurityToken": "first-token" if first else ROTATED_TOKEN}
        return Reply(200, json.dumps(body).encode())


def test_refreshed_credentials_are_scrubbed(make_ali_sandbox):
    from alibabacloud_credentials.provider import URLCredentialsProvider

    box = make_ali_sandbox(section(b("bkt-x"), access_keys=[ROTATED_ID],
                                   faults={"ListKeys": "SignatureDoesNotMatch"}))
    uri = CredentialsUri()
    uri.server.start()
    try:
        session = Session(None, box.kms_url, 1,
                          provider=URLCredentialsProvider(uri=f"{uri.server.url}/creds"))
        ledger = ApiLedger()
        call = Caller(ledger, RetryPolicy(max_attempts=1), session.scrub)
        try:
            _kms.list_keys(session.kms("cn-hangzhou"), call, "cn-hangzhou")
        except CallError as exc:
            error = exc
        else:
            raise AssertionError("the injected fault did not arrive")
    finally:
        uri.server.stop()
    assert uri.served >= 2, "the provider refreshed its credentials"
    (signed,) = [r for r in box.requests() if r.action == "kms:ListKeys"]
    assert ROTATED_ID in signed.headers["authorization"]  # the request used the new key
    assert error.code == "SignatureDoesNotMatch" and "Credential=***" in error.message
    for secret in (ROTATED_ID, ROTATED_TOKEN, ACCESS_KEY_ID):
        assert secret not in error.message and secret not in str(error)


def test_echoed_key_id_never_reaches_the_inventory(make_ali_sandbox):
    box = make_ali_sandbox(section(b("cust", encryption={"algorithm": "KMS", "key": "key-cust"}),
                                   faults={"ListKeys": "SignatureDoesNotMatch"}))
    collection, _ = scan(box)
    (gap,) = [e for e in collection.run.errors if e.operation == "kms:ListKeys"]
    assert gap.code == "SignatureDoesNotMatch" and "Credential=***" in gap.message
    text = json.dumps(Inventory([collection.run], collection.resources).to_dict())
    assert ACCESS_KEY_ID not in text


def test_key_id_shaped_values_are_scrubbed_even_if_never_used(make_ali_sandbox):
    box = make_ali_sandbox(section(b("bkt-x")))
    env = box.environment()
    session = Session(None, None, 1, provider=_static(env))
    text = ("AccessKeyId=LTAI5tSomeOtherKey000042 token STS.NUgYrLnoTotallyAnotherKey9 "
            "key-hz-customer")
    assert session.scrub(text) == "AccessKeyId=*** token *** key-hz-customer"


def _static(env):
    from alibabacloud_credentials.provider import StaticAKCredentialsProvider

    return StaticAKCredentialsProvider(access_key_id=env["ALIBABA_CLOUD_ACCESS_KEY_ID"],
                                       access_key_secret=env["ALIBABA_CLOUD_ACCESS_KEY_SECRET"])
