"""A one-line progress bar on standard error, for people watching a long scan.

It draws only when its stream is a terminal: CI logs and redirected output stay clean. It redraws
at most ``interval`` seconds apart (a history audit reports thousands of blobs a second, and a
terminal that repaints each one slows the scan down), and erases itself when the scan ends so the
report that follows starts on a clean line.

The total is usually unknown (sources stream their targets), so the bar is a bouncing block next
to the counts; when a total is given it fills in proportion instead.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

from leaksweep.report.common import human_bytes

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (see records.py)
if TYPE_CHECKING:
    from typing import TextIO

CLEAR = "\r\x1b[K"  # to column 0, erase to the end of the line
BAR = 12


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError, OSError):  # closed or not a real file
        return False


def _columns(stream: TextIO) -> int:
    try:
        return os.get_terminal_size(stream.fileno()).columns or 80
    except (AttributeError, ValueError, OSError):
        return 80


def _duration(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class Progress:
    """Counts targets and bytes and shows them, with the rate, on one redrawn line.

    ``delay`` and ``min_bytes`` decide when a scan is large enough to deserve a bar: it appears
    once the scan has run ``delay`` seconds or read ``min_bytes`` bytes, whichever comes first, so
    a hook scanning three small files never flickers one onto the screen.
    """

    def __init__(
        self,
        stream: TextIO,
        unit: str = "files",
        *,
        delay: float = 0.5,
        min_bytes: int = 4 * 1024 * 1024,
        interval: float = 0.1,
        enabled: bool | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stream = stream
        self.unit = unit
        self.delay = delay
        self.min_bytes = min_bytes
        self.interval = interval
        self.enabled = _is_terminal(stream) if enabled is None else enabled
        self.clock = clock
        self.started = clock()
        self.targets = 0
        self.bytes = 0
        self._drawn_at: float | None = None
        self._visible = False
        self._frame = 0

    def update(self, targets: int, nbytes: int, total: int | None = None) -> None:
        """Record progress; redraw if the bar is due (cheap enough to call for every target)."""
        self.targets, self.bytes = targets, nbytes
        if not self.enabled:
            return
        now = self.clock()
        if self._drawn_at is None:
            if now - self.started < self.delay and nbytes < self.min_bytes:
                return
        elif now - self._drawn_at < self.interval:
            return
        self._drawn_at = now
        self._draw(now, total)

    def line(self, now: float, total: int | None = None) -> str:
        """The text of the bar at time ``now`` (without the terminal control codes)."""
        elapsed = max(now - self.started, 1e-9)
        if total:
            filled = min(BAR, self.targets * BAR // total)
            bar = "#" * filled + "-" * (BAR - filled)
            done = f" {self.targets * 100 // total:3d}%"
        else:
            # An indeterminate bar: a block of three that bounces between the ends.
            span = BAR - 3
            pos = self._frame % (2 * span)
            pos = pos if pos <= span else 2 * span - pos
            bar = " " * pos + "===" + " " * (span - pos)
            done = ""
        rate = human_bytes(int(self.bytes / elapsed))
        return (
            f"[{bar}]{done} {self.targets:,} {self.unit}, {human_bytes(self.bytes)}, "
            f"{rate}/s, {_duration(elapsed)}"
        )

    def _draw(self, now: float, total: int | None) -> None:
        text = self.line(now, total)
        self._frame += 1
        # Never wrap: a wrapped line cannot be erased with one carriage return.
        text = text[: max(10, _columns(self.stream) - 1)]
        try:
            self.stream.write(CLEAR + text)
            self.stream.flush()
        except (OSError, ValueError):  # the terminal went away; the scan itself goes on
            self.enabled = False
            return
        self._visible = True

    def clear(self) -> None:
        """Erase the bar (before other output shares the terminal, and at the end)."""
        if self._visible:
            try:
                self.stream.write(CLEAR)
                self.stream.flush()
            except (OSError, ValueError):
                pass
            self._visible = False
            # Redraw at the next update rather than waiting out the interval.
            self._drawn_at = self._drawn_at - self.interval if self._drawn_at is not None else None

    def close(self) -> None:
        self.clear()
        self.enabled = False

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
