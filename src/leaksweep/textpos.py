"""Turning character offsets into 1-based line and column numbers."""

from __future__ import annotations

from bisect import bisect_right
from itertools import accumulate

# A text's lookups count newlines until they have counted this many times its length, or made
# this many lookups; then the table of line starts is built (see LineIndex).
TABLE_AFTER_PASSES = 2
TABLE_AFTER_LOOKUPS = 32


class LineIndex:
    """Line and column numbers for offsets in one text.

    Most texts that get here have a few findings: each lookup counts newlines (``str.count``, at
    memory speed) from the nearest offset looked up before, and the lines found so far remember
    where they start and end, so a large file is not split into a list of its lines for three
    findings. A text with many findings (a minified bundle) gets the table of line starts once
    the counting has cost about as much as building it, and lookups then bisect it."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._starts: list[int] | None = None
        # Offsets looked up so far, sorted, and for each its line and that line's start.
        self._offsets = [0]
        self._found = [(1, 0)]
        self._line_starts = {1: 0}
        self._line_ends: dict[int, int] = {}
        self._counted = 0

    def _table(self) -> list[int]:
        """The offset of every line's start (built on first use)."""
        if self._starts is None:
            # C-level loops (split, accumulate), not one Python step per line.
            starts = list(accumulate(map((1).__add__, map(len, self.text.split("\n"))), initial=0))
            starts.pop()  # the position after the end
            self._starts = starts
        return self._starts

    def position(self, offset: int) -> tuple[int, int]:
        """(line, column) of a character offset, both 1-based."""
        if self._starts is None:
            slot = bisect_right(self._offsets, offset)
            base = self._offsets[slot - 1]
            line, start = self._found[slot - 1]
            newlines = self.text.count("\n", base, offset)
            if newlines:
                line += newlines
                start = self.text.rfind("\n", base, offset) + 1
                self._line_starts[line] = start
            self._offsets.insert(slot, offset)
            self._found.insert(slot, (line, start))
            self._counted += offset - base
            if (
                self._counted > TABLE_AFTER_PASSES * len(self.text)
                or len(self._offsets) > TABLE_AFTER_LOOKUPS
            ):
                self._table()  # later lookups bisect it
            return line, offset - start + 1
        starts = self._starts
        index = bisect_right(starts, offset) - 1
        return index + 1, offset - starts[index] + 1

    def _bounds(self, line: int) -> tuple[int, int]:
        """Where ``line`` starts, and where its newline (or the text) ends it."""
        if self._starts is not None:
            starts = self._starts
            return starts[line - 1], (starts[line] - 1 if line < len(starts) else len(self.text))
        start = self._line_starts.get(line)
        if start is None:
            after = self._line_starts.get(line + 1)
            if after is None:  # a line no lookup passed through: the table answers
                self._table()
                return self._bounds(line)
            # The line before a known one (the allow-next-line marker): one backward search.
            start = self._line_starts[line] = self.text.rfind("\n", 0, after - 1) + 1
            self._line_ends[line] = after - 1
        end = self._line_ends.get(line)
        if end is None:
            end = self.text.find("\n", start)
            end = self._line_ends[line] = len(self.text) if end == -1 else end
        return start, end

    def line_text(self, line: int, around: tuple[int, int] | None = None, limit: int = 400) -> str:
        """The text of ``line`` without its ending; long lines are cut to a window around ``around``."""
        start, end = self._bounds(line)
        while end > start and self.text[end - 1] == "\r":
            end -= 1
        # Slice only the part returned: copying a whole multi-megabyte minified line for each of
        # its findings made scanning such a file quadratic.
        length = end - start
        if length <= limit or around is None:
            return self.text[start : start + min(length, limit)] if around is None else self.text[start:end]
        lo = max(0, around[0] - start - limit // 2)
        hi = min(length, max(lo + limit, around[1] - start + 20))
        return ("…" if lo else "") + self.text[start + lo : start + hi] + ("…" if hi < length else "")
