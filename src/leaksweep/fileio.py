"""Files: written without ever leaving a half-written one behind, and known by their metadata."""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterator
from pathlib import Path

from leaksweep.errors import LeaksweepError

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (see records.py)
if TYPE_CHECKING:
    from typing import TextIO


@contextlib.contextmanager
def atomic_text(path: Path) -> Iterator[TextIO]:
    """Write to a private (0600) temporary file beside ``path``, then rename it over ``path``.

    A crash, Ctrl-C or full disk leaves the previous file as it was and no temporary file
    behind; a write that fails (no space, file size limit, read-only folder) is reported as one
    line naming the file. A target that exists but is not a regular file (``-o /dev/null``, a
    FIFO) is written in place: renaming over it would replace a device node with a file.
    """
    try:
        special = path.exists() and not stat.S_ISREG(path.stat().st_mode)
    except OSError:
        special = False
    if special:
        try:
            with open(path, "w", encoding="utf-8", newline="") as handle:
                yield handle
        except OSError as exc:
            raise LeaksweepError(f"cannot write: {exc.strerror or exc}", where=str(path)) from None
        return
    directory = path.parent if str(path.parent) else Path(".")
    try:
        import tempfile  # only when a file is written: never in a text-to-terminal hook

        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise LeaksweepError(f"cannot write: {exc.strerror or exc}", where=str(path)) from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        if path.exists():
            with contextlib.suppress(OSError):
                os.chmod(tmp, path.stat().st_mode & 0o777)
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise LeaksweepError(
                f"cannot write: {exc.strerror or exc}; the previous file, if any, is unchanged",
                where=str(path),
            ) from None
        raise


def stamp(path: str | Path) -> str:
    """A file's identity from its metadata, following symlinks (what is read or run): device,
    inode, size, modification and change times. Replacing, upgrading or writing the file changes
    it; nothing can set a change time back. Raises OSError when the file cannot be examined."""
    return stat_stamp(os.stat(path))


def stat_stamp(info: os.stat_result) -> str:
    """:func:`stamp` of a file already examined."""
    return f"{info.st_dev}:{info.st_ino}:{info.st_size}:{info.st_mtime_ns}:{info.st_ctime_ns}"
