"""HTML: one self-contained, autoescaped file with a details block per finding."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from importlib.resources import files

from auditor.model import Report, Status
from auditor.reports import render


class _Collector(HTMLParser):
    """Collects tags, attributes and script bodies; fails on nothing, records everything."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[str] = []
        self._in_script = False
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.scripts.append(data)
        self.text.append(data)


def _parse(text: str) -> _Collector:
    parser = _Collector()
    parser.feed(text)
    parser.close()
    return parser


def test_template_ships_inside_the_package() -> None:
    template = files("auditor.reports") / "templates" / "report.html.j2"
    assert template.is_file()


def test_hostile_names_are_escaped(report: Report, hostile) -> None:
    text = render(report, "html")
    assert hostile.html not in text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in text
    assert "&lt;b&gt;bold&lt;/b&gt;" in text  # messages too
    assert "&amp;amp;" in text  # an entity in a name is shown, not interpreted
    parsed = _parse(text)
    assert len(parsed.scripts) == 1  # only our own filter script
    assert "alert" not in parsed.scripts[0]
    assert not [t for t, _ in parsed.tags if t == "b"]
    assert "\x1b" not in text and "\x07" not in text


def test_no_external_assets(report: Report) -> None:
    text = render(report, "html")
    parsed = _parse(text)
    for tag, attrs in parsed.tags:
        assert tag not in ("link", "img", "iframe", "object", "embed"), tag
        assert "src" not in attrs, tag
        for name in ("href", "src", "action", "data"):
            value = attrs.get(name) or ""
            assert not value.startswith(("http:", "https:", "//")), (tag, name, value)
    # No http(s) reference anywhere except inside escaped report data (the hostile name).
    for url in re.findall(r"(?:https?:)?//[^\s\"'<>)]+", text):
        assert url.startswith("http://evil.example"), url
    assert "@import" not in text and "url(" not in text


def test_content_security_policy_allows_only_our_script(report: Report) -> None:
    text = render(report, "html")
    meta = [a for t, a in _parse(text).tags
            if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"]
    assert len(meta) == 1
    policy = meta[0]["content"] or ""
    assert "default-src 'none'" in policy
    assert re.search(r"script-src 'sha256-[A-Za-z0-9+/=]+'$", policy)
    assert "style-src 'unsafe-inline'" in policy  # inline CSS only
    assert "script-src 'unsafe-inline'" not in policy  # scripts only by hash


def test_script_hash_matches_the_inline_script(report: Report) -> None:
    import base64
    import hashlib

    parsed = _parse(render(report, "html"))
    body = parsed.scripts[0]
    digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
    policy = next(a["content"] for t, a in parsed.tags
                  if t == "meta" and a.get("http-equiv") == "Content-Security-Policy")
    assert policy.endswith(f"script-src 'sha256-{digest}'")


def test_summary_counts_and_badges(report: Report) -> None:
    text = render(report, "html")
    counts = report.counts()
    for status in Status:
        badge = status.value.lower().replace("_", "-")
        assert re.search(rf'<span class="badge {badge}">{status.value}</span>'
                         rf'<span class="count">{counts[status.value]}</span>', text)
    rows = [a for t, a in _parse(text).tags if t == "tr" and "data-status" in a]
    assert sorted(a["data-status"] for a in rows) == sorted(f.status.value
                                                            for f in report.findings)


def test_each_finding_has_evidence_details(report: Report) -> None:
    text = render(report, "html")
    assert text.count("<details>") == len(report.findings)
    assert "s3:GetBucketEncryption" in text
    assert "Forbidden: not allowed" in text  # detail of a denied fact
    assert "Cloud Storage has no bucket-level TLS control" in text
    assert "<code>[&#34;iam:allUsers&#34;]</code>" in text  # JSON value, escaped
    assert "FAIL muted: archive bucket, ticket SEC-42" in text
    assert "gcp: partial" in text and "alibaba: failed" in text


def test_document_is_well_formed_enough(report: Report) -> None:
    text = render(report, "html")
    assert text.startswith("<!DOCTYPE html>")
    parsed = _parse(text)
    assert [t for t, _ in parsed.tags].count("html") == 1
    assert [t for t, _ in parsed.tags].count("table") >= 2


def test_empty_report(empty_report: Report) -> None:
    assert "No findings." in render(empty_report, "html")
