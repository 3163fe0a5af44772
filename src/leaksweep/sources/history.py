"""Every blob reachable from the repository's refs, each scanned once.

``--all`` covers branches, tags, remote-tracking refs, HEAD (even detached) and the newest
stash; older stash entries live only in the stash's reflog, so they are added explicitly. A
blob is scanned under the first path rev-list saw it at, with no earlier version (everything
in history counts); which commit introduced it, and where else it lives, is worked out later
by ``provenance`` for the few blobs that had findings.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from leaksweep import git
from leaksweep.errors import GitError, LeaksweepError
from leaksweep.globs import match_path
from leaksweep.model import Skipped
from leaksweep.records import Record
from leaksweep.sources import SourceItem
from leaksweep.sources.gitblob import BlobReader, too_large

SHALLOW_NOTE = (
    "this is a shallow clone: history before its boundary is missing, so older secrets are not "
    "scanned and 'introduced by' may name the boundary commit (run `git fetch --unshallow` for a full audit)"
)


class History:
    """The history to audit: its starting points, notes about what cannot be scanned, and the
    blobs as targets."""

    def __init__(
        self,
        branches: Sequence[str] = (),
        since: str | None = None,
        cwd: str | Path | None = None,
    ) -> None:
        self.cwd = cwd
        self.since = since
        self.notes: list[str] = []
        info = git.repo_info(cwd)
        self.git_dir = info.git_dir
        self.head = info.head
        if info.shallow:
            self.notes.append(SHALLOW_NOTE)
        self.starts = self._starts(branches)
        self.head_tree = git.ls_tree(self.head, cwd) if self.head else []
        for entry in self.head_tree:
            if entry.kind == "commit":
                self.notes.append(
                    f"{entry.path} is a submodule (gitlink): its history lives in another repository "
                    "and was not scanned; audit that repository separately"
                )

    def _starts(self, branches: Sequence[str]) -> list[str]:
        """Starting points for rev-list (no --since: provenance walks the same refs in full)."""
        if branches:
            for ref in branches:
                if ref.startswith("-") or git.resolve_commit(ref, self.cwd) is None:
                    raise LeaksweepError(f"--branch {ref}: no such branch, tag or commit")
            return ["--end-of-options", *branches, "--"]
        stash = git.reflog("refs/stash", self.cwd)
        # The trailing "--" makes git read every argument as a revision, never as a path.
        return ["--all", "--end-of-options", *dict.fromkeys(stash), "--"]

    def listing(self, max_size: int, exclude: Iterable[str] = ()) -> Iterator[Skipped | BlobWork]:
        """The blobs to scan, without reading them: what cannot be scanned comes first (as
        Skipped), then every blob to read, each under the first path rev-list saw it at, in the
        order git stores them (:func:`_stored_order`)."""
        excludes = tuple(exclude)
        since = [f"--since={self.since}"] if self.since else []
        wanted: dict[str, BlobWork] = {}
        for obj in git.reachable_objects([*since, *self.starts], self.cwd):
            path = obj.path or f"<blob {obj.oid[:12]}>"  # a tag pointing straight at a blob
            if obj.kind == "missing":
                yield Skipped(path, git.unreadable_reason(obj.oid), obj.oid, damaged=True)
            elif obj.kind != "blob" or (excludes and match_path(path, excludes)):
                continue
            elif obj.size > max_size:
                yield Skipped(path, too_large(obj.size, max_size), obj.oid)
            else:
                wanted.setdefault(obj.oid, BlobWork(obj.oid, path, obj.size))
        yield from _stored_order(wanted, self.cwd)


# Below this many blobs an audit keeps rev-list's order: listing the storage order reads the name
# of every object in the repository (about 0.65 us each), which a narrow audit (--since, --branch)
# of a repository with millions of objects would pay in seconds to save little.
STORAGE_ORDER_MIN = 2000


def _stored_order(wanted: dict[str, BlobWork], cwd: str | Path | None) -> list[BlobWork]:
    """The work in the order git stores the blobs (see git.storage_order: the readers inflate
    about a quarter less), whatever git could not list after it in the order rev-list found
    them. A failure to list costs only the order, never a blob."""
    if len(wanted) < STORAGE_ORDER_MIN:
        return list(wanted.values())
    ordered: list[BlobWork] = []
    with contextlib.suppress(GitError), contextlib.closing(git.storage_order(cwd)) as names:
        for oid in names:
            work = wanted.pop(oid, None)
            if work is not None:
                ordered.append(work)
                if not wanted:
                    break  # the rest is not needed: closing the listing stops git
    ordered.extend(wanted.values())
    return ordered


class BlobWork(Record):
    """A blob to scan, before it is read: what a worker process needs to read it."""

    oid: str
    path: str
    size: int


def read_blob(work: BlobWork, reader: BlobReader) -> SourceItem:
    return reader.target(work.path, work.oid, (), "history")
