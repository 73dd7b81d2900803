"""Local stand-ins for the three clouds, used by ``auditor demo`` and the tests.

Each provider's sandbox implements :class:`auditor.sandbox.base.Sandbox`.
"""

# provider name -> "module:Class" of its sandbox; data, not an if-chain.
SANDBOXES = {
    "aws": "auditor.sandbox.aws:AwsSandbox",
    "gcp": "auditor.sandbox.gcp:GcpSandbox",
    "alibaba": "auditor.sandbox.alibaba:AlibabaSandbox",
}
