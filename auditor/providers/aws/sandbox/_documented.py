"""Where moto's answers differ from the AWS API reference, the stand-in answers as documented.

- GetBucketVersioning: moto answers with a ``GetBucketVersioningResponse`` root; the Amazon S3
  API Reference (GetBucketVersioning, Response Syntax) and S3 itself send
  ``VersioningConfiguration``, and the adapter checks each 200 body against its documented
  root element (aws/_answers.py). Fixed for moto in-process (tests) and moto's server alike.
- ListBuckets: moto 5.2 sends neither a bucket's ``BucketRegion`` nor a ``ContinuationToken``
  (it cuts the list at MaxBuckets, hiding the rest). The Amazon S3 API Reference
  (ListBuckets, Response Syntax; botocore's s3 model) has ``Bucket.BucketRegion`` for every
  bucket and a ``ContinuationToken`` while more buckets follow. Fixed for moto's HTTP server
  (the sandbox, the benchmarks' moto server) only: moto in-process (``mock_aws``) keeps its
  own listing, where the adapter's fallback for a listing without BucketRegion (one
  GetBucketLocation per bucket) is tested; over HTTP, an estate bucket's
  ``list_omits: [BucketRegion]`` leaves the element out of its entry.

Applied once per process (moto's code is shared by both modes), before the estate is seeded.
"""

from __future__ import annotations

import threading
from typing import Any

_ROOTS = {b"GetBucketVersioningResponse": b"VersioningConfiguration"}
# The owner moto names in every listing (moto/s3/responses.py).
_OWNER = {"ID": "bcaf1ffd86f41161ca5fb16fd081034f", "DisplayName": "webfile"}
_lock = threading.Lock()
LISTING_OMITS = "auditor_listing_omits"  # attribute set on a moto FakeBucket


def _documented_root(body: Any) -> Any:
    raw = body.encode() if isinstance(body, str) else body
    if not isinstance(raw, bytes):
        return body
    for wrong, right in _ROOTS.items():
        raw = raw.replace(b"<" + wrong, b"<" + right).replace(b"</" + wrong, b"</" + right)
    return raw.decode() if isinstance(body, str) else raw


def _over_http(response: Any) -> bool:
    """Whether moto's HTTP server (not mock_aws in-process) handed over this request."""
    from moto.moto_server.werkzeug_app import BackendRequest

    return isinstance(getattr(response, "request", None), BackendRequest)


def listing_answer(buckets: list[Any], prefix: str | None, token: str | None,
                   max_buckets: int | None) -> dict[str, Any]:
    """ListBuckets' documented answer for one page of ``buckets`` (moto FakeBuckets, in
    moto's order): each with its BucketRegion; a ContinuationToken (the index of the next
    bucket, opaque to a client) while more follow. S3 pages 10,000 buckets by default."""
    start = int(token) if token and token.isdigit() else 0
    size = max_buckets or 10_000
    page = buckets[start:start + size]
    answer: dict[str, Any] = {"Owner": _OWNER, "Buckets": [_listed(b) for b in page]}
    if start + size < len(buckets):
        answer["ContinuationToken"] = str(start + size)
    if prefix:
        answer["Prefix"] = prefix
    return answer


def _listed(bucket: Any) -> dict[str, Any]:
    entry = {"Name": bucket.name, "CreationDate": bucket.creation_date_ISO8601,
             "BucketRegion": bucket.region_name}
    for element in getattr(bucket, LISTING_OMITS, ()):
        entry.pop(element, None)
    return entry


def omit_from_listing(buckets: list[dict[str, Any]], account: str) -> None:
    """An estate bucket's ``list_omits: [BucketRegion]`` leaves that element out of its
    ListBuckets entry (an S3-compatible store's or an older listing), so that the adapter's
    fallback (GetBucketLocation) is exercised over HTTP. Kept on moto's own bucket object."""
    from moto.s3.models import s3_backends

    stored = s3_backends[account]["global"].buckets
    for spec in buckets:
        if spec.get("list_omits"):
            setattr(stored[spec["name"]], LISTING_OMITS, tuple(spec["list_omits"]))


def _patch_listing(response_class: Any) -> None:
    from moto.core.responses import ActionResult

    original = response_class.all_buckets

    def all_buckets(self: Any) -> Any:
        if not _over_http(self):
            return original(self)
        self.data["Action"] = "ListAllMyBuckets"  # the IAM action moto authorizes
        self._authenticate_and_authorize_s3_action()
        prefix = self._get_param("prefix")
        listed = self.backend.list_buckets(prefix=prefix,
                                           bucket_region=self._get_param("bucket-region"),
                                           max_buckets=None)
        max_buckets = self._get_param("max-buckets")
        answer = listing_answer(list(listed), prefix, self._get_param("continuation-token"),
                                int(max_buckets) if max_buckets else None)
        self.data["Action"] = "ListBuckets"
        return self.serialized(ActionResult(answer))

    all_buckets.documented = True  # type: ignore[attr-defined]
    all_buckets.moto_own = original  # type: ignore[attr-defined]
    response_class.all_buckets = all_buckets


def _patch_versioning(response_class: Any) -> None:
    original = response_class.get_bucket_versioning

    def get_bucket_versioning(self: Any) -> Any:
        status, headers, body = original(self)
        return status, headers, _documented_root(body)

    get_bucket_versioning.documented = True  # type: ignore[attr-defined]
    response_class.get_bucket_versioning = get_bucket_versioning


def documented_answers() -> None:
    """Make moto's S3 answers carry what the API reference documents (see above), and its
    EC2, RDS and EFS ones (_documented_kinds), in whichever process serves moto."""
    from moto.s3.responses import S3Response

    from auditor.providers.aws.sandbox._documented_kinds import documented_kinds

    documented_kinds()
    with _lock:
        if not getattr(S3Response.get_bucket_versioning, "documented", False):
            _patch_versioning(S3Response)
        if not getattr(S3Response.all_buckets, "documented", False):
            _patch_listing(S3Response)
