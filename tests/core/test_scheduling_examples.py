"""The scheduler examples in docs/ run real commands: each `auditor ...` line in them parses with
the real command line, and each exit code they branch on is one the tool documents."""

from __future__ import annotations

import re
import shlex
import subprocess
from pathlib import Path

import pytest
import yaml

from auditor import exit_codes
from auditor.cli import build_parser

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"
WORKFLOW = EXAMPLES / "nightly-audit.yml"
CRON = EXAMPLES / "nightly-audit.sh"
DOCUMENTED = {value for name, value in vars(exit_codes).items()
              if name.startswith("EXIT_") and isinstance(value, int)}


def _joined_lines(script: str) -> list[str]:
    """Shell lines with backslash continuations joined."""
    return script.replace("\\\n", " ").splitlines()


def _auditor_commands(script: str) -> list[list[str]]:
    commands = []
    for line in _joined_lines(script):
        line = line.strip()
        if not line.startswith("auditor "):
            continue
        line = re.split(r"\s(?:\d?>>?|\|\||&&|\|)", line)[0]  # redirections and pipes off
        words = shlex.split(re.sub(r'"?\$\{?\w+\}?"?', "VALUE", line))
        commands.append(words[1:])
    return commands


def _workflow_scripts() -> list[str]:
    doc = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    return [step["run"] for job in doc["jobs"].values() for step in job["steps"] if "run" in step]


def _all_commands() -> list[list[str]]:
    scripts = [*_workflow_scripts(), CRON.read_text(encoding="utf-8")]
    return [argv for script in scripts for argv in _auditor_commands(script)]


def test_the_examples_run_scan_diff_and_history() -> None:
    commands = {argv[0] for argv in _all_commands()}
    assert {"scan", "diff", "history"} <= commands


@pytest.mark.parametrize("argv", _all_commands(), ids=lambda argv: " ".join(argv[:2]))
def test_every_auditor_command_in_the_examples_parses(argv: list[str]) -> None:
    args = build_parser(argv).parse_args(argv)  # a wrong flag exits 2 here
    assert args.command == argv[0]


def _branched_codes(script: str) -> set[int]:
    codes = {int(c) for c in re.findall(r"^\s*(\d+)\)", script, re.MULTILINE)}
    codes |= {int(c) for c in re.findall(r'-eq (\d+)', script)}
    codes |= {int(c) for c in re.findall(r'= "(\d+)"', script)}
    return codes


def test_the_examples_branch_only_on_documented_exit_codes() -> None:
    workflow = "\n".join(_workflow_scripts())
    for script in (workflow, CRON.read_text(encoding="utf-8")):
        codes = _branched_codes(script)
        assert exit_codes.EXIT_NOTHING in codes  # "read nothing" never passes
        assert codes <= DOCUMENTED, codes - DOCUMENTED


def test_the_workflow_uploads_sarif_keeps_reports_and_writes_the_summary() -> None:
    doc = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    steps = [s for job in doc["jobs"].values() for s in job["steps"]]
    uses = {s.get("uses", "").split("@")[0]: s for s in steps}
    from auditor.reports import file_name

    sarif = uses["github/codeql-action/upload-sarif"]["with"]["sarif_file"]
    assert sarif.endswith(file_name("sarif"))
    assert "actions/upload-artifact" in uses
    assert any("GITHUB_STEP_SUMMARY" in s.get("run", "") and "auditor diff" in s["run"]
               for s in steps)
    assert doc["permissions"]["security-events"] == "write"


def test_the_cron_script_is_valid_posix_shell() -> None:
    subprocess.run(["sh", "-n", str(CRON)], check=True)
