"""Filestore instances over google-cloud-filestore's REST transport: one paged
``instances.list`` per project across every location (``locations/-``).

The listing carries the settings the facts read (kmsKeyName, the location in the name); a
location the service could not reach (``unreachable``) is a gap of the listing, never read
as "no instance there".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from auditor.errors import ListingIncomplete, MalformedAnswer
from auditor.providers.gcp._answers import Listed, check_item, pager_listing
from auditor.providers.gcp._compute import crypto_key
from auditor.providers.gcp._errors import Caller
from auditor.providers.gcp._raw_items import RawListing

OP_INSTANCES = "file:instances.list"


@dataclass(frozen=True, slots=True)
class FileInstance:
    project: str
    name: str  # projects/P/locations/L/instances/N
    location: str  # a zone (BASIC, ZONAL) or a region (ENTERPRISE, REGIONAL)
    kms_key: str | None = None
    tier: str = ""
    malformed: MalformedAnswer | None = None

    @property
    def short_name(self) -> str:
        return self.name.rsplit("/", 1)[-1]


def _instance(project: str, raw: dict[str, Any]) -> FileInstance:
    try:
        item = check_item(OP_INSTANCES, raw)
        parts = item["name"].split("/")
        return FileInstance(project, item["name"], parts[3],
                            crypto_key(item.get("kmsKeyName") or "") or None,
                            str(item.get("tier") or ""))
    except MalformedAnswer as exc:
        name = raw.get("name") if isinstance(raw, dict) else None
        parts = name.split("/") if isinstance(name, str) else []
        # A name that reads as one still says where the instance is.
        where = parts[3] if len(parts) == 6 and parts[2] == "locations" else ""
        return FileInstance(project, str(name or f"projects/{project}/instances/(unnamed)"),
                            where, malformed=exc)


def _response() -> Any:
    from google.cloud import filestore_v1

    return filestore_v1.ListInstancesResponse


def list_instances(call: Caller, client: Any, project: str,
                   timeout: float) -> Listed[FileInstance]:
    unreachable: list[str] = []

    def fetch(token: str, t: float) -> Any:
        pager = client.list_instances(request={"parent": f"projects/{project}/locations/-",
                                               "page_token": token}, retry=None, timeout=t)
        for page in pager.pages:  # the first page only: one answer per call
            unreachable.extend(page.unreachable)
            return page
        return pager

    listed = pager_listing(call, OP_INSTANCES, "instances", timeout, fetch, RawListing(
        _response, "instances"))
    gap = listed.gap
    if gap is None and unreachable:
        gap = ListingIncomplete(OP_INSTANCES, "Unreachable", "the service could not reach "
                                f"location(s) {', '.join(sorted(set(unreachable)))}")
    return Listed([_instance(project, raw) for raw in listed.items], gap, listed.unnamed)
