"""The promise ledger's data: what each provider promises, read from claims/<provider>.yaml.

Each file is validated by schemas/claim.schema.json and linted like the checks: ids unique
across files, the file's provider on every claim, and every ``api`` claim naming facts of the
fact catalog (``kind:path``) and checks that exist and read them. docs/claims.md explains the
fields and how to propose a correction.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from auditor._data_dirs import data_dir
from auditor.errors import ClaimDefinitionError

METHODS = ("api", "attestation", "none")  # how a customer can verify a promise


@dataclass(frozen=True, slots=True)
class Claim:
    id: str
    provider: str
    topic: str
    safeguard: str
    scope: str  # always | when_used (docs/claims.md: how each is judged)
    promise: str
    url: str
    read: str  # the date the source page was read
    ccm: tuple[str, ...]
    method: str  # api | attestation | none
    facts: tuple[str, ...] = ()  # kind:path, api claims only
    checks: tuple[str, ...] = ()  # check ids, api claims only
    where: tuple[tuple[str, tuple[Any, ...]], ...] = ()  # fact path -> values a finding needs
    attestation: str = ""  # the named report or certificate, attestation claims only
    note: str = ""
    source_file: str = ""

    @classmethod
    def from_document(cls, doc: dict[str, Any], provider: str, source: str) -> Claim:
        how = doc["verification"]
        return cls(doc["id"], provider, doc["topic"], doc["safeguard"], doc["scope"],
                   " ".join(doc["promise"].split()), doc["source"]["url"], doc["source"]["read"],
                   tuple(doc["ccm"]), how["method"], tuple(how.get("facts", ())),
                   tuple(how.get("checks", ())),
                   tuple((path, tuple(values)) for path, values in how.get("where", {}).items()),
                   how.get("attestation", ""), " ".join(how.get("note", "").split()), source)


def claims_dir() -> Path:
    """The shipped claims/: the wheel copy under auditor/_data, else the repository's."""
    return data_dir("claims")


@cache
def _validator() -> Any:
    from jsonschema import Draft202012Validator

    with open(data_dir("schemas") / "claim.schema.json", encoding="utf-8") as fh:
        return Draft202012Validator(json.load(fh))


def load_claim_file(path: Path) -> list[Claim]:
    from auditor.documents import parse_yaml, read_text
    from auditor.schema import validate_against

    source = str(path)
    doc = parse_yaml(read_text(path, ClaimDefinitionError), source, ClaimDefinitionError)
    validate_against(_validator(), doc, source, ClaimDefinitionError)
    provider = doc["provider"]
    if path.stem != provider:
        raise ClaimDefinitionError(source, "$.provider",
                                   f"provider {provider!r} must match the file name {path.name!r}")
    claims = []
    for i, entry in enumerate(doc["claims"]):
        if entry.get("provider", provider) != provider:
            raise ClaimDefinitionError(source, f"$.claims[{i}].provider",
                                       f"{entry['provider']!r} is not the file's provider "
                                       f"{provider!r}")
        claims.append(Claim.from_document(entry, provider, source))
        _lint_facts(claims[-1], source, i)
    return claims


def _lint_facts(claim: Claim, source: str, index: int) -> None:
    from auditor.schema import fact_catalog

    catalog = fact_catalog()
    for j, fact in enumerate(claim.facts):
        kind, _, path = fact.partition(":")
        if path not in catalog.get(kind, {}):
            raise ClaimDefinitionError(source, f"$.claims[{index}].verification.facts[{j}]",
                                       f"{fact!r} is not in the fact catalog "
                                       "(schemas/inventory.schema.json)")
    paths = {fact.partition(":")[2] for fact in claim.facts}
    for path, _ in claim.where:
        if path not in paths:
            raise ClaimDefinitionError(source, f"$.claims[{index}].verification.where",
                                       f"{path!r} is not one of the claim's facts")


@cache
def _load(directory: str) -> tuple[Claim, ...]:
    claims: list[Claim] = []
    seen: dict[str, str] = {}
    for path in sorted(Path(directory).glob("*.yaml")):
        for i, claim in enumerate(load_claim_file(path)):
            if claim.id in seen:
                raise ClaimDefinitionError(str(path), f"$.claims[{i}].id",
                                           f"duplicate claim id {claim.id!r} (also in "
                                           f"{seen[claim.id]})")
            seen[claim.id] = str(path)
            claims.append(claim)
    return tuple(claims)


def load_claims(directory: Path | None = None) -> tuple[Claim, ...]:
    """Every claim of ``directory`` (default: the shipped claims/), in file then entry order."""
    return _load(str(directory or claims_dir()))


def lint_against_checks(claims: Iterable[Claim], checks: Sequence[Any]) -> None:
    """Every check an ``api`` claim names exists and reads at least one of its facts
    (``checks`` are loaded Check objects: id, kinds, reads)."""
    by_id = {c.id: c for c in checks}
    for claim in claims:
        for check_id in claim.checks:
            check = by_id.get(check_id)
            where = f"{claim.source_file}: {claim.id}"
            if check is None:
                raise ClaimDefinitionError(where, "$.verification.checks",
                                           f"unknown check id {check_id!r}")
            named = {tuple(f.split(":", 1)) for f in claim.facts}
            if not any(kind in check.kinds and path in check.reads for kind, path in named):
                raise ClaimDefinitionError(where, "$.verification.checks",
                                           f"check {check_id!r} reads none of the claim's facts")
