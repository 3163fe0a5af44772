"""``leaksweep rules``: list, show and check rule packs, and import gitleaks configs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from leaksweep.cli.common import rule_options
from leaksweep.cli.settings import load_selected_rules
from leaksweep.errors import EXIT_CLEAN, EXIT_FINDINGS, LeaksweepError
from leaksweep.fileio import atomic_text
from leaksweep.rulecheck import check_rules, lint_rules, sample_targets, time_rules
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
@click.option("--lint/--no-lint", default=True, show_default=True, help="Warn about rules that will be slow.")
@click.option("--time", "timing", is_flag=True, help="Time each rule on a sample and list the slowest.")
@click.option(
    "--sample",
    multiple=True,
    metavar="PATH",
    help="Files or folders to time on (default: the Python standard library, up to 8 MB).",
)
def check(packs: tuple[Path, ...], lint: bool, timing: bool, sample: tuple[str, ...]) -> int:
    """Prove every rule against its examples (default: the built-in packs).

    With --lint (the default), also warn about rules that will be slow: unbounded matches, no literal
    for the multi-pattern prefilter to anchor on, keywords that are not in the pattern, unbounded
    lookarounds, patterns Hyperscan takes only in prefilter mode. --time runs every rule on a
    sample and lists the slowest (seconds per MB, and what each would cost run on every file).

    Exit 0 when every example yields its secret and no negative example matches, 1 otherwise,
    2 when a pack cannot be loaded.
    """
    loaded = [rule for pack in packs for rule in load_pack(pack)] if packs else load_rules()
    builtin_dir = builtin_rules_dir().resolve()
    strict = not packs or all(Path(p).resolve().parent == builtin_dir for p in packs)
    problems = check_rules(loaded, strict=strict)
    slow = lint_rules(loaded) if lint else []
    for problem in [*problems, *slow]:
        click.echo(problem.render(), err=True)
    if timing:
        targets = sample_targets(sample)
        megabytes = max(sum(len(t.content) for t in targets) / 1e6, 1e-9)
        times = time_rules(loaded, targets)
        total = sum(t.seconds for t in times) or 1e-9
        click.echo(
            f"rule timing on {megabytes:.1f} MB ({len(targets)} files): ms per MB, share, plain ms per MB"
        )
        for item in times[:20]:
            click.echo(
                f"  {item.rule.id:40} {1000 * item.seconds / megabytes:9.2f} {item.seconds / total:6.1%} "
                f"{1000 * item.plain_seconds / megabytes:9.2f}"
            )
    errors = [p for p in problems if not p.warning]
    said = f"{len(loaded)} rules checked: {len(errors)} errors, {len(problems) - len(errors)} warnings"
    click.echo(said + (f"; {len(slow)} speed warnings" if slow else ""))
    return EXIT_FINDINGS if errors else EXIT_CLEAN


@rules.command("import")
@click.argument("toml_file", metavar="FILE.toml", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "-o",
    "--output",
    metavar="OUT.yaml",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the rule pack to OUT.yaml instead of standard output.",
)
def import_rules(toml_file: Path, output: Path | None) -> int:
    """Convert a gitleaks (or betterleaks) TOML config into a leaksweep rule pack.

    What cannot be carried over is listed on standard error and in the pack's header comment.
    Exit 0 when rules were imported (even with notes), 2 when the TOML is malformed or no rule
    could be imported.
    """
    # Imported here: every leaksweep command loads this module, and few of them import configs.
    from leaksweep.importer import (
        builtin_ids,
        check_round_trip,
        import_gitleaks,
        load_rendered,
        render_yaml,
    )
    from leaksweep.yamlsrc import MAX_BYTES, read_bounded

    where = str(toml_file)
    try:
        # Bounded, regular files only: a FIFO or /dev/zero is refused rather than read forever.
        text = read_bounded(toml_file, MAX_BYTES).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise LeaksweepError(f"not UTF-8 (byte {exc.start}); TOML files are UTF-8", where=where) from None
    result = import_gitleaks(text, where, reserved_ids=builtin_ids())
    for note in result.notes:
        click.echo(f"note: {note}", err=True)
    if not result.rules:
        raise LeaksweepError("nothing could be imported (see the notes above)", where=where)
    pack = render_yaml(result)
    # Prove the pack loads with leaksweep's own loader, and says what was meant, before writing
    # it: a pack that fails later, at scan time, would be a worse surprise.
    try:
        loaded = load_rendered(pack, output.name if output else "imported.yaml")
    except LeaksweepError as exc:
        raise RuntimeError(f"the generated pack does not load: {exc.render()}") from None
    check_round_trip(result, loaded)
    if output is not None:
        with atomic_text(output) as handle:
            handle.write(pack)
    else:
        click.echo(pack, nl=False)
    into = f" into {output}" if output is not None else ""
    click.echo(
        f"imported {len(result.rules)} rules from {toml_file}{into} ({len(result.notes)} notes)", err=True
    )
    return EXIT_CLEAN
