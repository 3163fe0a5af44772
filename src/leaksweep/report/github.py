"""GitHub Actions workflow commands: one ``::error``/``::warning``/``::notice`` line per finding.

The runner turns these into annotations on the pull request's diff. Everything taken from scanned
content is escaped the way the runner's own toolkit does (``%``, CR and LF in the message; also
``:`` and ``,`` in properties), so a file name holding a newline cannot start a line of its own and
inject a workflow command such as ``::add-mask::`` or ``::stop-commands::``.
"""

from __future__ import annotations

from typing import TextIO

from leaksweep.model import Finding
from leaksweep.report.common import ReportOptions, printable, safe_text, secret_for_output
from leaksweep.session import ScanResult

COMMANDS = {"critical": "error", "high": "error", "medium": "warning", "low": "notice", "info": "notice"}


def escape_data(text: str) -> str:
    return safe_text(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(finding: Finding, result: ScanResult, opts: ReportOptions) -> str:
    command = COMMANDS.get(finding.severity, "warning")
    props = {
        "file": finding.path,
        "line": str(finding.line),
        "col": str(finding.column),
        "endLine": str(finding.end_line),
        "endColumn": str(finding.end_column),
        "title": f"leaksweep: {finding.rule_name} ({finding.rule_id})",
    }
    # printable() too: the job log renders terminal escapes, and a name holding one is hostile.
    properties = ",".join(f"{key}={escape_property(printable(value))}" for key, value in props.items())
    message = f"{finding.severity} secret {secret_for_output(finding, opts.show_secrets)}"
    if finding.commit is not None:
        message += f" in commit {finding.commit.sha[:12]}"
    rule = result.rule(finding.rule_id)
    if rule is not None and rule.remediation.strip():
        message += ". Fix: " + " ".join(rule.remediation.split())
    # The message is printed to the job log too: escape terminal controls there as well.
    return f"::{command} {properties}::{escape_data(printable(message))}\n"


def write(result: ScanResult, opts: ReportOptions, out: TextIO) -> None:
    for finding in result.findings:
        out.write(annotation(finding, result, opts))
