"""The long-running process behind ``auditor sandbox up``: serve until SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
from pathlib import Path


def serve(state_file: Path) -> None:
    from auditor.documents import write_atomic
    from auditor.sandbox.running import running_sandboxes

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    with running_sandboxes() as sandboxes:
        env: dict[str, str] = {}
        for sandbox in sandboxes.values():
            env.update(sandbox.environment())
        state = {"pid": os.getpid(), "env": env,
                 "options": {p: s.scan_options() for p, s in sandboxes.items()},
                 "environments": {p: s.environment() for p, s in sandboxes.items()}}
        write_atomic(state_file, json.dumps(state, indent=2))
        try:
            stop.wait()
        finally:
            state_file.unlink(missing_ok=True)


if __name__ == "__main__":
    serve(Path(sys.argv[1]))
