"""The shipped claims are linted like the checks, and a bad claims file is refused in one line
naming the file, the JSON path and the reason."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import yaml

from auditor.checks import load_checks
from auditor.claims import claims_dir, lint_against_checks, load_claims
from auditor.errors import ClaimDefinitionError, InputError
from auditor.schema import fact_catalog

SHIPPED = load_claims()
PROVIDERS = ("aws", "gcp", "alibaba")


def test_every_provider_has_at_least_twelve_sourced_promises():
    per_provider = Counter(c.provider for c in SHIPPED)
    assert set(per_provider) == set(PROVIDERS)
    assert all(per_provider[p] >= 12 for p in PROVIDERS), per_provider
    assert len(SHIPPED) >= 36


def test_ids_are_unique_and_every_claim_has_a_source_a_date_and_ccm_ids():
    assert len({c.id for c in SHIPPED}) == len(SHIPPED)
    for claim in SHIPPED:
        assert claim.url.startswith("https://") and claim.read == "2026-12-03", claim.id
        assert claim.ccm and claim.promise, claim.id
        assert claim.id.startswith(claim.provider + "-"), claim.id


def test_sources_are_the_providers_own_documentation():
    own = {"aws": ("docs.aws.amazon.com",), "gcp": ("cloud.google.com",),
           "alibaba": ("www.alibabacloud.com",)}
    for claim in SHIPPED:
        host = claim.url.split("/")[2]
        assert host in own[claim.provider], (claim.id, host)


def test_api_claims_name_catalog_facts_and_checks_that_read_them():
    catalog = fact_catalog()
    api = [c for c in SHIPPED if c.method == "api"]
    assert api and all(c.facts and c.checks for c in api)
    for claim in api:
        for fact in claim.facts:
            kind, _, path = fact.partition(":")
            assert path in catalog[kind], (claim.id, fact)
    lint_against_checks(SHIPPED, load_checks())  # raises on an unknown or unrelated check


def test_attestation_claims_name_a_report_and_none_claims_say_why():
    for claim in SHIPPED:
        if claim.method == "attestation":
            assert len(claim.attestation) > 5 and not claim.facts, claim.id
        if claim.method == "none":
            assert claim.note and not claim.checks, claim.id


def test_every_topic_of_the_issue_has_a_promise():
    topics = {c.topic for c in SHIPPED}
    assert topics >= {"default_encryption", "hsm", "rotation", "operator_access", "residency",
                      "durability", "deletion", "byok", "access_transparency", "certification"}


def test_the_shipped_directory_is_the_repository_claims():
    assert claims_dir().name == "claims"
    assert sorted(p.stem for p in claims_dir().glob("*.yaml")) == sorted(PROVIDERS)


GOOD = {"id": "x-one", "topic": "hsm", "safeguard": "key_custody", "scope": "always",
        "promise": "Keys live in validated hardware modules.", "ccm": ["CEK-10"],
        "source": {"url": "https://docs.example.org/a", "read": "2026-12-03"},
        "verification": {"method": "api", "facts": ["kms.key:key_custody.hsm"],
                         "checks": ["kms-key-hsm"]}}


def _write(directory: Path, name: str, claims: list[dict], provider: str | None = None) -> Path:
    path = directory / f"{name}.yaml"
    path.write_text(yaml.safe_dump({"provider": provider or name, "claims": claims}),
                    encoding="utf-8")
    return path


def _refusal(tmp_path: Path, claims: list[dict], provider: str | None = None) -> str:
    path = _write(tmp_path, "xcloud", claims, provider)
    with pytest.raises(ClaimDefinitionError) as err:
        load_claims(tmp_path)
    message = str(err.value)
    assert isinstance(err.value, InputError) and "\n" not in message
    assert message.startswith(str(path)), message
    return message


@pytest.mark.parametrize(("change", "expected"), [
    ({"source": {"url": "https://docs.example.org/a"}}, "$.claims[0].source: 'read'"),
    ({"source": {"url": "http://docs.example.org/a", "read": "2026-12-03"}},
     "$.claims[0].source.url"),
    ({"ccm": ["CEK-3"]}, "$.claims[0].ccm[0]"),
    ({"scope": "sometimes"}, "$.claims[0].scope"),
    ({"verification": {"method": "api", "facts": ["kms.key:key.nothing"], "checks": ["x-y-z"]}},
     "$.claims[0].verification.facts[0]: 'kms.key:key.nothing' is not in the fact catalog"),
    ({"verification": {"method": "api", "facts": ["kms.key:key_custody.hsm"],
                       "checks": ["kms-key-hsm"], "where": {"key.state": ["enabled"]}}},
     "$.claims[0].verification.where: 'key.state' is not one of the claim's facts"),
    ({"verification": {"method": "attestation"}}, "$.claims[0].verification"),
    ({"provider": "aws"}, "$.claims[0].provider: 'aws' is not the file's provider 'xcloud'"),
])
def test_a_bad_claim_is_refused_naming_file_path_and_reason(tmp_path, change, expected):
    assert expected in _refusal(tmp_path, [{**GOOD, **change}])


def test_duplicate_ids_across_files_are_refused(tmp_path):
    _write(tmp_path, "acloud", [GOOD])
    second = _write(tmp_path, "bcloud", [GOOD])
    with pytest.raises(ClaimDefinitionError, match="duplicate claim id 'x-one'") as err:
        load_claims(tmp_path)
    assert str(err.value).startswith(str(second))


def test_a_file_must_be_named_after_its_provider(tmp_path):
    assert "must match the file name 'xcloud.yaml'" in _refusal(tmp_path, [GOOD], provider="gcp")


def test_a_claim_naming_an_unknown_or_unrelated_check_is_refused(tmp_path):
    _write(tmp_path, "xcloud", [{**GOOD, "verification": {**GOOD["verification"],
                                                      "checks": ["bucket-versioning"]}}])
    with pytest.raises(ClaimDefinitionError, match="reads none of the claim's facts"):
        lint_against_checks(load_claims(tmp_path), load_checks())
    other = tmp_path / "other"
    other.mkdir()
    _write(other, "xcloud", [{**GOOD, "verification": {**GOOD["verification"],
                                                   "checks": ["no-such-check"]}}])
    with pytest.raises(ClaimDefinitionError, match="unknown check id 'no-such-check'"):
        lint_against_checks(load_claims(other), load_checks())


def test_malformed_yaml_is_one_line_with_its_line(tmp_path):
    path = tmp_path / "xcloud.yaml"
    path.write_text("provider: xcloud\nclaims: [\n", encoding="utf-8")
    with pytest.raises(ClaimDefinitionError, match="not valid YAML") as err:
        load_claims(tmp_path)
    assert str(err.value).startswith(str(path)) and "\n" not in str(err.value)
