"""Rewrite the golden findings from the code as it stands; review `git diff tests/golden` after.

    python scripts/regen-goldens.py            # mixed-findings.json and scan-{aws,gcp,alibaba}.json
    python scripts/regen-goldens.py mixed      # only the offline golden

A golden is a claim about behaviour: every changed line in the diff needs a reason in the commit.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

GOLDEN = Path(__file__).resolve().parent.parent / "tests" / "golden"


def _dump(path: Path, data: object) -> None:
    path.write_text(json.dumps(data, indent=1), encoding="utf-8")


def mixed() -> None:
    from auditor.checks import compile_check, load_checks
    from auditor.documents import load_inventory
    from auditor.engine import evaluate

    inventory = load_inventory(GOLDEN / "mixed-inventory.json")
    findings = evaluate(inventory, [compile_check(c) for c in load_checks()])
    _dump(GOLDEN / "mixed-findings.json",
          [{"check_id": f.check_id, "resource_id": f.resource_id, "status": f.status.value,
            "message": f.message} for f in findings])


def scan(provider: str) -> None:
    from auditor.sandbox.estate import load_estate, make_sandbox
    from auditor.sandbox.manage import scan_flags

    sandbox = make_sandbox(provider)
    sandbox.start()
    out = Path(tempfile.mkdtemp(prefix=f"golden-{provider}-"))
    try:
        sandbox.seed(load_estate()[provider])
        subprocess.run([shutil.which("auditor") or "auditor", "scan", provider,
                        *scan_flags(provider, sandbox.scan_options()), "-q", "-f", "json",
                        "-o", str(out)],
                       env={**os.environ, **sandbox.environment()}, check=False)
    finally:
        sandbox.stop()
    report = json.loads((out / "auditor-report.json").read_text())
    statuses = {f"{f['resource_name']} {f['check_id']}": f["status"] for f in report["findings"]
                if f["kind"] == "storage.bucket"}
    _dump(GOLDEN / f"scan-{provider}.json", dict(sorted(statuses.items())))
    shutil.rmtree(out)


if __name__ == "__main__":
    wanted = sys.argv[1:] or ["mixed", "aws", "gcp", "alibaba"]
    for name in wanted:
        mixed() if name == "mixed" else scan(name)
        print(f"regenerated {name}")
