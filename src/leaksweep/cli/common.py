"""Options every scanning command shares, and the one place a scan becomes an exit code."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO, TypeVar

import click

from leaksweep.detector import Detector
from leaksweep.errors import EXIT_CLEAN, EXIT_FINDINGS, LeaksweepError
from leaksweep.fileio import atomic_text
from leaksweep.report import REPORTERS, ReportOptions
from leaksweep.report.text import summary
from leaksweep.rules import Rule, load_rules, select
from leaksweep.session import ScanResult, run_scan
from leaksweep.sources import SourceItem

F = TypeVar("F", bound=Callable[..., Any])
DEFAULT_MAX_FILE_SIZE = 10 * 1024 * 1024
_SIZE_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmg]?i?b?)?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "b": 1, "k": 1024, "m": 1024**2, "g": 1024**3}


def parse_size(text: str) -> int:
    m = _SIZE_RE.match(text)
    if not m:
        raise click.BadParameter(f"{text!r} is not a size such as 500000, 512KB or 10MB")
    unit = (m.group(2) or "").lower()[:1]
    return int(float(m.group(1)) * _UNITS[unit])


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
            "--show-secrets", is_flag=True, help="Print secrets in full (they are redacted by default)."
        ),
        click.option("--show-suppressed", is_flag=True, help="Also list what was dropped, and why."),
        click.option(
            "--max-file-size",
            type=SizeType(),
            default=DEFAULT_MAX_FILE_SIZE,
            show_default="10MB",
            help="Skip files larger than this (noted in the report).",
        ),
        click.option(
            "--exclude",
            multiple=True,
            metavar="GLOB",
            help="Skip paths matching a gitignore-style glob (repeatable).",
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


@dataclass(frozen=True)
class ScanSettings:
    rule_packs: tuple[Path, ...]
    no_builtin: bool
    disable: tuple[str, ...]
    fmt: str
    output: Path | None
    show_secrets: bool
    show_suppressed: bool
    max_file_size: int
    exclude: tuple[str, ...]
    quiet: bool
    verbose: bool
    color: bool | None

    @classmethod
    def from_kwargs(cls, kwargs: dict[str, Any]) -> ScanSettings:
        names = cls.__dataclass_fields__
        return cls(**{k: v for k, v in kwargs.items() if k in names})


def pop_settings(kwargs: dict[str, Any]) -> ScanSettings:
    settings = ScanSettings.from_kwargs(kwargs)
    for name in ScanSettings.__dataclass_fields__:
        kwargs.pop(name, None)
    return settings


def load_selected_rules(packs: Iterable[Path], no_builtin: bool, disable: Iterable[str]) -> list[Rule]:
    rules = select(load_rules(tuple(packs), builtin=not no_builtin), disable)
    if not rules:
        raise LeaksweepError("no rules to run: add --rules PACK.yaml or drop --no-builtin")
    return rules


def make_detector(settings: ScanSettings) -> Detector:
    rules = load_selected_rules(settings.rule_packs, settings.no_builtin, settings.disable)
    return Detector(rules, timing=settings.verbose)


def _use_color(settings: ScanSettings, stream: TextIO) -> bool:
    if settings.color is not None:
        return settings.color
    if os.environ.get("NO_COLOR"):
        return False
    return settings.output is None and hasattr(stream, "isatty") and stream.isatty()


def report(result: ScanResult, settings: ScanSettings) -> int:
    """Write the report and map the outcome to an exit code (0 clean, 1 findings)."""
    opts = ReportOptions(
        show_secrets=settings.show_secrets,
        color=_use_color(settings, sys.stdout),
        verbose=-1 if settings.quiet else (1 if settings.verbose else 0),
        show_suppressed=settings.show_suppressed,
    )
    reporter = REPORTERS[settings.fmt]
    if settings.output is not None:
        with atomic_text(settings.output) as handle:
            reporter(result, opts, handle)
    else:
        reporter(result, opts, sys.stdout)
        sys.stdout.flush()
    if settings.fmt != "text" or settings.output is not None:
        # Machine formats keep stdout clean; a person still sees the outcome.
        click.echo(summary(result), err=True)
        for note in result.notes:
            click.echo(f"warning: {note}", err=True)
    return EXIT_FINDINGS if result.findings else EXIT_CLEAN


def scan_and_report(items: Iterable[SourceItem], settings: ScanSettings, mode: str) -> int:
    detector = make_detector(settings)
    return report(run_scan(items, detector, mode=mode), settings)
