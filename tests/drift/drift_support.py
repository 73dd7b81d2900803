"""Reports built from the model for the drift tests: findings, runs and failures by hand."""

from __future__ import annotations

from dataclasses import dataclass, field

from auditor.model import (
    AccountFailure,
    CheckSummary,
    Finding,
    ProviderRun,
    Report,
    RunError,
    Status,
)
from auditor.schema import fact_catalog
from auditor.transparency import summarize

CHECKS = {
    "bucket-encryption-enabled": ("encryption_at_rest", "high"),
    "bucket-access-logging": ("access_logging", "medium"),
    "bucket-key-custody": ("key_custody", "critical"),
    "bucket-versioning": ("versioning", "low"),
}


def finding(check_id: str, resource: str, status: Status, *, provider: str = "aws",
            account: str = "111111111111", region: str = "us-east-1",
            muted_status: Status | None = None) -> Finding:
    safeguard, severity = CHECKS[check_id]
    return Finding(check_id, f"title of {check_id}", safeguard, severity, status,
                   f"{check_id} on {resource}: {status.value}", "storage.bucket", provider,
                   account, region, f"arn:{provider}:{resource}", resource,
                   muted_reason="accepted" if status is Status.MUTED else None,
                   muted_status=muted_status)


@dataclass
class Estate:
    """One report's worth: findings, the checks that ran, what failed."""

    findings: list[Finding]
    checks: list[str] = field(default_factory=lambda: sorted(CHECKS))
    accounts: dict[str, list[str]] = field(default_factory=lambda: {"aws": ["111111111111"]})
    account_failures: list[AccountFailure] = field(default_factory=list)
    provider_failures: dict[str, str] = field(default_factory=dict)
    listing_errors: dict[tuple[str, str], list[RunError]] = field(default_factory=dict)
    generated_at: str = "2024-05-01T02:00:00Z"

    def report(self) -> Report:
        runs = []
        for provider, accounts in self.accounts.items():
            for account in accounts:
                errors = self.listing_errors.get((provider, account), [])
                runs.append(ProviderRun(provider, [account], ["us-east-1"],
                                        status="partial" if errors else "complete",
                                        errors=list(errors)))
        for failure in self.account_failures:
            runs.append(ProviderRun(failure.provider, [failure.account], status="failed",
                                    errors=[RunError("account", "collect", "AccessDenied",
                                                     failure.reason)]))
        checks = [CheckSummary(cid, f"title of {cid}", CHECKS[cid][0], "storage.bucket",
                               CHECKS[cid][1]) for cid in self.checks]
        report = Report("0.test", self.generated_at, runs, checks, list(self.findings),
                        provider_failures=dict(self.provider_failures),
                        account_failures=list(self.account_failures))
        # Every fact read from an API field: a safeguard's level is then api, or partial
        # where some finding of it was OPAQUE.
        report.exposure = {provider: {kind: dict.fromkeys(paths, "api")
                                      for kind, paths in fact_catalog().items()}
                           for provider in self.accounts}
        report.transparency = summarize(report)
        return report
