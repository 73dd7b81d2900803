"""A lone surrogate or raw bytes from a provider cannot stop a report: the one rule of
auditor.safe_text (U+FFFD at emission), then every format writes and parses."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from auditor.checks import load_checks
from auditor.config import compile_with_params
from auditor.documents import inventory_text, write_all
from auditor.model import Fact, FactState, Inventory, Status
from auditor.pipeline import build_report
from auditor.reports import FORMATS, file_name, render, report_files
from auditor.safe_text import clean, clean_text, one_line

GOLDEN = Path(__file__).parents[1] / "golden"
WRITTEN = [f for f in FORMATS if f != "table"]
FREE_TEXT = ("encryption.key_id", "access_logging.target")  # fact values that are any text
# Where odd text comes from: a JSON "\ud800" escape (lone high), a low one alone, bytes that
# were decoded with surrogateescape (\udcff), and the end of a pair cut in half.
ODD = ["lone-high-\ud800", "lone-low-\udc00", "escaped-byte-\udcff", "cut-pair-\ud83d"]


@pytest.mark.parametrize("text, expected", [
    ("plain", "plain"),
    ("\ud800", "\ufffd"),
    ("a\udc00b", "a\ufffdb"),
    ("\ud83d\ude00", "\ufffd\ufffd"),  # two lone halves in a str are not a pair
    ("😀 ok", "😀 ok"),  # a real astral character stays
    ("\udcff\udcfe", "\ufffd\ufffd"),
    ("", ""),
])
def test_clean_text_table(text, expected):
    assert clean_text(text) == expected
    assert clean_text(text).encode("utf-8").decode("utf-8") == expected  # encodable


@pytest.mark.parametrize("value, expected", [
    (b"\xffok\xfe", "\ufffdok\ufffd"),
    ({"k\ud800": ["v\udcff", ("t\udc80",)]}, {"k\ufffd": ["v\ufffd", ("t\ufffd",)]}),
    ([1, None, True, 2.5], [1, None, True, 2.5]),
])
def test_clean_values(value, expected):
    assert clean(value) == expected


def test_clean_keeps_clean_objects_and_enums():
    fact = Fact.observed({"name": "fine"}, "s3:GetBucketTagging")
    assert clean(fact) is fact
    assert clean(Status.PASS) is Status.PASS
    odd = Fact.error("detail \ud800", "s3:GetBucketPolicy")
    assert clean(odd).detail == "detail \ufffd" and clean(odd).state is FactState.ERROR
    assert odd.detail == "detail \ud800"  # the original is not changed


def test_one_line_for_the_terminal():
    assert one_line("a\udcff\x07 b\n\tc\x1b[31m") == "a\ufffd\ufffd b c\ufffd[31m"


def _odd_inventory() -> Inventory:
    """The golden inventory with odd text in names, accounts, values, details and errors."""
    document = json.loads((GOLDEN / "mixed-inventory.json").read_text(encoding="utf-8"))
    inventory = Inventory.from_dict(document)
    for resource, odd in zip(inventory.resources, ODD * 5, strict=False):
        resource.name = f"{resource.name}-{odd}"
        resource.account = f"{resource.account}{odd[-1]}"
        for path, fact in list(resource.facts.items()):
            if fact.state is FactState.OBSERVED and path in FREE_TEXT:
                resource.facts[path] = Fact.observed(f"{fact.value}{odd}", *fact.source)
            elif fact.detail:
                resource.facts[path] = Fact(fact.state, fact.value, fact.source,
                                            f"{fact.detail} {odd}", fact.basis)
    for run in inventory.runs:
        for error in run.errors:
            error.message += " \udcff\udcfe"
    return inventory


def _odd_report():
    checks = compile_with_params(load_checks(), {}, "defaults")
    report = build_report(_odd_inventory(), checks, lambda provider: None,
                          failures={"gcp": "unreadable answer \ud800"})
    assert any("\ud800" in f.resource_name for f in report.findings)  # odd going in
    return report


def _check_file(fmt: str, text: str) -> None:
    assert "\ufffd" in text, fmt
    if fmt in ("json", "sarif", "ocsf"):
        document = json.loads(text)  # no "\ud800" escape decodes back to a lone surrogate
        assert clean(document) == document, fmt
    if fmt == "junit":
        ET.fromstring(text.encode("utf-8"))


def test_every_format_writes_and_parses(tmp_path):
    report = _odd_report()
    written = write_all(report_files(report, WRITTEN, tmp_path))
    assert sorted(p.name for p in written) == sorted(file_name(f) for f in WRITTEN)
    for fmt in WRITTEN:
        raw = (tmp_path / file_name(fmt)).read_bytes()
        _check_file(fmt, raw.decode("utf-8"))  # strict: valid UTF-8 throughout
    assert "\ufffd" in render(report, "table").encode("utf-8").decode("utf-8")


def test_saved_inventory_is_encodable():
    document = json.loads(inventory_text(_odd_inventory()))
    assert "\ufffd" in json.dumps(document, ensure_ascii=False)
    assert clean(document) == document  # no "\ud800" escape left for a strict reader


def test_cli_evaluate_with_odd_text_writes_every_format(tmp_path):
    """The inventory JSON carries the odd text as JSON escapes, as an API answer would."""
    source = tmp_path / "odd-inventory.json"
    source.write_text(json.dumps(_odd_inventory().to_dict()), encoding="ascii")
    assert "\\ud800" in source.read_text(encoding="ascii")
    proc = subprocess.run(
        [shutil.which("auditor"), "evaluate", str(source), "-o", str(tmp_path / "out"),
         "-f", ",".join(FORMATS)], capture_output=True, timeout=120, stdin=subprocess.DEVNULL,
        env={**os.environ, "NO_COLOR": "1", "PYTHONIOENCODING": "utf-8"})
    stderr = proc.stderr.decode("utf-8")
    assert proc.returncode == 3, stderr  # the golden inventory has UNVERIFIED facts
    assert "Traceback" not in stderr
    assert "\ufffd" in proc.stdout.decode("utf-8")  # the printed table
    for fmt in FORMATS:  # the full table too: an output directory was given
        _check_file(fmt, (tmp_path / "out" / file_name(fmt)).read_bytes().decode("utf-8"))


def test_findings_cleaned_field_by_field_as_one_by_one():
    """A long list of findings is cleaned a field at a time over all of them (the fast
    path): the same findings as cleaning each alone, the clean ones kept as they were, and
    what findings shared (their evidence) still shared once cleaned."""
    findings = _odd_report().findings
    assert len(findings) >= 32  # long enough for the field-by-field path
    one_by_one = [clean(f) for f in findings]
    together = clean(findings)
    assert together == one_by_one
    kept = [after is before for after, before in zip(together, findings, strict=True)]
    assert kept == [a is b for a, b in zip(one_by_one, findings, strict=True)]
    assert True in kept and False in kept  # some findings had odd text, some none
    assert not any("\ud800" in f.resource_name or "\udcff" in f.account for f in together)
    shared: dict[int, set[int]] = {}
    for before, after in zip(findings, together, strict=True):
        shared.setdefault(id(before.evidence), set()).add(id(after.evidence))
    assert all(len(ids) == 1 for ids in shared.values())
    assert any(len([f for f in findings if id(f.evidence) == key]) > 1 for key in shared)
    assert clean(together) is together  # nothing left to replace: the same list back
