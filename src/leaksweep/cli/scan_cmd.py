"""``leaksweep scan``: files, folders and standard input."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import click

from leaksweep.cli.common import scan_options
from leaksweep.cli.settings import pop_settings, scan_and_report
from leaksweep.sources import SourceItem
from leaksweep.sources.files import FileWork, iter_paths, read_stdin


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=str))
@click.option(
    "--stdin-name", default="<stdin>", show_default=True, help="The path to report for content read from '-'."
)
@scan_options
def scan(paths: tuple[str, ...], stdin_name: str, **kwargs: Any) -> int:
    """Scan files and folders (default '.'); '-' reads standard input.

    In a git work tree a folder means its tracked and untracked-but-not-ignored files.
    """
    settings = pop_settings(kwargs)

    def items() -> Iterator[SourceItem | FileWork]:
        named = list(paths) or ["."]
        files = [p for p in named if p != "-"]
        if "-" in named:
            yield read_stdin(stdin_name, settings.max_file_size)
        yield from iter_paths(files, settings.max_file_size, settings.exclude, deferred=True)

    return scan_and_report(items(), settings, mode="scan")
