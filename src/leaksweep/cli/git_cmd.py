"""The git commands: ``staged`` (pre-commit), ``commits`` (CI and pre-push), ``history`` (audit)
and ``hooks`` (install native git hooks).

Sources are imported inside each command: ``staged`` runs on every commit, so it loads only
what it uses.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import click

from leaksweep.cli.common import scan_options
from leaksweep.cli.hook import count_secrets, nothing, run_staged
from leaksweep.cli.settings import (
    make_detector,
    pop_settings,
    report,
    rule_cache,
    scan_with_progress,
    suppress_after,
)
from leaksweep.errors import EXIT_CLEAN, LeaksweepError

PUSH_BLOCKED = """\
leaksweep: push blocked: the pushed commits add {count} (listed above, with the commit of each).
To proceed:
  - remove the secret from those commits (`git commit --amend`, or `git rebase -i` for older ones):
    deleting it in a new commit is not enough, the pushed history would still hold it; then revoke
    or rotate it, since it may already have been copied;
  - if it is not a secret, `leaksweep allow ID --reason "..."` (ID is the finding's id above) records
    that in .leaksweep-allowlist.yaml, and holds for every commit that carries it;
  - as a last resort, `git push --no-verify` skips the hooks for this one push."""


@click.command()
@scan_options
def staged(**kwargs: Any) -> int:
    """Scan what `git commit` would record (the pre-commit hook).

    Each staged file (added, copied, modified, renamed) is scanned whole, as staged; a secret is
    reported only when the HEAD version of that path (or of its rename source) does not already
    contain it. Exit 1 blocks the commit.
    """
    return run_staged(pop_settings(kwargs))


def _pre_push_args() -> list[str] | None:
    from leaksweep.sources.prepush import framework_args, parse_lines, push_args

    from_framework = framework_args(os.environ)
    if from_framework is not None:
        return from_framework
    if sys.stdin is None or sys.stdin.isatty():
        raise LeaksweepError(
            "--pre-push reads git's pre-push lines on standard input: run it from a pre-push hook, "
            "or name the commits (REV-RANGE or --since-ref REF)"
        )
    # git writes one short line per pushed ref; anything near this size is not git talking.
    limit = 16 * 1024 * 1024
    raw = sys.stdin.buffer.read(limit + 1)
    if len(raw) > limit:
        raise LeaksweepError(f"pre-push input is larger than {limit} bytes: not what git sends a hook")
    return push_args(parse_lines(raw.decode("utf-8", "surrogateescape")))


@click.command()
@click.argument("revs", nargs=-1, metavar="[REV-RANGE]...")
@click.option("--since-ref", metavar="REF", help="Scan the commits after REF: REF..HEAD (or REF..REV).")
@click.option(
    "--pre-push",
    is_flag=True,
    help="Scan what a push sends: git's pre-push lines on stdin, or the pre-commit framework's "
    "PRE_COMMIT_FROM_REF / PRE_COMMIT_TO_REF.",
)
@scan_options
def commits(revs: tuple[str, ...], since_ref: str | None, pre_push: bool, **kwargs: Any) -> int:
    """Scan the file versions that commits create (CI and pre-push).

    REV-RANGE is as in `git log`: `origin/main..HEAD`, `A...B`, `B ^A`; a revision given alone
    (`commits SHA`) means just that commit. For every commit, each file version it creates is
    scanned whole and compared with that path's version in every parent: a secret counts when no
    parent version contains it, so a secret that only a merge introduces is found too.
    """
    from leaksweep import git
    from leaksweep.sources.commits import commit_work, list_commits, range_args

    settings = pop_settings(kwargs)
    if pre_push:
        if revs or since_ref:
            raise LeaksweepError("--pre-push takes no REV-RANGE or --since-ref: git says what is pushed")
        rev_args = _pre_push_args()
        if rev_args is None:
            return nothing(settings, "commits", "nothing pushed that needs scanning.")
    else:
        rev_args = range_args(revs, since_ref)
    info = git.repo_info()
    listed = list_commits(rev_args)
    if not listed:
        return nothing(settings, "commits", "no commits to scan in that range.")
    detector = make_detector(settings)
    # Listed in full first: workers read the versions themselves, and none is forked while a git
    # stream is open.
    work = list(commit_work(listed, settings.exclude))
    result = scan_with_progress(work, detector, settings, mode="commits")
    if info.shallow:
        result.notes.append(
            "this is a shallow clone: a commit at its boundary is compared with nothing, so every secret "
            "in it counts as new (fetch more history, e.g. `git fetch --deepen`, to avoid that)"
        )
    code = report(result, settings)
    if pre_push and result.findings:
        click.echo(PUSH_BLOCKED.format(count=count_secrets(result)), err=True)
    return code


@click.command()
@click.option(
    "--branch",
    "branches",
    multiple=True,
    metavar="REF",
    help="Audit only what REF reaches (repeatable; default: every ref, tag, remote-tracking ref and stash).",
)
@click.option(
    "--since",
    metavar="DATE",
    help="Only commits made after DATE (git's syntax: 2024-01-31, '3 months ago'), "
    "with every blob in their trees.",
)
@scan_options
def history(branches: tuple[str, ...], since: str | None, **kwargs: Any) -> int:
    """Audit history: every distinct blob reachable from any ref, each scanned once.

    Each finding names the commit that first introduced the secret (author, date), every other
    path it appears at, and whether HEAD still holds it. Works in bare repositories; in a shallow
    clone the report says that history is incomplete.
    """
    from leaksweep import provenance
    from leaksweep.cache import AuditMemory, rules_digest
    from leaksweep.sources.history import History

    settings = pop_settings(kwargs)
    source = History(branches, since)
    cache = rule_cache(settings)
    detector = make_detector(settings, cache)
    memory: AuditMemory | None = None
    if not settings.no_cache:
        options = (detector.decode_depth, detector.timeout, detector.timeout_per_mb)
        memory = AuditMemory(cache.store, str(source.git_dir), rules_digest(detector.rules, *options))
    # Listed in full first (blob ids and paths only): workers read the blobs themselves. Not
    # streamed: provenance is attached to the findings after the scan.
    items = list(_unless_remembered(source.listing(settings.max_file_size, settings.exclude), memory))
    result = scan_with_progress(
        items,
        detector,
        settings,
        mode="history",
        stream=False,
        on_scanned=memory.record if memory is not None else None,
    )
    if memory is not None:
        memory.save()
        if memory.skipped and settings.verbose and not settings.quiet:
            click.echo(
                f"leaksweep: {memory.skipped} blobs were scanned by an earlier audit with the same rules "
                "and had nothing to report; they were not read again (--no-cache reads every blob)",
                err=True,
            )
    started = time.perf_counter()
    result.findings = provenance.attach(result.findings, source.starts, source.head_tree)
    suppress_after(result)
    result.elapsed += time.perf_counter() - started
    result.notes[:0] = source.notes
    return report(result, settings)


def _unless_remembered(listing: Iterable[Any], memory: Any) -> Iterator[Any]:
    """The audit's work without the blobs an earlier audit already found clean (a binary one is
    still listed as skipped, as a full audit would)."""
    from leaksweep.cache import AuditMemory
    from leaksweep.model import Skipped

    for item in listing:
        if memory is None or isinstance(item, Skipped):
            yield item
            continue
        state = memory.status(item.oid, item.path)
        if state is None:
            yield item
        elif state == AuditMemory.BINARY:
            yield Skipped(item.path, "binary", item.oid)


@click.group()
def hooks() -> None:
    """Install or remove leaksweep as a native git hook (pre-commit, and pre-push with --pre-push)."""


def _hooks_dir() -> Path:
    from leaksweep import git

    git.repo_info()  # a clear error outside a repository
    return git.git_path("hooks", honour_hooks_path=True)


@hooks.command("install")
@click.option("--pre-push", is_flag=True, help="Also install the pre-push hook (scans the pushed commits).")
@click.option(
    "--force",
    is_flag=True,
    help="Chain an existing hook that leaksweep did not write: it keeps running first.",
)
def install(pre_push: bool, force: bool) -> int:
    """Install the pre-commit hook into the directory git uses (core.hooksPath is honoured).

    The hook runs `leaksweep staged` with the Python that runs this command.
    """
    from leaksweep import hooks as native

    directory = _hooks_dir()
    for name in ("pre-commit", "pre-push") if pre_push else ("pre-commit",):
        click.echo(native.install(directory, name, sys.executable, force=force))
    return EXIT_CLEAN


@hooks.command("uninstall")
def uninstall() -> int:
    """Remove leaksweep's hooks and restore any hook they chained."""
    from leaksweep import hooks as native

    directory = _hooks_dir()
    said = [m for m in (native.uninstall(directory, name) for name in native.HOOKS) if m]
    for message in said:
        click.echo(message)
    if not said:
        click.echo(f"no leaksweep hooks in {directory}")
    return EXIT_CLEAN
