"""Commit ranges as targets: every file version the commits create, read whole.

A version is compared with that path's version in each parent (or the rename source's): a
secret counts as introduced only when no parent version contains it, so a merge is judged
against all its parents and a secret that only a merge adds is still found. Each distinct
(path, version, earlier versions) is scanned once, for the first commit that creates it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from leaksweep import git
from leaksweep.errors import LeaksweepError
from leaksweep.globs import match_path
from leaksweep.model import CommitInfo, Skipped
from leaksweep.records import Record
from leaksweep.sources import SourceItem
from leaksweep.sources.gitblob import GITLINK_REASON, BlobReader

_RANGE_MARKERS = ("..", "^!", "^@", "^-")


def _check_rev(rev: str) -> str:
    if not rev or rev.startswith("-"):
        raise LeaksweepError(f"{rev!r} is not a revision (revisions cannot start with '-')")
    left, dots, _ = rev.partition("..")
    if dots and git.is_zero(left):
        raise LeaksweepError(
            f"{rev!r}: the all-zero id stands for 'no commit' (a new branch); "
            "scan from the branch it forked from instead: --since-ref BASE TIP"
        )
    return rev


def range_args(revs: Sequence[str], since_ref: str | None = None) -> list[str]:
    """rev-list arguments for what the user named.

    ``A..B``, ``B ^A``, ``A...B`` and ``R^!`` are ranges as in ``git log``; revisions given alone
    (``commits SHA``) mean just those commits, not their whole ancestry; ``--since-ref REF``
    means the commits after REF up to the named revisions (default HEAD)."""
    checked = [_check_rev(r) for r in revs]
    if since_ref is not None:
        return ["--end-of-options", *(checked or ["HEAD"]), f"^{_check_rev(since_ref)}"]
    if not checked:
        raise LeaksweepError(
            "name the commits to scan: REV-RANGE (e.g. origin/main..HEAD), SHA, or --since-ref REF"
        )
    if any(r.startswith("^") or any(m in r for m in _RANGE_MARKERS) for r in checked):
        return ["--end-of-options", *checked]
    return ["--no-walk", "--end-of-options", *checked]


def list_commits(rev_args: Sequence[str], cwd: str | Path | None = None) -> list[git.Commit]:
    """The commits to scan, parents before children."""
    walk = [] if "--no-walk" in rev_args else ["--topo-order"]
    # The trailing "--" makes git read every argument as a revision, never as a path.
    return git.commits(["--reverse", *walk, *rev_args, "--"], cwd)


def _info(commit: git.Commit) -> CommitInfo:
    return CommitInfo(commit.sha, commit.author, commit.email, commit.date, commit.subject)


class ChangeWork(Record):
    """A file version to scan, before it is read: what a worker process needs to read it."""

    path: str
    blob: str
    earlier: tuple[str, ...]  # the versions it is compared with, sorted
    commit: CommitInfo


def commit_work(
    commits: Sequence[git.Commit],
    exclude: Iterable[str] = (),
    cwd: str | Path | None = None,
) -> Iterator[Skipped | ChangeWork]:
    """The file versions the commits create, in order, without reading any of them."""
    excludes = tuple(exclude)
    by_sha = {c.sha: c for c in commits}
    seen: set[tuple[str, str, frozenset[str]]] = set()
    noted: set[str] = set()
    for sha, changes in git.commit_changes([c.sha for c in commits], cwd):
        commit = by_sha.get(sha)
        info = _info(commit) if commit is not None else CommitInfo(sha)
        for change in changes:
            if change.deleted or (excludes and match_path(change.path, excludes)):
                continue
            if change.gitlink:
                if change.path not in noted:
                    noted.add(change.path)
                    yield Skipped(change.path, GITLINK_REASON, change.blob)
                continue
            earlier = frozenset(
                s.blob for s in change.parents if not git.is_zero(s.blob) and s.mode != "160000"
            )
            # A pure rename or a mode change keeps the blob: nothing in it is new.
            if change.blob in earlier:
                continue
            key = (change.path, change.blob, earlier)
            if key in seen:  # the same change again (a cherry-pick in the same range)
                continue
            seen.add(key)
            yield ChangeWork(change.path, change.blob, tuple(sorted(earlier)), info)


def read_change(work: ChangeWork, reader: BlobReader) -> SourceItem:
    return reader.target(work.path, work.blob, work.earlier, "commit", work.commit)


def iter_commits(
    commits: Sequence[git.Commit],
    max_size: int,
    exclude: Iterable[str] = (),
    cwd: str | Path | None = None,
) -> Iterator[SourceItem]:
    with git.CatFile(cwd) as cat:
        reader = BlobReader(cat, max_size)
        for work in commit_work(commits, exclude, cwd):
            yield work if isinstance(work, Skipped) else read_change(work, reader)
