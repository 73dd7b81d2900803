"""Seeding the moto stand-in from the ``aws:`` section of the estate (boto3 writes, admin keys).

Runs before the scan and before moto's recorder starts; the scan itself only reads.

``bucket_defaults`` in the section is what S3 itself gives every new bucket; moto does not
model it, so the seeder writes it explicitly for each bucket, under the bucket's own fields.
A bucket may override a default (turn Block Public Access off, re-enable ACLs, choose
SSE-KMS) as a customer can, but never remove default encryption: S3 has no unencrypted
buckets since 5 January 2023.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

ACCOUNT = "123456789012"  # moto's default account
_ADMIN = {"aws_access_key_id": "sandboxadmin", "aws_secret_access_key": "sandboxadmin"}
SCANNER_ACTIONS = ["s3:Get*", "s3:List*", "kms:Describe*", "kms:Get*", "kms:List*",
                   "ec2:Describe*", "ec2:Get*", "rds:Describe*", "elasticfilesystem:Describe*",
                   "sts:GetCallerIdentity", "sts:AssumeRole"]
S3_SUBRESOURCES = {
    "encryption": "GetBucketEncryption", "publicAccessBlock": "GetPublicAccessBlock",
    "policyStatus": "GetBucketPolicyStatus", "policy": "GetBucketPolicy",
    "ownershipControls": "GetBucketOwnershipControls", "acl": "GetBucketAcl",
    "versioning": "GetBucketVersioning", "object-lock": "GetObjectLockConfiguration",
    "logging": "GetBucketLogging", "replication": "GetBucketReplication",
    "location": "GetBucketLocation", "tagging": "GetBucketTagging",
    "lifecycle": "GetBucketLifecycleConfiguration",
}


def _tls(arn: str, condition: dict[str, Any], principal: Any = "*",
         resource: list[str] | None = None) -> dict[str, Any]:
    return {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": principal,
            "Action": "s3:*", "Resource": resource or [arn, f"{arn}/*"], "Condition": condition}


_INSECURE = {"Bool": {"aws:SecureTransport": "false"}}
POLICY_TEMPLATES: dict[str, Callable[[str], dict[str, Any]]] = {
    "tls": lambda arn: _tls(arn, _INSECURE),
    "tls-version": lambda arn: _tls(arn, {"NumericLessThan": {"s3:TlsVersion": "1.2"}}),
    "tls-narrowed-condition": lambda arn: _tls(
        arn, {**_INSECURE, "IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}),
    "tls-narrowed-principal": lambda arn: _tls(
        arn, _INSECURE, principal={"AWS": f"arn:aws:iam::{ACCOUNT}:user/someone"}),
    "tls-objects-only": lambda arn: _tls(arn, _INSECURE, resource=[f"{arn}/*"]),
    "public-read": lambda arn: {"Sid": "PublicRead", "Effect": "Allow", "Principal": "*",
                                "Action": "s3:GetObject", "Resource": f"{arn}/*"},
    "account-read": lambda arn: {"Sid": "AccountRead", "Effect": "Allow",
                                 "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                                 "Action": "s3:GetObject", "Resource": f"{arn}/*"},
}


def _key_policy(public: bool, deny_describe: bool) -> str:
    statements: list[dict[str, Any]] = [
        {"Sid": "Admin", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
         "Action": "kms:*", "Resource": "*"}]
    if public:
        statements.append({"Sid": "Everyone", "Effect": "Allow", "Principal": "*",
                           "Action": "kms:Decrypt", "Resource": "*"})
    if deny_describe:
        statements.append({"Sid": "HideKey", "Effect": "Deny", "Principal": "*",
                           "Action": "kms:DescribeKey", "Resource": "*"})
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


def _pab_flags(block: bool | dict[str, bool]) -> dict[str, bool]:
    """``true``/``false`` for all four Block Public Access flags, or the flags by name."""
    names = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
    if isinstance(block, dict):
        return {name: bool(block.get(name, False)) for name in names}
    return dict.fromkeys(names, bool(block))


def effective_bucket(spec: dict[str, Any], defaults: dict[str, Any]) -> dict[str, Any]:
    """A bucket entry with the section's S3 defaults under it, checked against what S3 allows."""
    merged = {**defaults, **spec}
    name = spec["name"]
    if defaults.get("encryption") and not merged.get("encryption"):
        raise ValueError(f"estate: bucket {name}: S3 encrypts every bucket (SSE-S3 at least) "
                         "since 2023-01-05; name an encryption, not none")
    if merged.get("ownership") == "BucketOwnerEnforced" and (
            merged.get("acl", "private") != "private" or merged.get("log_target")):
        # S3 answers AccessControlListNotSupported; moto would accept the ACL.
        raise ValueError(f"estate: bucket {name}: ACLs are disabled under BucketOwnerEnforced; "
                         "name another ownership to grant an ACL")
    return merged


class EstateSeeder:
    """Writes an estate section with boto3; ``client(service, region)`` makes admin clients."""

    def __init__(self, client: Callable[[str, str], Any]) -> None:
        self.client = client
        self.key_ids: dict[str, str] = {}  # alias name -> key id

    def seed(self, section: dict[str, Any]) -> dict[str, str]:
        """Seed everything; return the scanner's credentials (and role ARN, if any)."""
        from auditor.providers.aws.sandbox._documented import documented_answers

        documented_answers()  # before the scan: moto answers as the API reference documents
        for key in section.get("keys", []):
            self._key(key)
        defaults = section.get("bucket_defaults") or {}
        buckets = [effective_bucket(b, defaults) for b in section.get("buckets", [])]
        for bucket in buckets:  # targets of logging/replication must exist first
            self._create(bucket)
        for bucket in buckets:
            self._configure(bucket)
        self._account(section.get("account", {}), list(section.get("regions") or []))
        from auditor.providers.aws.sandbox._seed_kinds import seed_kinds

        seed_kinds(self.client, section, self.key_ids)
        return self._scanner(section.get("scanner", {}))

    def _key(self, spec: dict[str, Any]) -> None:
        kms = self.client("kms", spec["region"])
        extra: dict[str, Any] = {}
        if spec.get("tags"):  # {key: value}, as a mutelist tag rule matches them
            extra["Tags"] = [{"TagKey": k, "TagValue": v} for k, v in spec["tags"].items()]
        key = kms.create_key(Description=spec.get("description", spec["alias"]),
                             Origin=spec.get("origin", "AWS_KMS"),
                             Policy=_key_policy(spec.get("public", False),
                                                spec.get("deny_describe", False)), **extra)
        key_id = key["KeyMetadata"]["KeyId"]
        kms.create_alias(AliasName=f"alias/{spec['alias']}", TargetKeyId=key_id)
        self.key_ids[spec["alias"]] = key_id
        if spec.get("rotation"):
            kms.enable_key_rotation(KeyId=key_id)
        if spec.get("state") == "Disabled":
            kms.disable_key(KeyId=key_id)
        elif spec.get("state") == "PendingDeletion":
            kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)

    def _create(self, spec: dict[str, Any]) -> None:
        s3 = self.client("s3", spec["region"])
        kwargs: dict[str, Any] = {"Bucket": spec["name"]}
        if spec["region"] != "us-east-1":
            kwargs["CreateBucketConfiguration"] = {"LocationConstraint": spec["region"]}
        if spec.get("object_lock"):
            kwargs["ObjectLockEnabledForBucket"] = True
        s3.create_bucket(**kwargs)
        if spec.get("tags"):
            s3.put_bucket_tagging(Bucket=spec["name"], Tagging={"TagSet": [
                {"Key": k, "Value": v} for k, v in spec["tags"].items()]})
        if spec.get("log_target"):
            s3.put_bucket_acl(Bucket=spec["name"], ACL="log-delivery-write")
        if spec.get("versioning"):
            versioning = {"Status": spec["versioning"]}
            extra: dict[str, Any] = {}
            if spec.get("mfa_delete"):
                versioning["MFADelete"] = "Enabled"
                extra["MFA"] = "arn:aws:iam::123456789012:mfa/root 123456"
            s3.put_bucket_versioning(Bucket=spec["name"], VersioningConfiguration=versioning,
                                     **extra)

    def _configure(self, spec: dict[str, Any]) -> None:
        name, s3 = spec["name"], self.client("s3", spec["region"])
        arn = f"arn:aws:s3:::{name}"
        if spec.get("public_access_block") is None:
            # S3 (and moto >= 5.2.5) turns Block Public Access on for new buckets; the estate
            # means "not configured" when it names none, whatever the moto version.
            s3.delete_public_access_block(Bucket=name)
        encryption = spec.get("encryption")
        if encryption:
            default: dict[str, Any] = {"SSEAlgorithm": encryption["algorithm"]}
            if encryption.get("key"):
                alias = encryption["key"]
                default["KMSMasterKeyID"] = (
                    f"arn:aws:kms:{encryption.get('key_region', spec['region'])}:{ACCOUNT}:"
                    f"key/{self.key_ids[alias]}" if alias in self.key_ids else alias)
            elif encryption["algorithm"] != "AES256":
                # Create moto's AWS managed aws/s3 key now, as S3 would on first use.
                self.client("kms", spec["region"]).describe_key(KeyId="alias/aws/s3")
            s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={"Rules": [
                {"ApplyServerSideEncryptionByDefault": default,
                 "BucketKeyEnabled": bool(encryption.get("bucket_key"))}]})
        if spec.get("ownership"):
            s3.put_bucket_ownership_controls(Bucket=name, OwnershipControls={
                "Rules": [{"ObjectOwnership": spec["ownership"]}]})
        if spec.get("acl"):
            s3.put_bucket_acl(Bucket=name, ACL=spec["acl"])
        if spec.get("policy"):
            statements = [POLICY_TEMPLATES[t](arn) for t in spec["policy"]]
            s3.put_bucket_policy(Bucket=name, Policy=json.dumps(
                {"Version": "2012-10-17", "Statement": statements}))
        if spec.get("public_access_block") is not None:
            s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=_pab_flags(
                spec["public_access_block"]))
        lock = spec.get("object_lock")
        if isinstance(lock, dict):
            retention = {"Mode": lock["mode"]}
            retention.update({"Years": lock["years"]} if "years" in lock else
                             {"Days": lock.get("days", 1)})
            s3.put_object_lock_configuration(Bucket=name, ObjectLockConfiguration={
                "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": retention}})
        if spec.get("logging"):
            s3.put_bucket_logging(Bucket=name, BucketLoggingStatus={"LoggingEnabled": {
                "TargetBucket": spec["logging"], "TargetPrefix": f"{name}/"}})
        if spec.get("replication"):
            s3.put_bucket_replication(Bucket=name, ReplicationConfiguration={
                "Role": f"arn:aws:iam::{ACCOUNT}:role/replication",
                "Rules": [{"ID": "all", "Priority": 1, "Status": "Enabled", "Filter": {},
                           "DeleteMarkerReplication": {"Status": "Disabled"},
                           "Destination": {"Bucket": f"arn:aws:s3:::{spec['replication']}"}}]})

    def _account(self, spec: dict[str, Any], regions: list[str]) -> None:
        block = spec.get("public_access_block")
        if block:
            self.client("s3control", "us-east-1").put_public_access_block(
                AccountId=ACCOUNT, PublicAccessBlockConfiguration=_pab_flags(block))
        ebs_regions = spec.get("ebs") or {}
        for region in dict.fromkeys([*regions, *ebs_regions]):
            ec2 = self.client("ec2", region)
            # moto builds a region's EC2 backend on first use (slow): do it now, not mid-scan.
            ec2.get_ebs_encryption_by_default()
            ebs = ebs_regions.get(region) or {}
            if ebs.get("encryption"):
                ec2.enable_ebs_encryption_by_default()
            if ebs.get("key"):
                ec2.modify_ebs_default_kms_key_id(KmsKeyId=self.key_ids[ebs["key"]])
            if ebs.get("snapshot_block"):  # the region's block public access for snapshots
                ec2.enable_snapshot_block_public_access(State=ebs["snapshot_block"])

    def _scanner(self, spec: dict[str, Any]) -> dict[str, str]:
        iam = self.client("iam", "us-east-1")
        user = spec.get("user", "auditor-readonly")
        user_arn = iam.create_user(UserName=user)["User"]["Arn"]
        iam.put_user_policy(UserName=user, PolicyName="read-only",
                            PolicyDocument=_read_only_policy(spec.get("deny", []),
                                                             spec.get("allow")))
        key = iam.create_access_key(UserName=user)["AccessKey"]
        out = {"access_key_id": key["AccessKeyId"], "secret_access_key": key["SecretAccessKey"]}
        role = spec.get("role")
        if role:
            trust: dict[str, Any] = {"Effect": "Allow", "Principal": {"AWS": user_arn},
                                     "Action": "sts:AssumeRole"}
            if role.get("external_id"):
                trust["Condition"] = {"StringEquals": {"sts:ExternalId": role["external_id"]}}
            out["role_arn"] = iam.create_role(
                RoleName=role["name"], AssumeRolePolicyDocument=json.dumps(
                    {"Version": "2012-10-17", "Statement": [trust]}))["Role"]["Arn"]
            iam.put_role_policy(RoleName=role["name"], PolicyName="read-only",
                                PolicyDocument=_read_only_policy(role.get("deny", [])))
        return out


def _read_only_policy(denies: list[dict[str, str]], allow: list[str] | None = None) -> str:
    """Allow the scanner's reads (``allow``: only these actions, e.g. the policy `auditor
    permissions` derives); deny what the estate lists (a bucket, or everything)."""
    statements: list[dict[str, Any]] = [
        {"Effect": "Allow", "Action": allow or SCANNER_ACTIONS, "Resource": "*"}]
    statements += [{"Effect": "Deny", "Action": deny["action"],
                    "Resource": f"arn:aws:s3:::{deny['bucket']}" if deny.get("bucket") else "*"}
                   for deny in denies]
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


