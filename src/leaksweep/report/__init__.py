"""Reporters: plain functions ``write(result, options, stream)`` looked up by format name.

Each reporter's module is imported the first time its format is asked for: the pre-commit hook
writes one text report, and importing all eight formats (SARIF, JUnit's XML, CSV...) would cost
it more than its scan."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Mapping

from leaksweep.report.common import ReportOptions

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (see records.py)
if TYPE_CHECKING:
    from typing import TextIO

    from leaksweep.session import ScanResult

Reporter = Callable[["ScanResult", "ReportOptions", "TextIO"], None]

# format name -> module under leaksweep.report holding its ``write``
_MODULES = {
    "text": "text",
    "json": "json_report",
    "jsonl": "jsonl",
    "sarif": "sarif",
    "junit": "junit",
    "gitlab": "gitlab",
    "csv": "csv_report",
    "github": "github",
}


def _redacting(write: Reporter) -> Reporter:
    """Every reporter sees findings whose commit metadata is scrubbed of the secrets found (a
    commit message can quote the very key it adds); they redact the secrets themselves."""
    from leaksweep.report.common import redacted_result

    def guarded(result: ScanResult, opts: ReportOptions, out: TextIO) -> None:
        # Suppressed candidates are listed by --show-suppressed (and the text report's -v) only.
        listed = opts.show_suppressed or opts.verbose > 0
        write(redacted_result(result, opts.show_secrets, with_dropped=listed), opts, out)

    guarded.__doc__ = write.__doc__
    return guarded


class _Reporters(Mapping[str, Reporter]):
    """The format names are known up front (``--format`` choices); the functions on demand."""

    def __init__(self) -> None:
        self._loaded: dict[str, Reporter] = {}

    def __getitem__(self, name: str) -> Reporter:
        if name not in self._loaded:
            module = importlib.import_module(f"leaksweep.report.{_MODULES[name]}")
            self._loaded[name] = _redacting(module.write)
        return self._loaded[name]

    def __iter__(self) -> Iterator[str]:
        return iter(_MODULES)

    def __len__(self) -> int:
        return len(_MODULES)

    def __contains__(self, name: object) -> bool:
        return name in _MODULES


REPORTERS: Mapping[str, Reporter] = _Reporters()

__all__ = ["REPORTERS", "ReportOptions", "Reporter"]
