"""Run the console script on a pseudo-terminal, as a person at a terminal would see it."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import time


def run_on_terminal(args: list[str], env: dict[str, str], timeout: float = 120,
                    ) -> tuple[int, str]:
    """(exit code, everything the terminal showed: stdout and stderr both go to the pty)."""
    primary, secondary = pty.openpty()
    proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=secondary, stderr=secondary,
                            env=env, close_fds=True)
    os.close(secondary)
    chunks = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([primary], [], [], 0.5)
        if ready:
            try:
                data = os.read(primary, 65536)
            except OSError:
                break
            if not data:
                break
            chunks.append(data)
        elif proc.poll() is not None:
            break
    os.close(primary)
    return proc.wait(timeout=30), b"".join(chunks).decode(errors="replace")
