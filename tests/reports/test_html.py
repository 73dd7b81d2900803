"""HTML: one self-contained, autoescaped file; a server-rendered summary, findings as JSON."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from dataclasses import replace
from html.parser import HTMLParser
from importlib.resources import files

from auditor.model import Report, Status
from auditor.reports import render
from auditor.reports._common import clean
from auditor.reports._html_data import ROW_FIELDS


class _Collector(HTMLParser):
    """Collects tags, attributes, script bodies (with their attributes) and text."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self._script: dict[str, str | None] | None = None
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag == "script":
            self._script = dict(attrs)
            self.scripts.append((self._script, ""))

    def handle_endtag(self, tag):
        self._script = None

    def handle_data(self, data):
        if self._script is not None:
            attrs, body = self.scripts[-1]
            self.scripts[-1] = (attrs, body + data)
        self.text.append(data)


def _parse(text: str) -> _Collector:
    parser = _Collector()
    parser.feed(text)
    parser.close()
    return parser


def _data(text: str) -> dict:
    bodies = [body for attrs, body in _parse(text).scripts if attrs.get("type") == "application/json"]
    assert len(bodies) == 1
    return json.loads(bodies[0])


def _code(text: str) -> list[str]:
    return [body for attrs, body in _parse(text).scripts if attrs.get("type") is None]


def _decoded(doc: dict) -> list[dict]:
    """The embedded rows turned back into findings' fields, as the page script reads them."""
    out = []
    for row in doc["rows"]:
        r = dict(zip(ROW_FIELDS, row, strict=True))
        check = doc["checks"][r["check"]]
        out.append({"status": doc["statuses"][r["status"]], "check_id": check[0],
                    "title": check[1], "safeguard": doc["safeguards"][check[2]],
                    "severity": doc["severities"][check[3]],
                    "provider": doc["providers"][r["provider"]],
                    "account": doc["accounts"][r["account"]],
                    "region": doc["regions"][r["region"]], "resource_name": r["name"],
                    "resource_id": r["id"], "message": doc["texts"][r["message"]],
                    "kind": doc["kinds"][r["kind"]],
                    "evidence": doc["evidence"][r["evidence"]],
                    "remediation": doc["texts"][r["remediation"]],
                    "muted_reason": doc["texts"][r["muted"]] if r["muted"] >= 0 else None})
    return out


def test_template_and_script_ship_inside_the_package() -> None:
    assert (files("auditor.reports") / "templates" / "report.html.j2").is_file()
    assert (files("auditor.reports") / "templates" / "report.js").is_file()


def test_hostile_names_are_escaped(report: Report, hostile) -> None:
    text = render(report, "html")
    assert hostile.html not in text
    # the worst-failures table is server-rendered: the critical FAIL there is escaped text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in text
    assert "&lt;b&gt;bold&lt;/b&gt;" in text
    assert "&amp;amp;" in text  # an entity in a name is shown, not interpreted
    parsed = _parse(text)
    assert not [t for t, _ in parsed.tags if t == "b"]
    assert [t for t, _ in parsed.tags].count("script") == 2  # our code and our data
    assert "alert" not in _code(text)[0]
    assert "\x1b" not in text and "\x07" not in text


def test_no_finding_text_can_close_the_data_block(report: Report) -> None:
    nasty = "</script><script>alert(1)</script><!--"
    edited = replace(report, findings=[replace(report.findings[0], resource_name=nasty,
                                               message="a & b > c \u2028 d")])
    text = render(edited, "html")
    body = text.split('<script type="application/json" id="findings-data">', 1)[1]
    body = body.split("</script>", 1)[0]
    assert "<" not in body and ">" not in body and "&" not in body and "\u2028" not in body
    decoded = _decoded(json.loads(body))[0]
    assert decoded["resource_name"] == nasty and decoded["message"] == "a & b > c \u2028 d"


def test_embedded_findings_are_the_reports_own(report: Report) -> None:
    decoded = _decoded(_data(render(report, "html")))
    assert len(decoded) == len(report.findings)
    by_key = {(f.check_id, clean(f.resource_id)): f for f in report.findings}
    for row in decoded:
        f = by_key[(row["check_id"], row["resource_id"])]
        assert (row["status"], row["severity"], row["provider"], row["account"], row["region"],
                row["resource_name"], row["message"], row["safeguard"], row["kind"]) == (
            f.status.value, f.severity, f.provider, f.account, f.region, clean(f.resource_name),
            f.message, f.safeguard, f.kind)
        assert [e[0] for e in row["evidence"]] == [e.fact for e in f.evidence]
        assert row["muted_reason"] == f.muted_reason
    # most urgent first, as in every other report
    order = [row["status"] for row in decoded]
    assert order.index("FAIL") < order.index("UNVERIFIED") < order.index("PASS")
    denied = next(row for row in decoded if row["status"] == "UNVERIFIED")
    assert denied["evidence"][0] == ["key_rotation.enabled", "denied", "null", "kms:DescribeKey",
                                     "Forbidden: not allowed"]


def test_repeated_values_are_stored_once(report: Report) -> None:
    many = replace(report, findings=report.findings * 50)
    doc = _data(render(many, "html"))
    assert len(doc["rows"]) == 50 * len(report.findings)
    assert len(doc["evidence"]) <= len(report.findings)
    assert len(doc["texts"]) <= 3 * len(report.findings)


def test_no_external_assets(report: Report) -> None:
    text = render(report, "html")
    parsed = _parse(text)
    for tag, attrs in parsed.tags:
        assert tag not in ("link", "img", "iframe", "object", "embed"), tag
        assert "src" not in attrs, tag
        for name in ("href", "src", "action", "data", "xmlns"):
            value = attrs.get(name) or ""
            assert not value.startswith(("http:", "https:", "//")), (tag, name, value)
    # No http(s) reference anywhere except inside escaped report data (the hostile name).
    for url in re.findall(r"(?:https?:)?//[^\s\"'<>)\\]+", text):
        assert url.startswith("http://evil.example"), url
    assert "@import" not in text and "url(" not in text
    assert "fetch(" not in _code(text)[0] and "XMLHttpRequest" not in _code(text)[0]


def test_content_security_policy_allows_only_our_script(report: Report) -> None:
    text = render(report, "html")
    parsed = _parse(text)
    meta = [a for t, a in parsed.tags
            if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"]
    assert len(meta) == 1
    policy = meta[0]["content"] or ""
    assert "default-src 'none'" in policy
    assert "style-src 'unsafe-inline'" in policy  # inline CSS only
    assert "script-src 'unsafe-inline'" not in policy  # scripts only by hash
    digest = base64.b64encode(hashlib.sha256(_code(text)[0].encode()).digest()).decode()
    assert policy.endswith(f"script-src 'sha256-{digest}'")


def test_summary_counts_and_scores(report: Report) -> None:
    text = render(report, "html")
    counts = report.counts()
    for status in Status:
        badge = status.value.lower().replace("_", "-")
        assert re.search(rf'<li data-status="{status.value}"><span class="badge {badge}">'
                         rf'{status.value}</span><span class="count">{counts[status.value]}'
                         "</span>", text)
    # the hand-built report carries no per-provider figures: the page computes them
    # (gcp: PASS 0, FAIL 2, OPAQUE 1 of 3 applicable -> verifiability 67%, opacity 33%; its
    # TLS control is "none" in the profile, not "absent", so it is no missing feature)
    gcp = re.search(r'<tr data-provider="gcp"><th>gcp</th>(.*?)</tr>', text).group(1)
    assert re.findall(r'data-score="(\w+)">([^<]*)<', gcp) == [
        ("verifiability", "67%"), ("provider_opacity", "33%"), ("access_gap", "0%"),
        ("pass_rate", "0%"), ("unsupported", "0"), ("applicable", "3")]


def test_worst_failures_most_severe_first(report: Report) -> None:
    text = render(report, "html")
    worst = text.split('<table id="worst">', 1)[1].split("</table>", 1)[0]
    severities = re.findall(r'<span class="sev sev-(\w+)">', worst)
    assert severities == ["critical", "high", "medium"]  # the three FAIL findings, not MUTED
    assert "-1+1" not in worst


def test_coverage_gaps_name_each_problem(report: Report) -> None:
    text = render(report, "html")
    gaps = text.split('<ul class="gaps" id="gaps">', 1)[1].split("</ul>", 1)[0]
    assert "gcp: partial" in gaps and "alibaba: failed" in gaps
    assert "bucket-key-rotation on alibaba: 1 UNVERIFIED (first reason: Forbidden: not allowed)" in gaps


def test_charts_are_inline_svg_with_the_counts(report: Report) -> None:
    text = render(report, "html")
    svg = text.split('<svg id="chart-provider"', 1)[1].split("</svg>", 1)[0]
    aws = {f.status.value for f in report.findings if f.provider == "aws"}
    drawn = set(re.findall(r"<title>aws: (\w+) \d+</title>", svg))
    assert drawn == aws
    assert '<svg id="chart-safeguard"' in text
    assert "xmlns" not in text  # inline SVG in HTML needs no namespace URL


def test_the_run_and_the_stand_in_banner(report: Report) -> None:
    text = render(report, "html")
    assert 'id="stand-in-banner"' not in text and 'id="real-banner"' in text
    runs = [replace(r, endpoint_overridden=r.provider != "gcp") for r in report.runs]
    text = render(replace(report, runs=runs), "html")
    banner = re.search(r'<p class="banner" id="stand-in-banner">(.*?)</p>', text).group(1)
    assert "LOCAL STAND-INS" in banner and "aws, alibaba" not in banner
    assert "alibaba, aws" in banner and "own endpoints: gcp" in banner
    assert text.count("local stand-in</td>") == 2
    # findings without a run: the page does not claim to know where they came from
    text = render(replace(report, runs=[r for r in report.runs if r.provider != "gcp"]), "html")
    assert 'id="unrecorded-banner">No run record for gcp:' in text
    assert "own endpoints (no endpoint override): alibaba, aws." in text


def test_per_check_counts_without_script(report: Report) -> None:
    text = render(report, "html")
    row = re.search(r'<tr data-check="bucket-key-rotation">(.*?)</tr>', text).group(1)
    cells = re.findall(r'<td class="num">(\d*)</td>', row)
    # FAIL UNVERIFIED OPAQUE PASS NOT_APPLICABLE MUTED ... in Status order, then the total
    assert cells[-1] == "2" and cells.count("1") == 2


def test_empty_report(empty_report: Report) -> None:
    text = render(empty_report, "html")
    assert "No findings." in text and "No failures." in text
    assert 'id="findings-data"' not in text
