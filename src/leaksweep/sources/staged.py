"""The index as targets: what ``git commit`` would record, each staged file read whole.

A staged version is compared with the version(s) it replaces: HEAD's version of that path (or
of its rename source) and, while a merge is being concluded, each merged commit's version. A
secret whose value one of them already holds is not new. This module runs on every commit, so
it imports nothing beyond git plumbing and reads every object through one cat-file process.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from pathlib import Path

from leaksweep import git
from leaksweep.errors import LeaksweepError
from leaksweep.globs import match_path
from leaksweep.model import Skipped
from leaksweep.records import Record
from leaksweep.sources import SourceItem
from leaksweep.sources.gitblob import GITLINK_REASON, BlobReader

# Added, copied, modified, renamed, type-changed: a deleted path adds nothing, and an unmerged
# one (U) cannot be committed until it is resolved and staged again.
WANTED = frozenset("ACMRT")


class StagedFile(Record):
    path: str
    mode: str
    blob: str
    before: tuple[str, ...]  # blob ids of the versions this one replaces


def _merge_heads(git_dir: Path) -> list[str]:
    try:
        text = (git_dir / "MERGE_HEAD").read_text(encoding="ascii", errors="replace")
    except OSError:
        return []
    return [line.strip() for line in text.splitlines() if line.strip()]


def staged_files(cwd: str | Path | None = None) -> list[StagedFile]:
    """The staged paths that can hold something new, with the versions each replaces."""
    info = git.repo_info(cwd)
    if not info.in_work_tree:
        raise LeaksweepError(
            "`leaksweep staged` needs a work tree (a bare repository has no staged changes); "
            "use `leaksweep commits RANGE` or `leaksweep history` there"
        )
    # Before the first commit everything staged is new: compare with the empty tree.
    base = info.head or git.empty_tree(cwd)
    changes = [c for c in git.staged_changes(base, cwd, info.git_dir) if c.status[:1] in WANTED]
    if not changes:
        return []
    befores: dict[str, list[str]] = {c.path: [s.blob for s in c.parents] for c in changes}
    modes = {c.path: c.mode for c in changes}
    blobs = {c.path: c.blob for c in changes}
    # Concluding a merge: a path identical to a merged commit's version brings nothing new,
    # and a secret from the merged branch was already committed there.
    for other in _merge_heads(info.git_dir) if info.head else []:
        differs = {c.path: c for c in git.staged_changes(other, cwd, info.git_dir)}
        for path in list(befores):
            change = differs.get(path)
            if change is None:
                del befores[path]
            else:
                befores[path] += [s.blob for s in change.parents]
    return [
        StagedFile(path, modes[path], blobs[path], tuple(b for b in old if not git.is_zero(b)))
        for path, old in befores.items()
    ]


def iter_staged(
    files: Iterable[StagedFile],
    max_size: int,
    exclude: Iterable[str] = (),
    cwd: str | Path | None = None,
    cat: git.CatFile | None = None,
) -> Iterator[SourceItem]:
    """The staged files as targets, read through ``cat`` (which the caller then closes) or a
    cat-file of their own."""
    excludes = tuple(exclude)
    with contextlib.nullcontext(cat) if cat is not None else git.CatFile(cwd) as reading:
        reader = BlobReader(reading, max_size)
        for staged in files:
            if excludes and match_path(staged.path, excludes):
                continue
            if staged.mode == "160000":
                yield Skipped(staged.path, GITLINK_REASON, staged.blob)
                continue
            yield reader.target(staged.path, staged.blob, staged.before, "staged")
