"""What the conformance suite shares: the two registries and one adapter's scan."""

from __future__ import annotations

from dataclasses import dataclass, field

from auditor.providers.base import Collection, ProviderAdapter, ProviderRegistry
from auditor.sandbox.base import RecordedRequest, Sandbox
from auditor.sandbox.registry import SandboxRegistry

PROVIDERS = ProviderRegistry.from_entry_points()
SANDBOXES = SandboxRegistry.from_entry_points()
# Ambient settings that would point an SDK away from the stand-in's environment.
AMBIENT = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_CONFIG_FILE",
            "AWS_SHARED_CREDENTIALS_FILE", "GOOGLE_APPLICATION_CREDENTIALS",
            "ALIBABA_CLOUD_SECURITY_TOKEN", "ALIBABA_CLOUD_PROFILE")


@dataclass
class Scan:
    """What one adapter did against its stand-in."""

    name: str
    adapter: ProviderAdapter
    sandbox: Sandbox
    denied: str  # the operation the stand-in answered as access denied
    collection: Collection
    requests: list[RecordedRequest]
    progress: list[tuple[str, int, int | None]] = field(default_factory=list)
