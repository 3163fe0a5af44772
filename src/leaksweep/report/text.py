"""The human report: one block per finding, then a summary line."""

from __future__ import annotations

from collections import Counter
from typing import TextIO

from leaksweep.model import SEVERITIES
from leaksweep.report.common import ReportOptions, human_bytes, masked_line, printable
from leaksweep.session import ScanResult

COLORS = {
    "critical": "\033[1;31m",
    "high": "\033[31m",
    "medium": "\033[33m",
    "low": "\033[36m",
    "info": "\033[37m",
}
RESET = "\033[0m"


def _paint(text: str, severity: str, opts: ReportOptions) -> str:
    return f"{COLORS[severity]}{text}{RESET}" if opts.color else text


def summary(result: ScanResult) -> str:
    counts = Counter(f.severity for f in result.findings)
    by_sev = ", ".join(f"{counts[s]} {s}" for s in SEVERITIES if counts[s])
    noun = "secret" if len(result.findings) == 1 else "secrets"
    head = f"{len(result.findings)} {noun} found" + (f" ({by_sev})" if by_sev else "")
    unit = "files" if result.mode in ("scan", "staged") else "blobs"
    tail = f"{result.targets} {unit} ({human_bytes(result.bytes)}) scanned in {result.elapsed:.2f}s"
    if result.skipped:
        tail += f", {len(result.skipped)} skipped"
    return f"{head}; {tail}."


def write(result: ScanResult, opts: ReportOptions, out: TextIO) -> None:
    if opts.verbose >= 0:
        for f in result.findings:
            rule = result.rule(f.rule_id)
            out.write(_paint(f"{f.severity.upper():8}", f.severity, opts) + f" {f.rule_name} ({f.rule_id})\n")
            out.write(f"  at   {printable(f.path)}:{f.line}:{f.column}\n")
            if f.commit is not None:
                out.write(
                    f"  in   commit {f.commit.sha[:12]} by {printable(f.commit.author)}"
                    f" on {f.commit.date[:10]}\n"
                )
            out.write(f"  line {printable(masked_line(f, opts.show_secrets)).strip()}\n")
            if opts.show_secrets:
                out.write(f"  secret {printable(f.secret)}\n")
            out.write(f"  id   {f.fingerprint}\n")
            if rule is not None:
                out.write(f"  fix  {printable(rule.remediation.strip().splitlines()[0])}\n")
            out.write("\n")
        for skipped in result.skipped:
            if skipped.reason != "binary" or opts.verbose > 0:
                out.write(f"skipped {printable(skipped.path)}: {skipped.reason}\n")
        for note in result.notes:
            out.write(f"warning: {printable(note)}\n")
        if opts.show_suppressed or opts.verbose > 0:
            for dropped in result.dropped:
                f = dropped.finding
                out.write(
                    f"suppressed {f.rule_id} at {printable(f.path)}:{f.line}: {printable(dropped.reason)}\n"
                )
        if opts.verbose > 0 and result.rule_seconds:
            slowest = sorted(result.rule_seconds.items(), key=lambda kv: -kv[1])[:10]
            out.write("slowest rules: " + ", ".join(f"{r} {s * 1000:.1f}ms" for r, s in slowest) + "\n")
    out.write(summary(result) + "\n")
