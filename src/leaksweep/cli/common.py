"""The click options every scanning command shares. The settings they become, and what runs a
scan and reports it, live in :mod:`leaksweep.cli.settings` (no click there: the hook's fast
path uses them too) and are re-exported here for the commands."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from leaksweep.config import parse_size as config_size
from leaksweep.report import REPORTERS

F = TypeVar("F", bound=Callable[..., Any])


def parse_size(text: str) -> int:
    # One parser with the config's, bounded: a 400-digit size is an error, not a crash.
    size = config_size(text)
    if size is None:
        raise click.BadParameter(f"{text[:40]!r} is not a size such as 500000, 512KB or 10MB (at most 4GB)")
    return size


class ReportSpec(click.ParamType):  # type: ignore[type-arg]
    """``FORMAT:PATH`` for ``--report``; split at the first colon so ``sarif:C:\\x.sarif`` works."""

    name = "FORMAT:PATH"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> tuple[str, Path]:
        if isinstance(value, tuple):
            return value
        fmt, sep, path = str(value).partition(":")
        if not sep or not path:
            self.fail(f"{value!r} is not FORMAT:PATH, e.g. sarif:leaksweep.sarif", param, ctx)
        if fmt not in REPORTERS:
            self.fail(f"unknown report format {fmt!r} (known: {', '.join(sorted(REPORTERS))})", param, ctx)
        return fmt, Path(path)


class SizeType(click.ParamType):  # type: ignore[type-arg]
    name = "SIZE"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int):
            return value
        try:
            return parse_size(str(value))
        except click.BadParameter as exc:
            self.fail(exc.message, param, ctx)


def rule_options(func: F) -> F:
    options = [
        click.option(
            "--rules",
            "rule_packs",
            multiple=True,
            metavar="PACK.yaml",
            type=click.Path(dir_okay=False, path_type=Path),
            help="Add a YAML rule pack (repeatable).",
        ),
        click.option("--no-builtin", is_flag=True, help="Do not load the built-in rules."),
        click.option(
            "--disable", multiple=True, metavar="ID|TAG", help="Turn off rules by id or tag (repeatable)."
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def scan_options(func: F) -> F:
    options = [
        click.option(
            "--format",
            "fmt",
            type=click.Choice(sorted(REPORTERS)),
            default="text",
            show_default=True,
            help="Report format.",
        ),
        click.option(
            "-o",
            "--output",
            type=click.Path(dir_okay=False, path_type=Path),
            help="Write the report to FILE instead of standard output.",
        ),
        click.option(
            "--report",
            "reports",
            multiple=True,
            type=ReportSpec(),
            help="Also write a report in FORMAT to PATH (repeatable), e.g. --report sarif:out.sarif.",
        ),
        click.option(
            "--show-secrets", is_flag=True, help="Print secrets in full (they are redacted by default)."
        ),
        click.option("--show-suppressed", is_flag=True, help="Also list what was dropped, and why."),
        click.option(
            "--max-file-size",
            type=SizeType(),
            default=None,
            help="Skip files larger than this, noted in the report (default: the config's, else 10MB).",
        ),
        click.option(
            "--config",
            type=click.Path(dir_okay=False, path_type=Path),
            help="Project config (default: .leaksweep.yaml or [tool.leaksweep] at the repository root).",
        ),
        click.option(
            "--allowlist",
            type=click.Path(dir_okay=False, path_type=Path),
            help="Allowlist file (default: the config's, else .leaksweep-allowlist.yaml if present).",
        ),
        click.option(
            "--baseline",
            type=click.Path(dir_okay=False, path_type=Path),
            help="Report only findings not in this baseline (default: the config's, else "
            ".leaksweep-baseline.json if present).",
        ),
        click.option(
            "--no-inline-allow",
            is_flag=True,
            help="Ignore leaksweep:allow comments in the scanned content (for audits).",
        ),
        click.option(
            "--exclude",
            multiple=True,
            metavar="GLOB",
            help="Skip paths matching a gitignore-style glob (repeatable).",
        ),
        click.option(
            "-j",
            "--jobs",
            type=click.IntRange(min=1),
            default=None,
            metavar="N",
            help="Worker processes for large scans and audits (default: the number of CPUs).",
        ),
        click.option(
            "--no-cache",
            is_flag=True,
            help="Neither read nor write the cache (compiled rules; blobs an audit already scanned).",
        ),
        click.option("-q", "--quiet", is_flag=True, help="Print only the summary line."),
        click.option("-v", "--verbose", is_flag=True, help="Also show suppressed findings and rule timing."),
        click.option(
            "--color/--no-color",
            default=None,
            help="Colour the text report (default: on a terminal, unless NO_COLOR).",
        ),
    ]
    func = rule_options(func)
    for option in reversed(options):
        func = option(func)
    return func
