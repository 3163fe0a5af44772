"""The scan settings every scanning command shares, and the one place a scan becomes an exit code.

Nothing here imports click: the pre-commit hook's fast path (:mod:`leaksweep.cli.hook`) runs
through these same functions without the command-line parser. Modules that only some scans need
(git for SARIF provenance, the reporters, the jsonl streamer) are imported where they are used.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from leaksweep.cache import RuleCache, default_directory
from leaksweep.config import ProjectConfig, load_config
from leaksweep.detector import Detector
from leaksweep.errors import EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE, LeaksweepError
from leaksweep.model import Finding
from leaksweep.records import Record, fields, replace
from leaksweep.report import REPORTERS, ReportOptions
from leaksweep.rules import Rule, load_rules, select
from leaksweep.session import Parallelism, ScanResult, apply_suppression, run_scan
from leaksweep.suppress import Suppressor

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (see records.py)
if TYPE_CHECKING:
    from typing import Any, TextIO

    from leaksweep.parallel import Scanned, Work
    from leaksweep.progress import Progress

DEFAULT_MAX_FILE_SIZE = 10 * 1024 * 1024


def echo_err(message: str) -> None:
    """One line on standard error (click.echo's job, without importing click)."""
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


class ScanSettings(Record):
    rule_packs: tuple[Path, ...]
    no_builtin: bool
    disable: tuple[str, ...]
    fmt: str
    output: Path | None
    reports: tuple[tuple[str, Path], ...]
    show_secrets: bool
    show_suppressed: bool
    max_file_size: int
    exclude: tuple[str, ...]
    quiet: bool
    verbose: bool
    color: bool | None
    config: Path | None = None
    allowlist: Path | None = None
    baseline: Path | None = None
    no_inline_allow: bool = False
    project: ProjectConfig | None = None
    jobs: int | None = None
    no_cache: bool = False

    @classmethod
    def from_kwargs(cls, kwargs: dict[str, Any]) -> ScanSettings:
        names = fields(cls)
        values = {k: v for k, v in kwargs.items() if k in names}
        # Commands built before --report existed (or tests) may not pass it.
        values.setdefault("reports", ())
        return cls(**values)


def pop_settings(kwargs: dict[str, Any]) -> ScanSettings:
    """The command's options merged with the project config: the command line adds to the
    config's rule packs, disabled rules and excludes, and overrides its scalar settings."""
    settings = ScanSettings.from_kwargs(kwargs)
    for name in fields(ScanSettings):
        kwargs.pop(name, None)
    project = project_config(settings.config)
    return replace(
        settings,
        project=project,
        rule_packs=project.rules + settings.rule_packs,
        no_builtin=settings.no_builtin or not project.builtin,
        disable=project.disable + settings.disable,
        exclude=project.exclude + settings.exclude,
        max_file_size=(
            settings.max_file_size
            if settings.max_file_size is not None
            else project.max_file_size or DEFAULT_MAX_FILE_SIZE
        ),
        allowlist=settings.allowlist or project.allowlist,
        baseline=settings.baseline or project.baseline,
        no_inline_allow=settings.no_inline_allow or not project.inline_allow,
    )


def project_config(explicit: Path | None = None) -> ProjectConfig:
    return load_config(explicit)


def make_suppressor(settings: ScanSettings, use_baseline: bool = True) -> Suppressor:
    """Inline markers, the allowlist and the baseline as one filter (files are read once, here)."""
    from leaksweep.suppress import load_allowlist, load_baseline

    allowlist = load_allowlist(settings.allowlist) if settings.allowlist is not None else []
    baseline: frozenset[str] = frozenset()
    if use_baseline and settings.baseline is not None:
        if not settings.baseline.is_file():
            raise LeaksweepError("baseline file not found", where=str(settings.baseline))
        baseline = frozenset(e.fingerprint for e in load_baseline(settings.baseline))
    return Suppressor(allowlist=allowlist, baseline=baseline, inline=not settings.no_inline_allow)


def load_selected_rules(
    packs: Iterable[Path], no_builtin: bool, disable: Iterable[str], cache: RuleCache | None = None
) -> list[Rule]:
    """The rules a scan runs: the cache's copy of the packs when they have not changed (without
    their examples, which only ``rules check`` needs), else freshly loaded and validated."""
    packs = tuple(packs)
    if cache is None:
        loaded = load_rules(packs, builtin=not no_builtin)
    else:
        loaded = cache.load_rules(
            packs, not no_builtin, lambda: load_rules(packs, builtin=not no_builtin), False
        )
    rules = select(loaded, disable)
    if not rules:
        raise LeaksweepError("no rules to run: add --rules PACK.yaml or drop --no-builtin")
    return rules


def rule_cache(settings: ScanSettings) -> RuleCache:
    """The user cache for a scan with these settings: its rules, and (for git) the record of the
    gits that passed the version check, so that the first git command needs no ``git --version``."""
    directory = default_directory()
    if not settings.no_cache:
        from leaksweep import git

        git.remember_checked_gits(directory)
    return RuleCache(directory, enabled=not settings.no_cache)


def make_detector(settings: ScanSettings, cache: RuleCache | None = None, repeated: bool = False) -> Detector:
    """The detector, its rules and candidate stage from the cache where they are unchanged.
    ``repeated``: the scan runs again and again (the pre-commit hook), so whatever can be
    compiled once and cached is (see :meth:`RuleCache.candidates`)."""
    cache = cache or rule_cache(settings)
    rules = load_selected_rules(settings.rule_packs, settings.no_builtin, settings.disable, cache)
    candidates = cache.candidates(rules, repeated=repeated)
    return Detector(rules, timing=settings.verbose, candidates=candidates)


def parallelism(settings: ScanSettings, mode: str) -> Parallelism:
    """Worker processes for a scan: ``--jobs`` (always used when given), else one per CPU once
    the scan proves large. The pre-commit hook stays in one process."""
    if mode == "staged":
        return Parallelism(jobs=1)
    from leaksweep.parallel import default_jobs

    jobs = settings.jobs if settings.jobs is not None else default_jobs()
    return Parallelism(jobs=jobs, force=settings.jobs is not None, max_size=settings.max_file_size)


def describe_backend(detector: Detector) -> str:
    """One line for ``-v``: how candidates were found, and why not with Hyperscan if not."""
    backend = detector.backend
    line = f"matching: {backend}"
    if backend == "python":
        why = detector.candidates.why_not_hyperscan
        if not why:
            from leaksweep.matching import hyperscan_import

            why = hyperscan_import()[1]
        reason = f"hyperscan unavailable: {why}" if why else "a small scan, not worth compiling the database"
        line += f" keyword prefilter ({reason})"
    if detector.candidates.origin:
        line += f"; from the cache: {', '.join(detector.candidates.origin)}"
    return line


def _use_color(settings: ScanSettings, stream: TextIO) -> bool:
    if settings.color is not None:
        return settings.color
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    return settings.output is None and hasattr(stream, "isatty") and stream.isatty()


def _without_credentials(url: str) -> str | None:
    """An absolute URI for a git remote, with any user:token@ removed (a secret scanner must not
    copy a credential from the remote's URL into its own report). None if it is not one."""
    url = url.strip()
    scp = re.match(r"^([^/@:]+@)?([^/:]+):(?!//)(.+)$", url)
    if scp and "://" not in url:  # git@host:owner/repo.git
        url = f"ssh://{scp.group(2)}/{scp.group(3)}"
    parts = urlsplit(url)
    if not parts.scheme or not parts.hostname:
        return None
    netloc = parts.hostname + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def repository_uri(cwd: Path | None = None) -> str | None:
    """Where the scanned repository lives, for SARIF's versionControlProvenance: the CI's project
    URL, else the ``origin`` remote, else the work tree as a file: URI."""
    server, repo = os.environ.get("GITHUB_SERVER_URL"), os.environ.get("GITHUB_REPOSITORY")
    if server and repo:
        return f"{server.rstrip('/')}/{repo}"
    if os.environ.get("CI_PROJECT_URL"):
        return _without_credentials(os.environ["CI_PROJECT_URL"])
    from leaksweep import git

    try:
        proc = git.run(["remote", "get-url", "origin"], cwd=cwd, check=False)
        if proc.returncode == 0:
            found = _without_credentials(proc.stdout.decode("utf-8", "replace"))
            if found:
                return found
        top = git.work_tree_root(cwd or Path.cwd())
    except LeaksweepError:  # no git at all
        return None
    return top.resolve().as_uri() if top is not None else None


def report_options(
    settings: ScanSettings, result: ScanResult | None = None, color: bool = False
) -> ReportOptions:
    wants_provenance = "sarif" in (settings.fmt, *(fmt for fmt, _ in settings.reports))
    has_commits = result is not None and any(f.commit is not None for f in result.findings)
    return ReportOptions(
        show_secrets=settings.show_secrets,
        color=color,
        verbose=-1 if settings.quiet else (1 if settings.verbose else 0),
        show_suppressed=settings.show_suppressed,
        # Only worth a git call when a SARIF report will carry commits.
        repository_uri=repository_uri() if wants_provenance and has_commits else None,
    )


def report(result: ScanResult, settings: ScanSettings) -> int:
    """Write the report(s) and map the outcome to an exit code (0 clean, 1 findings).

    When the main report already went to standard output finding by finding (``--format jsonl``,
    see :func:`scan_with_progress`), only the ``--report`` files remain to be written.

    Content that could not be read (a corrupt or missing git object) makes the scan incomplete:
    every report says so, and without findings the exit code is 2, never a clean 0."""
    from leaksweep.fileio import atomic_text
    from leaksweep.report.common import printable
    from leaksweep.report.text import summary

    damaged = sum(1 for s in result.skipped if s.damaged)
    if damaged:
        result.notes.append(
            f"{damaged} object(s) could not be read and were not scanned (listed as skipped): "
            "the scan is incomplete"
        )
    to_terminal = settings.output is None
    opts = report_options(settings, result, color=to_terminal and _use_color(settings, sys.stdout))
    reporter = REPORTERS[settings.fmt]
    if settings.output is not None:
        with atomic_text(settings.output) as handle:
            reporter(result, opts, handle)
    elif not result.streamed:
        reporter(result, opts, sys.stdout)
        sys.stdout.flush()
    files = replace(opts, color=False)
    for fmt, path in settings.reports:
        # Each file appears whole or not at all: a CI step never uploads half a SARIF file.
        with atomic_text(path) as handle:
            REPORTERS[fmt](result, files, handle)
    if settings.fmt != "text" or settings.output is not None:
        # Machine formats keep stdout clean; a person still sees the outcome.
        echo_err(summary(result))
        for note in result.notes:
            echo_err(f"warning: {printable(note)}")
    if result.findings:
        return EXIT_FINDINGS
    return EXIT_USAGE if damaged else EXIT_CLEAN


def make_progress(settings: ScanSettings, mode: str, stream: TextIO | None = None) -> Progress:
    """The progress bar for a scan: on standard error, only when it is a terminal, never with -q.

    A history audit shows it at once; other scans only once they prove large (half a second or
    4 MiB), so a pre-commit hook over a few files never flashes one."""
    from leaksweep.progress import Progress

    stream = sys.stderr if stream is None else stream
    unit = "files" if mode in ("scan", "staged") else "blobs"
    progress = Progress(stream, unit, enabled=False if settings.quiet else None)
    if mode == "history":
        progress.delay, progress.min_bytes = 0.0, 0
    return progress


def scan_with_progress(
    items: Iterable[Work],
    detector: Detector,
    settings: ScanSettings,
    mode: str,
    stream: bool = True,
    suppressor: Suppressor | None = None,
    parallel: Parallelism | None = None,
    on_scanned: Callable[[Scanned], None] | None = None,
) -> ScanResult:
    """:func:`run_scan` plus what is seen while it runs: the progress bar on a terminal's standard
    error, and, for ``--format jsonl`` to standard output, each finding's line as it is found (a
    consumer can act on the first secret while a long audit runs).

    Pass ``stream=False`` when the findings change after the scan (history attaches provenance)
    or are filtered later, so that only final findings are ever written.

    Suppression (inline markers, allowlist, baseline) applies as findings are made, unless
    ``stream=False``: then the caller applies it with :func:`suppress_after` once the findings
    are final (history allowlist entries may name the commit that provenance attaches)."""
    if suppressor is None:
        suppressor = make_suppressor(settings)
    progress = make_progress(settings, mode)
    on_finding: Callable[[Finding], None] | None = None
    streaming = stream and settings.fmt == "jsonl" and settings.output is None
    if streaming:
        from leaksweep.report import jsonl

        # The rules are all a jsonl line needs from the (not yet finished) result.
        lookup = ScanResult(rules=detector.rules)
        opts = report_options(settings)

        def on_finding(finding: Finding) -> None:
            progress.clear()
            jsonl.write_finding(finding, lookup, opts, sys.stdout)

    try:
        result = run_scan(
            items,
            detector,
            mode=mode,
            on_finding=on_finding,
            on_progress=progress.update,
            suppress=suppressor.reason if stream else None,
            parallel=parallel if parallel is not None else parallelism(settings, mode),
            on_scanned=on_scanned,
        )
    finally:
        progress.close()  # erase the bar, also on Ctrl-C, before anything else is printed
    if settings.verbose and not settings.quiet:
        echo_err(f"leaksweep: {describe_backend(detector)}")
    result.streamed = streaming
    result.notes.extend(suppressor.notes())
    if not stream:
        result.pending_suppressor = suppressor
    return result


def suppress_after(result: ScanResult) -> None:
    """Apply the suppression that :func:`scan_with_progress` left pending (``stream=False``)."""
    suppressor = result.pending_suppressor
    if isinstance(suppressor, Suppressor):
        apply_suppression(result, suppressor.reason)
        result.pending_suppressor = None
        # Notes that only the late suppression produced (an allowlist regex that timed out).
        result.notes.extend(note for note in suppressor.notes() if note not in result.notes)


def scan_and_report(items: Iterable[Work], settings: ScanSettings, mode: str) -> int:
    return report(scan_with_progress(items, make_detector(settings), settings, mode), settings)


def collect(
    paths: Iterable[str], settings: ScanSettings, use_baseline: bool = True
) -> tuple[ScanResult, Suppressor]:
    """A files scan (as ``leaksweep scan PATHS``) with suppression, for the maintenance commands."""
    from leaksweep.sources.files import iter_paths

    suppressor = make_suppressor(settings, use_baseline=use_baseline)
    items = iter_paths(list(paths) or ["."], settings.max_file_size, settings.exclude, deferred=True)
    detector = make_detector(settings)
    return scan_with_progress(
        items, detector, settings, "scan", stream=True, suppressor=suppressor
    ), suppressor
