"""``auditor claims list|show``: the promise ledger's claims, kept apart from commands.py so
that listing them imports neither the model nor the scan pipeline."""

from __future__ import annotations

import argparse
from collections import Counter
from typing import TYPE_CHECKING, Any

from auditor.errors import UsageError
from auditor.exit_codes import EXIT_OK

if TYPE_CHECKING:
    from auditor.claims import Claim


def add_claims_parser(sub: Any, parser_class: type[argparse.ArgumentParser]) -> None:
    """``claims list [--provider P]`` and ``claims show ID`` under the CLI's subparsers."""
    claims = sub.add_parser("claims", help="the promise ledger: what each provider promises")
    actions = claims.add_subparsers(dest="claims_command", metavar="ACTION", required=True,
                                    parser_class=parser_class)
    listing = actions.add_parser("list", help="one line per promise, with how to verify it")
    listing.add_argument("--provider", metavar="PROVIDER", help="one provider's promises only")
    actions.add_parser("show", help="one promise in full, with its source").add_argument(
        "claim_id", metavar="ID")


def _summary(claims: list[Claim]) -> str:
    from auditor.claims import METHODS

    by_provider = Counter(c.provider for c in claims)
    parts = []
    for provider in sorted(by_provider):
        methods = Counter(c.method for c in claims if c.provider == provider)
        parts.append(f"{provider} {by_provider[provider]} ("
                     + ", ".join(f"{m} {methods[m]}" for m in METHODS) + ")")
    return f"{len(claims)} promises, each with its source: " + "; ".join(parts)


def _show(claim: Claim) -> str:
    lines = [f"id: {claim.id}", f"provider: {claim.provider}", f"topic: {claim.topic}",
             f"safeguard: {claim.safeguard}", f"scope: {claim.scope}",
             f"promise: {claim.promise}",
             f"source: {claim.url} (read {claim.read})", f"ccm: {', '.join(claim.ccm)}",
             f"verification: {claim.method}"]
    if claim.method == "api":
        lines += [f"  facts: {', '.join(claim.facts)}", f"  checks: {', '.join(claim.checks)}"]
        lines += [f"  where: {path} in {', '.join(map(str, values))}"
                  for path, values in claim.where]
    if claim.attestation:
        lines.append(f"  attestation: {claim.attestation}")
    if claim.note:
        lines.append(f"  note: {claim.note}")
    lines.append(f"file: {claim.source_file}")
    return "\n".join(lines)


def cmd_claims(args: argparse.Namespace) -> int:
    from tabulate import tabulate

    from auditor.claims import load_claims

    claims = list(load_claims())
    if args.claims_command == "list":
        wanted = getattr(args, "provider", None)
        if wanted:
            known = sorted({c.provider for c in claims})
            if wanted not in known:
                raise UsageError("claims list", "--provider",
                                 f"no claims for provider {wanted!r} (have: {', '.join(known)})")
            claims = [c for c in claims if c.provider == wanted]
        rows = [(c.id, c.provider, c.method, c.scope, c.safeguard, ", ".join(c.ccm), c.read)
                for c in claims]
        print(tabulate(rows, headers=("id", "provider", "verify by", "scope", "safeguard",
                                      "ccm", "source read")))
        print(_summary(claims))
        return EXIT_OK
    by_id = {c.id: c for c in claims}
    if args.claim_id not in by_id:
        from auditor.providers._option_values import suggestion_text

        raise UsageError("claims show", "$", f"unknown claim id {args.claim_id!r}"
                         f"{suggestion_text(args.claim_id, sorted(by_id))}")
    print(_show(by_id[args.claim_id]))
    return EXIT_OK
