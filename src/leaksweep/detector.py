"""The detector: rules and targets in, findings out.

Pure by design: it never prints, reads configuration or touches the file system, so every
source (files, stdin, the index, commit ranges, history) gets the same answers from it.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from leaksweep.entropy import shannon
from leaksweep.globs import match_path
from leaksweep.model import CONFIDENCES, Dropped, Finding, Skipped, Target
from leaksweep.rules import Rule
from leaksweep.textpos import LineIndex
from leaksweep.validators import VALIDATORS

# git's own heuristic: a NUL byte in the first 8000 bytes means binary.
BINARY_SNIFF = 8000


def is_binary(content: bytes) -> bool:
    return b"\x00" in content[:BINARY_SNIFF]


def decode(content: bytes) -> str:
    # Replacement keeps one character per undecodable byte run, so line numbers stay right
    # and the ASCII secrets in latin-1 or broken UTF-8 files are still found.
    return content.decode("utf-8", "replace")


@dataclass
class Detection:
    findings: list[Finding] = field(default_factory=list)
    dropped: list[Dropped] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    skipped: Skipped | None = None
    rule_seconds: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class _Candidate:
    rule: Rule
    secret: str
    start: int  # secret span in the decoded text
    end: int
    match_text: str
    match_start: int


class Detector:
    """Runs rules over targets.

    ``timeout`` bounds the regex work of one rule on one target (seconds, plus ``timeout_per_mb``
    for each MB of text): a catastrophic pattern is cut off and reported in ``notes`` rather
    than allowed to hang a commit.
    """

    def __init__(
        self,
        rules: Sequence[Rule],
        timeout: float = 1.0,
        timeout_per_mb: float = 1.0,
        timing: bool = False,
    ) -> None:
        self.rules = list(rules)
        self.timeout = timeout
        self.timeout_per_mb = timeout_per_mb
        self.timing = timing
        self.keywords = sorted({kw for rule in self.rules for kw in rule.keywords})

    def scan(self, target: Target) -> Detection:
        result = Detection()
        if is_binary(target.content):
            result.skipped = Skipped(target.path, "binary", target.blob)
            return result
        text = decode(target.content)
        candidates = self._candidates(target, text, result)
        if not candidates:
            return result
        index = LineIndex(text)
        before = tuple(decode(b) for b in target.before)
        kept, lost = _resolve_overlaps(candidates)
        for cand, why in lost:
            result.dropped.append(Dropped(self._finding(target, cand, index), why))
        for cand in kept:
            finding = self._finding(target, cand, index)
            reason = self._rejection(cand, finding, index)
            if reason is None and any(cand.secret in old for old in before):
                reason = "already present in the earlier version"
            if reason is None:
                result.findings.append(finding)
            else:
                result.dropped.append(Dropped(finding, reason))
        return result

    def _candidates(self, target: Target, text: str, result: Detection) -> list[_Candidate]:
        lower = text.lower()
        present = {kw for kw in self.keywords if kw in lower}
        if not present:
            return []
        budget = self.timeout + self.timeout_per_mb * len(text) / 1_000_000
        out: list[_Candidate] = []
        for rule in self.rules:
            if not present.intersection(rule.keywords):
                continue
            if rule.paths and not match_path(target.path, rule.paths):
                continue
            started = time.perf_counter()
            try:
                for m in rule.pattern.finditer(text, timeout=budget):
                    secret = m.group(rule.secret_group)
                    if not secret:
                        continue
                    whole = m.group(0)
                    if not any(kw in whole.lower() for kw in rule.keywords):
                        continue
                    start, end = m.span(rule.secret_group)
                    out.append(_Candidate(rule, secret, start, end, whole, m.start()))
            except TimeoutError:
                result.notes.append(
                    f"rule {rule.id} exceeded its time budget ({budget:.1f}s) on {target.path}; "
                    "its results for that file may be incomplete"
                )
            if self.timing:
                took = time.perf_counter() - started
                result.rule_seconds[rule.id] = result.rule_seconds.get(rule.id, 0.0) + took
        return out

    def _finding(self, target: Target, cand: _Candidate, index: LineIndex) -> Finding:
        line, column = index.position(cand.start)
        end_line, end_column = index.position(max(cand.start, cand.end - 1))
        rule = cand.rule
        return Finding(
            rule_id=rule.id,
            rule_name=rule.name,
            severity=rule.severity,
            confidence=rule.confidence,
            path=target.path,
            line=line,
            column=column,
            end_line=end_line,
            end_column=end_column,
            secret=cand.secret,
            line_text=index.line_text(line, (cand.start, cand.end)),
            entropy=round(shannon(cand.secret), 3),
            blob=target.blob,
            commit=target.commit,
            origin=target.origin,
            tags=rule.tags,
        )

    def _rejection(self, cand: _Candidate, finding: Finding, index: LineIndex) -> str | None:
        """Why the rule's own filters drop this candidate, or None to keep it."""
        rule = cand.rule
        allow = rule.allow
        if allow.paths:
            pattern = match_path(finding.path, allow.paths)
            if pattern:
                return f"rule allow-list: path matches {pattern!r}"
        lowered = cand.secret.lower()
        for word in allow.stopwords:
            if word in lowered:
                return f"rule allow-list: stopword {word!r}"
        for entry in allow.regexes:
            subject = {"secret": cand.secret, "match": cand.match_text}.get(entry.target)
            if subject is None:
                subject = index.line_text(finding.line, limit=10_000)
            if entry.pattern.search(subject, timeout=self.timeout):
                return f"rule allow-list: {entry.target} matches /{entry.pattern.pattern}/"
        if rule.entropy is not None and finding.entropy < rule.entropy:
            return f"entropy {finding.entropy:.2f} below threshold {rule.entropy:.2f}"
        if rule.validate and not VALIDATORS[rule.validate](cand.secret):
            return f"failed validator {rule.validate}"
        return None


def _resolve_overlaps(
    candidates: list[_Candidate],
) -> tuple[list[_Candidate], list[tuple[_Candidate, str]]]:
    """One secret, one finding: a specific rule beats a generic one on overlapping spans, and
    among rules of the same kind the more confident (then earlier) rule wins an identical span."""

    def rank(c: _Candidate) -> tuple[int, int]:
        return (1 if c.rule.generic else 0, CONFIDENCES.index(c.rule.confidence))

    kept: list[_Candidate] = []
    lost: list[tuple[_Candidate, str]] = []
    for cand in sorted(candidates, key=rank):
        winner = next(
            (
                w
                for w in kept
                if cand.start < w.end
                and w.start < cand.end
                and ((cand.rule.generic and not w.rule.generic) or (cand.start, cand.end) == (w.start, w.end))
            ),
            None,
        )
        if winner is None:
            kept.append(cand)
        else:
            lost.append((cand, f"same secret already reported by rule {winner.rule.id}"))
    kept.sort(key=lambda c: (c.start, c.rule.id))
    return kept, lost
