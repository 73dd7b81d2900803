"""Listing entries that do not fit their documented shape but name themselves.

_listings.paged hands such an entry of a resource listing (``KEEP_AS_UNVERIFIED``) back as an
:class:`OddEntry`: its identity members alone, with the MalformedAnswer. The storage
collector reports it as a resource whose facts are that error (UNVERIFIED) where the provider
shows them, OPAQUE where it never does (the runtime's placeholder_facts), never as a resource
read from the rest of the entry, and never drops it silently.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from auditor.errors import CallError
from auditor.model import Resource
from auditor.providers._runtime import exposure_of, placeholder_facts
from auditor.providers.alibaba._name import PROVIDER

_HERE = Path(__file__).resolve().parent  # exposure.yaml
# listing -> (the kind its entries are, the resource id's service and type, the id member)
KEEP_AS_UNVERIFIED: dict[str, tuple[str, str, str, str]] = {
    "ecs:DescribeDisks": ("storage.volume", "ecs", "disk", "DiskId"),
    "ecs:DescribeSnapshots": ("storage.snapshot", "ecs", "snapshot", "SnapshotId"),
    "ecs:DescribeImages": ("storage.snapshot", "ecs", "image", "ImageId"),
    "nas:DescribeFileSystems": ("storage.filesystem", "nas", "filesystem", "FileSystemId"),
    "rds:DescribeDBInstances": ("database.instance", "rds", "dbinstance", "DBInstanceId"),
}


class OddEntry(dict[str, Any]):
    """The identity members of an odd entry of ``operation``, and why it is odd."""

    __slots__ = ("error", "operation")

    def __init__(self, operation: str, identity: Mapping[str, Any], error: CallError) -> None:
        super().__init__(identity)
        self.operation = operation
        self.error = error


def split(entries: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[OddEntry]]:
    """(the entries that fit, the odd ones that name themselves)."""
    odd = [e for e in entries if isinstance(e, OddEntry)]
    return [e for e in entries if not isinstance(e, OddEntry)], odd


def odd_resource(entry: OddEntry, region: str, account: str,
                 wanted: Callable[[str], bool]) -> Resource:
    """The resource an odd entry names: its wanted facts the entry's error, what the provider
    never exposes opaque, the core's derived facts left to the core (placeholder_facts)."""
    kind, service, type_, member = KEEP_AS_UNVERIFIED[entry.operation]
    name = str(entry[member])
    return Resource(kind, PROVIDER, account, region,
                    f"acs:{service}:{region}:{account}:{type_}/{name}", name,
                    placeholder_facts(kind, entry.error, exposure_of(_HERE), wanted))
