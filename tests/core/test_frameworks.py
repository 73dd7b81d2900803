"""Compliance mappings belong to the finding's provider: never another cloud's benchmark."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from auditor._data_dirs import data_dir
from auditor.checks import CCM_FRAMEWORK, compile_check, load_check_file, load_checks
from auditor.documents import load_inventory
from auditor.engine import finding_for
from auditor.errors import CheckDefinitionError
from auditor.model import Inventory, Resource
from auditor.pipeline import build_report
from auditor.reports import render

AWS = "CIS AWS Foundations v7.0.0"
GCP = "CIS Google Cloud Platform Foundation v5.0.0"
ALIBABA = "CIS Alibaba Cloud Foundation v2.0.0"
# Each provider's findings may cite only that provider's own CIS benchmark.
BENCHMARK_PREFIX = {"aws": "CIS AWS", "gcp": "CIS Google Cloud", "alibaba": "CIS Alibaba"}
FOREIGN_TO_AWS = ("CIS Google Cloud", "CIS Alibaba")

# Sources, as cited per row below (docs/compliance.md has the full tables):
#  [aws7] CIS Amazon Web Services Foundations Benchmark v7.0.0, ids and titles as published in
#         Prowler's table prowler/compliance/aws/cis_7.0_aws.json and Tenable's audit
#         "CIS Amazon Web Services Foundations v7.0.0 L2" (item "3.1.1 Ensure S3 Bucket Policy
#         is set to deny HTTP requests").
#  [gcp5] CIS Google Cloud Platform Foundation Benchmark v5.0.0, as published in Prowler's
#         table prowler/compliance/gcp/cis_5.0_gcp.json.
#  [ali2] CIS Alibaba Cloud Foundation Benchmark v2.0.0, as published in Prowler's table
#         prowler/compliance/alibabacloud/cis_2.0_alibabacloud.json.
MAPPED: dict[tuple[str, str], dict[str, list[str]]] = {
    # [aws7] 6.1.1 Ensure EBS volume encryption is enabled in all regions
    ("account-block-storage-encryption", "aws"): {AWS: ["6.1.1"]},
    # [aws7] 3.1.4 Ensure that S3 is configured with 'Block Public Access' enabled
    ("account-public-access-block", "aws"): {AWS: ["3.1.4"]},
    ("bucket-public-access-block", "aws"): {AWS: ["3.1.4"]},
    # [aws7] 3.1.2 Ensure MFA Delete is enabled on S3 buckets
    ("bucket-mfa-delete", "aws"): {AWS: ["3.1.2"]},
    # [aws7] 3.1.1 Ensure S3 Bucket Policy is set to deny HTTP requests
    ("bucket-tls-enforced", "aws"): {AWS: ["3.1.1"]},
    # [aws7] 4.6 Ensure rotation for customer-created symmetric CMKs is enabled
    ("kms-key-rotation", "aws"): {AWS: ["4.6"]},
    # [gcp5] 5.1 Cloud Storage bucket is not anonymously or publicly accessible
    ("bucket-not-public", "gcp"): {GCP: ["5.1"]},
    # [gcp5] 5.2 Cloud Storage buckets have uniform bucket-level access enabled
    ("bucket-acls-disabled", "gcp"): {GCP: ["5.2"]},
    # [gcp5] 1.10 Cloud KMS cryptokeys are not anonymously or publicly accessible
    ("kms-key-not-public", "gcp"): {GCP: ["1.10"]},
    # [ali2] 5.1 OSS bucket is not anonymously or publicly accessible
    ("bucket-not-public", "alibaba"): {ALIBABA: ["5.1"]},
    # [ali2] 5.3 Logging is enabled for OSS buckets
    ("bucket-access-logging", "alibaba"): {ALIBABA: ["5.3"]},
    # [ali2] 5.4 'Secure transfer required' is set to 'Enabled'
    ("bucket-tls-enforced", "alibaba"): {ALIBABA: ["5.4"]},
    # [ali2] 5.8 Server-side encryption is set to Encrypt with Service Key
    ("bucket-encryption-enabled", "alibaba"): {ALIBABA: ["5.8"]},
    # [ali2] 5.9 Server-side encryption is set to Encrypt with BYOK
    ("bucket-key-custody", "alibaba"): {ALIBABA: ["5.9"]},
}
# Where a benchmark numbers the kinds of one check apart: (check, provider, kind) -> ids.
MAPPED_BY_KIND: dict[tuple[str, str, str], dict[str, list[str]]] = {
    # [aws7] 3.2.1 Ensure that encryption-at-rest is enabled for RDS instances
    ("storage-encryption-enabled", "aws", "database.instance"): {AWS: ["3.2.1"]},
    # [aws7] 3.3.1 Ensure that encryption is enabled for EFS file systems
    ("storage-encryption-enabled", "aws", "storage.filesystem"): {AWS: ["3.3.1"]},
    # [ali2] 4.1 'Unattached disks' are encrypted; 4.2 Virtual Machines disks are encrypted
    ("storage-encryption-enabled", "alibaba", "storage.volume"): {ALIBABA: ["4.1", "4.2"]},
    # [ali2] 6.5 'TDE' is set to 'Enabled' for applicable database instances
    ("storage-encryption-enabled", "alibaba", "database.instance"): {ALIBABA: ["6.5"]},
    # [ali2] 6.6 RDS instance TDE protector is encrypted with BYOK (your own key)
    ("storage-key-custody", "alibaba", "database.instance"): {ALIBABA: ["6.6"]},
    # [gcp5] 6.4 Cloud SQL instance requires all incoming connections to use SSL
    ("storage-tls-enforced", "gcp", "database.instance"): {GCP: ["6.4"]},
    # [ali2] 6.1 RDS instance requires all incoming connections to use SSL
    ("storage-tls-enforced", "alibaba", "database.instance"): {ALIBABA: ["6.1"]},
}
MAPPED.update({
    # [aws7] 3.2.3 Ensure that RDS instances are not publicly accessible
    ("database-not-public", "aws"): {AWS: ["3.2.3"]},
    # [gcp5] 6.5 Cloud SQL instances do not implicitly whitelist all public IP addresses
    ("database-not-public", "gcp"): {GCP: ["6.5"]},
    # [ali2] 6.2 RDS instances are not open to the world
    ("database-not-public", "alibaba"): {ALIBABA: ["6.2"]},
    # [gcp5] 6.8 Cloud SQL instances are configured with automated backups
    ("database-backup-retention", "gcp"): {GCP: ["6.8"]},
    # [gcp5] 6.9 Cloud SQL instances have deletion protection enabled
    ("database-deletion-protection", "gcp"): {GCP: ["6.9"]},
})
CHECKS = {c.id: c for c in load_checks()}
ROWS = [(cid, provider, kind) for cid in sorted(CHECKS) for provider in BENCHMARK_PREFIX
        for kind in CHECKS[cid].kinds]


def _resource(kind: str, provider: str) -> Resource:
    return Resource(kind, provider, "acct-1", "region-1", f"{provider}:{kind}:r1", "r1")


def test_table_names_only_shipped_checks():
    assert {cid for cid, _ in MAPPED} <= set(CHECKS)
    assert all(kind in CHECKS[cid].kinds for cid, _, kind in MAPPED_BY_KIND)


@pytest.mark.parametrize("check_id, provider, kind", ROWS,
                         ids=[f"{c}-{p}-{k}" for c, p, k in ROWS])
def test_finding_carries_only_its_providers_mappings(check_id: str, provider: str, kind: str):
    check = CHECKS[check_id]
    finding = finding_for(compile_check(check), _resource(kind, provider))
    # CSA CCM is provider-neutral: every finding carries its check's ids next to the CIS ones.
    assert finding.frameworks == {CCM_FRAMEWORK: list(check.ccm),
                                  **MAPPED_BY_KIND.get((check_id, provider, kind),
                                                       MAPPED.get((check_id, provider), {}))}
    for name in set(finding.frameworks) - {CCM_FRAMEWORK}:
        assert name.startswith(BENCHMARK_PREFIX[provider]), name


def test_findings_do_not_share_the_checks_mapping():
    check = CHECKS["bucket-tls-enforced"]
    finding = finding_for(compile_check(check), _resource(check.kinds[0], "aws"))
    finding.frameworks[AWS].append("9.9")
    assert check.frameworks_for("aws") == {CCM_FRAMEWORK: ["CEK-03", "IVS-03"], AWS: ["3.1.1"]}


def test_an_unmapped_provider_gets_only_the_ccm_ids():
    check = CHECKS["bucket-not-public"]
    assert finding_for(compile_check(check), _resource(check.kinds[0], "acme")).frameworks == {
        CCM_FRAMEWORK: ["DSP-17", "IAM-16"]}


@pytest.fixture(scope="module")
def aws_only_report(tmp_path_factory):
    golden = Path(__file__).parents[1] / "golden"
    mixed = load_inventory(golden / "mixed-inventory.json")
    inventory = Inventory([r for r in mixed.runs if r.provider == "aws"],
                          [r for r in mixed.resources if r.provider == "aws"])
    return build_report(inventory, [compile_check(c) for c in CHECKS.values()],
                        lambda provider: None)


@pytest.mark.parametrize("fmt", ["sarif", "ocsf", "csv", "html", "markdown", "junit", "json"])
def test_aws_only_report_cites_no_other_clouds_benchmark(aws_only_report, fmt: str):
    text = render(aws_only_report, fmt)
    for foreign in FOREIGN_TO_AWS:
        assert foreign not in text, f"{fmt} output cites {foreign}"


@pytest.mark.parametrize("fmt", ["sarif", "ocsf", "csv", "html", "json"])
def test_aws_only_report_cites_the_aws_benchmark(aws_only_report, fmt: str):
    # The formats that show frameworks do show the AWS ones: the check above is not vacuous.
    assert AWS in render(aws_only_report, fmt)


def test_sarif_rule_mappings_are_keyed_by_provider(aws_only_report):
    log = json.loads(render(aws_only_report, "sarif"))
    run = log["runs"][0]
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    tls_ids = [f"{AWS}:3.1.1", f"{CCM_FRAMEWORK}:CEK-03", f"{CCM_FRAMEWORK}:IVS-03"]
    assert rules["bucket-tls-enforced"]["properties"]["frameworks"] == {"aws": tls_ids}
    assert rules["bucket-not-public"]["properties"]["frameworks"] == {
        "aws": [f"{CCM_FRAMEWORK}:DSP-17", f"{CCM_FRAMEWORK}:IAM-16"]}
    tls = [r for r in run["results"] if r["ruleId"] == "bucket-tls-enforced"]
    assert tls and all(r["properties"]["frameworks"] == tls_ids for r in tls)


def _write(tmp_path: Path, frameworks: object) -> Path:
    doc = yaml.safe_load((data_dir("checks") / "bucket-versioning.yaml").read_text())
    doc["id"] = "custom-check"
    doc["frameworks"] = frameworks
    path = tmp_path / "custom-check.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def test_a_fourth_provider_needs_no_edit_of_existing_checks(tmp_path):
    # Provider keys are free names: a check may map a provider the tool does not ship.
    benchmark = "CIS Microsoft Azure Foundations v4.0.0"
    check = load_check_file(_write(tmp_path, {"azure": {benchmark: ["3.1.1"]},
                                              "aws": {AWS: ["3.1.2"]}}))
    ccm = {CCM_FRAMEWORK: ["BCR-08"]}  # bucket-versioning's, the same for every provider
    assert check.frameworks_for("azure") == {**ccm, benchmark: ["3.1.1"]}
    finding = finding_for(compile_check(check), _resource(check.kinds[0], "azure"))
    assert finding.frameworks == {**ccm, benchmark: ["3.1.1"]}
    assert check.frameworks_for("gcp") == ccm


@pytest.mark.parametrize("frameworks, where, reason", [
    # the old flat layout: a framework name where a provider key belongs
    ({AWS: ["3.1.1"]}, f"$.frameworks[\"{AWS}\"]", "is not of type 'object'"),
    ({"aws": ["3.1.1"]}, "$.frameworks.aws", "is not of type 'object'"),
    ({"AWS": {AWS: ["3.1.1"]}}, "$.frameworks", "'AWS' does not match"),
    ({"aws": {AWS: []}}, f"$.frameworks.aws[\"{AWS}\"]", "should be non-empty"),
    ({"aws": {AWS: "3.1.1"}}, f"$.frameworks.aws[\"{AWS}\"]", "is not of type 'array'"),
    ({"aws": {AWS: ["3.1.1", "3.1.1"]}}, f"$.frameworks.aws[\"{AWS}\"]", "non-unique"),
    ({"aws": {}}, "$.frameworks.aws", "should be non-empty"),
    (["aws"], "$.frameworks", "is not of type 'object'"),
])
def test_malformed_frameworks_block_is_a_one_line_error(tmp_path, frameworks, where, reason):
    path = _write(tmp_path, frameworks)
    with pytest.raises(CheckDefinitionError) as info:
        load_check_file(path)
    assert info.value.source == str(path)
    assert info.value.path == where
    assert reason in info.value.reason
    assert "\n" not in str(info.value)


def test_checks_show_lists_mappings_under_their_provider(auditor):
    result = auditor("checks", "show", "bucket-tls-enforced")
    assert result.returncode == 0, result.stderr
    shown = yaml.safe_load(result.stdout)["frameworks"]
    assert shown == {"aws": {AWS: ["3.1.1"]}, "alibaba": {ALIBABA: ["5.4"]}}
