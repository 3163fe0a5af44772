"""JUnit XML: one failing test case per finding, for CI test-report panes (GitLab, Jenkins, Azure).

A clean scan still writes one passing test case, because several CI systems treat a report with no
test cases as a broken job rather than a green one. Names are escaped for XML 1.0 (which cannot
carry most control characters at all) by :func:`xml_text`; ElementTree escapes markup.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import TextIO

from leaksweep.model import Finding
from leaksweep.report.common import ReportOptions, masked_line, secret_for_output, utc_stamp, xml_text
from leaksweep.session import ScanResult


def _case(finding: Finding, result: ScanResult, opts: ReportOptions) -> ET.Element:
    place = f"{finding.path}:{finding.line}:{finding.column}"
    case = ET.Element(
        "testcase",
        {
            "classname": f"leaksweep.{finding.rule_id}",
            "name": xml_text(f"{finding.rule_id} at {place}"),
            "file": xml_text(finding.path),
            "line": str(finding.line),
            "time": "0",
        },
    )
    secret = secret_for_output(finding, opts.show_secrets)
    failure = ET.SubElement(
        case,
        "failure",
        {
            "type": finding.severity,
            "message": xml_text(f"{finding.rule_name} ({finding.severity}): {secret}"),
        },
    )
    lines = [
        f"rule:        {finding.rule_id} ({finding.rule_name})",
        f"severity:    {finding.severity}, confidence {finding.confidence}",
        f"location:    {place}",
        f"secret:      {secret}",
        f"line:        {masked_line(finding, opts.show_secrets).strip()}",
        f"fingerprint: {finding.fingerprint}",
    ]
    if finding.commit is not None:
        c = finding.commit
        lines.append(f"commit:      {c.sha} by {c.author} on {c.date}")
    rule = result.rule(finding.rule_id)
    if rule is not None and rule.remediation.strip():
        lines.append(f"remediation: {' '.join(rule.remediation.split())}")
    # Each line is escaped on its own so the report keeps its line breaks but no hostile ones.
    failure.text = "\n".join(xml_text(line) for line in lines)
    return case


def junit_tree(result: ScanResult, opts: ReportOptions) -> ET.Element:
    cases = [_case(f, result, opts) for f in result.findings]
    if not cases:
        cases = [ET.Element("testcase", {"classname": "leaksweep", "name": "no secrets found", "time": "0"})]
    elapsed = f"{result.elapsed:.3f}"
    suite = ET.Element(
        "testsuite",
        {
            "name": "leaksweep",
            "tests": str(len(cases)),
            "failures": str(len(result.findings)),
            "errors": "0",
            "skipped": "0",
            "time": elapsed,
            "timestamp": utc_stamp(result.started, zulu=False),
        },
    )
    suite.extend(cases)
    root = ET.Element(
        "testsuites",
        {
            "name": "leaksweep",
            "tests": suite.get("tests", "0"),
            "failures": suite.get("failures", "0"),
            "errors": "0",
            "time": elapsed,
        },
    )
    root.append(suite)
    return root


def write(result: ScanResult, opts: ReportOptions, out: TextIO) -> None:
    tree = junit_tree(result, opts)
    ET.indent(tree, space="  ")
    out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    out.write(ET.tostring(tree, encoding="unicode"))
    out.write("\n")
