"""The report of a scan evaluated unit by unit as the units arrive (auditor._sink, the findings
spooled) is the report of the old path, byte for byte (minus when it was generated): the
whole inventory merged first, then ``build_report``. One collection feeds both (a tee of the
units' results), through the real SDK clients over HTTP against the stand-ins: the demo estate
(moto, the GCP and Alibaba stand-ins; the demo mutelist, tag rules too) and the GCP demo
organization (five projects, one of them failing)."""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path

from spool_support import gcp_org

from auditor._sink import EvaluatingSink
from auditor.checks import load_checks
from auditor.config import compile_with_params
from auditor.emission import Emission, emit_report
from auditor.mutelist import load_mutelist, rules_need_tags
from auditor.pipeline import MergingSink, build_report, collect, registry_exposure
from auditor.providers.base import ProviderRegistry

FORMATS = ["json", "csv", "sarif"]
CHECKS = compile_with_params(load_checks(), {}, "defaults")


class Tee:
    """Each unit's result to the old path (a copy, merged at the end) and to the new one."""

    def __init__(self, new: EvaluatingSink) -> None:
        self.old, self.new = MergingSink(), new

    def deliver(self, position, result) -> None:
        self.old.deliver(position, copy.deepcopy(result))
        self.new.deliver(position, result)

    def inventory(self):
        return self.old.inventory()

# findings held as objects before going to disk: some segments each way
MEMORY_LIMIT = 150


def _files(report, inventory, folder: Path) -> dict[str, bytes]:
    emit_report(report, Emission(FORMATS, folder, quiet=True, save_inventory=True), inventory)
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def _first_difference(old: bytes, new: bytes) -> tuple[bytes, bytes]:
    pairs = zip(old, new, strict=False)  # the shorter's end, when they differ in length only
    at = next((i for i, (a, b) in enumerate(pairs) if a != b), min(len(old), len(new)))
    return old[max(0, at - 300):at + 200], new[max(0, at - 300):at + 200]


def _both(providers, options, mutes, tmp_path: Path) -> tuple[dict, dict, int]:
    registry = ProviderRegistry.from_entry_points()
    exposure = registry_exposure(registry)
    today = dt.date.today()
    with EvaluatingSink(CHECKS, mutes, today=today, save_inventory=True, run_size=97,
                       memory_limit=MEMORY_LIMIT) as sink:
        tee = Tee(sink)
        outcome = collect(registry, providers, options, CHECKS, 4, tags=rules_need_tags(mutes),
                          sink=tee)
        merged = tee.inventory()
        old = build_report(merged, CHECKS, exposure, mutes, outcome.failures, today=today)
        new = sink.report(exposure, outcome.failures)
        assert not isinstance(new.findings, list)  # the spool, not a copy of it
        # one moment for both (was: the stamp replaced in every file, which also replaced a
        # run's started_at or finished_at that fell in the same second, in one file only)
        new.generated_at = old.generated_at
        return (_files(old, merged, tmp_path / "old"),
                _files(new, sink.inventory_writer(), tmp_path / "new"), len(old.findings))


def test_the_gcp_organization_gives_the_same_files(tmp_path):
    with gcp_org(tmp_path / "home"):
        old, new, count = _both(["gcp"], {"gcp": {"organization_id": "905531727110"}}, [],
                                tmp_path)
    assert count > 100
    assert set(old) == {"auditor-report.json", "auditor-report.csv", "auditor-report.sarif",
                        "auditor-inventory.json"}
    for name in old:
        assert new[name] == old[name], (name, _first_difference(old[name], new[name]))


def test_the_demo_estate_gives_the_same_files(tmp_path):
    from auditor.demo import DEMO_MUTELIST, patched_environment
    from auditor.sandbox.running import running_sandboxes

    mutes = load_mutelist(DEMO_MUTELIST)
    with running_sandboxes() as sandboxes:
        env: dict[str, str] = {}
        for sandbox in sandboxes.values():
            env.update(sandbox.environment())
        options = {p: s.scan_options() for p, s in sandboxes.items()}
        with patched_environment(env):
            old, new, count = _both(list(sandboxes), options, mutes, tmp_path)
    assert count > 1000
    for name in old:
        assert new[name] == old[name], (name, _first_difference(old[name], new[name]))
    assert b"MUTED" in new["auditor-report.json"]
