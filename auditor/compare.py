"""``auditor compare``: providers side by side from one or more saved reports."""

from __future__ import annotations

import argparse

from auditor.emission import output_dir, split_values
from auditor.exit_codes import EXIT_OK


def run_compare(args: argparse.Namespace) -> int:
    from auditor.comparison import build_matrix, merge_reports
    from auditor.documents import load_report, write_all
    from auditor.reports import comparison_file_name, comparison_files, render_comparison

    formats = split_values(args.format) or ["table"]
    for fmt in formats:
        comparison_file_name(fmt)  # an unknown format is a usage error before any file is read
    reports = [load_report(path) for path in args.reports]
    matrix = build_matrix(merge_reports(reports, args.reports), args.kind)
    files = comparison_files(matrix, [f for f in formats if f != "table"], output_dir(args))
    table = render_comparison(matrix, "table") if "table" in formats else None
    written = write_all(files) if files else []
    if not args.quiet:
        if table is not None:
            print(table)
        for path in written:
            print(f"wrote {path}")
    return EXIT_OK
