"""The OSS, KMS and ECS stand-ins themselves: API shapes, read-only, region checks, demo
estate."""

from __future__ import annotations

import http.client
import json
import xml.etree.ElementTree as ET
from collections import Counter

import alibabacloud_oss_v2 as oss
import pytest
from alibaba_support import ACCOUNT, CUST, ESTATE, accounts, b, keys, scan

from auditor.model import FactState
from auditor.providers.alibaba.sandbox import (
    ACCESS_KEY_ID,
    ACCESS_KEY_SECRET,
    AlibabaSandbox,
    EstateError,
    load_demo_section,
)
from auditor.providers.alibaba.sandbox._estate import build


def raw(url: str, method: str, path: str, headers: dict[str, str] | None = None,
        body: bytes = b"") -> tuple[int, bytes]:
    conn = http.client.HTTPConnection(url.removeprefix("http://"), timeout=5)
    conn.request(method, path, body=body, headers=headers or {})
    response = conn.getresponse()
    return response.status, response.read()


def oss_client(box: AlibabaSandbox, region: str) -> oss.Client:
    cfg = oss.config.load_default()
    cfg.credentials_provider = oss.credentials.StaticCredentialsProvider(ACCESS_KEY_ID,
                                                                         ACCESS_KEY_SECRET)
    cfg.region, cfg.endpoint, cfg.use_path_style = region, box.oss_url, True
    cfg.retryer = oss.retry.NopRetryer()
    return oss.Client(cfg)


def test_writes_are_refused_and_recorded(make_ali_sandbox):
    box = make_ali_sandbox(ESTATE)
    for method in ("PUT", "DELETE", "POST"):
        status, _ = raw(box.oss_url, method, "/enc-none/?policy", body=b"{}")
        assert status == 405, method
    status, _ = raw(box.kms_url, "POST", "/?KeyId=x", {"x-acs-action": "ScheduleKeyDeletion"})
    assert status == 405
    status, _ = raw(box.kms_url, "GET", "/?KeyId=x", {"x-acs-action": "DescribeKey"})
    assert status == 405
    for action in ("EnableDiskEncryptionByDefault", "ModifyDiskDefaultKMSKeyId",
                   "DescribeKey"):  # ECS writes, and another service's action
        status, _ = raw(box.ecs_url, "POST", "/?RegionId=cn-hangzhou",
                        {"x-acs-action": action, "x-acs-version": "2014-05-26"})
        assert status == 405, action
    status, _ = raw(box.ecs_url, "GET", "/?RegionId=cn-hangzhou",
                    {"x-acs-action": "DescribeDiskEncryptionByDefaultStatus"})
    assert status == 405
    assert [r.method for r in box.requests()] == ["PUT", "DELETE", "POST", "POST", "GET",
                                                  "POST", "POST", "POST", "GET"]
    assert box.estate.buckets["enc-none"].spec.get("policy") is None


def test_oss_error_xml(make_ali_sandbox):
    box = make_ali_sandbox(ESTATE)
    status, body = raw(box.oss_url, "GET", "/no-such-bucket/?bucketInfo")
    assert status == 404
    root = ET.fromstring(body)
    assert root.tag == "Error"
    assert [child.tag for child in root][:4] == ["Code", "Message", "RequestId", "HostId"]
    assert root.findtext("Code") == "NoSuchBucket"
    status, body = raw(box.oss_url, "GET", "/enc-none/?worm")  # no signature at all
    assert status == 403 and ET.fromstring(body).findtext("Code") == "AccessDenied"


def test_wrong_region_is_refused_like_a_regional_endpoint(make_ali_sandbox):
    box = make_ali_sandbox(ESTATE)
    wrong = oss_client(box, "cn-beijing")
    with pytest.raises(oss.exceptions.OperationError) as caught:
        wrong.get_bucket_worm(oss.GetBucketWormRequest(bucket="worm-locked"))
    error = caught.value.unwrap()
    assert (error.status_code, error.code) == (403, "AccessDenied")
    assert "specified endpoint" in error.message
    # GetBucketInfo may be sent to any endpoint, as the API reference says.
    info = wrong.get_bucket_info(oss.GetBucketInfoRequest(bucket="worm-locked"))
    assert info.bucket_info.location == "oss-cn-hangzhou"
    right = oss_client(box, "cn-hangzhou").get_bucket_worm(
        oss.GetBucketWormRequest(bucket="worm-locked"))
    assert right.worm_configuration.state == "Locked"


def test_cross_region_flag_ignores_same_region_rules(make_ali_sandbox):
    box = make_ali_sandbox(ESTATE)
    client = oss_client(box, "cn-hangzhou")
    flags = {name: client.get_bucket_info(oss.GetBucketInfoRequest(
        bucket=name)).bucket_info.cross_region_replication
        for name in ("replication-srr", "replication-unplaced", "enc-none")}
    assert flags == {"replication-srr": "Disabled", "replication-unplaced": "Enabled",
                     "enc-none": "Disabled"}
    rules = client.get_bucket_replication(oss.GetBucketReplicationRequest(
        bucket="replication-srr")).replication_configuration.rules
    assert [r.destination.location for r in rules] == ["oss-cn-hangzhou"]


def test_not_configured_answers(make_ali_sandbox):
    box = make_ali_sandbox(ESTATE)
    client = oss_client(box, "cn-hangzhou")
    calls = {"NoSuchBucketPolicy": lambda: client.get_bucket_policy(
                 oss.GetBucketPolicyRequest(bucket="enc-none")),
             "NoSuchWORMConfiguration": lambda: client.get_bucket_worm(
                 oss.GetBucketWormRequest(bucket="enc-none")),
             "NoSuchServerSideEncryptionRule": lambda: client.get_bucket_encryption(
                 oss.GetBucketEncryptionRequest(bucket="enc-none")),
             "NoSuchReplicationConfiguration": lambda: client.get_bucket_replication(
                 oss.GetBucketReplicationRequest(bucket="enc-none"))}
    for code, call in calls.items():
        with pytest.raises(oss.exceptions.OperationError) as caught:
            call()
        assert (caught.value.unwrap().status_code, caught.value.unwrap().code) == (404, code)


def test_kms_answers_as_the_reference_shows(make_ali_sandbox):
    box = make_ali_sandbox(ESTATE)
    headers = {"x-acs-action": "DescribeKey",
               "Authorization": f"ACS3-HMAC-SHA256 Credential={ACCESS_KEY_ID},Signature=x"}
    status, body = raw(box.kms_url, "POST", "/?KeyId=key-sh-hsm", headers)
    meta = json.loads(body)["KeyMetadata"]
    assert status == 200 and meta["ProtectionLevel"] == "HSM" and meta["DKMSInstanceId"]
    assert meta["Arn"] == f"acs:kms:cn-shanghai:{ACCOUNT}:key/key-sh-hsm"
    status, body = raw(box.kms_url, "POST", "/?KeyId=nope", headers)
    assert status == 404 and json.loads(body)["Code"] == "Forbidden.KeyNotFound"
    status, body = raw(box.kms_url, "POST", "/?PageSize=2&PageNumber=2",
                       {**headers, "x-acs-action": "ListKeys"})
    page = json.loads(body)
    assert len(page["Keys"]["Key"]) == 2 and page["TotalCount"] == len(ESTATE["keys"])


def test_ecs_answers_as_the_reference_shows(make_ali_sandbox):
    box = make_ali_sandbox(ESTATE)
    headers = {"x-acs-action": "DescribeDiskEncryptionByDefaultStatus",
               "x-acs-version": "2014-05-26",
               "Authorization": f"ACS3-HMAC-SHA256 Credential={ACCESS_KEY_ID},Signature=x"}
    status, body = raw(box.ecs_url, "POST", "/?RegionId=cn-hangzhou", headers)
    answer = json.loads(body)
    assert status == 200 and set(answer) == {"RequestId", "Encrypted"}
    assert answer["Encrypted"] is True
    status, body = raw(box.ecs_url, "POST", "/?RegionId=cn-hangzhou",
                       {**headers, "x-acs-action": "DescribeDiskDefaultKMSKeyId"})
    answer = json.loads(body)
    assert status == 200 and set(answer) == {"RequestId", "KMSKeyId"}
    assert answer["KMSKeyId"] == CUST
    # The older signature names the action and version as parameters.
    status, body = raw(box.ecs_url, "POST", "/?Action=DescribeDiskEncryptionByDefaultStatus"
                       f"&Version=2014-05-26&RegionId=ap-northeast-1&AccessKeyId={ACCESS_KEY_ID}")
    assert status == 200 and json.loads(body)["Encrypted"] is False  # the API default
    status, body = raw(box.ecs_url, "POST", "/?RegionId=eu-central-1", headers)
    error = json.loads(body)
    assert status == 403 and error["Code"] == "Forbidden.RAM"
    assert {"RequestId", "HostId", "Code", "Message", "Recommend"} <= set(error)
    status, body = raw(box.ecs_url, "POST", "/", headers)
    assert status == 400 and json.loads(body)["Code"] == "MissingRegionId"
    status, body = raw(box.ecs_url, "POST", "/?RegionId=cn-hangzhou",
                       {**headers, "x-acs-version": "2016-01-20"})
    assert status == 400 and json.loads(body)["Code"] == "InvalidVersion"
    status, body = raw(box.ecs_url, "POST", "/?RegionId=cn-hangzhou",
                       {**headers, "Authorization": "ACS3-HMAC-SHA256 Credential=LTAIother"})
    assert status == 404 and json.loads(body)["Code"] == "InvalidAccessKeyId.NotFound"
    assert {r.action for r in box.requests()} == {"ecs:DescribeDiskEncryptionByDefaultStatus",
                                                  "ecs:DescribeDiskDefaultKMSKeyId"}


def test_kms_listing_pages(make_ali_sandbox):
    many = [{"id": f"key-{i:03d}", "region": "cn-hangzhou"} for i in range(130)]
    box = make_ali_sandbox({"account": ACCOUNT, "keys": many, "buckets": [b("one")]})
    collection, requests = scan(box, facts={"kms.key": frozenset({"key.state"})})
    assert len(keys(collection)) == 130
    assert Counter(r.action for r in requests)["kms:ListKeys"] == 2


def test_scan_options_and_environment(make_ali_sandbox):
    box = make_ali_sandbox(ESTATE)
    options = box.scan_options()
    assert options["region"] == ["cn-hangzhou", "cn-shanghai", "eu-central-1"]
    assert options["oss_endpoint"].startswith("http://127.0.0.1:")
    assert options["alibaba_kms_endpoint"].startswith("http://127.0.0.1:")
    assert options["alibaba_ecs_endpoint"].startswith("http://127.0.0.1:")
    assert len({options[k] for k in ("oss_endpoint", "alibaba_kms_endpoint",
                                     "alibaba_ecs_endpoint")}) == 3
    env = box.environment()
    assert env["ALIBABA_CLOUD_ACCESS_KEY_ID"] == ACCESS_KEY_ID
    assert env["AUDITOR_OSS_ENDPOINT"] == options["oss_endpoint"]
    assert env["AUDITOR_ALIBABA_KMS_ENDPOINT"] == options["alibaba_kms_endpoint"]
    assert env["AUDITOR_ALIBABA_ECS_ENDPOINT"] == options["alibaba_ecs_endpoint"]


def test_environment_alone_points_a_scan_at_the_stand_ins(make_ali_sandbox):
    box = make_ali_sandbox(ESTATE)
    collection, _ = scan(box, options={"region": ["cn-shanghai"]})
    assert collection.run.regions == ["cn-shanghai"] and collection.run.endpoint_overridden


@pytest.mark.parametrize("section", [
    {"buckets": [{"name": "x"}]},
    {"buckets": [{"name": "x", "region": "cn-hangzhou"}, {"name": "x", "region": "cn-hangzhou"}]},
    {"keys": [{"id": "k"}]},
    ["not", "a", "mapping"],
    {"ecs_default_encryption": ["cn-hangzhou"]},
    {"ecs_default_encryption": {"cn-hangzhou": {"encrypted": "yes"}}},
])
def test_malformed_estates_are_refused(section):
    with pytest.raises(EstateError):
        build(section)


def test_demo_estate_covers_every_state(demo_scan):
    section = load_demo_section()
    assert 20 <= len(section["buckets"]) <= 40
    assert {b["region"] for b in section["buckets"]} >= {
        "oss-cn-hangzhou", "oss-cn-shanghai", "oss-eu-central-1", "oss-ap-southeast-1",
        "oss-us-west-1"}
    collection, requests = demo_scan
    facts = [(r.kind, p, f) for r in collection.resources for p, f in r.facts.items()]
    assert {f.state for _, _, f in facts} == set(FactState)
    custody = {f.value for kind, p, f in facts if kind == "storage.bucket"
               and p == "key_custody.level" and f.decided}
    assert custody == {"none", "provider", "provider_kms", "customer_kms", "customer_imported"}
    assert any(f.value for k, p, f in facts if p == "key_custody.hsm" and f.decided)
    tls = Counter(f.value for _, p, f in facts if p == "tls_enforced.required" and f.decided)
    assert tls[True] >= 3 and tls[False] >= 3
    assert {f.value for _, p, f in facts if p == "immutability.locked" and f.decided} == {
        True, False}
    assert any(f.value == ["EU"] for _, p, f in facts
               if p == "data_residency.replication_jurisdictions")
    assert sum(r.action == "oss:ListBuckets" for r in requests) == 3
    disks = {region: (r.facts["block_storage_encryption.enabled"],
                      r.facts["block_storage_encryption.key_id"])
             for region, r in accounts(collection).items() if region != "global"}
    assert set(disks) == {"cn-hangzhou", "cn-shanghai", "eu-central-1", "ap-southeast-1",
                          "us-west-1"}
    assert disks["cn-hangzhou"][1].value == "key-hzz6a9f2e4c7d1fin01"
    assert disks["cn-shanghai"][0].value is True and disks["cn-shanghai"][1].value is None
    assert disks["us-west-1"][0].value is False
    assert disks["ap-southeast-1"][0].state is FactState.DENIED
