"""The JSON text of our own documents: the same document back, one finding per line."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from auditor.schema import document_text

scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                      | st.dictionaries(st.text(max_size=5), inner, max_size=4), max_leaves=20)


@given(st.dictionaries(st.text(max_size=8), values, max_size=6) | st.lists(values, max_size=3))
def test_the_text_is_the_document(document):
    assert json.loads(document_text(document)) == document


def test_a_top_level_list_of_objects_is_one_object_per_line():
    findings = [{"check_id": "c", "message": "two\nlines", "status": "PASS"},
                {"check_id": "d", "status": "FAIL", "evidence": [{"call": "x"}]}]
    text = document_text({"version": "1", "findings": findings, "summary": {"n": 2}})
    lines = text.splitlines()
    assert lines[0] == "{" and lines[-1] == "}"
    assert [json.loads(line.strip().rstrip(",")) for line in lines[3:5]] == findings
    assert lines[2] == '  "findings": [' and lines[5] == "  ],"
    assert '"summary": {' in text and '\n    "n": 2\n' in text  # small parts stay indented
