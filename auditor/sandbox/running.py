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
