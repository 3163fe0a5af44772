"""JSON Lines: one finding object per line (the ``json`` format's objects), streamable.

``write_finding`` is what the CLI calls as each finding is made, so a consumer can act on the
first secret while a long audit is still running. Output is ASCII-only JSON: U+2028 and other
characters that some line splitters treat as line breaks arrive escaped, so one finding is always
exactly one line.
"""

from __future__ import annotations

import json
from typing import TextIO

from leaksweep.model import Finding
from leaksweep.report.common import ReportOptions, scrub_commits
from leaksweep.report.json_report import finding_dict
from leaksweep.session import ScanResult


def line(finding: Finding, result: ScanResult, opts: ReportOptions) -> str:
    return json.dumps(finding_dict(finding, result, opts.show_secrets), ensure_ascii=True) + "\n"


def write_finding(finding: Finding, result: ScanResult, opts: ReportOptions, out: TextIO) -> None:
    # Streamed one at a time, before the report wrapper sees them: scrub this one's commit here.
    (finding,) = scrub_commits([finding], opts.show_secrets, rules=result.rules)
    out.write(line(finding, result, opts))
    out.flush()


def write(result: ScanResult, opts: ReportOptions, out: TextIO) -> None:
    for finding in result.findings:
        out.write(line(finding, result, opts))
