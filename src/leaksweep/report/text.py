"""The human report: one block per distinct secret listing every place it was seen, then a summary.

A key pasted into twelve files is one problem with twelve places to clean up, so findings are
grouped by fingerprint (rule + secret) rather than printed twelve times. Each place shows the line
with the secret masked and marked: underlined when colour is on, with ``^^^^`` under it when not
(so the marker survives a log file or a pipe).
"""

from __future__ import annotations

from collections import Counter

from leaksweep.model import SEVERITIES, Finding, redact
from leaksweep.records import Record, field
from leaksweep.report.common import (
    ReportOptions,
    display_width,
    human_bytes,
    in_head,
    other_paths,
    printable,
    severity_rank,
)
from leaksweep.session import ScanResult

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (see records.py)
if TYPE_CHECKING:
    from typing import TextIO

COLORS = {
    "critical": "\033[1;31m",
    "high": "\033[31m",
    "medium": "\033[33m",
    "low": "\033[36m",
    "info": "\033[37m",
}
RESET = "\033[0m"
BOLD = "\033[1m"
DIM = "\033[2m"
UNDERLINE, NO_UNDERLINE = "\033[4m", "\033[24m"
# Long (minified) lines are cut around the secret so one finding stays one screen line.
BEFORE_MAX = 60
AFTER_MAX = 40


def _paint(text: str, code: str, opts: ReportOptions) -> str:
    return f"{code}{text}{RESET}" if opts.color else text


def summary(result: ScanResult) -> str:
    counts = Counter(f.severity for f in result.findings)
    by_sev = ", ".join(f"{counts[s]} {s}" for s in SEVERITIES if counts[s])
    noun = "secret" if len(result.findings) == 1 else "secrets"
    head = f"{len(result.findings)} {noun} found" + (f" ({by_sev})" if by_sev else "")
    distinct = len({f.fingerprint for f in result.findings})
    if distinct != len(result.findings):
        head += f" in {distinct} distinct value" + ("" if distinct == 1 else "s")
    unit = "file" if result.mode in ("scan", "staged") else "blob"
    unit += "" if result.targets == 1 else "s"
    tail = f"{result.targets} {unit} ({human_bytes(result.bytes)}) scanned in {result.elapsed:.2f}s"
    if result.skipped:
        tail += f", {len(result.skipped)} skipped"
    return f"{head}; {tail}."


class Group(Record, frozen=False):
    """One distinct secret (rule + value) and every finding of it."""

    first: Finding
    places: list[Finding] = field(default_factory=list)


def group_findings(findings: list[Finding]) -> list[Group]:
    """Findings grouped by fingerprint, worst severity first, then in the order found."""
    groups: dict[str, Group] = {}
    for finding in findings:
        group = groups.setdefault(finding.fingerprint, Group(finding))
        group.places.append(finding)
    return sorted(groups.values(), key=lambda g: severity_rank(g.first.severity))


def _display(text: str) -> str:
    # Tabs become one space so the marker line below stays aligned; everything else that
    # could move the cursor or forge a line is escaped.
    return printable(text.replace("\t", " "))


def marked_line(finding: Finding, opts: ReportOptions) -> tuple[str, str | None]:
    """The finding's line for display, secret masked (unless --show-secrets) and marked.

    Returns (line, marker): with colour the secret is underlined in ``line`` and ``marker`` is
    None; without, ``marker`` is a line of spaces and ``^`` to print under it, or None when the
    secret is not literally on the line (found decoded, e.g. inside base64)."""
    secret = finding.secret
    first = secret.splitlines()[0] if secret else ""
    line = finding.line_text
    masked = redact(secret)
    at = line.find(first) if first else -1
    if at < 0:
        shown_line = line if opts.show_secrets or not first else line.replace(first, masked)
        return _display(shown_line.strip()), None
    before, after = line[:at], line[at + len(first) :]
    shown = first if opts.show_secrets else masked
    if not opts.show_secrets:
        before, after = before.replace(first, masked), after.replace(first, masked)
    before = before.lstrip()
    if len(before) > BEFORE_MAX:
        before = "..." + before[-(BEFORE_MAX - 3) :]
    after = after.rstrip()
    if len(after) > AFTER_MAX:
        after = after[: AFTER_MAX - 3] + "..."
    before_s, shown_s, after_s = _display(before), _display(shown), _display(after)
    if opts.color:
        return f"{before_s}{UNDERLINE}{shown_s}{NO_UNDERLINE}{after_s}", None
    marker = " " * display_width(before_s) + "^" * max(1, display_width(shown_s))
    return before_s + shown_s + after_s, marker


def _where(finding: Finding, opts: ReportOptions) -> str:
    text = f"{printable(finding.path)}:{finding.line}:{finding.column}"
    if finding.commit is not None:
        c = finding.commit
        text += f"  commit {c.sha[:12]}"
        if c.author:
            text += f" by {printable(c.author)}"
        if c.date:
            text += f" on {printable(c.date[:10])}"
    head = in_head(finding)
    if head is not None:
        text += "  (still at HEAD)" if head else "  (no longer at HEAD)"
    if finding.decoded:
        text += f"  (decoded from {printable(finding.decoded)})"
    return _paint(text, BOLD, opts)


def _write_group(group: Group, result: ScanResult, opts: ReportOptions, out: TextIO) -> None:
    f = group.first
    count = len(group.places)
    header = _paint(f"{f.severity.upper():8}", COLORS.get(f.severity, ""), opts)
    out.write(f"{header} {printable(f.rule_name)} ({printable(f.rule_id)})\n")
    secret = printable(redact(f.secret, opts.show_secrets))
    places = f"{count} places" if count > 1 else "1 place"
    out.write(f"  secret {secret}   id {f.fingerprint}   {places}\n")
    for place in group.places:
        out.write(f"  at {_where(place, opts)}\n")
        line, marker = marked_line(place, opts)
        if line:
            out.write(f"       {line}\n")
            if marker is not None:
                out.write(f"       {marker}\n")
        also = other_paths(place)
        if also:
            out.write("       also at " + ", ".join(printable(p) for p in also) + "\n")
    rule = result.rule(f.rule_id)
    if rule is not None and rule.remediation.strip():
        out.write(f"  fix    {printable(' '.join(rule.remediation.split()))}\n")
    out.write("\n")


def write(result: ScanResult, opts: ReportOptions, out: TextIO) -> None:
    if opts.verbose >= 0:
        for group in group_findings(result.findings):
            _write_group(group, result, opts, out)
        for skipped in result.skipped:
            if skipped.reason != "binary" or opts.verbose > 0:
                out.write(f"skipped {printable(skipped.path)}: {printable(skipped.reason)}\n")
        for note in result.notes:
            out.write(_paint("warning:", COLORS["medium"], opts) + f" {printable(note)}\n")
        if opts.show_suppressed or opts.verbose > 0:
            for dropped in result.dropped:
                d = dropped.finding
                where = f"{printable(d.path)}:{d.line}"
                out.write(
                    _paint("suppressed", DIM, opts)
                    + f" {printable(d.rule_id)} at {where}: {printable(dropped.reason)}\n"
                )
        if opts.verbose > 0 and result.rule_seconds:
            slowest = sorted(result.rule_seconds.items(), key=lambda kv: -kv[1])[:10]
            out.write("slowest rules: " + ", ".join(f"{r} {s * 1000:.1f}ms" for r, s in slowest) + "\n")
    out.write(summary(result) + "\n")
