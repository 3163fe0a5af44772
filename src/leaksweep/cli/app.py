"""The click command group: every command of the full command line."""

from __future__ import annotations

import click

from leaksweep import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="leaksweep")
def cli() -> None:
    """Find leaked secrets in files, staged changes, commit ranges and git history.

    Exit codes: 0 nothing found, 1 secrets found, 2 usage or input error, 3 internal error.
    """


def register() -> None:
    from leaksweep.cli import git_cmd, rules_cmd, scan_cmd, suppress_cmd

    cli.add_command(scan_cmd.scan)
    cli.add_command(rules_cmd.rules)
    cli.add_command(git_cmd.staged)
    cli.add_command(git_cmd.commits)
    cli.add_command(git_cmd.history)
    cli.add_command(git_cmd.hooks)
    cli.add_command(suppress_cmd.allow)
    cli.add_command(suppress_cmd.allowlist_group)
    cli.add_command(suppress_cmd.baseline_group)
