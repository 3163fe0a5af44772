"""The one place that runs git.

Scanned repositories are hostile: their local config can name commands (fsmonitor, external
diff, textconv, filters, ssh, credential helpers, hooks). Every call goes through ``git_command``
which neutralises those with command-line ``-c`` settings (they beat repository config), strips
inherited ``GIT_*`` variables except the few a hook needs to find its repository, and forbids
network transports so a partial clone's lazy fetch cannot run anything either.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from leaksweep.errors import GitError

# Variables git sets for hooks (or a user sets deliberately) that say *which* repository and
# index to read. Everything else GIT_* is dropped: GIT_EXTERNAL_DIFF, GIT_SSH_COMMAND, GIT_CONFIG_*...
KEEP_ENV = frozenset({
    "GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_COMMON_DIR", "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_QUARANTINE_PATH", "GIT_NAMESPACE",
})

SAFE_CONFIG = (
    "core.fsmonitor=false",
    "core.hooksPath=/dev/null",
    "core.sshCommand=false",
    "core.askPass=false",
    "core.pager=cat",
    "core.untrackedCache=false",
    "diff.external=",
    "credential.helper=",
    "protocol.allow=never",
    "submodule.recurse=false",
    "log.showSignature=false",
    "gpg.program=false",
    "uploadpack.packObjectsHook=",
)


def safe_env(base: Mapping[str, str] | None = None) -> dict[str, str]:
    env = {
        k: v for k, v in (os.environ if base is None else base).items()
        if not k.startswith("GIT_") or k in KEEP_ENV
    }
    env.update({
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_OPTIONAL_LOCKS": "0",  # never take index.lock just to read
        "GIT_CONFIG_NOSYSTEM": env.get("GIT_CONFIG_NOSYSTEM", "0"),
        "GIT_NO_REPLACE_OBJECTS": "1",
        "GIT_ASKPASS": "false",
        "SSH_ASKPASS": "false",
        "LC_ALL": "C",
    })
    return env


def git_executable() -> str:
    exe = shutil.which("git")
    if exe is None:
        raise GitError("git was not found on PATH; leaksweep needs git 2.25 or newer")
    return exe


def git_command(args: Sequence[str]) -> list[str]:
    cmd = [git_executable(), "--no-pager"]
    for setting in SAFE_CONFIG:
        cmd += ["-c", setting]
    return cmd + list(args)


def run(
    args: Sequence[str],
    cwd: str | Path | None = None,
    input: bytes | None = None,
    check: bool = True,
) -> subprocess.CompletedProcess[bytes]:
    """Run git and capture its output; raise GitError with git's own message on failure."""
    try:
        proc = subprocess.run(
            git_command(args), cwd=cwd, input=input, capture_output=True,
            env=safe_env(), check=False,
        )
    except OSError as exc:
        raise GitError(f"cannot run git: {exc}") from None
    if check and proc.returncode != 0:
        message = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GitError(f"git {args[0]} failed: {message[-1] if message else proc.returncode}")
    return proc


def work_tree_root(path: Path) -> Path | None:
    """The top of the git work tree containing ``path``, or None outside one."""
    directory = path if path.is_dir() else path.parent
    proc = run(["rev-parse", "--show-toplevel"], cwd=directory, check=False)
    if proc.returncode != 0:
        return None
    top = proc.stdout.decode("utf-8", "surrogateescape").rstrip("\n")
    return Path(top) if top else None


def ls_files(directory: Path) -> list[str]:
    """Tracked and untracked-but-not-ignored files below ``directory``, relative to it."""
    proc = run(["ls-files", "-z", "-co", "--exclude-standard"], cwd=directory)
    names = proc.stdout.decode("utf-8", "surrogateescape").split("\0")
    # ls-files lists a path once per stage during a conflicted merge; keep each once.
    return list(dict.fromkeys(n for n in names if n))
