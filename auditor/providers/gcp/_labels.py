"""Labels as Resource.tags, only when a mutelist rule matches on tags (CollectRequest.tags).

Bucket labels are part of the bucket resource the listing already returns, and CryptoKey
labels part of the key that cryptoKeys.list or cryptoKeys.get returned: reading them costs
no call. Without ``request.tags`` every resource keeps tags None, as the contract says; a
resource whose answer could not be read, or whose labels are not a map of strings, keeps
None too (not observed), the latter recorded as a malformed answer.
"""

from __future__ import annotations

from typing import Any, Protocol

from auditor.errors import MalformedAnswer
from auditor.providers._runtime import ApiLedger, Outcome
from auditor.providers.base import CollectRequest

Labels = tuple[tuple[str, str], ...]
NOT_A_MAP = "labels is not a map of strings"


class ListedBucket(Protocol):
    """What a bucket's tags need of _storage.BucketInfo (which imports this module)."""

    name: str
    labels: Labels | None
    malformed: Any  # MalformedAnswer | None


def labels_of(raw: Any) -> Labels | None:
    """A labels map (absent: empty) as sorted pairs; None when it is not a map of strings."""
    if raw is None:
        return ()
    if not isinstance(raw, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                            for k, v in raw.items()):
        return None
    return tuple(sorted(raw.items()))


def _tags(request: CollectRequest, ledger: ApiLedger, scope: str, operation: str,
          labels: Labels | None) -> dict[str, str] | None:
    if labels is None:
        ledger.failed(scope, MalformedAnswer(operation, "MalformedLabels", NOT_A_MAP))
        return None
    return dict(labels)


def bucket_tags(request: CollectRequest, ledger: ApiLedger,
                info: ListedBucket) -> dict[str, str] | None:
    """The bucket's labels, from its listed resource."""
    if not request.tags or info.malformed is not None:
        return None
    return _tags(request, ledger, f"projects/_/buckets/{info.name}", "storage:buckets.list",
                 info.labels)


def key_tags(request: CollectRequest, ledger: ApiLedger, name: str,
             key: Outcome) -> dict[str, str] | None:
    """The CryptoKey's labels; None when the key itself could not be read."""
    if not request.tags or not key.ok:
        return None
    return _tags(request, ledger, name, key.value.source, key.value.labels)
