"""Load YAML while remembering where every mapping and key came from.

Config and rule errors must name ``file:line``; PyYAML's plain loaders drop positions, so we
compose the node graph ourselves and build Python values with line numbers attached.

Everything about the input is bounded, because rule packs and configs can come from a
repository we do not trust: the bytes read, the number of parser events (counted in a cheap
first pass that stops at the limit, so a huge flat document fails before a node graph is built),
the nesting depth, and the values an alias can expand to (an alias bomb, "billion laughs", fails
fast instead of eating memory).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from leaksweep.errors import LeaksweepError

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (see records.py)
if TYPE_CHECKING:
    from typing import Any
else:
    Any = object  # subscripts the base classes below, which run time does not check

MAX_NODES = 200_000
MAX_BYTES = 20 * 1024 * 1024
MAX_DEPTH = 100


class LMap(dict[str, Any]):
    """A mapping that knows its own line and the line of each key (1-based)."""

    line: int
    key_lines: dict[str, int]


class LList(list[Any]):
    line: int
    item_lines: list[int]


def read_bounded(path: Path, limit: int, what: str = "file") -> bytes:
    """The bytes of the regular file ``path``, refusing more than ``limit``.

    Opened non-blocking and checked with fstat, so a FIFO or device named as a config (or a
    symlink to one) is refused instead of hanging the run or streaming forever."""
    where = str(path)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise LeaksweepError(f"cannot read {what}: {exc.strerror or exc}", where=where) from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise LeaksweepError(f"cannot read {what}: not a regular file", where=where)
        with os.fdopen(fd, "rb", closefd=False) as handle:
            raw = handle.read(limit + 1)
    except OSError as exc:
        raise LeaksweepError(f"cannot read {what}: {exc.strerror or exc}", where=where) from None
    finally:
        os.close(fd)
    if len(raw) > limit:
        raise LeaksweepError(f"{what} is larger than {limit} bytes", where=where)
    return raw


def decode_utf8(raw: bytes, where: str, what: str = "file") -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise LeaksweepError(f"{what} is not UTF-8 (byte {exc.start})", where=f"{where}:{line}") from None


def load_yaml(path: Path, text: str | None = None) -> Any:
    """Parse one YAML document from ``path`` (or ``text``) into LMap/LList/scalars (see
    :mod:`leaksweep.yamlparse`; PyYAML is imported only when a YAML file is actually read, which
    the pre-commit hook with cached rules and no config never does)."""
    from leaksweep.yamlparse import parse_document

    return parse_document(path, text)


def short_repr(value: Any, limit: int = 80) -> str:
    """A value for an error message: one line, and short even when the value is a megabyte."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def line_of(value: Any, key: str | None = None) -> int | None:
    """The line of ``value`` (an LMap/LList), or of ``key`` inside it."""
    if isinstance(value, LMap):
        if key is not None and key in value.key_lines:
            return value.key_lines[key]
        return value.line
    if isinstance(value, LList):
        return value.line
    return None
