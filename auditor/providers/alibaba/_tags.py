"""Resource tags, read only when a mutelist rule matches on tags (CollectRequest.tags):
OSS GetBucketTags per bucket (by the bucket reader), KMS ListResourceTags per key.

A tag read that fails is recorded like any failed call and leaves ``Resource.tags`` None
(not observed), so that no tag rule can match, or wrongly fail to match, the resource.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from auditor.model import Resource
from auditor.providers._runtime import Outcome, bounded_map
from auditor.providers.alibaba import _kms
from auditor.providers.alibaba._errors import Caller
from auditor.providers.alibaba._session import Session

LIST_TAGS = "kms:ListResourceTags"


class _Reads(Protocol):
    wants_tags: bool
    session: Session
    call: Caller

    def attempt(self, scope: str, source: str, fn: Callable[[], Any]) -> Outcome: ...


def tagged(resource: Resource, outcome: Outcome | None) -> Resource:
    """``resource`` with the tags ``outcome`` read; untouched (None) when not read."""
    if outcome is not None and outcome.ok:
        resource.tags = dict(outcome.value)
    return resource


def _key_tags(ctx: _Reads, key: Resource) -> Resource:
    client = ctx.session.kms(key.region)
    return tagged(key, ctx.attempt(key.id, LIST_TAGS, lambda: _kms.list_resource_tags(
        client, ctx.call, key.name)))


def read_key_tags(ctx: _Reads, keys: list[Resource], account: str) -> list[Resource]:
    """The keys, with their tags when tags are wanted. Only the account's own keys are
    asked (ListResourceTags reads the caller's keys; another account's key stays None)."""
    if not ctx.wants_tags:
        return keys
    own = [k for k in keys if k.id.split(":")[3:4] == [account]]
    bounded_map(lambda k: _key_tags(ctx, k), own, ctx.session.max_workers)
    return keys
