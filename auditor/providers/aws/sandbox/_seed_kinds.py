"""Seeding EBS volumes and snapshots, EFS file systems, RDS databases and snapshots from the
estate section (boto3 writes with the admin keys, before the recorder starts).

What AWS refuses, the estate may not ask for either (moto would accept it): an encrypted
snapshot cannot be public, and one encrypted with an AWS managed key cannot be shared (EC2
User Guide "Share an Amazon EBS snapshot"; RDS User Guide "Sharing a DB snapshot").
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

ACCOUNT = "123456789012"  # moto's default account
Client = Callable[[str, str], Any]


def _key_arn(spec: dict[str, Any], region: str, key_ids: dict[str, str]) -> str | None:
    alias = spec.get("key")
    return f"arn:aws:kms:{region}:{ACCOUNT}:key/{key_ids[alias]}" if alias else None


def _check_shareable(kind: str, spec: dict[str, Any], source: dict[str, Any]) -> None:
    encrypted = bool(source.get("encrypted", True))
    if spec.get("public") and encrypted:
        raise ValueError(f"estate: {kind} {spec['name']}: AWS cannot make an encrypted "
                         "snapshot public")
    if spec.get("shared_with") and encrypted and not source.get("key"):
        raise ValueError(f"estate: {kind} {spec['name']}: a snapshot under an AWS managed key "
                         "cannot be shared; name a customer managed key on its source")


def _tags(name: str) -> list[dict[str, Any]]:
    return [{"Key": "Name", "Value": name}]


class KindsSeeder:
    def __init__(self, client: Client, key_ids: dict[str, str]) -> None:
        self.client = client
        self.key_ids = key_ids
        self.volumes: dict[str, tuple[str, dict[str, Any]]] = {}  # name -> (id, spec)
        self.databases: dict[str, dict[str, Any]] = {}

    def volume(self, spec: dict[str, Any]) -> None:
        region = spec["region"]
        ec2 = self.client("ec2", region)
        zone = f"{region}a"
        kwargs: dict[str, Any] = {"AvailabilityZone": zone, "Size": spec.get("size", 8),
                                  "Encrypted": bool(spec.get("encrypted", True)),
                                  "TagSpecifications": [{"ResourceType": "volume",
                                                         "Tags": _tags(spec["name"])}]}
        key = _key_arn(spec, region, self.key_ids)
        if key:
            kwargs["KmsKeyId"] = key
        volume_id = ec2.create_volume(**kwargs)["VolumeId"]
        self.volumes[spec["name"]] = (volume_id, spec)
        if spec.get("attached"):
            image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
            instance = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1,
                                         Placement={"AvailabilityZone": zone})
            ec2.attach_volume(VolumeId=volume_id, Device="/dev/sdf",
                              InstanceId=instance["Instances"][0]["InstanceId"])

    def snapshot(self, spec: dict[str, Any]) -> None:
        volume_id, source = self.volumes[spec["volume"]]
        _check_shareable("snapshot", spec, source)
        ec2 = self.client("ec2", source["region"])
        snapshot_id = ec2.create_snapshot(VolumeId=volume_id, TagSpecifications=[
            {"ResourceType": "snapshot", "Tags": _tags(spec["name"])}])["SnapshotId"]
        # The documented OperationType/GroupNames/UserIds form (moto reads no other).
        groups = ["all"] if spec.get("public") else []
        users = list(spec.get("shared_with", []))
        if groups or users:
            ec2.modify_snapshot_attribute(SnapshotId=snapshot_id,
                                          Attribute="createVolumePermission",
                                          OperationType="add", GroupNames=groups, UserIds=users)

    def file_system(self, spec: dict[str, Any]) -> None:
        region = spec["region"]
        efs = self.client("efs", region)
        kwargs: dict[str, Any] = {"CreationToken": spec["name"], "Tags": _tags(spec["name"]),
                                  "Encrypted": bool(spec.get("encrypted", True))}
        key = _key_arn(spec, region, self.key_ids)
        if key:
            kwargs["KmsKeyId"] = key
        made = efs.create_file_system(**kwargs)
        if spec.get("tls"):
            efs.put_file_system_policy(FileSystemId=made["FileSystemId"], Policy=json.dumps({
                "Version": "2012-10-17", "Statement": [{
                    "Sid": "DenyInsecureTransport", "Effect": "Deny",
                    "Principal": {"AWS": "*"}, "Action": "*",
                    "Resource": made["FileSystemArn"],
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}))

    def _parameters(self, rds: Any, spec: dict[str, Any], cluster: bool) -> str:
        """A parameter group of the database's own, with its TLS parameter set."""
        group = f"{spec['name']}-params"
        parameter = {"ParameterName": spec["tls_parameter"], "ApplyMethod": "immediate",
                     "ParameterValue": str(spec["tls_value"])}
        if cluster:
            rds.create_db_cluster_parameter_group(
                DBClusterParameterGroupName=group, DBParameterGroupFamily=spec["family"],
                Description=spec["name"])
            rds.modify_db_cluster_parameter_group(DBClusterParameterGroupName=group,
                                                  Parameters=[parameter])
        else:
            rds.create_db_parameter_group(DBParameterGroupName=group,
                                          DBParameterGroupFamily=spec["family"],
                                          Description=spec["name"])
            rds.modify_db_parameter_group(DBParameterGroupName=group, Parameters=[parameter])
        return group

    def database(self, spec: dict[str, Any]) -> None:
        region = spec["region"]
        rds = self.client("rds", region)
        common: dict[str, Any] = {
            "Engine": spec["engine"], "StorageEncrypted": bool(spec.get("encrypted", True)),
            "DeletionProtection": bool(spec.get("deletion_protection", False)),
            "BackupRetentionPeriod": int(spec.get("backup_days", 1)),
            "MasterUsername": "admin", "MasterUserPassword": "sandbox-only-pw"}
        key = _key_arn(spec, region, self.key_ids)
        if key:
            common["KmsKeyId"] = key
        tags = [{"Key": "Name", "Value": spec["name"]}]
        if spec.get("cluster"):
            rds.create_db_cluster(DBClusterIdentifier=spec["name"], Tags=tags,
                                  DBClusterParameterGroupName=self._parameters(rds, spec, True),
                                  **common)
            rds.create_db_instance(DBInstanceIdentifier=f"{spec['name']}-1",
                                   DBClusterIdentifier=spec["name"], Engine=spec["engine"],
                                   DBInstanceClass="db.r6g.large",
                                   PubliclyAccessible=bool(spec.get("public", False)))
        else:
            rds.create_db_instance(DBInstanceIdentifier=spec["name"], Tags=tags,
                                   DBInstanceClass="db.t3.micro", AllocatedStorage=20,
                                   PubliclyAccessible=bool(spec.get("public", False)),
                                   DBParameterGroupName=self._parameters(rds, spec, False),
                                   **common)
        self.databases[spec["name"]] = spec

    def db_snapshot(self, spec: dict[str, Any]) -> None:
        source = self.databases[spec["database"]]
        _check_shareable("DB snapshot", spec, source)
        rds = self.client("rds", source["region"])
        add = (["all"] if spec.get("public") else []) + list(spec.get("shared_with", []))
        if source.get("cluster"):
            rds.create_db_cluster_snapshot(DBClusterSnapshotIdentifier=spec["name"],
                                           DBClusterIdentifier=spec["database"])
            if add:
                rds.modify_db_cluster_snapshot_attribute(
                    DBClusterSnapshotIdentifier=spec["name"], AttributeName="restore",
                    ValuesToAdd=add)
        else:
            rds.create_db_snapshot(DBSnapshotIdentifier=spec["name"],
                                   DBInstanceIdentifier=spec["database"])
            if add:
                rds.modify_db_snapshot_attribute(DBSnapshotIdentifier=spec["name"],
                                                 AttributeName="restore", ValuesToAdd=add)


def seed_kinds(client: Client, section: dict[str, Any], key_ids: dict[str, str]) -> None:
    """Seed the section's volumes, snapshots, file_systems, databases and db_snapshots."""
    from auditor.providers.aws.sandbox._documented_kinds import documented_kinds

    documented_kinds()  # before the scan: moto answers these reads as AWS documents them
    seeder = KindsSeeder(client, key_ids)
    for field, seed in (("volumes", seeder.volume), ("snapshots", seeder.snapshot),
                        ("file_systems", seeder.file_system), ("databases", seeder.database),
                        ("db_snapshots", seeder.db_snapshot)):
        for spec in section.get(field, []):
            seed(spec)
