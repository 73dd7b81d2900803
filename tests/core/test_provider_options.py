"""A provider option reaches only its provider: prefixed flags per provider (--aws-region), the
unprefixed form (--region) only when one chosen provider alone declares it, help per provider.
"""

from __future__ import annotations

import json

import pytest

from auditor._provider_flags import chosen_providers, provider_options
from auditor.cli import build_parser
from auditor.errors import UsageError
from auditor.providers.base import ProviderRegistry
from auditor.regions import canonical
from auditor.sandbox.estate import load_estate, make_sandbox
from auditor.sandbox.manage import scan_flags

# The expected verdicts below follow the design of the "accuracy" issue (each provider's
# options under its own prefix); the region and project values are real ones, from
# AWS General Reference "Regions and endpoints", Alibaba Cloud OSS "Regions and endpoints" and
# Resource Manager "Creating and managing projects".


@pytest.fixture
def no_option_env(monkeypatch):
    """Option values come from flags only in these tests, not from the caller's environment."""
    for opt in (o for n in ProviderRegistry.from_entry_points().names()
                for o in ProviderRegistry.from_entry_points().get(n).options):
        if opt.env:
            monkeypatch.delenv(opt.env, raising=False)


def _resolve(argv: list[str]) -> dict[str, dict]:
    args = build_parser(argv).parse_args(argv)
    registry = ProviderRegistry.from_entry_points()
    return provider_options(args, registry, chosen_providers(args.providers, registry))


# (argv, provider -> expected non-empty options)
ROUTED = [
    (["scan", "aws", "alibaba", "--aws-region", "us-east-1", "--alibaba-region", "cn-hangzhou"],
     {"aws": {"region": ["us-east-1"]}, "alibaba": {"region": ["cn-hangzhou"]}}),
    (["scan", "aws", "gcp", "--region", "eu-west-1", "--project", "acme-retail-prod"],
     {"aws": {"region": ["eu-west-1"]}, "gcp": {"project": ["acme-retail-prod"]}}),
    (["collect", "alibaba", "--region", "oss-cn-hangzhou", "--oss-endpoint", "http://127.0.0.1:1"],
     {"alibaba": {"region": ["oss-cn-hangzhou"], "oss_endpoint": "http://127.0.0.1:1"}}),
    (["scan", "AWS", "--region", "US-EAST-1", "--region", "eu-west-1", "--profile", "audit"],
     {"aws": {"region": ["us-east-1", "eu-west-1"], "profile": "audit"}}),
    (["scan", "gcp", "alibaba", "--gcp-kms-endpoint", "http://127.0.0.1:2",
      "--alibaba-kms-endpoint", "127.0.0.1:3"],
     {"gcp": {"gcp_kms_endpoint": "http://127.0.0.1:2"},
      "alibaba": {"alibaba_kms_endpoint": "127.0.0.1:3"}}),
]


@pytest.mark.parametrize("argv, expected", ROUTED, ids=[" ".join(r[0][:4]) for r in ROUTED])
def test_each_provider_gets_only_its_own_values(no_option_env, argv, expected):
    options = _resolve(argv)
    assert set(options) == set(expected)
    for provider, values in options.items():
        assert {k: v for k, v in values.items() if v is not None} == expected[provider]


# (argv, the one error line after "auditor: error: ")
REFUSED = [
    (["scan", "aws", "alibaba", "--region", "us-east-1"],
     "--region: taken by aws and alibaba: use --aws-region or --alibaba-region"),
    (["collect", "alibaba", "aws", "--region", "cn-hangzhou"],
     "--region: taken by alibaba and aws: use --alibaba-region or --aws-region"),
    (["scan", "aws", "--alibaba-region", "cn-hangzhou"],
     "--alibaba-region: alibaba is not among the chosen providers (aws)"),
    (["scan", "gcp", "--aws-profile", "audit"],
     "--aws-profile: aws is not among the chosen providers (gcp)"),
    (["scan", "gcp", "--oss-endpoint", "http://127.0.0.1:9"],
     "--oss-endpoint: not an option of gcp"),
    (["scan", "aws", "--region", "us-east-1", "--aws-region", "us-east-1"],
     "--region: given together with --aws-region; give one of them"),
]


@pytest.mark.parametrize("argv, line", REFUSED, ids=[" ".join(r[0]) for r in REFUSED])
def test_ambiguous_or_foreign_flags_are_usage_errors(no_option_env, argv, line):
    with pytest.raises(UsageError) as raised:
        _resolve(argv)
    assert str(raised.value) == line


def test_ambiguous_region_is_exit_2_on_the_command_line(auditor, tmp_path):
    out = auditor("scan", "aws", "alibaba", "--region", "us-east-1", "-o", str(tmp_path / "o"))
    assert out.returncode == 2
    assert out.stderr.strip() == ("auditor: error: --region: taken by aws and alibaba: "
                                  "use --aws-region or --alibaba-region")
    assert not (tmp_path / "o").exists()


def test_help_shows_only_the_named_providers(auditor):
    aws = auditor("scan", "aws", "--help")
    assert aws.returncode == 0
    assert "Amazon Web Services (aws) options" in aws.stdout and "--aws-region" in aws.stdout
    for foreign in ("alibaba", "Alibaba", "OSS", "--gcp-", "Google Cloud (gcp)"):
        assert foreign not in aws.stdout, foreign
    two = auditor("collect", "alibaba", "GCP", "--help")
    assert "Alibaba Cloud (alibaba) options" in two.stdout
    assert "Google Cloud (gcp) options" in two.stdout and "--gcp-project" in two.stdout
    assert "--aws-" not in two.stdout
    every = auditor("scan", "--help")
    for group in ("Amazon Web Services (aws)", "Google Cloud (gcp)", "Alibaba Cloud (alibaba)"):
        assert f"{group} options" in every.stdout


def test_two_providers_each_collect_their_own_region(auditor, tmp_path):
    """Through the stand-ins: each run covers exactly the region given to its own flag."""
    estate = load_estate()
    boxes = {p: make_sandbox(p) for p in ("aws", "alibaba")}
    try:
        for provider, box in boxes.items():
            box.start()
            box.seed(estate[provider])
        alibaba_endpoints = {k: v for k, v in boxes["alibaba"].scan_options().items()
                             if k != "region"}
        env = {**boxes["aws"].environment(), **boxes["alibaba"].environment()}
        inventory = tmp_path / "inv.json"
        out = auditor("collect", "aws", "alibaba", "--aws-region", "eu-west-1",
                      "--alibaba-region", "cn-shanghai",
                      *scan_flags("alibaba", alibaba_endpoints), "-q", "-o", str(inventory),
                      env=env)
    finally:
        for box in boxes.values():
            box.stop()
    assert out.returncode in (0, 3), out.stderr
    doc = json.loads(inventory.read_text())
    runs = {r["provider"]: r for r in doc["runs"]}
    assert runs["aws"]["regions"] == ["eu-west-1"]
    assert runs["alibaba"]["regions"] == ["cn-shanghai"]
    buckets = {(r["provider"], canonical(r["provider"], r["region"])) for r in doc["resources"]
               if r["kind"] == "storage.bucket"}
    assert buckets == {("aws", "eu-west-1"), ("alibaba", canonical("alibaba", "cn-shanghai"))}


def test_nothing_collected_says_so_on_stderr(auditor, tmp_path):
    """A project with no bucket and no key: the run succeeds, and one stderr line says that
    nothing was found for what was asked."""
    box = make_sandbox("gcp")
    box.start()
    try:
        box.seed({"projects": [{"id": "quiet-project", "number": "100000000001"}]})
        endpoints = {k: v for k, v in box.scan_options().items() if k != "project"}
        flags = [*scan_flags("gcp", endpoints), "--gcp-project", "quiet-project"]
        env = {**box.environment(), "GOOGLE_CLOUD_PROJECT": ""}
        collected = auditor("collect", "gcp", *flags, "-o", str(tmp_path / "inv.json"), env=env)
        scanned = auditor("scan", "gcp", *flags, "-q", "-o", str(tmp_path / "s"), env=env)
    finally:
        box.stop()
    for out in (collected, scanned):
        lines = [ln for ln in out.stderr.splitlines() if "collected no" in ln]
        assert len(lines) == 1, out.stderr
        assert lines[0].startswith("auditor: gcp: collected no buckets or keys; asked for "
                                   "--gcp-project quiet-project; --gcp-gcs-endpoint http://")
    assert collected.returncode == 0, collected.stderr


def test_sandbox_commands_use_prefixed_flags():
    flags = scan_flags("alibaba", {"region": ["cn-hangzhou", "cn-shanghai"],
                                   "oss_endpoint": "http://127.0.0.1:1",
                                   "alibaba_kms_endpoint": "127.0.0.1:2"})
    assert flags == ["--alibaba-region", "cn-hangzhou", "--alibaba-region", "cn-shanghai",
                     "--alibaba-oss-endpoint", "http://127.0.0.1:1",
                     "--alibaba-kms-endpoint", "127.0.0.1:2"]
