"""CSV: one row per finding, for spreadsheets and ad-hoc scripts.

Text fields pass through :func:`printable`, so a newline or escape code in a file name becomes
``\\x0a``/``\\x1b`` and every finding stays exactly one line (friendlier to grep than RFC 4180's
quoted multi-line cells). A cell that a spreadsheet would run as a formula (``=``, ``+``, ``-``,
``@`` first) gets a leading ``'``: a hostile file name must not become code in the reader's
spreadsheet.
"""

from __future__ import annotations

import csv
from typing import TextIO

from leaksweep.model import Finding
from leaksweep.report.common import ReportOptions, printable, secret_for_output
from leaksweep.session import ScanResult

COLUMNS = (
    "severity",
    "confidence",
    "rule_id",
    "rule_name",
    "path",
    "line",
    "column",
    "end_line",
    "end_column",
    "secret",
    "fingerprint",
    "commit",
    "author",
    "date",
    "blob",
)
_FORMULA = ("=", "+", "-", "@")


def cell(text: str) -> str:
    text = printable(text)
    return "'" + text if text.startswith(_FORMULA) else text


def row(finding: Finding, opts: ReportOptions) -> list[str]:
    c = finding.commit
    values = [
        finding.severity,
        finding.confidence,
        finding.rule_id,
        finding.rule_name,
        finding.path,
        str(finding.line),
        str(finding.column),
        str(finding.end_line),
        str(finding.end_column),
        secret_for_output(finding, opts.show_secrets),
        finding.fingerprint,
        c.sha if c else "",
        c.author if c else "",
        c.date if c else "",
        finding.blob or "",
    ]
    return [cell(v) for v in values]


def write(result: ScanResult, opts: ReportOptions, out: TextIO) -> None:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for finding in result.findings:
        writer.writerow(row(finding, opts))
