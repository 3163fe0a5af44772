"""``leaksweep allow``, ``allowlist check`` and ``baseline create|update``."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import click

from leaksweep.cli.common import scan_options
from leaksweep.cli.settings import collect, pop_settings, project_config
from leaksweep.config import ALLOWLIST_NAME, BASELINE_NAME
from leaksweep.errors import EXIT_CLEAN, EXIT_FINDINGS, LeaksweepError
from leaksweep.suppress import (
    FINGERPRINT,
    append_allow_entry,
    baseline_entries,
    load_baseline,
    write_baseline,
)


def _date(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date such as 2026-12-31") from None


@click.command()
@click.argument("fingerprint")
@click.option("--reason", required=True, help="Why this finding may stay (required).")
@click.option("--expires", metavar="YYYY-MM-DD", help="Stop allowing it after this date.")
@click.option(
    "--file",
    "allow_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The allowlist file (default: from the config, else .leaksweep-allowlist.yaml).",
)
@click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Project config file (default: .leaksweep.yaml at the repository root).",
)
def allow(
    fingerprint: str, reason: str, expires: str | None, allow_file: Path | None, config_file: Path | None
) -> int:
    """Append an allowlist entry for FINGERPRINT (comments and order in the file are kept)."""
    if not FINGERPRINT.match(fingerprint):
        raise click.BadParameter(
            "must be the 32 hex digits shown as a finding's id/fingerprint", param_hint="FINGERPRINT"
        )
    if not reason.strip():
        raise click.BadParameter("must not be empty", param_hint="--reason")
    config = project_config(config_file)
    path = allow_file or config.allowlist or (config.root / ALLOWLIST_NAME)
    entry = append_allow_entry(path, reason.strip(), fingerprint=fingerprint, expires=_date(expires))
    click.echo(f"added allowlist entry {entry.number} to {path}")
    return EXIT_CLEAN


@click.group("allowlist")
def allowlist_group() -> None:
    """Maintain the allowlist file."""


@allowlist_group.command("check")
@click.argument("paths", nargs=-1, type=click.Path(path_type=str))
@scan_options
def allowlist_check(paths: tuple[str, ...], **kwargs: Any) -> int:
    """Scan (like `leaksweep scan`) and list allowlist entries that matched nothing (stale) or
    have expired. Exit 1 when there are any, 0 when every entry is still in use."""
    settings = pop_settings(kwargs)
    result, suppressor = collect(paths, settings, use_baseline=False)
    if not suppressor.allowlist:
        click.echo("no allowlist entries")
        return EXIT_CLEAN
    problems = 0
    for entry in suppressor.expired():
        click.echo(f"expired: {entry.describe()} on {entry.expires}")
        problems += 1
    for entry in suppressor.stale():
        click.echo(f"stale: {entry.describe()} matched nothing")
        problems += 1
    click.echo(
        f"{len(suppressor.allowlist)} entries: {problems} stale or expired ({result.targets} files scanned)"
    )
    return EXIT_FINDINGS if problems else EXIT_CLEAN


@click.group("baseline")
def baseline_group() -> None:
    """Record current findings so that only new ones fail a scan."""


def _baseline_path(output: Path | None, config_file: Path | None) -> Path:
    config = project_config(config_file)
    return output or config.baseline or (config.root / BASELINE_NAME)


@baseline_group.command("create")
@click.argument("paths", nargs=-1, type=click.Path(path_type=str))
@click.option("--force", is_flag=True, help="Replace an existing baseline file.")
@scan_options
def baseline_create(paths: tuple[str, ...], force: bool, **kwargs: Any) -> int:
    """Scan and write the findings as a baseline (fingerprint, rule, path: no secrets, no lines)."""
    settings = pop_settings(kwargs)
    path = _baseline_path(settings.output, settings.config)
    if path.exists() and not force:
        raise LeaksweepError("baseline exists: use `leaksweep baseline update` or --force", where=str(path))
    result, _ = collect(paths, settings, use_baseline=False)
    write_baseline(path, baseline_entries(result.findings))
    click.echo(f"wrote {len(result.findings)} findings to {path}")
    return EXIT_CLEAN


@baseline_group.command("update")
@click.argument("paths", nargs=-1, type=click.Path(path_type=str))
@click.option("--prune", is_flag=True, help="Also drop entries whose finding no longer occurs.")
@scan_options
def baseline_update(paths: tuple[str, ...], prune: bool, **kwargs: Any) -> int:
    """Add new findings to the baseline (and with --prune drop the ones that are gone)."""
    settings = pop_settings(kwargs)
    path = _baseline_path(settings.output, settings.config)
    old = load_baseline(path) if path.exists() else []
    result, _ = collect(paths, settings, use_baseline=False)
    current = baseline_entries(result.findings)
    now = {e.fingerprint for e in current}
    kept = [e for e in old if e.fingerprint in now] if prune else old
    known = {e.fingerprint for e in kept}
    added = [e for e in current if e.fingerprint not in known]
    write_baseline(path, kept + added)
    click.echo(
        f"{path}: {len({e.fingerprint for e in added})} added, "
        f"{len({e.fingerprint for e in old}) - len({e.fingerprint for e in kept})} pruned"
    )
    return EXIT_CLEAN
