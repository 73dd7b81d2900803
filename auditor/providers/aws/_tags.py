"""Resource tags, read only when a mutelist rule matches on tags (CollectRequest.tags).

A tag read that fails leaves the resource's tags None (not observed: no tag rule can match
it, so a refused read never mutes anything); a bucket without a tag set (NoSuchTagSet, the
documented "not configured" answer of GetBucketTagging) has observed empty tags.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from typing import Any

from auditor.errors import ListingIncomplete
from auditor.providers._runtime import Outcome, PageGuard
from auditor.providers.aws._errors import Caller
from auditor.providers.aws._session import AwsSession

GET_BUCKET_TAGGING = "s3:GetBucketTagging"
LIST_RESOURCE_TAGS = "kms:ListResourceTags"
Tags = dict[str, str] | None


def _as_dict(items: Iterable[dict[str, Any]], key: str, value: str) -> dict[str, str]:
    return {str(item[key]): str(item.get(value) or "") for item in items}


def bucket_tags(session: AwsSession, caller: Caller, name: str, region: str | None) -> Tags:
    """s3:GetBucketTagging (Amazon S3 API Reference: GetBucketTagging, TagSet of Key/Value)."""
    answer: Outcome = caller.call(session.client("s3", region or session.region),
                                  "get_bucket_tagging", GET_BUCKET_TAGGING, name, Bucket=name)
    if not answer.ok:
        return None
    if answer.absent:  # NoSuchTagSet: the bucket has no tags
        return {}
    return _as_dict(answer.value.get("TagSet", []), "Key", "Value")


def key_tags(session: AwsSession, caller: Caller, region: str, arn: str) -> Tags:
    """kms:ListResourceTags, every page (AWS KMS API Reference: ListResourceTags, Tags of
    TagKey/TagValue, Truncated and NextMarker); a page that fails or does not end: None."""
    client = session.client("kms", region)
    guard = PageGuard(LIST_RESOURCE_TAGS)
    marker: Hashable | None = None
    tags: dict[str, str] = {}
    while True:
        kwargs: dict[str, Any] = {"KeyId": arn, "Limit": 50}  # 50: the documented maximum
        if marker:
            kwargs["Marker"] = marker
        answer = caller.call(client, "list_resource_tags", LIST_RESOURCE_TAGS, arn, **kwargs)
        if not answer.ok:
            return None
        tags.update(_as_dict(answer.value["Tags"], "TagKey", "TagValue"))
        try:
            marker = guard.follow(answer.value.get("NextMarker"),
                                  truncated=answer.value["Truncated"])
        except ListingIncomplete as exc:
            caller.ledger.failed(arn, exc)
            return None
        if marker is None:
            return tags
