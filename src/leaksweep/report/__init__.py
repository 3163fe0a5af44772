"""Reporters: plain functions ``write(result, options, stream)`` looked up by format name."""

from __future__ import annotations

from collections.abc import Callable
from typing import TextIO

from leaksweep.report import json_report, text
from leaksweep.report.common import ReportOptions
from leaksweep.session import ScanResult

Reporter = Callable[[ScanResult, ReportOptions, TextIO], None]

REPORTERS: dict[str, Reporter] = {
    "text": text.write,
    "json": json_report.write,
}

__all__ = ["REPORTERS", "ReportOptions", "Reporter"]
