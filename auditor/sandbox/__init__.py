"""Local stand-ins for the clouds, used by ``auditor demo``, ``auditor sandbox`` and the tests.

Each provider's stand-in lives in its own package (auditor.providers.<p>.sandbox), implements
:class:`auditor.sandbox.base.Sandbox` and is registered through the ``auditor.sandboxes``
entry-point group (:class:`auditor.sandbox.registry.SandboxRegistry`). This package keeps what
they share: the contract and recording server, the demo estate, and the sandbox commands.
"""
