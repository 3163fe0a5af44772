"""Proving rules against their own examples (``leaksweep rules check`` and the test suite)."""

from __future__ import annotations

from collections.abc import Sequence

from leaksweep.detector import Detector
from leaksweep.model import Target
from leaksweep.records import Record
from leaksweep.rules import Rule


class Problem(Record):
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


# ---------------------------------------------------------------- speed: lint and timing


def lint_rules(rules: Sequence[Rule]) -> list[Problem]:
    """Warnings about rules that will be slow: unbounded matches, unbounded lookarounds, no
    literal for Hyperscan to anchor on, keywords that are not part of the pattern's fixed text,
    and patterns Hyperscan takes only in prefilter mode (or not at all)."""
    from leaksweep.matching import NONE, PREFILTER, analyse_all, compile_rules, hyperscan_import

    analyses = analyse_all([r.regex for r in rules])
    modes: Sequence[str] = ()
    if hyperscan_import()[0] is not None:
        try:
            modes = compile_rules(analyses, [r.id for r in rules], [r.keywords for r in rules]).modes
        except Exception:  # a database error is reported rule by rule below
            modes = ()
    problems: list[Problem] = []

    def warn(rule: Rule, message: str) -> None:
        problems.append(Problem(rule, message, warning=True))

    for index, (rule, analysis) in enumerate(zip(rules, analyses, strict=True)):
        if analysis.prefix is None:
            warn(
                rule,
                f"slow: Hyperscan cannot prefilter it ({analysis.note}); it runs wherever a keyword occurs. "
                "Put a literal of three or more characters that every match contains in the pattern",
            )
        elif not analysis.implies_keyword(rule.keywords):
            bare = next(s for s in analysis.samples if not any(kw in s for kw in rule.keywords))
            shown = bare.replace("\0", "…")[:40]
            warn(
                rule,
                f"slow: the pattern can start {shown!r} with none of the keywords in it, so the keyword gate "
                "does not narrow where it runs (and such a match is never reported); add the keyword, or "
                "make the pattern's fixed text contain one",
            )
        if analysis.width is None:
            warn(
                rule,
                "slow: matches have no bounded width (an unbounded repeat such as \\s*, + or {n,}); "
                "bound every repetition ({0,5}, {20,64}) so it can be run on a window",
            )
        if analysis.reach is None:
            warn(rule, "slow: a lookaround with unbounded width; bound it ({0,40} rather than *)")
        if index < len(modes) and modes[index] == PREFILTER:
            warn(rule, "slow: Hyperscan accepts the pattern only in prefilter mode")
        elif index < len(modes) and modes[index] == NONE and analysis.prefix is not None:
            warn(rule, "slow: Hyperscan refuses the pattern; it runs wherever a keyword occurs")
    return problems


class RuleTime(Record):
    rule: Rule
    seconds: float  # the rule's regex work with candidate windows (what a scan pays)
    plain_seconds: float  # the same rule run over every file that holds a keyword


def sample_targets(paths: Sequence[str] = (), limit: int = 8 * 1024 * 1024) -> list[Target]:
    """Text to time rules on: the given files and folders, else the standard library's modules."""
    import sysconfig
    from pathlib import Path

    roots = [Path(p) for p in paths] or [Path(sysconfig.get_paths()["stdlib"])]
    out: list[Target] = []
    size = 0
    for root in roots:
        files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
        for path in files:
            if path.suffix in (".pyc", ".so") or size >= limit:
                continue
            try:
                content = path.read_bytes()[:1_000_000]
            except OSError:
                continue
            out.append(Target(path=str(path), content=content))
            size += len(content)
    return out


def time_rules(rules: Sequence[Rule], sample: Sequence[Target], backend: str = "auto") -> list[RuleTime]:
    """Each rule's regex time on ``sample``, in a real scan and in a plain run-every-rule scan,
    slowest first."""
    fast = Detector(rules, timing=True, backend="hyperscan" if backend == "auto" else backend)
    plain = Detector(rules, timing=True, backend="plain")
    spent: dict[str, float] = {}
    spent_plain: dict[str, float] = {}
    for target in sample:
        for rule_id, took in fast.scan(target).rule_seconds.items():
            spent[rule_id] = spent.get(rule_id, 0.0) + took
        for rule_id, took in plain.scan(target).rule_seconds.items():
            spent_plain[rule_id] = spent_plain.get(rule_id, 0.0) + took
    times = [RuleTime(r, spent.get(r.id, 0.0), spent_plain.get(r.id, 0.0)) for r in rules]
    return sorted(times, key=lambda t: (-t.seconds, -t.plain_seconds, t.rule.id))
