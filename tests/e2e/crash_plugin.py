"""A provider plugin that raises, installed the way any third-party adapter is: a module and a
dist-info with an ``auditor.providers`` entry point, put on PYTHONPATH of the subprocess.

It reuses the Alibaba adapter's data files (an adapter must ship them all and cover the whole
fact catalog), so only its ``collect`` is made up. BOOM_MODE picks what goes wrong.
"""

from __future__ import annotations

import os
from pathlib import Path

PLUGIN = "boom"

ADAPTER_SOURCE = '''\
"""Test plugin: a provider adapter whose collect raises (see tests/e2e/crash_plugin.py)."""
import os
import threading
from pathlib import Path

from auditor.providers import alibaba
from auditor.providers._runtime import bounded_map
from auditor.providers.base import load_exposure_profile

STARTED = []
LOCK = threading.Lock()


def read_bucket(index):
    if index == 2:
        raise KeyError("Owner")  # a normalizer reading an element the answer lacked
    with LOCK:
        STARTED.append(index)
    return index


class BoomAdapter:
    name = "boom"
    title = "Boom (test plugin)"
    options = ()
    data_dir = Path(alibaba.__file__).parent

    def exposure_profile(self):
        return load_exposure_profile(self.data_dir / "exposure.yaml")

    def collect(self, request):
        mode = os.environ.get("BOOM_MODE", "value")
        if mode == "worker":
            try:
                bounded_map(read_bucket, range(8), 4)
            finally:
                Path(os.environ["BOOM_TRACE"]).write_text(" ".join(map(str, sorted(STARTED))))
        if mode == "attribute":
            return None  # not a Collection: the pipeline's own use of it fails
        raise ValueError("unparsable answer \\udcff\\u0007 from the endpoint")
'''

ENTRY_POINTS = f"[auditor.providers]\n{PLUGIN} = boom_adapter:BoomAdapter\n"
METADATA = "Metadata-Version: 2.1\nName: boom-adapter\nVersion: 0.0.1\n"


def install(folder: Path) -> dict[str, str]:
    """Write the plugin into ``folder``; the environment that makes a subprocess see it."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "boom_adapter.py").write_text(ADAPTER_SOURCE, encoding="utf-8")
    info = folder / "boom_adapter-0.0.1.dist-info"
    info.mkdir(exist_ok=True)
    (info / "METADATA").write_text(METADATA, encoding="utf-8")
    (info / "entry_points.txt").write_text(ENTRY_POINTS, encoding="utf-8")
    path = os.pathsep.join(p for p in (str(folder), os.environ.get("PYTHONPATH", "")) if p)
    return {"PYTHONPATH": path}
