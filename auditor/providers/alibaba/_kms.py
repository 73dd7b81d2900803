"""KMS read calls (POST with x-acs-action: ListKeys, ListAliases, DescribeKey, GetKeyPolicy).

KMS is regional. Listings are filtered on the region their ARNs name, which is what the
regional endpoint answers anyway and keeps a single multi-region stand-in honest.
"""

from __future__ import annotations

from typing import Any

from alibabacloud_kms20160120.client import Client as KmsClient
from alibabacloud_tea_openapi.client import Client as OpenApiClient

from auditor.errors import CallError
from auditor.providers.alibaba._errors import Caller
from auditor.providers.alibaba._listings import paged
from auditor.providers.alibaba._rpc import rpc

VERSION = "2016-01-20"


def arn_region(arn: str | None) -> str | None:
    """``acs:kms:cn-hangzhou:123:key/abc`` -> ``cn-hangzhou``."""
    parts = (arn or "").split(":")
    if len(parts) < 5 or parts[0] != "acs":
        return None
    return parts[2] or None


def _listing(client: OpenApiClient, call: Caller, operation: str, container: str, item: str,
             version: str = VERSION) -> tuple[list[dict[str, Any]], CallError | None]:
    """Every entry of a PageNumber/TotalCount listing (_listings.paged); also the Resource
    Manager's ListAccounts (``version``), paged the same way."""
    return paged(client, call, operation, version, (container, item))


def list_keys(client: KmsClient, call: Caller, region: str,
              ) -> tuple[list[dict[str, str]], CallError | None]:
    """Every key in the region: ([{"KeyId", "KeyArn"}], None), or with the error that cut
    the listing short (the keys after it are missing). A failed first page raises."""
    entries, error = _listing(client, call, "kms:ListKeys", "Keys", "Key")
    keys = [{"KeyId": e["KeyId"], "KeyArn": e.get("KeyArn")} for e in entries
            if arn_region(e.get("KeyArn")) in (None, region)]
    return keys, error


def list_aliases(client: KmsClient, call: Caller, region: str,
                 ) -> tuple[dict[str, str], CallError | None]:
    """Alias name (``alias/acs/oss``) -> key id, for the region, with the error that cut
    the listing short (if any)."""
    entries, error = _listing(client, call, "kms:ListAliases", "Aliases", "Alias")
    aliases = {e["AliasName"]: e["KeyId"] for e in entries
               if arn_region(e.get("AliasArn")) in (None, region)}
    return aliases, error


def describe_key(client: KmsClient, call: Caller, key_id: str) -> dict[str, Any]:
    """DescribeKey's KeyMetadata with the API's field names (Creator, Origin, ...)."""
    return rpc(client, call, "kms:DescribeKey", VERSION, {"KeyId": key_id})["KeyMetadata"]


def get_key_policy(client: KmsClient, call: Caller, key_id: str) -> str:
    return str(rpc(client, call, "kms:GetKeyPolicy", VERSION,
                   {"KeyId": key_id, "PolicyName": "default"})["Policy"])


def list_resource_tags(client: KmsClient, call: Caller, key_id: str) -> dict[str, str]:
    """ListResourceTags of one key: TagKey -> TagValue (KMS API 2016-01-20 ListResourceTags:
    {"Tags": {"Tag": [{"KeyId", "TagKey", "TagValue"}]}})."""
    body = rpc(client, call, "kms:ListResourceTags", VERSION, {"KeyId": key_id})
    return {str(t["TagKey"]): str(t.get("TagValue") or "") for t in body["Tags"]["Tag"]}
