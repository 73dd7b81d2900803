"""One odd item spoils only itself, not its page: answers the moto estate never produces,
served by the answer stand to the real boto3 clients over HTTP.

Each row puts one item that does not fit its API reference among the good items of one
listing page (the reference: S3 ListBuckets' Bucket, KMS ListKeys' KeyListEntry and
ListAliases' AliasListEntry, EC2 DescribeVolumes' Volume and DescribeSnapshots' Snapshot, RDS
DescribeDBInstances' DBInstance, EFS DescribeFileSystems' FileSystemDescription: booleans
true/false, integers, timestamps, the identifiers marked Required). The good items' facts stay
what the documented page gives; the odd item is a resource whose facts are error
(UNVERIFIED) when it names itself, else a listing gap; the run is partial and its error
names the operation, the item's place and its id.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from answer_samples_kinds import BODIES, FS_ARN
from answer_stand import ACCOUNT, KEY_ARN, KEY_ID, REGION, Reply, as_json, running_stand, xml
from aws_support import collect

from auditor.model import FactState
from auditor.providers._runtime import RetryPolicy
from auditor.providers.aws._kinds import PATHS

RETRY = RetryPolicy(max_attempts=1)
ERROR = FactState.ERROR


def _cut(body: str, start: str, end: str) -> str:
    """The first ``start``...``end`` element of ``body``."""
    i = body.index(start)
    return body[i:body.index(end, i) + len(end)]


_VOLUMES = BODIES["ec2:DescribeVolumes"]
_VOLUME = _cut(_VOLUMES, "<item><volumeId>", "</tagSet></item>")
_SNAPSHOTS = BODIES["ec2:DescribeSnapshots"]
_SNAPSHOT = _cut(_SNAPSHOTS, "<item><snapshotId>", "</encrypted></item>")
_INSTANCES = BODIES["rds:DescribeDBInstances"]
_INSTANCE = _cut(_INSTANCES, "<DBInstance>", "</DBInstance>")
_FILE_SYSTEMS = json.loads(BODIES["elasticfilesystem:DescribeFileSystems"])
_BUCKETS = ("<ListAllMyBucketsResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Owner>"
            "<ID>owner</ID></Owner><Buckets>{}</Buckets></ListAllMyBucketsResult>")
_BUCKET = ("<Bucket><Name>sample-bucket</Name><CreationDate>2019-12-11T23:32:47.000Z"
           "</CreationDate></Bucket>")


def _volumes(odd: str) -> Reply:
    return xml(_VOLUMES.replace(_VOLUME, _VOLUME + odd))


def _odd_volume(old: str, new: str) -> str:
    return _VOLUME.replace("vol-1234567890abcdef0", "vol-0dd0000000000000a").replace(old, new)


def _snapshots(old: str, new: str) -> Reply:
    odd = _SNAPSHOT.replace("snap-1234567890abcdef0", "snap-0dd0000000000000a").replace(old, new)
    return xml(_SNAPSHOTS.replace(_SNAPSHOT, odd + _SNAPSHOT))


def _instances(old: str, new: str) -> Reply:
    odd = _INSTANCE.replace("sample-db", "odd-db").replace(old, new)
    return xml(_INSTANCES.replace(_INSTANCE, _INSTANCE + odd))


def _file_systems(**changes: Any) -> Reply:
    good = _FILE_SYSTEMS["FileSystems"][0]
    odd = {**good, "FileSystemId": "fs-0dd00000", "FileSystemArn": FS_ARN.replace(
        "fs-01234567", "fs-0dd00000"), "Name": "odd-fs", **changes}
    return 200, "application/x-amz-json-1.1", json.dumps({"FileSystems": [odd, good]}).encode()


def _buckets(odd: str) -> Reply:
    return xml(_BUCKETS.format(_BUCKET + odd))


_ODD_ARN = f"arn:aws:ec2:{REGION}:{ACCOUNT}:volume/vol-0dd0000000000000a"
_ODD_SNAPSHOT = f"arn:aws:ec2:{REGION}::snapshot/snap-0dd0000000000000a"
_ODD_DB = f"arn:aws:rds:{REGION}:{ACCOUNT}:db:odd-db"
_ODD_FS = FS_ARN.replace("fs-01234567", "fs-0dd00000")
# (row id, kind, operation, its odd page, the odd resource's id (None: not reported, a gap),
#  words of the run error)
KIND_ROWS = [
    # Volume.Encrypted: Boolean; Volume.Size: Integer; Volume.CreateTime: Timestamp.
    ("volume-encrypted-yes", "storage.volume", "ec2:DescribeVolumes", _volumes(_odd_volume(
        "<encrypted>true</encrypted>", "<encrypted>yes</encrypted>")), _ODD_ARN,
     "item $.Volumes[1].Encrypted (VolumeId vol-0dd0000000000000a): expected true or false"),
    ("volume-size-words", "storage.volume", "ec2:DescribeVolumes", _volumes(_odd_volume(
        "<size>80</size>", "<size>eighty</size>")), _ODD_ARN, "expected an integer"),
    ("volume-create-time", "storage.volume", "ec2:DescribeVolumes", _volumes(_odd_volume(
        "<createTime>2013-12-18T22:35:00.084Z</createTime>",
        "<createTime>yesterday</createTime>")), _ODD_ARN, ".CreateTime"),
    # Volume.VolumeId (the id every fact is of): without it the volume is unnamed, a gap.
    ("volume-without-id", "storage.volume", "ec2:DescribeVolumes", _volumes(_odd_volume(
        "<volumeId>vol-0dd0000000000000a</volumeId>", "")), None,
     "item $.Volumes[1]: missing VolumeId"),
    ("snapshot-encrypted-1", "storage.snapshot", "ec2:DescribeSnapshots", _snapshots(
        "<encrypted>false</encrypted>", "<encrypted>1</encrypted>"), _ODD_SNAPSHOT,
     "item $.Snapshots[0].Encrypted (SnapshotId snap-0dd0000000000000a)"),
    ("snapshot-start-time", "storage.snapshot", "ec2:DescribeSnapshots", _snapshots(
        "<startTime>2016-08-29T20:44:18.000Z</startTime>", "<startTime>soon</startTime>"),
     _ODD_SNAPSHOT, "not a timestamp"),
    # DBInstance.StorageEncrypted: Boolean; BackupRetentionPeriod: Integer; DBInstanceArn.
    ("db-encrypted-maybe", "database.instance", "rds:DescribeDBInstances", _instances(
        "<StorageEncrypted>true</StorageEncrypted>",
        "<StorageEncrypted>maybe</StorageEncrypted>"), _ODD_DB,
     "item $.DBInstances[1].StorageEncrypted (DBInstanceIdentifier odd-db)"),
    ("db-retention-words", "database.instance", "rds:DescribeDBInstances", _instances(
        "<BackupRetentionPeriod>7</BackupRetentionPeriod>",
        "<BackupRetentionPeriod>week</BackupRetentionPeriod>"), _ODD_DB,
     "expected an integer"),
    ("db-without-arn", "database.instance", "rds:DescribeDBInstances", _instances(
        f"<DBInstanceArn>arn:aws:rds:{REGION}:{ACCOUNT}:db:odd-db</DBInstanceArn>", ""),
     None, "item $.DBInstances[1] (DBInstanceIdentifier odd-db): missing DBInstanceArn"),
    # FileSystemDescription.Encrypted: Boolean; CreationTime: Timestamp (both JSON).
    ("fs-encrypted-string", "storage.filesystem", "elasticfilesystem:DescribeFileSystems",
     _file_systems(Encrypted="true"), _ODD_FS,
     "item $.FileSystems[0].Encrypted (FileSystemId fs-0dd00000): expected true or false"),
    ("fs-creation-time", "storage.filesystem", "elasticfilesystem:DescribeFileSystems",
     _file_systems(CreationTime="long ago"), _ODD_FS,
     "item $.FileSystems[0].CreationTime (FileSystemId fs-0dd00000): not a timestamp"),
    ("fs-id-number", "storage.filesystem", "elasticfilesystem:DescribeFileSystems",
     _file_systems(FileSystemId=7), None, "item $.FileSystems[0].FileSystemId"),
]


def _collected(tmp: Path, kind: str, answers: dict[str, Reply]) -> Any:
    with running_stand(tmp) as stand:
        for operation, reply in answers.items():
            stand.answer(operation, reply)
        return collect({"region": [REGION]}, {kind: set(PATHS[kind])}, retry=RETRY)


def _facts(collection: Any, kind: str) -> dict[str, dict[str, tuple[Any, ...]]]:
    return {r.id: {p: (f.state, f.value) for p, f in r.facts.items()}
            for r in collection.resources if r.kind == kind}


@pytest.mark.parametrize(("kind", "operation", "page", "odd_id", "words"),
                         [row[1:] for row in KIND_ROWS], ids=[row[0] for row in KIND_ROWS])
def test_an_odd_item_spoils_only_itself(tmp_path: Path, kind: str, operation: str,
                                        page: Reply, odd_id: str | None, words: str) -> None:
    documented = _facts(_collected(tmp_path / "a", kind, {}), kind)
    collection = _collected(tmp_path / "b", kind, {operation: page})
    found = _facts(collection, kind)
    for resource_id, facts in documented.items():  # every good item as the documented page
        assert found[resource_id] == facts
    odd = set(found) - set(documented)
    errors = [e for e in collection.run.errors if e.operation == operation]
    assert collection.run.status == "partial"
    assert len(errors) == 1 and words in errors[0].message, errors
    assert errors[0].code == "UnexpectedShape"
    if odd_id is None:  # unnamed: missing from the inventory, recorded as a gap
        assert odd == set() and errors[0].kind == "listing"
    else:  # named: reported, nothing of it a value
        assert odd == {odd_id} and errors[0].kind == "call"
        assert found[odd_id] and all(state is ERROR for state, _ in found[odd_id].values())


def _keys(*odd: dict[str, Any]) -> Reply:
    return as_json({"Keys": [*odd, {"KeyArn": KEY_ARN, "KeyId": KEY_ID}], "Truncated": False})


def _described(params: dict[str, list[str]]) -> Reply:
    """DescribeKey of whichever key is asked for: the sample key's metadata under its id."""
    ref = params["KeyId"][0].rsplit("key/", 1)[-1]
    return as_json({"KeyMetadata": {
        "AWSAccountId": ACCOUNT, "Arn": KEY_ARN.replace(KEY_ID, ref), "KeyId": ref,
        "Enabled": True, "KeyManager": "CUSTOMER", "KeyState": "Enabled", "Origin": "AWS_KMS",
        "KeySpec": "SYMMETRIC_DEFAULT", "KeyUsage": "ENCRYPT_DECRYPT"}})


_OTHER = "0dd0abcd-12ab-34cd-56ef-1234567890ab"
_ALIASES = {"AliasArn": f"arn:aws:kms:{REGION}:{ACCOUNT}:alias/sample",
            "AliasName": "alias/sample", "TargetKeyId": KEY_ID}
# (row id, operation, odd page, resources expected beside the documented ones, run error words)
LIST_ROWS = [
    # Bucket.Name is the bucket; CreationDate a timestamp. A bucket named is read as any.
    ("bucket-without-name", "storage.bucket", "s3:ListBuckets", _buckets(
        "<Bucket><CreationDate>2019-12-11T23:32:47.000Z</CreationDate></Bucket>"), set(),
     "item $.Buckets[1]: missing Name"),
    ("bucket-creation-date", "storage.bucket", "s3:ListBuckets", _buckets(
        "<Bucket><Name>odd-bucket</Name><CreationDate>someday</CreationDate></Bucket>"),
     {"arn:aws:s3:::odd-bucket"}, "item $.Buckets[1].CreationDate (Name odd-bucket)"),
    # KeyListEntry: KeyId and KeyArn (strings). A key named by its id is still described.
    ("key-without-arn", "kms.key", "kms:ListKeys", _keys({"KeyId": _OTHER}),
     {KEY_ARN.replace(KEY_ID, _OTHER)}, f"item $.Keys[0] (KeyId {_OTHER}): missing KeyArn"),
    ("key-id-number", "kms.key", "kms:ListKeys", _keys({"KeyId": 42, "KeyArn": "arn:x"}),
     set(), "item $.Keys[0].KeyId (KeyArn arn:x): expected string, got int"),
    # AliasListEntry.AliasName begins with alias/: another entry is no alias of any key.
    ("alias-without-name", "kms.key", "kms:ListAliases", as_json({"Aliases": [
        {"TargetKeyId": KEY_ID}, _ALIASES], "Truncated": False}), set(),
     "item $.Aliases[0]: missing AliasName"),
]


@pytest.mark.parametrize(("kind", "operation", "page", "more", "words"),
                         [row[1:] for row in LIST_ROWS], ids=[row[0] for row in LIST_ROWS])
def test_an_odd_bucket_or_key_entry_spoils_only_itself(
        tmp_path: Path, kind: str, operation: str, page: Reply, more: set[str],
        words: str) -> None:
    def run(where: Path, answers: dict[str, Reply]) -> Any:
        with running_stand(where) as stand:
            stand.scripts["kms:DescribeKey"] = _described
            for op, reply in answers.items():
                stand.answer(op, reply)
            return collect({"region": [REGION]}, None, retry=RETRY)

    documented = _facts(run(tmp_path / "a", {}), kind)
    collection = run(tmp_path / "b", {operation: page})
    found = _facts(collection, kind)
    assert {k: v for k, v in found.items() if k in documented} == documented
    assert set(found) - set(documented) == more
    errors = [e for e in collection.run.errors if e.operation == operation]
    assert collection.run.status == "partial"
    assert len(errors) == 1 and words in errors[0].message, errors
    assert errors[0].kind == ("call" if more else "listing")


# (row id, operation, its pages in order, words of the listing gap, pages asked for)
PAGING_ROWS = [
    # EC2 NextToken that names a page already listed; KMS Truncated true without NextMarker;
    # a page whose envelope lacks the documented Truncated.
    ("ec2-token-repeats", "ec2:DescribeVolumes", [_VOLUMES.replace(
        "</volumeSet>", "</volumeSet><nextToken>again</nextToken>")] * 3, "RepeatedMarker", 2),
    ("kms-truncated-without-marker", "kms:ListKeys", [
        {"Keys": [{"KeyArn": KEY_ARN, "KeyId": KEY_ID}], "Truncated": True}],
     "TruncatedWithoutMarker", 1),
    ("kms-envelope-without-truncated", "kms:ListKeys", [
        {"Keys": [{"KeyArn": KEY_ARN, "KeyId": KEY_ID}]}], "missing Truncated", 1),
]


@pytest.mark.parametrize(("operation", "pages", "words", "asked"),
                         [row[1:] for row in PAGING_ROWS], ids=[row[0] for row in PAGING_ROWS])
def test_a_listing_that_cannot_be_followed_is_a_gap(tmp_path: Path, operation: str,
                                                    pages: list[Any], words: str,
                                                    asked: int) -> None:
    served = iter(pages)

    def page(_: dict[str, list[str]]) -> Reply:
        body = next(served, pages[-1])
        return xml(body) if isinstance(body, str) else as_json(body)

    with running_stand(tmp_path) as stand:
        stand.scripts[operation] = page
        collection = collect({"region": [REGION]}, None, retry=RETRY)
    gaps = [e for e in collection.run.errors if e.operation == operation]
    assert collection.run.status == "partial"
    assert [e.kind for e in gaps] == ["listing"] and words in f"{gaps[0].code} {gaps[0].message}"
    assert stand.calls[operation] == asked  # no endless loop, no silent stop


def test_each_odd_item_is_named_by_its_place_on_the_page(tmp_path: Path) -> None:
    """One volume odd in its raw body (taken out before parsing), one odd in its parsed
    shape after it: each error names the item's place as served."""
    raw_odd = _odd_volume("<encrypted>true</encrypted>", "<encrypted>yes</encrypted>")
    unnamed = _VOLUME.replace("<volumeId>vol-1234567890abcdef0</volumeId>", "")
    page = xml(_VOLUMES.replace(_VOLUME, _VOLUME + raw_odd + unnamed))
    collection = _collected(tmp_path, "storage.volume", {"ec2:DescribeVolumes": page})
    assert sorted((e.kind, e.message.split(":")[0]) for e in collection.run.errors) == [
        ("call", "item $.Volumes[1].Encrypted (VolumeId vol-0dd0000000000000a)"),
        ("listing", "item $.Volumes[2]")]
    assert set(_facts(collection, "storage.volume")) == {
        f"arn:aws:ec2:{REGION}:{ACCOUNT}:volume/vol-1234567890abcdef0", _ODD_ARN}
