"""One odd entry spoils only itself, not its page: through the real SDKs, a rewriting proxy
before the Alibaba stand-in puts one entry that does not fit its API reference among the
documented entries of one listing page.

The references: OSS ListBuckets (Buckets.Bucket[].Name, a bucket name of 3-63 characters),
KMS ListKeys (Keys.Key[].KeyId, KeyArn) and ListAliases (Aliases.Alias[].AliasName, KeyId),
ECS DescribeDisks (Disks.Disk[].DiskId, Encrypted Boolean, Status) and DescribeSnapshots
(Snapshots.Snapshot[].SnapshotId, Encrypted Boolean), NAS DescribeFileSystems
(FileSystems.FileSystem[].FileSystemId, EncryptType Integer), ApsaraDB RDS
DescribeDBInstances (Items.DBInstance[].DBInstanceId String). The documented entries' facts
stay what the unproxied page gives; the odd entry is recorded (the run partial, the error
naming the operation, the entry's place and its id when readable) and, when it names
itself, reported: a disk, snapshot, file system or database as a resource whose every fact
is error (UNVERIFIED), a bucket or a key read by that name; an unnamed one is a gap.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from alibaba_answer_proxy import AnswerProxy
from alibaba_support import ACCOUNT, CUST, KEYS, b, scan
from storage_support import HZ

from auditor.model import FactState, Resource
from auditor.providers.base import Collection

ESTATE = {"account": ACCOUNT, "keys": KEYS, "buckets": [
              b("bkt-anchor"), b("bkt-service-key", encryption={"algorithm": "KMS"})],
          "disks": [{"id": "d-plain", "region": HZ},
                    {"id": "d-cmk", "region": HZ, "encrypted": True, "key": CUST}],
          "snapshots": [{"id": "s-cmk", "region": HZ, "encrypted": True, "key": CUST}],
          "file_systems": [{"id": "fs-cmk", "region": HZ, "encrypt_type": 2, "key": CUST}],
          "db_instances": [{"id": "rm-one", "region": HZ, "engine": "MySQL",
                            "deletion_protection": True}]}


def with_entry(where: tuple[str, str], change: dict[str, Any],
               total: str = "TotalCount") -> Callable[[bytes], bytes]:
    """The documented page with one more entry: the first one, ``change``d (None: left out)."""
    def rewrite(body: bytes) -> bytes:
        page = json.loads(body)
        entries = page[where[0]][where[1]]
        odd = {k: v for k, v in {**entries[0], **change}.items() if v is not None}
        page[where[0]][where[1]] = [*entries, odd]
        page[total] = page.get(total, len(entries)) + 1
        return json.dumps(page).encode()
    return rewrite


def with_bucket(entry: str) -> Callable[[bytes], bytes]:
    def rewrite(body: bytes) -> bytes:
        return body.replace(b"</Buckets>", entry.encode() + b"</Buckets>")
    return rewrite


_DISKS, _SNAPS = ("Disks", "Disk"), ("Snapshots", "Snapshot")
_FS, _DBS = ("FileSystems", "FileSystem"), ("Items", "DBInstance")
# (row id, endpoint option, the proxy's name of the operation, the rewrite, the kind,
#  resources expected beside the documented ones, words of the run error, error kind)
ROWS = [
    ("disk-encrypted-yes", "alibaba_ecs_endpoint", "ecs:DescribeDisks", with_entry(
        _DISKS, {"DiskId": "d-odd", "Encrypted": "yes"}), "storage.volume", {"d-odd"},
     "item $.Disks.Disk[2].Encrypted (DiskId d-odd): expected boolean, got str", "call"),
    ("disk-without-id", "alibaba_ecs_endpoint", "ecs:DescribeDisks", with_entry(
        _DISKS, {"DiskId": None}), "storage.volume", set(),
     "item $.Disks.Disk[2]: missing DiskId", "listing"),
    ("snapshot-without-encrypted", "alibaba_ecs_endpoint", "kms:DescribeSnapshots",
     with_entry(_SNAPS, {"SnapshotId": "s-odd", "Encrypted": None}), "storage.snapshot",
     {"s-odd"}, "item $.Snapshots.Snapshot[1] (SnapshotId s-odd): missing Encrypted", "call"),
    ("fs-encrypt-type-string", "alibaba_nas_endpoint", "kms:DescribeFileSystems", with_entry(
        _FS, {"FileSystemId": "fs-odd", "EncryptType": "2"}), "storage.filesystem",
     {"fs-odd"}, "item $.FileSystems.FileSystem[1].EncryptType (FileSystemId fs-odd): expected "
     "integer", "call"),
    ("db-id-number", "alibaba_rds_endpoint", "kms:DescribeDBInstances", with_entry(
        _DBS, {"DBInstanceId": 5}, "TotalRecordCount"), "database.instance", set(),
     "item $.Items.DBInstance[1].DBInstanceId: expected string, got int", "listing"),
    ("db-deletion-protection-yes", "alibaba_rds_endpoint", "kms:DescribeDBInstances",
     with_entry(_DBS, {"DBInstanceId": "rm-odd", "DeletionProtection": "yes"},
                "TotalRecordCount"), "database.instance", {"rm-odd"},
     "item $.Items.DBInstance[1].DeletionProtection (DBInstanceId rm-odd): expected boolean",
     "call"),
    ("key-arn-number", "alibaba_kms_endpoint", "kms:ListKeys", with_entry(
        ("Keys", "Key"), {"KeyId": "key-odd", "KeyArn": 7}), "kms.key", {"key-odd"},
     "item $.Keys.Key[", "call"),
    ("alias-without-key", "alibaba_kms_endpoint", "kms:ListAliases", with_entry(
        ("Aliases", "Alias"), {"AliasName": "alias/odd", "KeyId": None}), "kms.key", set(),
     "(AliasName alias/odd): missing KeyId", "listing"),
    ("bucket-without-name", "oss_endpoint", "oss:ListBuckets", with_bucket(
        "<Bucket><Location>oss-cn-hangzhou</Location></Bucket>"), "storage.bucket", set(),
     "item $.ListAllMyBucketsResult.Buckets.Bucket[2]: missing Name", "listing"),
    ("bucket-name-too-short", "oss_endpoint", "oss:ListBuckets", with_bucket(
        "<Bucket><Name>ab</Name></Bucket>"), "storage.bucket", set(),
     "Bucket[2].Name: does not satisfy minLength", "listing"),
    # An entry that cannot even be read as one (an element repeated, text beside elements).
    ("bucket-name-repeated", "oss_endpoint", "oss:ListBuckets", with_bucket(
        "<Bucket><Name>bkt-x</Name><Name>bkt-y</Name></Bucket>"), "storage.bucket", set(),
     "item $.ListAllMyBucketsResult.Buckets.Bucket[2].Name: repeated element", "listing"),
    ("bucket-location-text-and-elements", "oss_endpoint", "oss:ListBuckets", with_bucket(
        "<Bucket><Name>bkt-mixed</Name><Location>oss<Region>x</Region></Location></Bucket>"),
     "storage.bucket", {"bkt-mixed"},
     "Bucket[2].Location (Name bkt-mixed): text where the reference shows elements", "call"),
    ("bucket-location-element", "oss_endpoint", "oss:ListBuckets", with_bucket(
        "<Bucket><Name>bkt-odd</Name><Location><Region>x</Region></Location></Bucket>"),
     "storage.bucket", {"bkt-odd"}, "Bucket[2].Location (Name bkt-odd): expected string",
     "call"),
]


def _resources(collection: Collection, kind: str) -> dict[str, Resource]:
    return {r.id.rsplit("/", 1)[-1].rsplit(":", 1)[-1]: r for r in collection.resources
            if r.kind == kind}


def _facts(resource: Resource) -> dict[str, tuple[Any, ...]]:
    return {p: (f.state, f.value) for p, f in resource.facts.items()}


@pytest.mark.parametrize(("option", "operation", "rewrite", "kind", "more", "words", "how"),
                         [row[1:] for row in ROWS], ids=[row[0] for row in ROWS])
def test_an_odd_entry_spoils_only_itself(make_ali_sandbox: Any, option: str, operation: str,
                                         rewrite: Callable[[bytes], bytes], kind: str,
                                         more: set[str], words: str, how: str) -> None:
    box = make_ali_sandbox(ESTATE)
    documented, _ = scan(box)
    with AnswerProxy(box.scan_options()[option], operation, rewrite) as proxy:
        collection, _ = scan(box, options={**box.scan_options(), option: proxy.url})
    assert proxy.rewritten >= 1
    before, after = _resources(documented, kind), _resources(collection, kind)
    assert before and {n: _facts(after[n]) for n in before} == {
        n: _facts(r) for n, r in before.items()}  # every documented entry as it was
    assert set(after) - set(before) == more
    name = operation.split(":", 1)[1]
    errors = [e for e in collection.run.errors if e.operation.endswith(name)]
    assert collection.run.status == "partial"
    assert len(errors) == 1 and words in errors[0].message, errors
    assert (errors[0].code, errors[0].kind) == ("UnexpectedShape", how)
    if kind not in ("storage.bucket", "kms.key"):  # read from the entry alone: all error
        for name in more:
            facts = after[name].facts
            assert facts and {f.state for f in facts.values()} == {FactState.ERROR}, name
            assert all(words in f.detail for f in facts.values())


def test_a_page_of_odd_entries_still_counts_them_against_the_total(
        make_ali_sandbox: Any) -> None:
    """TotalCount counts every entry: an odd one left out does not make the page look short
    (a listing that asks again, or a truncation without a marker)."""
    box = make_ali_sandbox(ESTATE)
    rewrite = with_entry(_DISKS, {"DiskId": "d-odd", "Encrypted": "yes"})
    with AnswerProxy(box.scan_options()["alibaba_ecs_endpoint"], "ecs:DescribeDisks",
                     rewrite) as proxy:
        collection, _ = scan(box, facts={"storage.volume": frozenset({"encryption.enabled"})},
                             options={**box.scan_options(),
                                      "alibaba_ecs_endpoint": proxy.url})
    assert proxy.rewritten == 1  # one page: the count is met
    assert [(e.operation, e.kind) for e in collection.run.errors] == [
        ("ecs:DescribeDisks", "call")]
    assert sorted(_resources(collection, "storage.volume")) == ["d-cmk", "d-odd", "d-plain"]
