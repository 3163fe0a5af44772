"""Reporters: plain functions ``write(result, options, stream)`` looked up by format name."""

from __future__ import annotations

from collections.abc import Callable
from typing import TextIO

from leaksweep.report import csv_report, github, gitlab, json_report, jsonl, junit, sarif, text
from leaksweep.report.common import ReportOptions, redacted_result
from leaksweep.session import ScanResult

Reporter = Callable[[ScanResult, ReportOptions, TextIO], None]


def _redacting(write: Reporter) -> Reporter:
    """Every reporter sees findings whose commit metadata is scrubbed of the secrets found (a
    commit message can quote the very key it adds); they redact the secrets themselves."""

    def guarded(result: ScanResult, opts: ReportOptions, out: TextIO) -> None:
        write(redacted_result(result, opts.show_secrets), opts, out)

    guarded.__doc__ = write.__doc__
    return guarded


REPORTERS: dict[str, Reporter] = {
    name: _redacting(write)
    for name, write in {
        "text": text.write,
        "json": json_report.write,
        "jsonl": jsonl.write,
        "sarif": sarif.write,
        "junit": junit.write,
        "gitlab": gitlab.write,
        "csv": csv_report.write,
        "github": github.write,
    }.items()
}

__all__ = ["REPORTERS", "ReportOptions", "Reporter"]
