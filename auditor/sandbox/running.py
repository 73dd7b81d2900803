"""Every stand-in started and seeded for the length of a block (``auditor demo``, ``sandbox up``).

Here rather than in demo.py so that the sandbox package never imports the CLI layer.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager

from auditor.sandbox.base import Sandbox


@contextmanager
def running_sandboxes(providers: Sequence[str] | None = None) -> Iterator[dict[str, Sandbox]]:
    """Start and seed each provider's stand-in (default: every one); stop them all however the
    block exits."""
    from auditor.sandbox.estate import load_estate
    from auditor.sandbox.registry import SandboxRegistry

    estate = load_estate()
    registry = SandboxRegistry.from_entry_points()
    with ExitStack() as stack:
        sandboxes: dict[str, Sandbox] = {}
        for provider in registry.names() if providers is None else providers:
            sandbox = registry.create(provider)
            stack.callback(sandbox.stop)
            sandbox.start()
            sandbox.seed(estate[provider])
            sandbox.reset_requests()
            sandboxes[provider] = sandbox
        yield sandboxes


# Names of an endpoint variable that are not the service: the tool's prefix, the provider's,
# and how the variable says "endpoint" (STORAGE_EMULATOR_HOST is Cloud Storage's emulator).
_ENDPOINT_AFFIXES = ("_ENDPOINT_URL", "_ENDPOINT", "_EMULATOR_HOST")


def endpoint_services(provider: str, environment: dict[str, str]) -> dict[str, list[str]]:
    """URL -> the services a stand-in answers there, named from its environment variables
    (AUDITOR_OSS_ENDPOINT -> oss; AWS_ENDPOINT_URL, every service of the provider -> "")."""
    by_url: dict[str, list[str]] = {}
    for variable, value in environment.items():
        stem = next((variable.removesuffix(a) for a in _ENDPOINT_AFFIXES if variable.endswith(a)),
                    None)
        if stem is None or "127.0.0.1:" not in value:
            continue
        service = stem.removeprefix("AUDITOR_").removeprefix(provider.upper()).strip("_")
        by_url.setdefault(value, []).append(service.casefold())
    return by_url


def endpoint_lines(sandboxes: dict[str, Sandbox], width: int = 96) -> list[str]:
    """Which local port answers as which cloud and service: one entry per port, each cloud's
    entries on its own line(s), wrapped at ``width``."""
    import textwrap

    name_width = max((len(p) for p in sandboxes), default=0)
    lines = []
    for provider, sandbox in sandboxes.items():
        entries = [f"{', '.join(s for s in services if s) or 'every service'} "
                   f":{url.rsplit(':', 1)[-1]}"
                   for url, services in endpoint_services(provider, sandbox.environment()).items()]
        lines += textwrap.wrap("; ".join(entries), width, initial_indent=f"  {provider:<{name_width}}  ",
                               subsequent_indent=" " * (name_width + 4), break_on_hyphens=False)
    return lines
