"""GitLab's secret-detection report (``artifacts:reports:secret_detection``), schema 15.0.7.

GitLab shows these in the merge request widget and the vulnerability report. The schema requires
``location.commit.sha`` even for a plain file scan; like GitLab's own analyzer we then write
``0000000``. Vulnerability ids are UUIDs derived from the fingerprint and place, so the same finding
keeps its id from one pipeline to the next.
"""

from __future__ import annotations

import json
import uuid
from typing import Any, TextIO

from leaksweep.model import Finding
from leaksweep.report.common import ReportOptions, json_text, safe_text, secret_for_output, utc_stamp
from leaksweep.session import ScanResult

SCHEMA_VERSION = "15.0.7"
NO_COMMIT = "0000000"
SEVERITY = {"critical": "Critical", "high": "High", "medium": "Medium", "low": "Low", "info": "Info"}
# A fixed namespace so ids are stable UUIDs (uuid5) rather than random ones.
_NAMESPACE = uuid.UUID("5d0c4a3e-6f1b-4b8e-9a57-2f4d2b1c9e10")


def vulnerability_id(finding: Finding) -> str:
    commit = finding.commit.sha if finding.commit is not None else ""
    key = f"{finding.fingerprint}\0{finding.path}\0{finding.line}\0{finding.column}\0{commit}"
    return str(uuid.uuid5(_NAMESPACE, key.encode("utf-8", "surrogateescape").decode("utf-8", "replace")))


def _vulnerability(finding: Finding, result: ScanResult, opts: ReportOptions) -> dict[str, Any]:
    rule = result.rule(finding.rule_id)
    secret = safe_text(secret_for_output(finding, opts.show_secrets))
    description = " ".join(rule.description.split()) if rule is not None else ""
    commit: dict[str, str] = {"sha": NO_COMMIT}
    if finding.commit is not None:
        c = finding.commit
        commit = {
            "author": safe_text(f"{c.author} <{c.email}>" if c.email else c.author),
            "date": safe_text(c.date),
            "message": safe_text(c.message),
            "sha": c.sha,
        }
    vuln: dict[str, Any] = {
        "id": vulnerability_id(finding),
        "category": "secret_detection",
        "name": safe_text(finding.rule_name)[:255],
        "description": safe_text(description or finding.rule_name),
        "severity": SEVERITY.get(finding.severity, "Unknown"),
        "confidence": finding.confidence.capitalize(),
        "raw_source_code_extract": secret,
        "scanner": {"id": "leaksweep", "name": "leaksweep"},
        "location": {
            "file": safe_text(finding.path),
            "start_line": finding.line,
            "end_line": finding.end_line,
            "commit": commit,
        },
        "identifiers": [
            {
                "type": "leaksweep_rule_id",
                "name": f"leaksweep rule {finding.rule_id}",
                "value": finding.rule_id,
            }
        ],
    }
    if rule is not None and rule.remediation.strip():
        vuln["solution"] = " ".join(rule.remediation.split())[:7000]
    return vuln


def gitlab_report(result: ScanResult, opts: ReportOptions) -> dict[str, Any]:
    tool = {
        "id": "leaksweep",
        "name": "leaksweep",
        "version": opts.tool_version,
        "vendor": {"name": "leaksweep"},
    }
    return {
        "version": SCHEMA_VERSION,
        "vulnerabilities": [_vulnerability(f, result, opts) for f in result.findings],
        "scan": {
            "analyzer": dict(tool),
            "scanner": dict(tool),
            "type": "secret_detection",
            "status": "success",
            "start_time": utc_stamp(result.started, zulu=False),
            "end_time": utc_stamp(result.started + result.elapsed, zulu=False),
            "messages": [{"level": "warn", "value": safe_text(note)} for note in result.notes]
            + [
                {"level": "warn", "value": safe_text(f"skipped {s.path}: {s.reason}")}
                for s in result.skipped
                if s.damaged
            ],
        },
    }


def write(result: ScanResult, opts: ReportOptions, out: TextIO) -> None:
    out.write(json_text(json.dumps(gitlab_report(result, opts), indent=2, ensure_ascii=False)))
    out.write("\n")
