"""Names the user typed are checked before any provider is called: regions, project ids and
provider names; a wrong one is exit 2 with one line and a "did you mean" where one can be made.
"""

from __future__ import annotations

import re
import socket

import pytest

from auditor.providers._option_values import gcp_project_id, region_check
from auditor.regions import canonical
from auditor.sandbox.estate import load_estate, make_sandbox
from auditor.sandbox.manage import scan_flags

AWS_REGIONS_DOC = "AWS General Reference, Regions and endpoints: " \
                  "https://docs.aws.amazon.com/general/latest/gr/rande.html"
OSS_REGIONS_DOC = "Alibaba Cloud OSS, Regions and endpoints (region IDs with and without oss-): " \
                  "https://www.alibabacloud.com/help/en/oss/user-guide/regions-and-endpoints"
PROJECT_ID_DOC = "Resource Manager, Creating and managing projects (project ID requirements): " \
                 "https://cloud.google.com/resource-manager/docs/creating-managing-projects"
DOMAIN_SCOPED_DOC = "domain-scoped project ids (google.com:project), GoogleCloudPlatform/" \
                    "alloydb-java-connector issue #352"
OUR_PROVIDERS = "README, Commands: auditor scan PROVIDER... with aws, gcp, alibaba"


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def dead_env() -> dict[str, str]:
    """Every provider pointed at a closed port: a run that calls anything cannot exit 2."""
    dead = f"http://127.0.0.1:{_closed_port()}"
    return {"AWS_ENDPOINT_URL": dead, "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1",
            "STORAGE_EMULATOR_HOST": dead, "AUDITOR_GCP_KMS_ENDPOINT": dead,
            "AUDITOR_GCP_ORGPOLICY_ENDPOINT": dead, "AUDITOR_OSS_ENDPOINT": dead,
            "AUDITOR_ALIBABA_KMS_ENDPOINT": dead, "AUDITOR_ALIBABA_ECS_ENDPOINT": dead,
            "ALIBABA_CLOUD_ACCESS_KEY_ID": "testing", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "x"}


def _one_error_line(out) -> str:
    assert out.returncode == 2, (out.returncode, out.stderr)
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert lines[0].startswith("auditor: error: ")
    return lines[0]


def _suggested(line: str) -> list[str]:
    match = re.search(r"did you mean (.*)\?", line)
    assert match, line
    return re.findall(r"'([^']+)'", match.group(1))


# (provider, flag, typed, expected first suggestion or None for "any real region", source)
UNKNOWN_REGIONS = [
    ("aws", "--aws-region", "us-eats-1", "us-east-1", AWS_REGIONS_DOC),
    ("aws", "--region", "eu-wset-1", "eu-west-1", AWS_REGIONS_DOC),
    ("aws", "--region", "us-moon-1", None, AWS_REGIONS_DOC),
    ("alibaba", "--alibaba-region", "cn-hangzou", "cn-hangzhou", OSS_REGIONS_DOC),
    ("alibaba", "--region", "oss-cn-hangzou", "oss-cn-hangzhou", OSS_REGIONS_DOC),
    ("alibaba", "--region", "cn-moon", None, OSS_REGIONS_DOC),
]


@pytest.mark.parametrize("provider, flag, typed, first, source", UNKNOWN_REGIONS,
                         ids=[f"{r[0]}-{r[2]}" for r in UNKNOWN_REGIONS])
def test_unknown_region_is_exit_2_with_a_suggestion(auditor, dead_env, tmp_path, provider, flag,
                                                    typed, first, source):
    out = auditor("scan", provider, flag, typed, "-o", str(tmp_path / "o"), env=dead_env)
    line = _one_error_line(out)
    assert line.startswith(f"auditor: error: {flag}: unknown {provider} region {typed!r}")
    suggested = _suggested(line)
    assert suggested and all(canonical(provider, s) for s in suggested), suggested
    if first is not None:
        assert suggested[0] == first
    # The short form the user typed is answered in the same form.
    assert all(s.startswith("oss-") == typed.startswith("oss-") for s in suggested[:1])
    assert not (tmp_path / "o").exists()


# (typed, accepted as, source)
KNOWN_REGIONS = [
    ("aws", "us-east-1", "us-east-1", AWS_REGIONS_DOC),
    ("aws", "EU-WEST-1", "eu-west-1", AWS_REGIONS_DOC),
    ("alibaba", "cn-hangzhou", "cn-hangzhou", OSS_REGIONS_DOC),
    ("alibaba", "oss-cn-hangzhou", "oss-cn-hangzhou", OSS_REGIONS_DOC),
    ("alibaba", "CN-Shanghai", "cn-shanghai", OSS_REGIONS_DOC),
]


@pytest.mark.parametrize("provider, typed, accepted, source", KNOWN_REGIONS)
def test_known_region_forms_are_accepted(provider, typed, accepted, source):
    assert region_check(provider)(typed) == accepted


# (typed, valid, suggestion or None, source)
PROJECT_IDS = [
    ("acme-retail-prod", True, None, PROJECT_ID_DOC),
    ("abcdef", True, None, PROJECT_ID_DOC),  # 6 characters: the shortest allowed
    ("a" + "b" * 29, True, None, PROJECT_ID_DOC),  # 30 characters: the longest allowed
    ("example.com:my-project", True, None, DOMAIN_SCOPED_DOC),
    ("abcde", False, None, PROJECT_ID_DOC),  # 5 characters
    ("a" + "b" * 30, False, None, PROJECT_ID_DOC),  # 31 characters
    ("1abcdef", False, None, PROJECT_ID_DOC),  # starts with a digit
    ("my-project-", False, "my-project", PROJECT_ID_DOC),  # ends with a hyphen
    ("My_Project", False, "my-project", PROJECT_ID_DOC),  # uppercase and underscore
    ("Example.com:My-Project", False, "example.com:my-project", DOMAIN_SCOPED_DOC),
    ("bad domain:my-project", False, None, DOMAIN_SCOPED_DOC),
]


@pytest.mark.parametrize("typed, valid, suggestion, source", PROJECT_IDS,
                         ids=[r[0] for r in PROJECT_IDS])
def test_project_id_format(typed, valid, suggestion, source):
    if valid:
        assert gcp_project_id(typed) == typed
        return
    with pytest.raises(ValueError) as raised:
        gcp_project_id(typed)
    message = str(raised.value)
    assert message.startswith(f"not a Google Cloud project id {typed!r}: 6 to 30 ")
    if suggestion:
        assert message.endswith(f"did you mean {suggestion!r}?")
    else:
        assert "did you mean" not in message


@pytest.mark.parametrize("flag", ["--gcp-project", "--project"])
def test_bad_project_id_on_the_command_line(auditor, dead_env, tmp_path, flag):
    out = auditor("collect", "gcp", flag, "My_Project", "-o", str(tmp_path / "inv.json"),
                  env=dead_env)
    line = _one_error_line(out)
    assert line.startswith(f"auditor: error: {flag}: not a Google Cloud project id")
    assert line.endswith("did you mean 'my-project'?")
    assert not (tmp_path / "inv.json").exists()


# (typed, suggestion or None, source)
UNKNOWN_PROVIDERS = [
    ("awz", "aws", OUR_PROVIDERS),
    ("gpc", "gcp", OUR_PROVIDERS),
    ("alibabacloud", "alibaba", OUR_PROVIDERS),
    ("azure", None, OUR_PROVIDERS),
]


@pytest.mark.parametrize("typed, suggestion, source", UNKNOWN_PROVIDERS)
def test_unknown_provider_is_exit_2_with_a_suggestion(auditor, dead_env, typed, suggestion,
                                                      source):
    line = _one_error_line(auditor("scan", typed, env=dead_env))
    assert line.startswith(f"auditor: error: PROVIDER: unknown provider {typed!r}")
    assert line.endswith("(registered: alibaba, aws, gcp)")
    if suggestion:
        assert _suggested(line) == [suggestion]
    else:
        assert "did you mean" not in line


def test_provider_names_are_case_insensitive(auditor, dead_env, tmp_path):
    # AWS resolves to aws: its own region flag is checked as an aws region.
    line = _one_error_line(auditor("scan", "AWS", "--aws-region", "us-eats-1", env=dead_env))
    assert "unknown aws region 'us-eats-1'" in line
    # Gcp is collected (and fails on the dead endpoint), not refused.
    out = auditor("collect", "Gcp", "--gcp-project", "quiet-project", "-q",
                  "-o", str(tmp_path / "inv.json"), env=dead_env)
    assert out.returncode == 5, out.stderr  # the one provider failed: nothing collected
    assert "auditor: gcp: not collected:" in out.stderr
    # The same provider twice, whatever the case, is refused.
    line = _one_error_line(auditor("scan", "aws", "AWS", env=dead_env))
    assert line == "auditor: error: PROVIDER: provider 'aws' named more than once"


def test_a_bad_name_contacts_no_provider(auditor, tmp_path):
    """Against a live stand-in: a bad value for one provider stops the run before the other,
    valid one is called at all (its request log stays empty)."""
    sandbox = make_sandbox("alibaba")
    sandbox.start()
    try:
        sandbox.seed(load_estate()["alibaba"])
        sandbox.reset_requests()
        flags = scan_flags("alibaba", sandbox.scan_options())
        bad_project = auditor("scan", "alibaba", "gcp", *flags, "--gcp-project", "My_Project",
                              "-o", str(tmp_path / "a"), env=sandbox.environment())
        bad_region = auditor("scan", "alibaba", "--alibaba-region", "cn-moon",
                             "-o", str(tmp_path / "b"), env=sandbox.environment())
        requests = sandbox.requests()
    finally:
        sandbox.stop()
    assert "--gcp-project: not a Google Cloud project id" in _one_error_line(bad_project)
    assert "unknown alibaba region 'cn-moon'" in _one_error_line(bad_region)
    assert requests == []
