"""What a push sends, as rev-list arguments for the commits source.

git hands a pre-push hook one line per ref on stdin: ``<local ref> <local sha> <remote ref>
<remote sha>``. Under the pre-commit framework the hook gets no stdin; the framework passes the
range in ``PRE_COMMIT_FROM_REF`` / ``PRE_COMMIT_TO_REF`` instead (for the first pushed ref only:
that is the framework's behaviour), or only ``PRE_COMMIT_LOCAL_BRANCH`` when the push carries
a root commit.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from leaksweep import git
from leaksweep.errors import LeaksweepError
from leaksweep.records import Record

# Commits any remote-tracking ref already has were pushed (or fetched) before: not new.
NOT_ON_REMOTES = ("--not", "--remotes", "--not")
FRAMEWORK_VARS = ("PRE_COMMIT_FROM_REF", "PRE_COMMIT_TO_REF", "PRE_COMMIT_LOCAL_BRANCH")


class PushedRef(Record):
    local_ref: str
    local_sha: str
    remote_ref: str
    remote_sha: str


def parse_lines(text: str) -> list[PushedRef]:
    refs: list[PushedRef] = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        parts = line.rsplit(maxsplit=3)
        if len(parts) != 4:
            raise LeaksweepError(
                f"pre-push input line {number}: expected "
                f"'<local ref> <local sha> <remote ref> <remote sha>', got {line!r}"
            )
        refs.append(PushedRef(*parts))
    return refs


def push_args(refs: list[PushedRef], cwd: str | Path | None = None) -> list[str] | None:
    """rev-list arguments for the commits the push sends, or None when it sends none."""
    tips: list[str] = []
    known: list[str] = []
    unknown_base = False
    for ref in refs:
        if git.is_zero(ref.local_sha):  # deleting a remote branch sends nothing
            continue
        tips.append(ref.local_sha)
        if git.is_zero(ref.remote_sha) or git.resolve_commit(ref.remote_sha, cwd) is None:
            # A new branch, or a remote tip we have not fetched: scan what no remote-tracking
            # ref has.
            unknown_base = True
        else:
            known.append(f"^{ref.remote_sha}")
    if not tips:
        return None
    return [*(NOT_ON_REMOTES if unknown_base else ()), "--end-of-options", *tips, *known]


def framework_args(env: Mapping[str, str]) -> list[str] | None:
    """rev-list arguments from the pre-commit framework's variables; None when it is not the
    framework that runs us."""
    if not any(env.get(name) for name in FRAMEWORK_VARS):
        return None
    # No ref name or object id starts with "-"; such a value is garbage or an attempt to smuggle
    # an option (git would read it as a revision after --end-of-options anyway, and fail).
    for name in FRAMEWORK_VARS:
        if env.get(name, "").startswith("-"):
            raise LeaksweepError(f"{name}={env[name]!r} is not a revision")
    from_ref, to_ref = env.get("PRE_COMMIT_FROM_REF"), env.get("PRE_COMMIT_TO_REF")
    if to_ref and from_ref and not git.is_zero(from_ref):
        return ["--end-of-options", to_ref, f"^{from_ref}"]
    tip = to_ref or env.get("PRE_COMMIT_LOCAL_BRANCH") or "HEAD"
    return [*NOT_ON_REMOTES, "--end-of-options", tip]
