"""Documented sample answers of the EC2, RDS and EFS reads behind volumes, snapshots, file
systems and databases (each API reference page's Response Syntax, one resource apiece), for
the answer stand: an attached volume under the sample key, a public unencrypted EBS snapshot
(the region's block public access for snapshots unblocked), an RDS instance and an Aurora
cluster (one member instance), a DB snapshot shared with one account, a private cluster
snapshot, a file system whose policy enforces TLS.
"""

from __future__ import annotations

import json

ACCOUNT = "123456789012"
REGION = "eu-west-1"
KEY_ARN = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
EC2_NS = 'xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"'
RDS_NS = 'xmlns="http://rds.amazonaws.com/doc/2014-10-31/"'
FS_ARN = f"arn:aws:elasticfilesystem:{REGION}:{ACCOUNT}:file-system/fs-01234567"
FS_POLICY = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Sid": "efs-enforce-tls", "Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "*",
    "Resource": FS_ARN, "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]})
_META = "<ResponseMetadata><RequestId>r</RequestId></ResponseMetadata>"


def _rds(operation: str, result: str) -> str:
    return (f"<{operation}Response {RDS_NS}><{operation}Result>{result}</{operation}Result>"
            f"{_META}</{operation}Response>")


def _parameter(name: str, value: str) -> str:
    return (f"<Parameter><ParameterName>{name}</ParameterName><ParameterValue>{value}"
            "</ParameterValue><Source>user</Source><ApplyType>dynamic</ApplyType><DataType>"
            "boolean</DataType><IsModifiable>true</IsModifiable></Parameter>")


_INSTANCE = (
    "<DBInstance><DBInstanceIdentifier>{name}</DBInstanceIdentifier><DBInstanceArn>"
    f"arn:aws:rds:{REGION}:{ACCOUNT}:db:{{name}}</DBInstanceArn><Engine>{{engine}}</Engine>"
    "{cluster}<StorageEncrypted>true</StorageEncrypted>"
    f"<KmsKeyId>{KEY_ARN}</KmsKeyId><PubliclyAccessible>false</PubliclyAccessible>"
    "<DeletionProtection>true</DeletionProtection><BackupRetentionPeriod>7"
    "</BackupRetentionPeriod><DBParameterGroups><DBParameterGroup><DBParameterGroupName>"
    "{name}-params</DBParameterGroupName><ParameterApplyStatus>in-sync</ParameterApplyStatus>"
    "</DBParameterGroup></DBParameterGroups></DBInstance>")

# operation -> its documented body (XML, or JSON for EFS)
BODIES: dict[str, str] = {
    "ec2:DescribeVolumes": (
        f"<DescribeVolumesResponse {EC2_NS}><requestId>r</requestId><volumeSet><item>"
        "<volumeId>vol-1234567890abcdef0</volumeId><size>80</size><snapshotId/>"
        f"<availabilityZone>{REGION}a</availabilityZone><status>in-use</status>"
        "<createTime>2013-12-18T22:35:00.084Z</createTime><attachmentSet><item>"
        "<volumeId>vol-1234567890abcdef0</volumeId><instanceId>i-1234567890abcdef0"
        "</instanceId><device>/dev/sdb</device><status>attached</status><attachTime>"
        "2013-12-18T22:35:00.000Z</attachTime><deleteOnTermination>true</deleteOnTermination>"
        "</item></attachmentSet><volumeType>gp3</volumeType><encrypted>true</encrypted>"
        f"<kmsKeyId>{KEY_ARN}</kmsKeyId><multiAttachEnabled>false</multiAttachEnabled>"
        "<tagSet><item><key>Name</key><value>sample-volume</value></item></tagSet>"
        "</item></volumeSet></DescribeVolumesResponse>"),
    "ec2:DescribeSnapshots": (
        f"<DescribeSnapshotsResponse {EC2_NS}><requestId>r</requestId><snapshotSet><item>"
        "<snapshotId>snap-1234567890abcdef0</snapshotId><volumeId>vol-1234567890abcdef0"
        "</volumeId><status>completed</status><startTime>2016-08-29T20:44:18.000Z</startTime>"
        f"<progress>100%</progress><ownerId>{ACCOUNT}</ownerId><volumeSize>8</volumeSize>"
        "<description>sample</description><encrypted>false</encrypted></item></snapshotSet>"
        "</DescribeSnapshotsResponse>"),
    "ec2:DescribeSnapshotAttribute": (
        f"<DescribeSnapshotAttributeResponse {EC2_NS}><requestId>r</requestId><snapshotId>"
        "snap-1234567890abcdef0</snapshotId><createVolumePermission><item><group>all</group>"
        "</item></createVolumePermission></DescribeSnapshotAttributeResponse>"),
    "ec2:GetSnapshotBlockPublicAccessState": (
        f"<GetSnapshotBlockPublicAccessStateResponse {EC2_NS}><requestId>r</requestId>"
        "<state>unblocked</state><managedBy>account</managedBy>"
        "</GetSnapshotBlockPublicAccessStateResponse>"),
    "rds:DescribeDBInstances": _rds("DescribeDBInstances", "<DBInstances>" + _INSTANCE.format(
        name="sample-db", engine="postgres", cluster="") + _INSTANCE.format(
        name="sample-aurora-1", engine="aurora-mysql",
        cluster="<DBClusterIdentifier>sample-aurora</DBClusterIdentifier>") + "</DBInstances>"),
    "rds:DescribeDBClusters": _rds("DescribeDBClusters", (
        "<DBClusters><DBCluster><DBClusterIdentifier>sample-aurora</DBClusterIdentifier>"
        f"<DBClusterArn>arn:aws:rds:{REGION}:{ACCOUNT}:cluster:sample-aurora</DBClusterArn>"
        "<Engine>aurora-mysql</Engine><StorageEncrypted>true</StorageEncrypted>"
        f"<KmsKeyId>{KEY_ARN}</KmsKeyId><DeletionProtection>false</DeletionProtection>"
        "<BackupRetentionPeriod>1</BackupRetentionPeriod><DBClusterParameterGroup>"
        "sample-aurora-params</DBClusterParameterGroup><DBClusterMembers><DBClusterMember>"
        "<DBInstanceIdentifier>sample-aurora-1</DBInstanceIdentifier><IsClusterWriter>true"
        "</IsClusterWriter></DBClusterMember></DBClusterMembers></DBCluster></DBClusters>")),
    "rds:DescribeDBParameters": _rds("DescribeDBParameters", "<Parameters>" + _parameter(
        "rds.force_ssl", "1") + "</Parameters>"),
    "rds:DescribeDBClusterParameters": _rds("DescribeDBClusterParameters", "<Parameters>"
                                            + _parameter("require_secure_transport", "OFF")
                                            + "</Parameters>"),
    "rds:DescribeDBSnapshots": _rds("DescribeDBSnapshots", (
        "<DBSnapshots><DBSnapshot><DBSnapshotIdentifier>sample-db-snapshot"
        f"</DBSnapshotIdentifier><DBSnapshotArn>arn:aws:rds:{REGION}:{ACCOUNT}:snapshot:"
        "sample-db-snapshot</DBSnapshotArn><DBInstanceIdentifier>sample-db"
        "</DBInstanceIdentifier><SnapshotType>manual</SnapshotType><Encrypted>true</Encrypted>"
        f"<KmsKeyId>{KEY_ARN}</KmsKeyId></DBSnapshot></DBSnapshots>")),
    "rds:DescribeDBClusterSnapshots": _rds("DescribeDBClusterSnapshots", (
        "<DBClusterSnapshots><DBClusterSnapshot><DBClusterSnapshotIdentifier>"
        "sample-aurora-snapshot</DBClusterSnapshotIdentifier><DBClusterSnapshotArn>"
        f"arn:aws:rds:{REGION}:{ACCOUNT}:cluster-snapshot:sample-aurora-snapshot"
        "</DBClusterSnapshotArn><SnapshotType>manual</SnapshotType><StorageEncrypted>true"
        f"</StorageEncrypted><KmsKeyId>{KEY_ARN}</KmsKeyId></DBClusterSnapshot>"
        "</DBClusterSnapshots>")),
    "rds:DescribeDBSnapshotAttributes": _rds("DescribeDBSnapshotAttributes", (
        "<DBSnapshotAttributesResult><DBSnapshotIdentifier>sample-db-snapshot"
        "</DBSnapshotIdentifier><DBSnapshotAttributes><DBSnapshotAttribute><AttributeName>"
        "restore</AttributeName><AttributeValues><AttributeValue>210987654321</AttributeValue>"
        "</AttributeValues></DBSnapshotAttribute></DBSnapshotAttributes>"
        "</DBSnapshotAttributesResult>")),
    "rds:DescribeDBClusterSnapshotAttributes": _rds("DescribeDBClusterSnapshotAttributes", (
        "<DBClusterSnapshotAttributesResult><DBClusterSnapshotIdentifier>"
        "sample-aurora-snapshot</DBClusterSnapshotIdentifier><DBClusterSnapshotAttributes>"
        "<DBClusterSnapshotAttribute><AttributeName>restore</AttributeName><AttributeValues/>"
        "</DBClusterSnapshotAttribute></DBClusterSnapshotAttributes>"
        "</DBClusterSnapshotAttributesResult>")),
    "elasticfilesystem:DescribeFileSystems": json.dumps({"FileSystems": [{
        "OwnerId": ACCOUNT, "CreationToken": "sample", "FileSystemId": "fs-01234567",
        "FileSystemArn": FS_ARN, "CreationTime": 1481841524.0, "LifeCycleState": "available",
        "Name": "sample-fs", "NumberOfMountTargets": 1, "SizeInBytes": {"Value": 6144},
        "PerformanceMode": "generalPurpose", "Encrypted": True, "KmsKeyId": KEY_ARN,
        "ThroughputMode": "bursting", "Tags": [{"Key": "Name", "Value": "sample-fs"}]}]}),
    "elasticfilesystem:DescribeFileSystemPolicy": json.dumps({"FileSystemId": "fs-01234567",
                                                              "Policy": FS_POLICY}),
}

EBS_SNAPSHOT = f"arn:aws:ec2:{REGION}::snapshot/snap-1234567890abcdef0"  # public by permission
# The resources the sample key protects (their custody and rotation are that key's).
KEYED_RESOURCES = (
    f"arn:aws:ec2:{REGION}:{ACCOUNT}:volume/vol-1234567890abcdef0",
    f"arn:aws:rds:{REGION}:{ACCOUNT}:db:sample-db",
    f"arn:aws:rds:{REGION}:{ACCOUNT}:cluster:sample-aurora",
    f"arn:aws:rds:{REGION}:{ACCOUNT}:snapshot:sample-db-snapshot",
    f"arn:aws:rds:{REGION}:{ACCOUNT}:cluster-snapshot:sample-aurora-snapshot",
    FS_ARN,
)
