"""ECS account-level default disk encryption, one account resource per scanned region.

The generic alibabacloud-tea-openapi client talks HTTP to the ECS stand-in, as it would to
ecs.REGION.aliyuncs.com.
"""

from __future__ import annotations

import socket
from collections import Counter

from alibaba_support import ACCOUNT, CUST, ESTATE, accounts, b, scan

from auditor.model import FactState
from auditor.providers.alibaba._session import Session
from auditor.providers.alibaba.sandbox import ACCESS_KEY_ID

STATUS = "ecs:DescribeDiskEncryptionByDefaultStatus"
KEY = "ecs:DescribeDiskDefaultKMSKeyId"
ENABLED, KEY_ID = "block_storage_encryption.enabled", "block_storage_encryption.key_id"
ACCOUNT_FACTS = {"account": frozenset({ENABLED, KEY_ID})}


def section(**regions):
    """One bucket in cn-hangzhou (so that region is scanned) and the given disk defaults."""
    return {"account": ACCOUNT, "buckets": [b("bkt-x")],
            "ecs_default_encryption": {r.replace("_", "-"): v for r, v in regions.items()}}


def ecs_calls(requests) -> Counter:
    """The default-encryption reads (the disk and snapshot listings are counted elsewhere)."""
    return Counter((r.action, r.query.get("RegionId", [""])[0]) for r in requests
                   if r.action in (STATUS, KEY))


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_one_account_resource_per_region(ali_scan):
    found = accounts(ali_scan[0])
    for region in ("cn-hangzhou", "cn-shanghai", "eu-central-1"):
        resource = found[region]
        assert (resource.id, resource.name, resource.account) == (
            f"{ACCOUNT}/{region}", f"{ACCOUNT} {region}", ACCOUNT)
        assert set(resource.facts) == {ENABLED, KEY_ID}


def test_enabled_with_a_customer_key(ali_scan):
    facts = accounts(ali_scan[0])["cn-hangzhou"].facts
    assert facts[ENABLED].state is FactState.OBSERVED and facts[ENABLED].value is True
    assert facts[ENABLED].source == (STATUS,)
    assert facts[KEY_ID].value == CUST and facts[KEY_ID].source == (STATUS, KEY)
    assert facts[KEY_ID].detail is None


def test_disabled_reads_no_key(ali_scan):
    facts = accounts(ali_scan[0])["cn-shanghai"].facts
    assert facts[ENABLED].value is False
    # A key is configured in the stand-in, but it does not apply while encryption is off.
    key = facts[KEY_ID]
    assert key.state is FactState.OBSERVED and key.value is None and "off" in key.detail
    assert key.source == (STATUS,)
    assert (KEY, "cn-shanghai") not in ecs_calls(ali_scan[1])


def test_denied_region(ali_scan):
    collection, requests = ali_scan
    facts = accounts(collection)["eu-central-1"].facts
    for path in (ENABLED, KEY_ID):
        assert facts[path].state is FactState.DENIED, path
        assert facts[path].detail.startswith("Forbidden.RAM"), facts[path]
    assert (f"{ACCOUNT}/eu-central-1", STATUS, "Forbidden.RAM") in {
        (e.scope, e.operation, e.code) for e in collection.run.errors}
    assert ecs_calls(requests)[(STATUS, "eu-central-1")] == 1  # a denial is not retried


def test_requests_are_counted(ali_scan):
    collection, requests = ali_scan
    calls = ecs_calls(requests)
    assert calls == Counter({(STATUS, "cn-hangzhou"): 1, (STATUS, "cn-shanghai"): 1,
                             (STATUS, "eu-central-1"): 1, (KEY, "cn-hangzhou"): 1})
    assert collection.run.api_calls[STATUS] == 3 and collection.run.api_calls[KEY] == 1
    for request in requests:
        if request.action.startswith("ecs:"):
            assert request.method == "POST" and request.path == "/"
            assert request.headers["x-acs-version"] == "2014-05-26"
            assert request.headers["x-acs-action"] == request.action.split(":")[1]
            assert f"Credential={ACCESS_KEY_ID}" in request.headers["authorization"]


def test_service_key_when_no_key_is_set(make_ali_sandbox):
    box = make_ali_sandbox(section(cn_hangzhou={"encrypted": True}))
    facts = accounts(scan(box, facts=ACCOUNT_FACTS)[0])["cn-hangzhou"].facts
    assert facts[ENABLED].value is True
    key = facts[KEY_ID]
    assert key.state is FactState.OBSERVED and key.value is None
    assert "service key" in key.detail and key.source == (STATUS, KEY)


def test_missing_key_field_is_an_error_not_none(make_ali_sandbox):
    box = make_ali_sandbox(section(cn_hangzhou={"encrypted": True, "omits": ["KMSKeyId"]}))
    facts = accounts(scan(box, facts=ACCOUNT_FACTS)[0])["cn-hangzhou"].facts
    assert facts[ENABLED].value is True
    assert facts[KEY_ID].state is FactState.ERROR
    assert facts[KEY_ID].detail.startswith("UnparsableResponse")


def test_missing_status_field_is_an_error(make_ali_sandbox):
    box = make_ali_sandbox(section(cn_hangzhou={"encrypted": True, "omits": ["Encrypted"]}))
    collection, requests = scan(box, facts=ACCOUNT_FACTS)
    facts = accounts(collection)["cn-hangzhou"].facts
    assert {facts[p].state for p in (ENABLED, KEY_ID)} == {FactState.ERROR}
    assert (KEY, "cn-hangzhou") not in ecs_calls(requests)


def test_region_not_named_is_off(make_ali_sandbox):
    box = make_ali_sandbox(section())
    facts = accounts(scan(box, facts=ACCOUNT_FACTS)[0])["cn-hangzhou"].facts
    assert facts[ENABLED].value is False and facts[KEY_ID].value is None


def test_transient_failures_are_retried(make_ali_sandbox):
    box = make_ali_sandbox(section(cn_hangzhou={
        "encrypted": True, "key": "key-disk",
        "faults": {"DescribeDiskEncryptionByDefaultStatus": [503, "Throttling.User"]}}))
    collection, requests = scan(box, facts=ACCOUNT_FACTS)
    facts = accounts(collection)["cn-hangzhou"].facts
    assert facts[ENABLED].value is True and facts[KEY_ID].value == "key-disk"
    assert ecs_calls(requests)[(STATUS, "cn-hangzhou")] == 3
    assert collection.run.api_calls[STATUS] == 3 and not collection.run.errors


def test_lasting_failure_is_an_error_after_retries(make_ali_sandbox):
    box = make_ali_sandbox(section(cn_hangzhou={
        "encrypted": True, "faults": {"DescribeDiskEncryptionByDefaultStatus": 500}}))
    collection, requests = scan(box, facts=ACCOUNT_FACTS)
    facts = accounts(collection)["cn-hangzhou"].facts
    for path in (ENABLED, KEY_ID):
        assert facts[path].state is FactState.ERROR
        assert "gave up after 4 attempts" in facts[path].detail
    assert ecs_calls(requests) == Counter({(STATUS, "cn-hangzhou"): 4})


def test_key_read_fails_alone(make_ali_sandbox):
    box = make_ali_sandbox(section(cn_hangzhou={
        "encrypted": True, "key": "key-disk",
        "faults": {"DescribeDiskDefaultKMSKeyId": 403}}))
    facts = accounts(scan(box, facts=ACCOUNT_FACTS)[0])["cn-hangzhou"].facts
    assert facts[ENABLED].value is True
    assert facts[KEY_ID].state is FactState.DENIED
    assert facts[KEY_ID].source == (KEY, STATUS)


def test_region_the_api_does_not_serve_is_an_error_not_denied(make_ali_sandbox):
    box = make_ali_sandbox(section(cn_hangzhou={
        "faults": {"DescribeDiskEncryptionByDefaultStatus": "Abs.InvalidAction.RegionNotSupport"}}))
    collection, requests = scan(box, facts=ACCOUNT_FACTS)
    fact = accounts(collection)["cn-hangzhou"].facts[ENABLED]
    assert fact.state is FactState.ERROR
    assert fact.detail.startswith("Abs.InvalidAction.RegionNotSupport")
    assert ecs_calls(requests)[(STATUS, "cn-hangzhou")] == 1


def test_only_the_wanted_fact_is_read(make_ali_sandbox):
    box = make_ali_sandbox(section(cn_hangzhou={"encrypted": True, "key": "key-disk"}))
    collection, requests = scan(box, facts={"account": frozenset({ENABLED})})
    # Only the status: no key call, no Block Public Access, no global account resource.
    assert {r.action for r in requests} == {"oss:ListBuckets", STATUS}
    assert list(accounts(collection)) == ["cn-hangzhou"]
    assert set(accounts(collection)["cn-hangzhou"].facts) == {ENABLED}
    collection, requests = scan(box, facts={"account": frozenset({KEY_ID})})
    assert Counter(r.action for r in requests) == Counter(
        {"oss:ListBuckets": 1, STATUS: 1, KEY: 1})
    assert set(accounts(collection)["cn-hangzhou"].facts) == {KEY_ID}


def test_nothing_is_read_when_no_account_fact_is_wanted(make_ali_sandbox):
    box = make_ali_sandbox(section(cn_hangzhou={"encrypted": True}))
    collection, requests = scan(box, facts={"storage.bucket": frozenset({"versioning.enabled"})})
    assert not ecs_calls(requests) and not accounts(collection)


def test_region_option_picks_the_regions(make_ali_sandbox):
    box = make_ali_sandbox(ESTATE)
    options = {**box.scan_options(), "region": ["cn-shanghai"]}
    collection, requests = scan(box, options=options, facts=ACCOUNT_FACTS)
    assert list(accounts(collection)) == ["cn-shanghai"]
    assert set(ecs_calls(requests)) == {(STATUS, "cn-shanghai")}


def test_environment_names_the_endpoint(make_ali_sandbox):
    box = make_ali_sandbox(section(cn_hangzhou={"encrypted": True, "key": "key-disk"}))
    options = {k: v for k, v in box.scan_options().items() if k != "alibaba_ecs_endpoint"}
    collection, requests = scan(box, options=options, facts=ACCOUNT_FACTS)
    assert accounts(collection)["cn-hangzhou"].facts[KEY_ID].value == "key-disk"
    assert ecs_calls(requests)[(KEY, "cn-hangzhou")] == 1


def test_option_wins_over_the_environment(make_ali_sandbox):
    box = make_ali_sandbox(section(cn_hangzhou={"encrypted": True}))
    env = {**box.environment(), "AUDITOR_ALIBABA_ECS_ENDPOINT": f"127.0.0.1:{closed_port()}"}
    collection, _ = scan(box, facts=ACCOUNT_FACTS, env=env)
    assert accounts(collection)["cn-hangzhou"].facts[ENABLED].value is True
    assert collection.run.endpoint_overridden


def test_unreachable_endpoint_is_an_error_not_a_failed_scan(make_ali_sandbox):
    box = make_ali_sandbox(section(cn_hangzhou={"encrypted": True}))
    options = {**box.scan_options(), "alibaba_ecs_endpoint": f"http://127.0.0.1:{closed_port()}"}
    collection, _ = scan(box, options=options)
    facts = accounts(collection)["cn-hangzhou"].facts
    assert facts[ENABLED].state is FactState.ERROR
    assert facts[ENABLED].detail.startswith("NetworkError")
    assert accounts(collection)["global"].facts["public_access_block.enabled"].decided


def test_default_endpoint_is_the_public_regional_one(make_ali_sandbox):
    from alibabacloud_credentials.provider import StaticAKCredentialsProvider

    box = make_ali_sandbox(section())
    env = box.environment()
    provider = StaticAKCredentialsProvider(
        access_key_id=env["ALIBABA_CLOUD_ACCESS_KEY_ID"],
        access_key_secret=env["ALIBABA_CLOUD_ACCESS_KEY_SECRET"])
    # The client is only built here, never called: nothing leaves 127.0.0.1.
    public = Session(None, None, 1, provider=provider).ecs("eu-central-1")
    assert (public._endpoint, public._protocol) == ("ecs.eu-central-1.aliyuncs.com", "https")
    local = Session(None, None, 1, provider=provider, ecs_endpoint=box.ecs_url)
    client = local.ecs("eu-central-1")
    assert (client._endpoint, client._protocol) == (box.ecs_url.removeprefix("http://"), "http")
    assert local.endpoint_overridden
