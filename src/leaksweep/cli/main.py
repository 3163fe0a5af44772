"""Entry point: the click group, and the single place exceptions become exit codes."""

from __future__ import annotations

import os
import sys
import traceback

import click

from leaksweep import __version__
from leaksweep.errors import EXIT_INTERNAL, EXIT_INTERRUPTED, EXIT_USAGE, LeaksweepError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="leaksweep")
def cli() -> None:
    """Find leaked secrets in files, staged changes, commit ranges and git history.

    Exit codes: 0 nothing found, 1 secrets found, 2 usage or input error, 3 internal error.
    """


def _register() -> None:
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


def main(argv: list[str] | None = None) -> None:
    _register()
    try:
        code = cli.main(args=argv, prog_name="leaksweep", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("leaksweep: interrupted", err=True)
        sys.exit(EXIT_INTERRUPTED)
    except click.ClickException as exc:
        exc.show()
        sys.exit(EXIT_USAGE)
    except LeaksweepError as exc:
        click.echo(f"leaksweep: error: {exc.render()}", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("leaksweep: interrupted", err=True)
        sys.exit(EXIT_INTERRUPTED)
    except BrokenPipeError:
        # The reader went away (``leaksweep ... | head``): not our error.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(EXIT_USAGE)
    except Exception as exc:  # the one catch-all: a traceback is a bug, so say so plainly
        if os.environ.get("LEAKSWEEP_DEBUG"):
            traceback.print_exc()
        click.echo(f"leaksweep: internal error: {type(exc).__name__}: {exc}"
                   " (set LEAKSWEEP_DEBUG=1 for the traceback; please report it)", err=True)
        sys.exit(EXIT_INTERNAL)
    sys.exit(code if isinstance(code, int) else 0)
