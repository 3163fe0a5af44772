"""Where and when each secret entered history, for audits.

The history scan reads each blob once and knows nothing of commits. Only for the blobs that had
findings, one pass over every commit's changes (parents first) finds, for each secret (rule +
value), the commits that *introduced* it at a path: a version holding it appears there while no
parent's version of that path, or of its rename source, holds it. So a renamed or later edited
file keeps the commit that first brought the secret in, and a secret only a merge adds is
credited to the merge. Findings are grouped by rule + secret + introducing path; each carries
the other paths the secret appears at and whether HEAD still holds it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from leaksweep import git
from leaksweep.model import CommitInfo, Finding
from leaksweep.records import replace

Key = tuple[str, str]  # rule id, secret


def attach(
    findings: Sequence[Finding],
    starts: Sequence[str],
    head_tree: Sequence[git.TreeEntry],
    cwd: str | Path | None = None,
) -> list[Finding]:
    """The history findings, grouped, with their provenance. ``starts`` are the rev-list
    starting points the audit walked; ``head_tree`` is HEAD's tree (empty when there is none)."""
    if not findings:
        return []
    # The first finding (lowest line) of each secret in each blob stands for it.
    by_blob: dict[str, dict[Key, Finding]] = {}
    for f in sorted(findings, key=lambda f: (f.line, f.column)):
        by_blob.setdefault(f.blob or "", {}).setdefault((f.rule_id, f.secret), f)
    holders: dict[Key, set[str]] = {}
    for blob, keys in by_blob.items():
        for key in keys:
            holders.setdefault(key, set()).add(blob)

    appears: dict[Key, set[str]] = {key: set() for key in holders}
    introduced: dict[tuple[Key, str], tuple[int, str, str]] = {}  # (key, path) -> (order, sha, blob)
    shas = git.rev_list(["--reverse", "--date-order", *starts], cwd)
    for order, (sha, changes) in enumerate(git.commit_changes(shas, cwd)):
        for change in changes:
            found = by_blob.get(change.blob)
            if not found:
                continue
            for key in found:
                appears[key].add(change.path)
                if any(side.blob in holders[key] for side in change.parents):
                    continue  # inherited from a parent: renamed, edited around, or merged
                introduced.setdefault((key, change.path), (order, sha, change.blob))

    commits = _commit_infos({sha for _, sha, _ in introduced.values()}, cwd)
    head_blobs = {e.oid for e in head_tree if e.kind == "blob"}

    def complete(f: Finding, key: Key, path: str, commit: CommitInfo | None) -> Finding:
        return replace(
            f,
            path=path,
            commit=commit,
            other_paths=tuple(sorted(appears[key] - {path})),
            in_head=bool(holders[key] & head_blobs),
        )

    out: list[Finding] = []
    for (key, path), (_, sha, blob) in sorted(introduced.items(), key=lambda kv: (kv[1][0], kv[0][1])):
        out.append(complete(by_blob[blob][key], key, path, commits.get(sha, CommitInfo(sha))))
    # A secret no commit introduced is only reachable another way (a tag pointing straight at a
    # blob): report it where the scan saw it, without a commit.
    credited = {key for key, _ in introduced}
    orphans: dict[tuple[Key, str], Finding] = {}
    for keys in by_blob.values():
        for key, f in keys.items():
            if key not in credited:
                orphans.setdefault((key, f.path), f)
    out.extend(complete(f, key, path, None) for (key, path), f in orphans.items())
    return out


def _commit_infos(shas: set[str], cwd: str | Path | None) -> dict[str, CommitInfo]:
    if not shas:
        return {}
    listed = git.commits(
        ["--no-walk=unsorted", "--stdin"], cwd, input="".join(f"{s}\n" for s in shas).encode()
    )
    return {c.sha: CommitInfo(c.sha, c.author, c.email, c.date, c.subject) for c in listed}
