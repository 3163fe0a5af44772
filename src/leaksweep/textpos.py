"""Turning character offsets into 1-based line and column numbers."""

from __future__ import annotations

from bisect import bisect_right


class LineIndex:
    """Offsets of line starts, built once per text so lookups are O(log n), not O(n)."""

    def __init__(self, text: str) -> None:
        self.text = text
        starts = [0]
        find = text.find
        pos = find("\n")
        while pos != -1:
            starts.append(pos + 1)
            pos = find("\n", pos + 1)
        self.starts = starts

    def position(self, offset: int) -> tuple[int, int]:
        """(line, column) of a character offset, both 1-based."""
        index = bisect_right(self.starts, offset) - 1
        return index + 1, offset - self.starts[index] + 1

    def line_text(self, line: int, around: tuple[int, int] | None = None, limit: int = 400) -> str:
        """The text of ``line`` without its ending; long lines are cut to a window around ``around``."""
        start = self.starts[line - 1]
        end = self.starts[line] - 1 if line < len(self.starts) else len(self.text)
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
