"""Writing a report's files: peak memory (tracemalloc) and CPU, whole texts against streamed.

The report is a saved JSON report (``--report``, e.g. ``auditor demo -o DIR`` then
DIR/auditor-report.json) or, without one, the golden mixed inventory evaluated with every
check; its findings are replicated ``--times`` times with unique resource ids and names. Every
format is written to a temporary folder, each format alone and then all of them at once, in
one of two ways:

- ``strings``: each format rendered to one string, then written (``report_files`` and
  ``documents.write_all``: how reports were written up to issue 18);
- ``streamed``: each format written piece by piece into its temp file (``report_writers``
  and ``documents.write_all_streamed``), when this tree has them.

Peak memory is tracemalloc's peak above what was allocated before the write (the report
itself is not counted); CPU is ``time.process_time`` of separate runs without tracemalloc
(median of ``--repeat``).

    python benchmarks/report_stream.py --report auditor-demo/auditor-report.json --times 8
    python benchmarks/report_stream.py --report ... --times 32 --formats all --repeat 1
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def base_report(path: str | None) -> Any:
    from auditor.documents import load_inventory, load_report

    if path:
        return load_report(path)
    from auditor.checks import load_checks
    from auditor.config import compile_with_params
    from auditor.pipeline import build_report

    inventory = load_inventory(ROOT / "tests" / "golden" / "mixed-inventory.json")
    return build_report(inventory, compile_with_params(load_checks(), {}, "bench"),
                        lambda p: None)


def replicated(report: Any, times: int) -> Any:
    """``report`` with its findings ``times`` over; copy k renamed ``<name>-k<k>``."""
    findings = [replace(f, resource_id=f"{f.resource_id}-k{k}",
                        resource_name=f"{f.resource_name}-k{k}")
                for k in range(times) for f in report.findings]
    return replace(report, findings=findings)


def writer(mode: str) -> Callable[[Any, list[str], Path], list[Path]]:
    from auditor import documents, reports

    if mode == "strings":
        return lambda report, formats, folder: documents.write_all(
            reports.report_files(report, formats, folder))
    return lambda report, formats, folder: documents.write_all_streamed(
        reports.report_writers(report, formats, folder))


def measure(report: Any, formats: list[str], mode: str, repeat: int) -> dict[str, Any]:
    write = writer(mode)
    cpus = []
    with tempfile.TemporaryDirectory() as folder:
        for _ in range(repeat):
            started = time.process_time()
            written = write(report, formats, Path(folder))
            cpus.append(time.process_time() - started)
        size = sum(p.stat().st_size for p in written)
        tracemalloc.start()
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        write(report, formats, Path(folder))
        peak = tracemalloc.get_traced_memory()[1] - base
        tracemalloc.stop()
    return {"cpu_s": round(statistics.median(cpus), 3), "peak_mb": round(peak / 1e6, 1),
            "written_mb": round(size / 1e6, 1)}


def main() -> None:
    from auditor.reports import FORMATS

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--report", help="a saved JSON report (default: the mixed golden)")
    parser.add_argument("--times", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--mode", choices=("strings", "streamed"), action="append")
    parser.add_argument("--formats", default=",".join([*FORMATS, "all"]),
                        help="comma-separated formats to measure, 'all' for every one at once")
    args = parser.parse_args()
    from auditor import documents

    modes = args.mode or (["strings", "streamed"] if hasattr(documents, "write_all_streamed")
                          else ["strings"])
    report = replicated(base_report(args.report), args.times)
    report.generated_at = "2026-12-03T00:00:00Z"
    rows = {}
    for fmt in args.formats.split(","):
        formats = list(FORMATS) if fmt == "all" else [fmt]
        rows[fmt] = {mode: measure(report, formats, mode, args.repeat) for mode in modes}
    print(json.dumps({"findings": len(report.findings), "load": os.getloadavg(),
                      "formats": rows}, indent=1))


if __name__ == "__main__":
    main()
