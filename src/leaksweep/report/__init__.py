"""Reporters: plain functions ``write(result, options, stream)`` looked up by format name."""

from __future__ import annotations

from collections.abc import Callable
from typing import TextIO

from leaksweep.report import csv_report, github, gitlab, json_report, jsonl, junit, sarif, text
from leaksweep.report.common import ReportOptions
from leaksweep.session import ScanResult

Reporter = Callable[[ScanResult, ReportOptions, TextIO], None]

REPORTERS: dict[str, Reporter] = {
    "text": text.write,
    "json": json_report.write,
    "jsonl": jsonl.write,
    "sarif": sarif.write,
    "junit": junit.write,
    "gitlab": gitlab.write,
    "csv": csv_report.write,
    "github": github.write,
}

__all__ = ["REPORTERS", "ReportOptions", "Reporter"]
