"""Peers' harness (benchmarks/peers.py puts this directory on the peers' PYTHONPATH).

S3 Control puts the account id in front of the endpoint host (``123456789012.127.0.0.1``), so
names ending in ``.127.0.0.1`` or ``.localhost`` resolve to 127.0.0.1 here. Any other name that
is not loopback fails to resolve: a peer under benchmark can send nothing off this machine
(no version check, no telemetry). Test-harness code, not shipped.
"""

import socket

_real_getaddrinfo = socket.getaddrinfo
_LOOPBACK = ("127.0.0.1", "localhost", "::1")


def _getaddrinfo(host, *args, **kwargs):  # type: ignore[no-untyped-def]
    name = host.decode() if isinstance(host, bytes) else host
    if name is None or name in _LOOPBACK or name.startswith("127."):
        return _real_getaddrinfo(host, *args, **kwargs)
    if name.endswith((".127.0.0.1", ".localhost")):
        return _real_getaddrinfo("127.0.0.1", *args, **kwargs)
    raise socket.gaierror(socket.EAI_NONAME, f"benchmark harness: {name} is not loopback")


socket.getaddrinfo = _getaddrinfo
