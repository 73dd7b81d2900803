"""Where moto's answers differ from the AWS API reference, the stand-in answers as documented.

The adapter checks each 200 body against its documented root element (aws/_answers.py), so
the stand-in must send the documented one. moto answers GetBucketVersioning with a
``GetBucketVersioningResponse`` root; the Amazon S3 API Reference (GetBucketVersioning,
Response Syntax) and S3 itself send ``VersioningConfiguration``. Applied once per process,
for moto in-process (tests) and moto's server (the sandbox) alike, which share moto's code.
"""

from __future__ import annotations

import threading
from typing import Any

_ROOTS = {b"GetBucketVersioningResponse": b"VersioningConfiguration"}
_lock = threading.Lock()


def _documented_root(body: Any) -> Any:
    raw = body.encode() if isinstance(body, str) else body
    if not isinstance(raw, bytes):
        return body
    for wrong, right in _ROOTS.items():
        raw = raw.replace(b"<" + wrong, b"<" + right).replace(b"</" + wrong, b"</" + right)
    return raw.decode() if isinstance(body, str) else raw


def documented_answers() -> None:
    """Make moto's S3 GetBucketVersioning answer carry its documented root element."""
    from moto.s3.responses import S3Response

    with _lock:
        original = S3Response.get_bucket_versioning
        if getattr(original, "documented", False):
            return

        def get_bucket_versioning(self: Any) -> Any:
            status, headers, body = original(self)
            return status, headers, _documented_root(body)

        get_bucket_versioning.documented = True  # type: ignore[attr-defined]
        S3Response.get_bucket_versioning = get_bucket_versioning  # type: ignore[method-assign]
