"""The OSS stand-in answers never-configured reads as the OSS API reference documents them,
read through alibabacloud-oss-v2.

Sources:
- OSS API reference "GetBucketHttpsConfig": a written configuration answers 200 with
  <HttpsConfiguration><TLS><Enable>true|false</Enable>[<TLSVersion>..]</TLS>. A bucket whose
  TLS versions were never written answers 404 NoSuchHttpsConfig on the live service (the
  reference names no code; the live answer is the one Alibaba's own tooling treats as "not
  set"), so the stand-in answers that, and the adapter reads both forms as no restriction.
- OSS API reference "GetBucketPolicyStatus": 200 <PolicyStatus><IsPublic>true|false</IsPublic>,
  no error code; without a policy IsPublic is false (as the OSS SDKs' integration tests read
  it after DeleteBucketPolicy).
"""

from __future__ import annotations

import alibabacloud_oss_v2 as oss
import pytest
from alibaba_support import ACCOUNT, ESTATE, b, buckets, scan
from test_alibaba_sandbox import oss_client

from auditor.model import FactState


def section(*bucket_specs):
    return {"account": ACCOUNT, "keys": [], "buckets": list(bucket_specs)}


def test_https_config_never_set_is_no_such_https_config(make_ali_sandbox):
    client = oss_client(make_ali_sandbox(ESTATE), "cn-hangzhou")
    with pytest.raises(oss.exceptions.OperationError) as raised:
        client.get_bucket_https_config(oss.GetBucketHttpsConfigRequest(bucket="enc-none"))
    error = raised.value.unwrap()
    assert error.status_code == 404 and error.code == "NoSuchHttpsConfig"


def test_https_config_written_disabled_is_tls_enable_false(make_ali_sandbox):
    estate = section(b("tls-off", https={"versions": []}))
    client = oss_client(make_ali_sandbox(estate), "cn-hangzhou")
    result = client.get_bucket_https_config(oss.GetBucketHttpsConfigRequest(bucket="tls-off"))
    assert result.status_code == 200
    tls = result.https_configuration.tls
    assert tls.enable is False and not tls.tls_versions


@pytest.mark.parametrize("https", [None, {"versions": []}])
def test_adapter_reads_both_unset_forms_as_no_restriction(make_ali_sandbox, https):
    spec = {"https": https} if https is not None else {}
    facts = buckets(scan(make_ali_sandbox(section(b("tls", **spec))))[0])["tls"].facts
    tls = facts["tls_enforced.required"]
    assert tls.state is FactState.OBSERVED and tls.value is False
    assert "no TLS version restriction" in tls.detail


def test_policy_status_without_a_policy_is_not_public(make_ali_sandbox):
    client = oss_client(make_ali_sandbox(ESTATE), "cn-hangzhou")
    result = client.get_bucket_policy_status(oss.GetBucketPolicyStatusRequest(bucket="enc-none"))
    assert result.status_code == 200 and result.policy_status.is_public is False
