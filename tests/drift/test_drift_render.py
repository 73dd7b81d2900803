"""The drift renderers: table (colour only when asked), JSON against its schema, Markdown
sections with counts, escaped cells and "none" for an empty category."""

from __future__ import annotations

import json
import re

from drift_support import Estate, finding

from auditor.cli import main
from auditor.drift import diff_reports
from auditor.drift._render import TITLES, render
from auditor.model import AccountFailure, Status
from auditor.schema import load_schema, validator

ENC, LOG = "bucket-encryption-enabled", "bucket-access-logging"
HOSTILE = "evil|name*_<b>\x1b[31m\nnext"


def _drift():
    old = Estate([finding(ENC, "orders", Status.PASS), finding(LOG, HOSTILE, Status.FAIL),
                  finding(ENC, "vault", Status.FAIL, account="222222222222")],
                 accounts={"aws": ["111111111111", "222222222222"]})
    new = Estate([finding(ENC, "orders", Status.FAIL), finding(LOG, HOSTILE, Status.PASS)],
                 account_failures=[AccountFailure("aws", "222222222222", "role refused")])
    return diff_reports(old.report(), new.report())


def test_json_fits_its_schema_and_round_trips():
    drift = _drift()
    document = json.loads(render(drift, "json"))
    assert not list(validator("drift").iter_errors(document))
    assert document == json.loads(json.dumps(drift.to_dict()))
    assert document["resources_removed"][0]["cause"] == "account_failed"


def test_schema_command_prints_the_drift_schema(capsys):
    assert main(["schema", "drift"]) == 0
    assert json.loads(capsys.readouterr().out) == load_schema("drift")


def test_markdown_sections_counts_escaping_and_none():
    out = render(_drift(), "markdown")
    counts = _drift().counts()
    for name, title in TITLES.items():
        assert f"### {title} ({counts[name]})" in out
    assert "### Checks added (0)\n\nnone\n" in out
    assert "\x1b" not in out
    # The hostile name is one cell: no raw pipe, emphasis or HTML survives.
    row = next(line for line in out.splitlines() if "evil" in line)
    assert row.count(" | ") == 7  # eight columns
    assert "evil\\|name\\*\\_&lt;b&gt;" in row and "<b>" not in row
    assert "not observed: the account failed in the new run: role refused" in out


def test_table_colours_only_when_asked():
    plain = render(_drift(), "table")
    coloured = render(_drift(), "table", color=True)
    assert "\x1b[" not in plain
    assert "\x1b[1;31mFAIL\x1b[0m" in coloured
    # Without the colour codes the two say the same thing.
    assert re.sub(r"\x1b\[[0-9;]*m", "", coloured) == plain
    assert "New failures (1)" in plain and "Checks removed (0)\n  none" in plain
    assert "evil|name" in plain and "\n  next" not in plain
