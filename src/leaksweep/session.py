"""Runs the detector over what a source yields and gathers everything a reporter needs."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from leaksweep.detector import Detector
from leaksweep.model import Dropped, Finding, Skipped
from leaksweep.parallel import Scanned, Work, scan_items
from leaksweep.records import Record, field
from leaksweep.rules import Rule


class ScanResult(Record, frozen=False):
    rules: Sequence[Rule]
    findings: list[Finding] = field(default_factory=list)
    dropped: list[Dropped] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    targets: int = 0
    bytes: int = 0
    elapsed: float = 0.0
    rule_seconds: dict[str, float] = field(default_factory=dict)
    mode: str = "scan"
    # Wall-clock start (epoch seconds): reports take their timestamps from here, never from the
    # clock, so the same result always renders the same report.
    started: float = field(default_factory=time.time)
    # Suppression still to apply once findings are final (see cli.settings.suppress_after).
    pending_suppressor: object = field(default=None, repr=False)
    # True when the main report (jsonl to stdout) was written finding by finding during the scan.
    streamed: bool = False

    def rule(self, rule_id: str) -> Rule | None:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        return None


class Parallelism(Record):
    """How a scan may use worker processes (see :mod:`leaksweep.parallel`): ``jobs`` processes
    once there is enough to scan (or always, with ``force``); git work items are read in ``cwd``
    with ``max_size`` as the size limit."""

    jobs: int = 1
    force: bool = False
    cwd: str | Path | None = None
    max_size: int = 0


def run_scan(
    items: Iterable[Work],
    detector: Detector,
    mode: str = "scan",
    on_finding: Callable[[Finding], None] | None = None,
    on_progress: Callable[[int, int], None] | None = None,
    suppress: Callable[[Finding], str | None] | None = None,
    parallel: Parallelism | None = None,
    on_scanned: Callable[[Scanned], None] | None = None,
) -> ScanResult:
    """Scan every target; ``on_finding`` sees each finding as it is made (streamed reports) and
    ``on_progress`` gets (targets, bytes) so far after each target (the progress bar).

    ``suppress`` (inline markers, allowlist, baseline) says why a finding is to be dropped, or
    None; it runs before ``on_finding`` so a streamed report never shows a suppressed finding.

    ``items`` are targets, or git work items that are read where they are scanned; with
    ``parallel`` they are spread over worker processes, and the result is the same, in the same
    order. ``on_scanned`` sees each scanned target's detection (incremental audits remember the
    clean blobs)."""
    started = time.perf_counter()
    result = ScanResult(rules=detector.rules, mode=mode, started=time.time())
    how = parallel or Parallelism()
    for record in scan_items(detector, items, how.jobs, how.cwd, how.max_size, how.force):
        if isinstance(record, Skipped):
            result.skipped.append(record)
            continue
        if on_scanned is not None:
            on_scanned(record)
        detection = record.detection
        if detection.skipped is not None:
            result.skipped.append(detection.skipped)
            continue
        result.targets += 1
        result.bytes += record.size
        result.notes.extend(detection.notes)
        result.dropped.extend(detection.dropped)
        for rule_id, took in detection.rule_seconds.items():
            result.rule_seconds[rule_id] = result.rule_seconds.get(rule_id, 0.0) + took
        for finding in detection.findings:
            reason = suppress(finding) if suppress is not None else None
            if reason is not None:
                result.dropped.append(Dropped(finding, reason))
                continue
            result.findings.append(finding)
            if on_finding is not None:
                on_finding(finding)
        if on_progress is not None:
            on_progress(result.targets, result.bytes)
    result.elapsed = time.perf_counter() - started
    return result


def apply_suppression(result: ScanResult, suppress: Callable[[Finding], str | None]) -> None:
    """Filter findings after the fact (history attaches commits first, which allowlist entries
    may key on)."""
    kept = []
    for finding in result.findings:
        reason = suppress(finding)
        if reason is None:
            kept.append(finding)
        else:
            result.dropped.append(Dropped(finding, reason))
    result.findings = kept
