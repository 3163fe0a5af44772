"""JSON: a list of finding objects (secrets redacted unless --show-secrets)."""

from __future__ import annotations

import json
from typing import Any, TextIO

from leaksweep.model import Finding
from leaksweep.report.common import ReportOptions, json_text, safe_text, secret_for_output
from leaksweep.session import ScanResult


def finding_dict(f: Finding, result: ScanResult, show: bool) -> dict[str, Any]:
    rule = result.rule(f.rule_id)
    out: dict[str, Any] = {
        "rule_id": f.rule_id,
        "rule_name": f.rule_name,
        "severity": f.severity,
        "confidence": f.confidence,
        "path": safe_text(f.path),
        "line": f.line,
        "column": f.column,
        "end_line": f.end_line,
        "end_column": f.end_column,
        "secret": secret_for_output(f, show),
        "redacted": not show,
        "fingerprint": f.fingerprint,
        "entropy": f.entropy,
        "tags": list(f.tags),
    }
    if f.blob:
        out["blob"] = f.blob
    if f.decoded:
        out["decoded"] = f.decoded
    if f.commit is not None:
        out.update(
            {
                "commit": f.commit.sha,
                "author": f.commit.author,
                "email": f.commit.email,
                "date": f.commit.date,
                "message": f.commit.message,
            }
        )
    if f.in_head is not None:  # history audits
        out["other_paths"] = [safe_text(p) for p in f.other_paths]
        out["in_head"] = f.in_head
    for key, value in f.extra:
        out[key] = value
    if rule is not None:
        out["remediation"] = rule.remediation.strip()
    return out


def write(result: ScanResult, opts: ReportOptions, out: TextIO) -> None:
    data = [finding_dict(f, result, opts.show_secrets) for f in result.findings]
    out.write(json_text(json.dumps(data, indent=2, ensure_ascii=False)))
    out.write("\n")
