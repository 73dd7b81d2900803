"""`auditor permissions PROVIDER --option NAME --tags`: the policy of a multi-account scan
and of the tag reads, through auditor.cli.main; an option name the adapter does not declare
is a usage error with a suggestion."""

from __future__ import annotations

import json

import pytest

from auditor.cli import main
from auditor.errors import PluginError
from auditor.exit_codes import EXIT_INPUT, EXIT_OK
from auditor.permissions import load_permission_table
from auditor.providers.base import ProviderRegistry

MULTI_AWS = {"organizations:ListAccounts", "sts:AssumeRole"}


def _actions(capsys: pytest.CaptureFixture[str], *words: str) -> set[str]:
    assert main(["permissions", *words]) == EXIT_OK
    (statement,) = json.loads(capsys.readouterr().out)["Statement"]
    return set(statement["Action"])


def test_the_organization_option_adds_the_listing_and_assume_role(capsys):
    plain = _actions(capsys, "aws")
    org = _actions(capsys, "aws", "--option", "organization")
    assert MULTI_AWS <= org
    assert not MULTI_AWS & plain
    assert org - plain == MULTI_AWS  # the per-account reads are the same


def test_an_account_list_adds_assume_role_but_not_the_listing(capsys):
    accounts = _actions(capsys, "aws", "--option", "account")
    assert "sts:AssumeRole" in accounts and "organizations:ListAccounts" not in accounts


def test_tags_add_the_tag_reads_and_only_then(capsys):
    plain = _actions(capsys, "aws")
    tagged = _actions(capsys, "aws", "--tags")
    assert {"s3:GetBucketTagging", "kms:ListResourceTags"} <= tagged
    assert "s3:GetBucketTagging" not in plain and "kms:ListResourceTags" not in plain
    assert not MULTI_AWS & tagged  # --tags is not a multi-account scan


def test_options_and_tags_combine_and_take_flag_forms(capsys):
    both = _actions(capsys, "aws", "--option=--aws-organization", "--tags",
                    "--option", "role-name", "--option", "aws-session-name")
    assert MULTI_AWS | {"s3:GetBucketTagging"} <= both


def test_the_region_option_leaves_out_the_region_listing(capsys):
    assert "ec2:DescribeRegions" in _actions(capsys, "aws")
    assert "ec2:DescribeRegions" not in _actions(capsys, "aws", "--option", "region")


def test_alibaba_resource_directory_and_tags(capsys):
    plain = _actions(capsys, "alibaba")
    rd = _actions(capsys, "alibaba", "--option", "resource_directory")
    tagged = _actions(capsys, "alibaba", "--tags")
    assert {"resourcemanager:ListAccounts", "sts:AssumeRole"} <= rd
    assert not {"resourcemanager:ListAccounts", "sts:AssumeRole"} & plain
    assert {"oss:GetBucketTagging", "kms:ListResourceTags"} <= tagged
    assert not {"oss:GetBucketTagging", "kms:ListResourceTags"} & (plain | rd)


def test_gcp_scope_options_add_the_project_listing(capsys):
    assert main(["permissions", "gcp", "--option", "organization_id"]) == EXIT_OK
    org = set(json.loads(capsys.readouterr().out)["includedPermissions"])
    assert main(["permissions", "gcp"]) == EXIT_OK
    plain = set(json.loads(capsys.readouterr().out)["includedPermissions"])
    listing = {"resourcemanager.projects.get", "resourcemanager.folders.list"}
    assert listing <= org and not listing & plain


def test_an_unknown_option_is_a_usage_error_with_a_suggestion(capsys):
    assert main(["permissions", "aws", "--option", "organisation"]) == EXIT_INPUT
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("auditor: error: --option: "), err
    assert "'organisation' is not an option of aws" in err[0]
    assert "did you mean 'organization'" in err[0]


def test_an_option_of_another_provider_is_refused(capsys):
    assert main(["permissions", "aws", "--option", "resource_directory"]) == EXIT_INPUT
    assert "not an option of aws" in capsys.readouterr().err


def test_the_text_format_says_why_with_the_options(capsys):
    assert main(["permissions", "aws", "--option", "organization", "--format", "text"]) == 0
    out = capsys.readouterr().out
    assert "organizations:ListAccounts" in out and "the accounts of the AWS Organization" in out


@pytest.mark.parametrize("provider", ["aws", "gcp", "alibaba"])
def test_every_condition_names_a_declared_option(provider):
    adapter = ProviderRegistry.from_entry_points().get(provider)
    table = load_permission_table(adapter)
    declared = {o.name for o in adapter.options}
    for run in table.run:
        assert set(run.when_option) <= declared, run
        assert run.unless_option is None or run.unless_option in declared, run


def test_a_pseudo_option_in_a_condition_is_refused(tmp_path, monkeypatch):
    """A when_option naming no option of the adapter (the old `tags`) is a PluginError."""
    import shutil

    adapter = ProviderRegistry.from_entry_points().get("aws")
    data = tmp_path / "aws"
    shutil.copytree(adapter.data_dir, data, ignore=shutil.ignore_patterns("sandbox", "*.py",
                                                                          "__pycache__"))
    text = (data / "permissions.yaml").read_text()
    (data / "permissions.yaml").write_text(text.replace("    when_tags: true",
                                                        "    when_option: [tags]", 1))

    class Copy:
        name, options, data_dir = adapter.name, adapter.options, data
        exposure_profile = adapter.exposure_profile

    with pytest.raises(PluginError, match=r"\$\.run\[\d+\]: 'tags' is not an option of aws"):
        load_permission_table(Copy())
