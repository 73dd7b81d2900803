"""KMS read calls (POST with x-acs-action: ListKeys, ListAliases, DescribeKey, GetKeyPolicy).

KMS is regional. Listings are filtered on the region their ARNs name, which is what the
regional endpoint answers anyway and keeps a single multi-region stand-in honest.
"""

from __future__ import annotations

from typing import Any

from alibabacloud_kms20160120 import models as kms_models
from alibabacloud_kms20160120.client import Client as KmsClient

from auditor.errors import CallError, ServiceError
from auditor.providers.alibaba._errors import Caller

PAGE_SIZE = 100  # the KMS maximum for PageSize


def arn_region(arn: str | None) -> str | None:
    """``acs:kms:cn-hangzhou:123:key/abc`` -> ``cn-hangzhou``."""
    parts = (arn or "").split(":")
    if len(parts) < 5 or parts[0] != "acs":
        return None
    return parts[2] or None


def list_keys(client: KmsClient, call: Caller, region: str,
              ) -> tuple[list[dict[str, str]], CallError | None]:
    """Every key in the region: ([{"KeyId", "KeyArn"}], None).

    A failed first page raises; a failed later page returns the keys listed so far with
    the error (the keys after it are missing).
    """
    keys: list[dict[str, str]] = []
    page = 1
    while True:
        request = kms_models.ListKeysRequest(page_number=page, page_size=PAGE_SIZE)
        try:
            body = call("kms:ListKeys", lambda r=request: client.list_keys(r)).body
        except CallError as exc:
            if page == 1:
                raise
            return keys, exc
        entries = body.keys.key if body.keys is not None and body.keys.key else []
        for entry in entries:
            if arn_region(entry.key_arn) in (None, region):
                keys.append({"KeyId": entry.key_id, "KeyArn": entry.key_arn})
        total = int(body.total_count or 0)
        if not entries or page * PAGE_SIZE >= total:
            return keys, None
        page += 1


def list_aliases(client: KmsClient, call: Caller, region: str) -> dict[str, str]:
    """Alias name (``alias/acs/oss``) -> key id, for the region."""
    aliases: dict[str, str] = {}
    page = 1
    while True:
        request = kms_models.ListAliasesRequest(page_number=page, page_size=PAGE_SIZE)
        body = call("kms:ListAliases", lambda r=request: client.list_aliases(r)).body
        entries = body.aliases.alias if body.aliases is not None and body.aliases.alias else []
        for entry in entries:
            if arn_region(entry.alias_arn) in (None, region) and entry.alias_name:
                aliases[entry.alias_name] = entry.key_id
        total = int(body.total_count or 0)
        if not entries or page * PAGE_SIZE >= total:
            return aliases
        page += 1


def describe_key(client: KmsClient, call: Caller, key_id: str) -> dict[str, Any]:
    """DescribeKey's KeyMetadata with the API's field names (Creator, Origin, ...)."""
    body = call("kms:DescribeKey", lambda: client.describe_key(
        kms_models.DescribeKeyRequest(key_id=key_id))).body
    if body.key_metadata is None:
        raise ServiceError("kms:DescribeKey", "UnparsableResponse", "no KeyMetadata")
    return body.key_metadata.to_map()


def get_key_policy(client: KmsClient, call: Caller, key_id: str) -> str:
    body = call("kms:GetKeyPolicy", lambda: client.get_key_policy(
        kms_models.GetKeyPolicyRequest(key_id=key_id, policy_name="default"))).body
    if not body.policy:
        raise ServiceError("kms:GetKeyPolicy", "UnparsableResponse", "no Policy")
    return str(body.policy)
