"""The EC2, RDS and EFS reads of the new kinds against the answer stand (boto3 over HTTP):
listings paged to their end, a repeated token a gap, a malformed answer an error of its own
facts, the EFS TLS rule derived from the policy, and TLS never guessed for an engine whose
setting this adapter does not read.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from answer_samples_kinds import BODIES, FS_ARN
from answer_stand import EC2_NS, REGION, Reply, running_stand, xml
from aws_support import collect

from auditor.model import FactState
from auditor.providers._runtime import RetryPolicy
from auditor.providers.base import Collection

RETRY = RetryPolicy(max_attempts=1)
VOLUME_FACTS = {"storage.volume": {"encryption.enabled", "attachment.attached"}}


def _volume(volume_id: str) -> str:
    return (f"<item><volumeId>{volume_id}</volumeId><status>available</status>"
            "<encrypted>false</encrypted></item>")


def _volumes(volume_id: str, token: str | None) -> Reply:
    more = f"<nextToken>{token}</nextToken>" if token else ""
    return xml(f"<DescribeVolumesResponse {EC2_NS}><requestId>r</requestId><volumeSet>"
               f"{_volume(volume_id)}</volumeSet>{more}</DescribeVolumesResponse>")


def _scan(tmp: Path, facts: dict[str, set[str]], **answers: Any) -> Collection:
    with running_stand(tmp) as stand:
        for operation, reply in answers.items():
            stand.scripts[operation.replace("__", ":")] = (
                reply if callable(reply) else (lambda _, reply=reply: reply))
        collection = collect({"region": [REGION]}, facts, retry=RETRY)
        collection.run.api_calls = dict(stand.calls)  # what reached the stand
    return collection


def _by_id(collection: Collection, kind: str) -> dict[str, Any]:
    return {r.id.rsplit("/", 1)[-1].rsplit(":", 1)[-1]: r for r in collection.resources
            if r.kind == kind}


def test_volumes_are_listed_to_the_last_page(tmp_path: Path) -> None:
    def pages(params: dict[str, list[str]]) -> Reply:
        return _volumes("vol-b", None) if params.get("NextToken") == ["t2"] else _volumes(
            "vol-a", "t2")

    collection = _scan(tmp_path, VOLUME_FACTS, ec2__DescribeVolumes=pages)
    assert set(_by_id(collection, "storage.volume")) == {"vol-a", "vol-b"}
    assert collection.run.api_calls["ec2:DescribeVolumes"] == 2
    assert not collection.run.errors


def test_a_repeated_token_is_a_gap_never_the_end(tmp_path: Path) -> None:
    collection = _scan(tmp_path, VOLUME_FACTS,
                       ec2__DescribeVolumes=lambda _: _volumes("vol-a", "again"))
    assert set(_by_id(collection, "storage.volume")) == {"vol-a"}
    gaps = [(e.operation, e.code, e.kind) for e in collection.run.errors]
    assert gaps == [("ec2:DescribeVolumes", "RepeatedMarker", "listing")]
    assert collection.run.status == "partial"


def test_a_malformed_database_entry_spoils_only_itself(tmp_path: Path) -> None:
    body = BODIES["rds:DescribeDBInstances"].replace(
        "<StorageEncrypted>true</StorageEncrypted>", "<StorageEncrypted>yes</StorageEncrypted>",
        1)
    collection = _scan(tmp_path, {"database.instance": {"encryption.enabled"}},
                       rds__DescribeDBInstances=xml(body))
    databases = _by_id(collection, "database.instance")
    # The odd entry (sample-db) is reported with its facts error; the page's other entry
    # (the cluster's member) and the cluster's own listing are read as ever.
    assert set(databases) == {"sample-db", "sample-aurora"}
    assert databases["sample-db"].facts["encryption.enabled"].state is FactState.ERROR
    assert databases["sample-aurora"].facts["encryption.enabled"].value is True
    failures = [(e.code, e.kind) for e in collection.run.errors
                if e.operation == "rds:DescribeDBInstances"]
    assert failures == [("UnexpectedShape", "call")]


def test_a_malformed_permission_is_an_error_of_the_sharing_facts(tmp_path: Path) -> None:
    body = BODIES["ec2:DescribeSnapshotAttribute"].replace("<group>all</group>",
                                                           "<group>everyone</group>")
    collection = _scan(tmp_path, {"storage.snapshot": {"encryption.enabled",
                                                       "public_exposure.is_public",
                                                       "sharing.accounts"}},
                       ec2__DescribeSnapshotAttribute=xml(body))
    snapshot = _by_id(collection, "storage.snapshot")["snap-1234567890abcdef0"]
    for path in ("public_exposure.is_public", "sharing.accounts"):
        fact = snapshot.facts[path]
        assert fact.state is FactState.ERROR and "UnexpectedShape" in fact.detail, path
    assert snapshot.facts["encryption.enabled"].state is FactState.OBSERVED


def _statement(**changes: Any) -> dict[str, Any]:
    statement = {"Sid": "tls", "Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "*",
                 "Resource": FS_ARN, "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
    statement.update(changes)
    return {k: v for k, v in statement.items() if v is not None}


@pytest.mark.parametrize(("statement", "required", "why"), [
    (_statement(), True, "denies elasticfilesystem:ClientMount"),
    (_statement(Action="elasticfilesystem:ClientMount", Resource="*"), True, "every principal"),
    (_statement(Principal={"AWS": "arn:aws:iam::123456789012:role/app"}), False,
     "not every principal"),
    (_statement(Condition={"Bool": {"aws:SecureTransport": "false"},
                           "IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}), False,
     "extra conditions"),
    (_statement(Action=None, NotAction="elasticfilesystem:ClientMount"), False,
     "ClientMount not covered"),
    (_statement(Resource="arn:aws:elasticfilesystem:eu-west-1:123456789012:file-system/fs-x"),
     False, "ARN not covered"),
    (_statement(Effect="Allow"), False, "no Deny"),
])
def test_efs_tls_is_derived_from_the_file_system_policy(
        tmp_path: Path, statement: dict[str, Any], required: bool, why: str) -> None:
    policy = json.dumps({"Version": "2012-10-17", "Statement": [statement]})
    reply = (200, "application/json",
             json.dumps({"FileSystemId": "fs-01234567", "Policy": policy}).encode())
    collection = _scan(tmp_path, {"storage.filesystem": {"tls_enforced.required"}},
                       elasticfilesystem__DescribeFileSystemPolicy=reply)
    fact = _by_id(collection, "storage.filesystem")["fs-01234567"].facts[
        "tls_enforced.required"]
    assert (fact.state, fact.value, fact.basis) == (FactState.OBSERVED, required, "derived")
    assert why in fact.detail


def test_an_unparsable_file_system_policy_is_an_error(tmp_path: Path) -> None:
    reply = (200, "application/json", json.dumps({"Policy": "{not json"}).encode())
    collection = _scan(tmp_path, {"storage.filesystem": {"tls_enforced.required"}},
                       elasticfilesystem__DescribeFileSystemPolicy=reply)
    fact = _by_id(collection, "storage.filesystem")["fs-01234567"].facts[
        "tls_enforced.required"]
    assert fact.state is FactState.ERROR and "unparsable" in fact.detail


def test_tls_is_not_guessed_where_it_is_not_read(tmp_path: Path) -> None:
    oracle = BODIES["rds:DescribeDBInstances"].replace("<Engine>postgres</Engine>",
                                                       "<Engine>oracle-ee</Engine>", 1)
    no_parameter = BODIES["rds:DescribeDBClusterParameters"].replace(
        "require_secure_transport", "max_connections")
    collection = _scan(tmp_path, {"database.instance": {"tls_enforced.required"}},
                       rds__DescribeDBInstances=xml(oracle),
                       rds__DescribeDBClusterParameters=xml(no_parameter))
    databases = _by_id(collection, "database.instance")
    instance = databases["sample-db"].facts["tls_enforced.required"]
    assert instance.state is FactState.ERROR and "option group" in instance.detail
    cluster = databases["sample-aurora"].facts["tls_enforced.required"]
    assert cluster.state is FactState.ERROR and "lists no value" in cluster.detail
    # the Oracle instance's parameter group is not read: its answer would not say
    assert "rds:DescribeDBParameters" not in collection.run.api_calls
