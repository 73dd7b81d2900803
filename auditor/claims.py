"""The promise ledger's data: what each provider promises, read from claims/<provider>.yaml.

Each file is validated by schemas/claim.schema.json and linted like the checks: ids unique
across files, the file's provider on every claim, and every ``api`` claim naming facts of the
fact catalog (``kind:path``) and checks that exist and read them. docs/claims.md explains the
fields and how to propose a correction.
"""

from __future__ import annotations

import hashlib
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


def _digest(text: str) -> str | None:
    """The claim file's outcome digest: its bytes and the code that parses and lints it
    (the schemas, libraries and Python are in provider_data_cache's key); None: no cache."""
    from auditor import provider_data_cache

    try:
        code = b"".join((Path(__file__).read_bytes(),
                         (Path(__file__).parent / "documents.py").read_bytes()))
    except OSError:
        return None
    return provider_data_cache.file_digest("claims\0" + hashlib.sha256(code).hexdigest(),
                                           text.encode("utf-8"))


def _parse(text: str, source: str, digest: str | None) -> tuple[Any, bool]:
    """(the document, whether it is content that passed before). Content that passed the
    bounded loader and the schema before is parsed by PyYAML's C loader and not validated
    again (the same resolvers as SafeLoader, so the same document); other content gets the
    bounded pure-Python loader (alias, depth and size bounds) and the schema."""
    import yaml

    from auditor import provider_data_cache
    from auditor.documents import parse_yaml
    from auditor.schema import validate_against

    fast = getattr(yaml, "CSafeLoader", None)
    if fast is not None and provider_data_cache.passed(digest):
        return yaml.load(text, Loader=fast), True  # CSafeLoader: safe types only
    doc = parse_yaml(text, source, ClaimDefinitionError)
    validate_against(_validator(), doc, source, ClaimDefinitionError)
    return doc, False


def load_claim_file(path: Path) -> list[Claim]:
    """The claims of one file, validated (content that passed before: once per content,
    remembered by auditor.provider_data_cache; a file that fails is never remembered)."""
    from auditor import provider_data_cache
    from auditor.documents import read_text

    source = str(path)
    text = read_text(path, ClaimDefinitionError)
    digest = _digest(text)
    doc, known = _parse(text, source, digest)
    claims = _claims_of(doc, path, source)
    if not known:
        provider_data_cache.remember(digest)
    return claims


def _claims_of(doc: dict[str, Any], path: Path, source: str) -> list[Claim]:
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
