"""The OSS stand-in answers never-configured reads as the OSS API reference documents them,
read through alibabacloud-oss-v2.

Sources:
- OSS API reference "GetBucketHttpsConfig": the only documented answer is 200 with
  <HttpsConfiguration><TLS><Enable>true|false</Enable>[<TLSVersion>..]</TLS>; no error code
  is documented, so a bucket that never set TLS versions answers Enable false, no versions.
- OSS API reference "GetBucketPolicyStatus": 200 <PolicyStatus><IsPublic>true|false</IsPublic>,
  no error code; without a policy IsPublic is false (as the OSS SDKs' integration tests read
  it after DeleteBucketPolicy).
"""

from __future__ import annotations

import alibabacloud_oss_v2 as oss
from alibaba_support import ESTATE
from test_alibaba_sandbox import oss_client


def test_https_config_never_set_is_tls_enable_false(make_ali_sandbox):
    client = oss_client(make_ali_sandbox(ESTATE), "cn-hangzhou")
    result = client.get_bucket_https_config(oss.GetBucketHttpsConfigRequest(bucket="enc-none"))
    assert result.status_code == 200
    tls = result.https_configuration.tls
    assert tls.enable is False and not tls.tls_versions


def test_policy_status_without_a_policy_is_not_public(make_ali_sandbox):
    client = oss_client(make_ali_sandbox(ESTATE), "cn-hangzhou")
    result = client.get_bucket_policy_status(oss.GetBucketPolicyStatusRequest(bucket="enc-none"))
    assert result.status_code == 200 and result.policy_status.is_public is False
