"""Proving rules against their own examples (``leaksweep rules check`` and the test suite)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from leaksweep.detector import Detector
from leaksweep.model import Target
from leaksweep.rules import Rule


@dataclass(frozen=True)
class Problem:
    rule: Rule
    message: str
    line: int | None = None
    warning: bool = False

    def render(self) -> str:
        where = self.rule.source.rsplit(":", 1)[0] + f":{self.line}" if self.line else self.rule.source
        kind = "warning" if self.warning else "error"
        return f"{where}: rule {self.rule.id}: {kind}: {self.message}"


def check_rule(rule: Rule, strict: bool = False, backend: str = "auto") -> list[Problem]:
    """Every example yields its secret, no negative example matches.

    ``strict`` (built-in packs) also demands two examples and one negative example per rule.
    ``backend`` picks the matching backend (the test suite checks every rule under each).
    """
    problems: list[Problem] = []
    detector = Detector([rule], timeout=2.0, backend=backend)
    for example in rule.examples:
        found = detector.scan(Target(path=_example_path(rule), content=example.text.encode()))
        secrets = [f.secret for f in found.findings]
        if example.secret not in secrets:
            why = ""
            if found.dropped:
                why = f" (dropped: {found.dropped[0].reason})"
            got = f"found {[_short(s) for s in secrets]}" if secrets else "found nothing"
            problems.append(
                Problem(
                    rule, f"example does not yield secret {_short(example.secret)}: {got}{why}", example.line
                )
            )
        for note in found.notes:
            problems.append(Problem(rule, note, example.line))
    for text, line in rule.negative_examples:
        found = detector.scan(Target(path=_example_path(rule), content=text.encode()))
        if found.findings:
            problems.append(
                Problem(rule, f"negative example matches: secret {_short(found.findings[0].secret)}", line)
            )
    if strict:
        if len(rule.examples) < 2:
            problems.append(Problem(rule, "needs at least two examples"))
        if not rule.negative_examples:
            problems.append(Problem(rule, "needs at least one negative example"))
    elif not rule.examples:
        problems.append(Problem(rule, "has no examples, so nothing proves it works", warning=True))
    return problems


def check_rules(rules: Sequence[Rule], strict: bool = False) -> list[Problem]:
    return [p for rule in rules for p in check_rule(rule, strict)]


def _example_path(rule: Rule) -> str:
    """A path that satisfies the rule's ``paths`` scope, so scoped rules can be checked too."""
    if not rule.paths:
        return "example.txt"
    pattern = rule.paths[0].lstrip("/")
    return pattern.replace("**/", "").replace("**", "x").replace("*", "example").replace("?", "x")


def _short(secret: str) -> str:
    return repr(secret if len(secret) <= 48 else secret[:45] + "...")
