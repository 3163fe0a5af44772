"""Files and folders (and standard input) as targets.

Inside a git work tree a folder yields what git would track (tracked plus untracked files that
are not ignored); elsewhere every file except ``.git/``. Symlinks are never followed out of the
folder being scanned, and nothing that is not a regular file (FIFOs, devices) is opened.
"""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from leaksweep import git
from leaksweep.globs import match_path
from leaksweep.model import Skipped, Target
from leaksweep.records import Record
from leaksweep.sources import SourceItem


def display_path(path: Path, cwd: Path) -> str:
    try:
        rel = os.path.relpath(path, cwd)
    except ValueError:  # another drive on Windows
        rel = str(path)
    if rel.startswith(".." + os.sep) or rel == "..":
        rel = str(path)
    return Path(rel).as_posix()


def _inside(path: Path, root: Path) -> bool:
    try:
        path.relative_to(root)
    except ValueError:
        return False
    return True


_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)


def read_file(
    path: Path, shown: str, root: Path, max_size: int, parents: dict[Path, bool] | None = None
) -> SourceItem:
    """One file as a Target, or a Skipped saying why not.

    ``parents`` caches, per folder, whether it really lies inside ``root``: git lists paths from
    its index, and a hostile tree can hold ``d/passwd`` where ``d`` is a symlink to ``/etc``."""
    try:
        info = path.lstat()
    except OSError as exc:
        return Skipped(shown, f"unreadable: {exc.strerror or exc}")
    if stat.S_ISLNK(info.st_mode):
        try:
            real = path.resolve(strict=True)
        except (OSError, RuntimeError):
            return Skipped(shown, "broken symlink")
        if not _inside(real, root):
            return Skipped(shown, "symlink pointing outside the scanned tree")
        # Inside the tree the target file is scanned under its own name.
        return Skipped(shown, "symlink (its target is scanned where it lives)")
    if not stat.S_ISREG(info.st_mode):
        return Skipped(shown, "not a regular file")
    if not _parent_inside(path.parent, root, parents):
        return Skipped(shown, "inside a symlinked folder pointing outside the scanned tree")
    if info.st_size > max_size:
        return Skipped(shown, f"larger than --max-file-size ({info.st_size} > {max_size} bytes)")
    try:
        # O_NOFOLLOW and O_NONBLOCK: a file swapped for a symlink or a FIFO since lstat() is
        # refused rather than followed out of the tree or left to block the scan.
        fd = os.open(path, os.O_RDONLY | _NOFOLLOW)
    except OSError as exc:
        return Skipped(shown, f"unreadable: {exc.strerror or exc}")
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return Skipped(shown, "not a regular file")
        with os.fdopen(fd, "rb", closefd=False) as handle:
            content = handle.read(max_size + 1)
    except OSError as exc:
        return Skipped(shown, f"unreadable: {exc.strerror or exc}")
    finally:
        os.close(fd)
    if len(content) > max_size:  # grew since stat
        return Skipped(shown, f"larger than --max-file-size ({max_size} bytes)")
    return Target(path=shown, content=content, origin="file")


class FileWork(Record):
    """A file to scan, before it is read: what a worker process needs to read it itself (so a
    directory scan reads its files in parallel, and their content never crosses a pipe)."""

    path: str  # as found (absolute or relative to the working directory)
    shown: str
    root: str  # the scanned tree's resolved top: nothing outside it is read
    size: int  # from lstat, to share the work out evenly


def read_work(work: FileWork, max_size: int, parents: dict[Path, bool] | None = None) -> SourceItem:
    """A listed file as :func:`read_file` reads it, with all its checks, where it is scanned."""
    return read_file(Path(work.path), work.shown, Path(work.root), max_size, parents)


def _parent_inside(folder: Path, root: Path, cache: dict[Path, bool] | None) -> bool:
    if cache is not None and folder in cache:
        return cache[folder]
    try:
        inside = _inside(folder.resolve(strict=True), root)
    except (OSError, RuntimeError):
        inside = False
    if cache is not None:
        cache[folder] = inside
    return inside


def _walk(directory: Path) -> Iterator[Path]:
    for base, dirs, files in os.walk(directory, followlinks=False):
        # Symlinked directories are not descended; yield them so they are reported as skipped
        # rather than vanishing silently.
        linked = sorted(d for d in dirs if os.path.islink(os.path.join(base, d)))
        dirs[:] = sorted(d for d in dirs if d != ".git" and d not in linked)
        for name in sorted(files + linked):
            yield Path(base, name)


def _ignored_by_git(directory: Path) -> bool:
    """Whether git ignores ``directory`` itself (e.g. a build or vendored folder named explicitly)."""
    proc = git.run(["check-ignore", "-q", "--", "."], cwd=directory, check=False)
    return proc.returncode == 0


def iter_folder(directory: Path) -> Iterator[Path]:
    top = git.work_tree_root(directory)
    # A folder that git ignores as a whole was named on purpose: scan all of it, not nothing.
    if top is None or _ignored_by_git(directory):
        yield from _walk(directory)
        return
    for name in git.ls_files(directory):
        yield directory / name


def iter_paths(
    paths: Iterable[str],
    max_size: int,
    exclude: Iterable[str] = (),
    cwd: Path | None = None,
    deferred: bool = False,
) -> Iterator[SourceItem | FileWork]:
    """Targets for files and folders named on the command line (not ``-``); with ``deferred``,
    FileWork instead, for whoever scans them to read (:func:`read_work`)."""
    cwd = Path.cwd() if cwd is None else cwd
    excludes = tuple(exclude)
    seen: set[str] = set()
    for raw in paths:
        given = Path(raw)
        absolute = given if given.is_absolute() else cwd / given
        if not absolute.exists() and not absolute.is_symlink():
            yield Skipped(raw, "no such file or directory")
            continue
        if absolute.is_dir() and not absolute.is_symlink():
            root = absolute.resolve()
            candidates: Iterable[Path] = iter_folder(absolute)
        else:
            root = absolute.parent.resolve()
            candidates = [absolute]
        parents: dict[Path, bool] = {}
        for path in candidates:
            shown = display_path(path, cwd)
            # The path relative to the named folder is needed only to match excludes: computing
            # it for every file cost a third of a 100,000-file scan.
            if excludes and (
                match_path(shown, excludes)
                or match_path(display_path(path, absolute) if path != absolute else path.name, excludes)
            ):
                continue
            key = os.path.abspath(path)
            if key in seen:
                continue
            seen.add(key)
            if deferred:
                try:
                    size = path.lstat().st_size
                except OSError:
                    size = 0  # read_work says why
                yield FileWork(str(path), shown, str(root), size)
            else:
                yield read_file(path, shown, root, max_size, parents)


def read_stdin(name: str, max_size: int, stream: BinaryIO | None = None) -> SourceItem:
    handle = stream if stream is not None else sys.stdin.buffer
    content = handle.read(max_size + 1)
    if len(content) > max_size:
        return Skipped(name, f"larger than --max-file-size ({max_size} bytes)")
    return Target(path=name, content=content, origin="stdin")
