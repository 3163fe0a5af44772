"""``leaksweep rules``: list, show and check rule packs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from leaksweep.cli.common import load_selected_rules, rule_options
from leaksweep.errors import EXIT_CLEAN, EXIT_FINDINGS, LeaksweepError
from leaksweep.rulecheck import check_rules
from leaksweep.rules import Rule, builtin_rules_dir, load_pack, load_rules


@click.group()
def rules() -> None:
    """Inspect and check rule packs."""


def _rule_dict(rule: Rule) -> dict[str, Any]:
    return {
        "id": rule.id,
        "name": rule.name,
        "severity": rule.severity,
        "confidence": rule.confidence,
        "tags": list(rule.tags),
        "keywords": list(rule.keywords),
        "entropy": rule.entropy,
        "description": rule.description,
        "remediation": rule.remediation,
        "source": rule.source,
        "validate": rule.validate,
        "paths": list(rule.paths),
        "regex": rule.regex,
    }


@rules.command("list")
@rule_options
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
def list_rules(rule_packs: tuple[Path, ...], no_builtin: bool, disable: tuple[str, ...], fmt: str) -> int:
    """List the rules that a scan would run."""
    selected = load_selected_rules(rule_packs, no_builtin, disable)
    if fmt == "json":
        click.echo(json.dumps([_rule_dict(r) for r in selected], indent=2))
        return EXIT_CLEAN
    width = max(len(r.id) for r in selected)
    for rule in selected:
        click.echo(f"{rule.id:{width}}  {rule.severity:8}  {rule.name}")
    click.echo(f"{len(selected)} rules")
    return EXIT_CLEAN


@rules.command("show")
@click.argument("rule_id")
@rule_options
def show(rule_id: str, rule_packs: tuple[Path, ...], no_builtin: bool, disable: tuple[str, ...]) -> int:
    """Show one rule in full."""
    for rule in load_selected_rules(rule_packs, no_builtin, disable):
        if rule.id == rule_id:
            for key, value in _rule_dict(rule).items():
                click.echo(f"{key}: {value}")
            return EXIT_CLEAN
    raise LeaksweepError(f"no rule with id {rule_id!r}")


@rules.command("check")
@click.argument("packs", nargs=-1, type=click.Path(dir_okay=False, path_type=Path))
def check(packs: tuple[Path, ...]) -> int:
    """Prove every rule against its examples (default: the built-in packs).

    Exit 0 when every example yields its secret and no negative example matches, 1 otherwise,
    2 when a pack cannot be loaded.
    """
    loaded = [rule for pack in packs for rule in load_pack(pack)] if packs else load_rules()
    builtin_dir = builtin_rules_dir().resolve()
    strict = not packs or all(Path(p).resolve().parent == builtin_dir for p in packs)
    problems = check_rules(loaded, strict=strict)
    for problem in problems:
        click.echo(problem.render(), err=True)
    errors = [p for p in problems if not p.warning]
    click.echo(f"{len(loaded)} rules checked: {len(errors)} errors, {len(problems) - len(errors)} warnings")
    return EXIT_FINDINGS if errors else EXIT_CLEAN
