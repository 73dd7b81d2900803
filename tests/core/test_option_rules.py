"""Option-combination mistakes are usage errors found before any call (the adapters'
``check_options`` hook, run by auditor._provider_flags): exit 2, one line naming the flag or
the config key the offending value came from, and not one request sent.

The witness is the Google Cloud stand-in: it is chosen with the provider under test (listed
first, so it would be collected first), and the AWS and Alibaba Cloud endpoints point at it
too, so any call a broken rule let through, by any provider, lands in its request log (and
never leaves 127.0.0.1)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from auditor.cli import main
from auditor.errors import ProviderError
from auditor.exit_codes import EXIT_INPUT
from auditor.providers._option_rules import OptionRuleError
from auditor.providers.alibaba import AlibabaAdapter
from auditor.providers.aws import AwsAdapter
from auditor.providers.base import CollectRequest
from auditor.providers.gcp import GcpAdapter
from auditor.sandbox.base import Sandbox
from auditor.sandbox.estate import load_estate, make_sandbox

ACCOUNT, ROLE = "111122223333", "AuditRole"
ALI_ACCOUNT = "1234567890123456"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/Scanner"


@pytest.fixture(scope="module")
def witness() -> Iterator[Sandbox]:
    box = make_sandbox("gcp")
    box.start()
    try:
        box.seed(load_estate()["gcp"])
        yield box
    finally:
        box.stop()


@pytest.fixture
def env(witness: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Sandbox:
    url = witness.scan_options()["gcs_endpoint"]
    for name, value in witness.environment().items():
        monkeypatch.setenv(name, value)
    fake = {"AWS_ENDPOINT_URL": url, "AWS_ACCESS_KEY_ID": "AKIAFAKEFAKEFAKEFAKE",
            "AWS_SECRET_ACCESS_KEY": "fake-secret", "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_CONFIG_FILE": str(tmp_path / "none"),
            "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
            "ALIBABA_CLOUD_ACCESS_KEY_ID": "LTAIfakefakefake",
            "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "fake-secret"}
    for name in ("AUDITOR_OSS_ENDPOINT", "AUDITOR_ALIBABA_KMS_ENDPOINT",
                 "AUDITOR_ALIBABA_ECS_ENDPOINT", "AUDITOR_ALIBABA_STS_ENDPOINT",
                 "AUDITOR_ALIBABA_RESOURCEMANAGER_ENDPOINT"):
        fake[name] = url
    for name, value in fake.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AUDITOR_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    witness.reset_requests()
    return witness


def _scan(tmp_path: Path, *words: str) -> int:
    return main(["scan", *words, "--no-history", "-q", "-o", str(tmp_path / "out")])


def _one_error_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert err[0].startswith("auditor: error: "), err
    return err[0]


# (providers and flags, the flag named, words of the reason)
FLAG_CASES = [
    (["aws", "--aws-organization"], "--aws-organization", "needs --aws-role-name"),
    (["aws", "--aws-account", ACCOUNT], "--aws-account", "needs --aws-role-name"),
    (["aws", "--aws-organization", "--aws-role-name", ROLE, "--aws-role-arn", ROLE_ARN],
     "--aws-role-arn", "excludes --aws-role-name"),
    (["aws", "--aws-role-name", ROLE], "--aws-role-name",
     "needs --aws-organization or --aws-account"),
    (["aws", "--role-name", ROLE], "--role-name", "needs --aws-organization or --aws-account"),
    (["aws", "--aws-exclude-account", ACCOUNT], "--aws-exclude-account",
     "needs --aws-organization or --aws-account"),
    (["alibaba", "--alibaba-resource-directory"], "--alibaba-resource-directory",
     "needs --alibaba-role-name"),
    (["alibaba", "--alibaba-account", ALI_ACCOUNT], "--alibaba-account",
     "needs --alibaba-role-name"),
    (["alibaba", "--alibaba-role-name", ROLE], "--alibaba-role-name",
     "needs --alibaba-resource-directory or --alibaba-account"),
    (["alibaba", "--alibaba-profile", "prod", "--alibaba-role-name", ROLE],
     "--alibaba-role-name", "needs --alibaba-resource-directory or --alibaba-account"),
    (["alibaba", "--alibaba-external-id", "ext-1"], "--alibaba-external-id",
     "needs --alibaba-resource-directory or --alibaba-account"),
    (["alibaba", "--alibaba-exclude-account", ALI_ACCOUNT], "--alibaba-exclude-account",
     "needs --alibaba-resource-directory, --alibaba-account or --alibaba-profile"),
    (["--gcp-project", "acme-retail-prod", "--gcp-exclude-project", "acme-*"],
     "--gcp-exclude-project", "excludes every --gcp-project given"),
]


@pytest.mark.parametrize(("words", "named", "reason"), FLAG_CASES,
                         ids=[f"{c[1]}-{i}" for i, c in enumerate(FLAG_CASES)])
def test_a_flag_combination_mistake_is_exit_2_before_any_call(
        env, tmp_path, capsys, words, named, reason):
    code = _scan(tmp_path, "gcp", *words)
    line = _one_error_line(capsys)
    assert code == EXIT_INPUT
    assert line.startswith(f"auditor: error: {named}: "), line
    assert reason in line, line
    assert env.requests() == []


def test_a_scope_without_the_listing_endpoint_is_exit_2_before_any_call(
        env, tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("AUDITOR_GCP_RESOURCEMANAGER_ENDPOINT")
    code = _scan(tmp_path, "gcp", "--gcp-all-projects")
    line = _one_error_line(capsys)
    assert code == EXIT_INPUT
    assert line.startswith("auditor: error: --gcp-all-projects: needs "
                           "--gcp-resourcemanager-endpoint"), line
    assert env.requests() == []


# (config text, providers chosen, the JSON path named, words of the reason)
CONFIG_CASES = [
    ("[aws]\norganization = true\n", "aws", "$.aws.organization", "needs --aws-role-name"),
    (f'[aws]\naccount = ["{ACCOUNT}"]\nrole_name = "{ROLE}"\nrole_arn = "{ROLE_ARN}"\n', "aws",
     "$.aws.role_arn", "excludes --aws-role-name"),
    (f'[aws]\nrole_name = "{ROLE}"\n', "aws", "$.aws.role_name",
     "needs --aws-organization or --aws-account"),
    (f'[aws]\nexclude_account = ["{ACCOUNT}"]\n', "aws", "$.aws.exclude_account",
     "needs --aws-organization or --aws-account"),
    ("[alibaba]\nresource_directory = true\n", "alibaba", "$.alibaba.resource_directory",
     "needs --alibaba-role-name"),
    (f'[alibaba]\nrole_name = "{ROLE}"\n', "alibaba", "$.alibaba.role_name",
     "needs --alibaba-resource-directory or --alibaba-account"),
    (f'[alibaba]\nexclude_account = ["{ALI_ACCOUNT}"]\n', "alibaba",
     "$.alibaba.exclude_account", "needs --alibaba-resource-directory"),
    ('[gcp]\nproject = ["acme-retail-prod"]\nexclude_project = ["acme-retail-*"]\n', "gcp",
     "$.gcp.exclude_project", "excludes every --gcp-project given"),
]


@pytest.mark.parametrize(("text", "provider", "path", "reason"), CONFIG_CASES,
                         ids=[c[2] for c in CONFIG_CASES])
def test_a_config_table_mistake_names_the_file_and_key_before_any_call(
        env, tmp_path, capsys, text, provider, path, reason):
    config = tmp_path / "auditor.toml"
    config.write_text(text)
    chosen = ["gcp"] if provider == "gcp" else ["gcp", provider]
    code = _scan(tmp_path, *chosen, "--config", str(config))
    line = _one_error_line(capsys)
    assert code == EXIT_INPUT
    assert line.startswith(f"auditor: error: {config}: {path}: "), line
    assert reason in line, line
    assert env.requests() == []


def test_a_flag_supplies_what_the_config_table_lacks(env, tmp_path):
    """The rules judge the merged values: the config's organization with the flag's role
    name passes them (checked on the hook: a scan would call AWS)."""
    from argparse import Namespace

    from auditor._provider_flags import provider_options
    from auditor.providers.base import ProviderRegistry, option_dest

    registry = ProviderRegistry.from_entry_points()
    aws = registry.get("aws")
    role = next(o for o in aws.options if o.name == "role_name")
    args = Namespace(**{option_dest("aws", role): ROLE, "config": "auditor.toml"})
    options = provider_options(args, registry, ["aws"], {"aws": {"organization": True}})
    assert options["aws"]["organization"] is True and options["aws"]["role_name"] == ROLE


def test_the_rules_pass_what_works():
    AwsAdapter().check_options({"organization": True, "role_name": ROLE})
    AwsAdapter().check_options({"role_arn": ROLE_ARN, "region": ["us-east-1"]})
    AlibabaAdapter().check_options({"resource_directory": True, "role_name": ROLE,
                                    "profile": ["prod"], "exclude_account": [ALI_ACCOUNT]})
    AlibabaAdapter().check_options({"profile": ["prod"], "exclude_account": [ALI_ACCOUNT]})
    GcpAdapter().check_options({"project": ["a-b"], "exclude_project": ["c-*"]})
    GcpAdapter().check_options({"folder": ["12"], "gcs_endpoint": "http://127.0.0.1:1",
                                "gcp_resourcemanager_endpoint": "http://127.0.0.1:1"})


def test_the_rule_names_the_option_for_callers_of_the_hook():
    with pytest.raises(OptionRuleError) as raised:
        AlibabaAdapter().check_options({"account": [ALI_ACCOUNT]})
    assert raised.value.option == "account"
    assert "no default" in raised.value.reason


def test_an_api_caller_gets_a_provider_error_from_the_accounts_hook(env):
    """The accounts hooks run the same rules (no CLI in between), before any call."""
    with pytest.raises(ProviderError, match="--alibaba-resource-directory needs "
                                            "--alibaba-role-name"):
        AlibabaAdapter().accounts(CollectRequest(options={"resource_directory": True}))
    with pytest.raises(ProviderError, match="--aws-role-name needs --aws-organization"):
        AwsAdapter().accounts(CollectRequest(options={"role_name": ROLE}))
    assert env.requests() == []
