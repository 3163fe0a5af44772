"""SARIF 2.1.0: the format code-scanning dashboards (GitHub, Azure DevOps, IDE viewers) read.

One run; the rules the scan used in ``tool.driver.rules`` with help text carrying the remediation;
one result per finding with a physical location, the leaksweep fingerprint as a partial
fingerprint (so a dashboard keeps one alert per secret across pushes), and the commit where the
finding came from git. Secrets appear only redacted unless --show-secrets.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, TextIO

from leaksweep.model import Dropped, Finding
from leaksweep.report.common import (
    ReportOptions,
    in_head,
    json_text,
    other_paths,
    safe_text,
    secret_for_output,
    uri_path,
    utc_stamp,
)
from leaksweep.rules import Rule
from leaksweep.session import ScanResult

SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
FINGERPRINT_KEY = "leaksweep/v1"
LEVELS = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}
# GitHub code scanning ranks alerts by this score (>= 9.0 critical, 7.0-8.9 high, 4.0-6.9 medium,
# 0.1-3.9 low); other viewers ignore it.
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "2.0", "info": "0.1"}


def level(severity: str) -> str:
    return LEVELS.get(severity, "warning")


def _rule_descriptor(rule: Rule) -> dict[str, Any]:
    description = " ".join(rule.description.split()) or rule.name
    remediation = " ".join(rule.remediation.split())
    return {
        "id": rule.id,
        "name": rule.name,
        "shortDescription": {"text": rule.name},
        "fullDescription": {"text": description},
        "help": {
            "text": f"{description}\n\nRemediation: {remediation}",
            "markdown": f"**{rule.name}**\n\n{description}\n\n**Remediation:** {remediation}",
        },
        "defaultConfiguration": {"level": level(rule.severity)},
        "properties": {
            "tags": list(dict.fromkeys(["security", "secret", *rule.tags])),
            "severity": rule.severity,
            "confidence": rule.confidence,
            "precision": rule.confidence,
            "security-severity": SECURITY_SEVERITY.get(rule.severity, "5.5"),
        },
    }


def _stand_in_descriptor(finding: Finding) -> dict[str, Any]:
    """A descriptor for a finding whose rule the result does not list (every ruleId should
    resolve in the driver's rules for viewers to show its help)."""
    return {
        "id": finding.rule_id,
        "name": safe_text(finding.rule_name),
        "shortDescription": {"text": safe_text(finding.rule_name)},
        "defaultConfiguration": {"level": level(finding.severity)},
        "properties": {"tags": ["security", "secret"], "severity": finding.severity},
    }


def _commit(finding: Finding) -> dict[str, str] | None:
    if finding.commit is None:
        return None
    c = finding.commit
    return {
        "sha": c.sha,
        "author": safe_text(c.author),
        "email": safe_text(c.email),
        "date": safe_text(c.date),
        "message": safe_text(c.message),
    }


def _result(finding: Finding, index: int | None, opts: ReportOptions) -> dict[str, Any]:
    secret = safe_text(secret_for_output(finding, opts.show_secrets))
    text = f"{safe_text(finding.rule_name)} found: {secret}"
    if finding.commit is not None:
        text += f" (commit {finding.commit.sha[:12]})"
    region = {
        "startLine": finding.line,
        "startColumn": finding.column,
        "endLine": finding.end_line,
        # SARIF's endColumn is the column after the region; Finding.end_column is inclusive.
        "endColumn": finding.end_column + 1,
    }
    properties: dict[str, Any] = {
        "severity": finding.severity,
        "confidence": finding.confidence,
        "tags": list(dict.fromkeys(finding.tags)),
        "fingerprint": finding.fingerprint,
        "redacted": not opts.show_secrets,
    }
    commit = _commit(finding)
    if commit is not None:
        properties["commit"] = commit
    if finding.blob:
        properties["blob"] = finding.blob
    if finding.decoded:
        properties["decoded"] = finding.decoded
    head = in_head(finding)
    if head is not None:
        properties["inHead"] = head
    also = other_paths(finding)
    if also:
        properties["otherPaths"] = [safe_text(p) for p in also]
    out: dict[str, Any] = {"ruleId": finding.rule_id}
    if index is not None:
        out["ruleIndex"] = index
    out.update(
        {
            "level": level(finding.severity),
            "message": {"text": text},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": uri_path(finding.path)},
                        "region": region,
                    }
                }
            ],
            "partialFingerprints": {FINGERPRINT_KEY: finding.fingerprint},
            "properties": properties,
        }
    )
    return out


def _provenance(findings: Sequence[Finding], opts: ReportOptions) -> list[dict[str, str]]:
    """One entry per commit the findings came from (the schema requires the repository URI, so
    none without it)."""
    if not opts.repository_uri:
        return []
    shas = dict.fromkeys(f.commit.sha for f in findings if f.commit is not None)
    return [{"repositoryUri": opts.repository_uri, "revisionId": sha} for sha in shas]


def sarif_log(result: ScanResult, opts: ReportOptions) -> dict[str, Any]:
    rules: list[dict[str, Any]] = []
    index: dict[str, int] = {}
    for rule in result.rules:
        if rule.id not in index:
            index[rule.id] = len(rules)
            rules.append(_rule_descriptor(rule))
    dropped: list[Dropped] = list(result.dropped) if opts.show_suppressed else []
    for finding in [*result.findings, *(d.finding for d in dropped)]:
        if finding.rule_id not in index:
            index[finding.rule_id] = len(rules)
            rules.append(_stand_in_descriptor(finding))

    results = [_result(f, index.get(f.rule_id), opts) for f in result.findings]
    for d in dropped:
        suppressed = _result(d.finding, index.get(d.finding.rule_id), opts)
        suppressed["suppressions"] = [{"kind": "external", "justification": safe_text(d.reason)}]
        results.append(suppressed)

    invocation: dict[str, Any] = {
        "executionSuccessful": True,
        "startTimeUtc": utc_stamp(result.started),
        "endTimeUtc": utc_stamp(result.started + result.elapsed),
    }
    notifications = [{"level": "warning", "message": {"text": safe_text(note)}} for note in result.notes]
    # Content that could not be read is named one by one: the scan of it is missing.
    notifications += [
        {"level": "error", "message": {"text": safe_text(f"skipped {s.path}: {s.reason}")}}
        for s in result.skipped
        if s.damaged
    ]
    if notifications:
        invocation["toolExecutionNotifications"] = notifications
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "leaksweep",
                "version": opts.tool_version,
                "semanticVersion": opts.tool_version,
                "rules": rules,
            }
        },
        "invocations": [invocation],
        "columnKind": "unicodeCodePoints",
        "results": results,
        "properties": {"mode": result.mode, "targets": result.targets, "bytes": result.bytes},
    }
    provenance = _provenance(result.findings, opts)
    if provenance:
        run["versionControlProvenance"] = provenance
    return {"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}


def write(result: ScanResult, opts: ReportOptions, out: TextIO) -> None:
    out.write(json_text(json.dumps(sarif_log(result, opts), indent=2, ensure_ascii=False)))
    out.write("\n")
