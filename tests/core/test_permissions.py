"""`auditor permissions`: each provider's table, the derivation and the documents it prints.

The tables (auditor/providers/<p>/permissions.yaml) are checked against the providers' own
pages: the rows below are the operation -> permission pairs those pages document where the
permission is not simply the API name (AWS Service Authorization Reference and S3 API
Reference; Cloud Storage "IAM permissions for JSON methods" and JSON API method pages;
Organization Policy roles and permissions; Alibaba OSS "RAM Policy" and API pages). The
recorded-operations comparison against the stand-ins is in test_permissions_recorded.py.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from auditor.checks import compile_check, load_checks
from auditor.cli import main
from auditor.errors import PluginError
from auditor.exit_codes import EXIT_INPUT, EXIT_OK
from auditor.permissions import (
    CREDENTIAL_ACTIONS,
    RENDERERS,
    derive_policy,
    is_read_action,
    load_permission_table,
    policy_document,
    render_text,
)
from auditor.providers.base import ProviderRegistry, load_exposure_profile

REGISTRY = ProviderRegistry.from_entry_points()
PROVIDERS = REGISTRY.names()
CHECKS = {c.id: compile_check(c) for c in load_checks()}
ALL = list(CHECKS.values())

# (provider, operation, permission the provider's page documents for it)
DOCUMENTED = [
    ("aws", "s3:ListBuckets", "s3:ListAllMyBuckets"),                      # S3 API: ListBuckets
    ("aws", "s3:GetBucketEncryption", "s3:GetEncryptionConfiguration"),    # S3 API: GetBucketEncryption
    ("aws", "s3:GetPublicAccessBlock", "s3:GetBucketPublicAccessBlock"),   # S3 API: GetPublicAccessBlock
    ("aws", "s3control:GetPublicAccessBlock", "s3:GetAccountPublicAccessBlock"),  # SAR: Amazon S3
    ("aws", "s3:GetObjectLockConfiguration", "s3:GetBucketObjectLockConfiguration"),  # SAR
    ("aws", "s3:GetBucketReplication", "s3:GetReplicationConfiguration"),  # S3 API: GetBucketReplication
    ("aws", "s3:GetBucketPolicyStatus", "s3:GetBucketPolicyStatus"),
    ("aws", "kms:GetKeyRotationStatus", "kms:GetKeyRotationStatus"),
    ("aws", "ec2:GetEbsEncryptionByDefault", "ec2:GetEbsEncryptionByDefault"),
    ("gcp", "storage:buckets.list", "storage.buckets.list"),               # iam-json: Buckets list
    ("gcp", "storage:bucketAccessControls.list", "storage.buckets.getIamPolicy"),
    ("gcp", "storage:bucketAccessControls.list", "storage.buckets.get"),   # JSON API method page
    ("gcp", "storage:defaultObjectAccessControls.list", "storage.buckets.get"),
    ("gcp", "cloudkms:cryptoKeys.getIamPolicy", "cloudkms.cryptoKeys.getIamPolicy"),
    ("gcp", "cloudkms:locations.list", "cloudkms.locations.list"),         # KMS: view keys by project
    ("gcp", "orgpolicy:policies.getEffectivePolicy", "orgpolicy.policy.get"),  # orgpolicy roles
    ("alibaba", "oss:GetBucketInfo", "oss:GetBucketInfo"),                 # OSS: RAM Policy
    ("alibaba", "oss:GetBucketObjectWormConfiguration", "oss:GetBucketObjectWormConfiguration"),
    ("alibaba", "oss:GetBucketPolicyStatus", "oss:GetBucketPolicyStatus"),
    ("alibaba", "kms:ListKeys", "kms:ListKeys"),
    ("alibaba", "ecs:DescribeDiskEncryptionByDefaultStatus",
     "ecs:DescribeDiskEncryptionByDefaultStatus"),
]
WRITE_VERBS = ("put", "create", "delete", "update", "set", "enable", "disable", "modify",
               "tag", "untag", "schedule", "attach", "detach", "assume", "encrypt", "decrypt")


@pytest.mark.parametrize(("provider", "operation", "permission"), DOCUMENTED)
def test_documented_mappings(provider, operation, permission):
    table = load_permission_table(REGISTRY.get(provider))
    assert permission in table.actions[operation]


@pytest.mark.parametrize("provider", PROVIDERS)
def test_every_permission_is_a_read(provider):
    # The lint: no write (or key use) ever appears, whatever the checks.
    table = load_permission_table(REGISTRY.get(provider))
    for operation, actions in table.actions.items():
        for name in (operation, *actions):
            verb = re.split(r"[:.]", name)[-1].lower()
            credentials_only = name in CREDENTIAL_ACTIONS  # sts:AssumeRole, multi-account
            assert is_read_action(name) and (credentials_only or not verb.startswith(
                WRITE_VERBS)), (operation, name)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_every_mapping_is_reachable_and_cited(provider):
    adapter = REGISTRY.get(provider)
    table = load_permission_table(adapter)
    profile = adapter.exposure_profile()
    reachable = {r.operation for r in table.run} | {
        op for facts in profile.values() for e in facts.values() for op in e.operations}
    assert set(table.actions) == reachable  # none unmapped (load refuses) and none dead
    raw = yaml.safe_load((adapter.data_dir / "permissions.yaml").read_text())
    assert all(spec["reference"].strip() for spec in raw["operations"].values())


def _fake_adapter(tmp_path: Path, provider: str, edit) -> object:
    """A copy of ``provider``'s data folder with permissions.yaml changed by ``edit``."""
    source = REGISTRY.get(provider)
    for name in ("exposure.yaml", "permissions.yaml"):
        (tmp_path / name).write_text((source.data_dir / name).read_text())
    doc = yaml.safe_load((tmp_path / "permissions.yaml").read_text())
    edit(doc)
    (tmp_path / "permissions.yaml").write_text(yaml.safe_dump(doc))

    class Fake:
        name = provider
        data_dir = tmp_path

        def exposure_profile(self):
            return load_exposure_profile(tmp_path / "exposure.yaml")

    return Fake()


@pytest.mark.parametrize(("provider", "operation", "action"), [
    ("aws", "s3:GetBucketPolicy", "s3:PutBucketPolicy"),
    ("gcp", "storage:buckets.getIamPolicy", "storage.buckets.setIamPolicy"),
    ("alibaba", "kms:DescribeKey", "kms:Decrypt"),
])
def test_a_write_action_is_refused(tmp_path, provider, operation, action):
    def edit(doc):
        doc["operations"][operation]["actions"].append(action)
    with pytest.raises(PluginError, match=f"{re.escape(action)} is not a read action"):
        load_permission_table(_fake_adapter(tmp_path, provider, edit))


@pytest.mark.parametrize(("provider", "operation"), [
    ("aws", "kms:GetKeyPolicy"), ("gcp", "cloudkms:keyRings.list"), ("alibaba", "oss:ListBuckets")])
def test_an_unmapped_operation_is_refused(tmp_path, provider, operation):
    def edit(doc):
        del doc["operations"][operation]
    with pytest.raises(PluginError, match=f"no actions for {re.escape(operation)}"):
        load_permission_table(_fake_adapter(tmp_path, provider, edit))


def test_narrower_selections_need_less():
    aws = REGISTRY.get("aws")
    every = set(derive_policy(aws, ALL).actions)
    key_only = set(derive_policy(aws, [CHECKS["kms-key-rotation"]]).actions)
    bucket_only = set(derive_policy(aws, [CHECKS["bucket-versioning"]]).actions)
    assert key_only < every and bucket_only < every
    assert key_only == {"ec2:DescribeRegions", "kms:DescribeKey", "kms:GetKeyRotationStatus",
                        "kms:ListAliases", "kms:ListKeys"}
    assert bucket_only == {"ec2:DescribeRegions", "s3:ListAllMyBuckets", "s3:GetBucketLocation",
                           "s3:GetBucketVersioning"}
    # --aws-region given: the regions are not listed.
    assert "ec2:DescribeRegions" not in derive_policy(
        aws, [CHECKS["bucket-versioning"]], given_options={"region"}).actions


def test_an_operation_called_for_one_kind_only_is_not_granted_for_another():
    # Bucket key facts may cite cryptoKeys.list (when keys are collected too), but a
    # bucket-only scan never lists keys: its role gets cryptoKeys.get alone.
    gcp = REGISTRY.get("gcp")
    bucket_only = derive_policy(gcp, [CHECKS["bucket-key-rotation"]]).actions
    assert bucket_only == ["cloudkms.cryptoKeys.get", "storage.buckets.list"]
    assert "cloudkms.cryptoKeys.list" in derive_policy(gcp, [CHECKS["kms-key-rotation"]]).actions


def test_every_document_format_has_a_renderer():
    for provider in PROVIDERS:
        assert load_permission_table(REGISTRY.get(provider)).document["format"] in RENDERERS


@pytest.mark.parametrize(("provider", "version"), [("aws", "2012-10-17"), ("alibaba", "1")])
def test_policy_documents(provider, version):
    policy = derive_policy(REGISTRY.get(provider), ALL)
    doc = policy_document(policy)
    assert set(doc) == {"Version", "Statement"} and doc["Version"] == version
    (statement,) = doc["Statement"]
    assert statement["Effect"] == "Allow" and statement["Resource"] == "*"
    actions = statement["Action"]
    assert actions == sorted(set(actions)) and actions
    assert all(is_read_action(a) for a in actions)


def test_gcp_custom_role_is_what_gcloud_takes():
    one = policy_document(derive_policy(REGISTRY.get("gcp"), [CHECKS["bucket-not-public"]]))
    assert set(one) == {"title", "description", "stage", "includedPermissions"}
    assert one["stage"] == "GA" and len(one["title"]) <= 100 and len(one["description"]) <= 256
    assert "bucket-not-public" in one["description"]
    assert one["includedPermissions"] == sorted(
        ["orgpolicy.policy.get", "storage.buckets.get", "storage.buckets.getIamPolicy",
         "storage.buckets.list"])


def test_text_says_why_each_action_is_granted():
    text = render_text(derive_policy(REGISTRY.get("aws"), [CHECKS["bucket-encryption-enabled"]]))
    lines = text.splitlines()
    assert lines[0].startswith("aws: 4 read-only actions for check bucket-encryption-enabled")
    row = next(line for line in lines if line.startswith("s3:GetEncryptionConfiguration"))
    assert "s3:GetBucketEncryption" in row and "bucket-encryption-enabled" in row
    assert any(line.startswith("(none needed)") and "sts:GetCallerIdentity" in line
               for line in lines)


def test_cli_prints_the_document(capsys):
    assert main(["permissions", "aws", "--checks", "bucket-tls-enforced,bucket-versioning"]) \
        == EXIT_OK
    doc = json.loads(capsys.readouterr().out)
    assert doc["Statement"][0]["Action"] == [
        "ec2:DescribeRegions", "s3:GetBucketLocation", "s3:GetBucketPolicy",
        "s3:GetBucketVersioning", "s3:ListAllMyBuckets"]
    assert main(["permissions", "GCP", "--format", "text"]) == EXIT_OK
    assert capsys.readouterr().out.startswith("gcp: ")


@pytest.mark.parametrize(("argv", "message"), [
    (["permissions", "awz"], "unknown provider 'awz'; did you mean 'aws'?"),
    (["permissions", "aws", "--checks", "bucket-versionin"],
     "unknown check id 'bucket-versionin'; did you mean 'bucket-versioning'"),
    (["permissions", "aws", "--checks", ","], "--checks: no value given"),
])
def test_cli_input_errors_are_one_line(capsys, argv, message):
    assert main(argv) == EXIT_INPUT
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_cli_unknown_format_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["permissions", "aws", "--format", "yaml"])
    assert exc.value.code == EXIT_INPUT
    assert "invalid choice" in capsys.readouterr().err
