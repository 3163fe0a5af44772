"""``leaksweep staged``, the pre-commit hook: what it runs, and a fast path to it.

The hook runs on every commit, so what it costs is mostly Python starting and importing. Its
usual invocations (``staged``, ``staged -q``, ``staged --config FILE``...) are parsed here without
click; anything this parser does not know (``--help``, ``--report``, ``--opt=value``, a typo)
goes to the full command line, which gives the same result or a proper usage error. Both paths
call :func:`run_staged` with the same settings.
"""

from __future__ import annotations

import sys
from pathlib import Path

from leaksweep.cli.settings import (
    ScanSettings,
    echo_err,
    make_detector,
    pop_settings,
    report,
    rule_cache,
    scan_with_progress,
)
from leaksweep.errors import EXIT_CLEAN
from leaksweep.session import ScanResult

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (see records.py)
if TYPE_CHECKING:
    from typing import Any

COMMIT_BLOCKED = """\
leaksweep: commit blocked: the staged changes add {count} (listed above, redacted).
To proceed:
  - take the secret out of the file (read it from the environment or a secrets manager), `git add`
    the file again and commit; if the secret ever left this machine, revoke or rotate it too;
  - if it is not a secret (a test fixture, a documented example), say so where it stands with a
    `leaksweep:allow` comment on its line, or `leaksweep allow ID --reason "..."` (ID is the finding's
    id above) to record it in .leaksweep-allowlist.yaml;
  - as a last resort, `git commit --no-verify` skips the hooks for this one commit."""

# What click gives the scanning commands when an option is not on the command line (a test
# compares this with the click command's own defaults).
DEFAULTS: dict[str, Any] = {
    "rule_packs": (),
    "no_builtin": False,
    "disable": (),
    "fmt": "text",
    "output": None,
    "reports": (),
    "show_secrets": False,
    "show_suppressed": False,
    "max_file_size": None,
    "config": None,
    "allowlist": None,
    "baseline": None,
    "no_inline_allow": False,
    "exclude": (),
    "jobs": None,
    "no_cache": False,
    "quiet": False,
    "verbose": False,
    "color": None,
}

_FLAGS: dict[str, tuple[str, Any]] = {
    "-q": ("quiet", True),
    "--quiet": ("quiet", True),
    "-v": ("verbose", True),
    "--verbose": ("verbose", True),
    "--show-secrets": ("show_secrets", True),
    "--show-suppressed": ("show_suppressed", True),
    "--no-inline-allow": ("no_inline_allow", True),
    "--no-cache": ("no_cache", True),
    "--no-builtin": ("no_builtin", True),
    "--color": ("color", True),
    "--no-color": ("color", False),
}
# option -> (setting, repeatable); values are paths or plain words, no conversion to get wrong
_VALUES: dict[str, tuple[str, bool]] = {
    "--config": ("config", False),
    "--allowlist": ("allowlist", False),
    "--baseline": ("baseline", False),
    "-o": ("output", False),
    "--output": ("output", False),
    "--rules": ("rule_packs", True),
    "--disable": ("disable", True),
    "--exclude": ("exclude", True),
    "--format": ("fmt", False),
}
_PATHS = frozenset({"config", "allowlist", "baseline", "output", "rule_packs"})


def parse_fast(args: list[str]) -> dict[str, Any] | None:
    """The options of ``staged`` as click would give them, or None when ``args`` holds anything
    this small parser does not handle exactly as click does."""
    from leaksweep.report import REPORTERS

    values = dict(DEFAULTS)
    rest = iter(args)
    for arg in rest:
        if arg in _FLAGS:
            name, value = _FLAGS[arg]
            values[name] = value
            continue
        if arg not in _VALUES:
            return None
        name, repeatable = _VALUES[arg]
        value = next(rest, None)
        # A missing value, or one that looks like an option, is click's to explain.
        if value is None or value.startswith("-") or not value:
            return None
        if name == "fmt" and value not in REPORTERS:
            return None
        converted: Any = Path(value) if name in _PATHS else value
        values[name] = (*values[name], converted) if repeatable else converted
    return values


def fast_staged(args: list[str]) -> int | None:
    """Run ``staged`` with ``args`` if the fast parser takes them all; None if it does not."""
    values = parse_fast(args)
    if values is None:
        return None
    return run_staged(pop_settings(values))


def count_secrets(result: ScanResult) -> str:
    n = len(result.findings)
    return f"{n} secret" + ("" if n == 1 else "s")


def nothing(settings: ScanSettings, mode: str, message: str) -> int:
    """Nothing to scan: say so, and still give machine formats a valid (empty) report."""
    if settings.fmt == "text" and settings.output is None:
        if not settings.quiet:
            sys.stdout.write(message + "\n")
            sys.stdout.flush()
        return EXIT_CLEAN
    echo_err(f"leaksweep: {message}")
    return report(ScanResult(rules=[], mode=mode), settings)


def run_staged(settings: ScanSettings) -> int:
    """Scan what ``git commit`` would record; exit 1 (findings) blocks the commit."""
    from leaksweep import git
    from leaksweep.sources.staged import iter_staged, staged_files

    cache = rule_cache(settings)  # first: it also knows the gits already checked
    files = staged_files()
    if not files:
        return nothing(settings, "staged", "nothing staged: nothing to scan.")
    with git.CatFile() as cat:
        cat.start()  # git starts up on another core while this one reads the rules
        detector = make_detector(settings, cache, repeated=True)
        items = iter_staged(files, settings.max_file_size, settings.exclude, cat=cat)
        result = scan_with_progress(items, detector, settings, mode="staged")
    code = report(result, settings)
    if result.findings:
        echo_err(COMMIT_BLOCKED.format(count=count_secrets(result)))
    return code
