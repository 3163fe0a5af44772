"""Native git hooks: install leaksweep into the hooks directory git really uses, uninstall it.

An existing hook that is not ours is never lost: without ``--force`` installing refuses; with
it the old hook is renamed to ``<name>.leaksweep-chained`` and our script runs it first (with
the same arguments and standard input), and uninstalling puts it back.
"""

from __future__ import annotations

import os
import shlex
import tempfile
from pathlib import Path

from leaksweep.errors import LeaksweepError

MARKER = "# leaksweep-hook:"
CHAINED_SUFFIX = ".leaksweep-chained"
HOOKS = {
    "pre-commit": "staged",
    "pre-push": "commits --pre-push",
}

_HEADER = """#!/bin/sh
{marker} installed by `leaksweep hooks install`; `leaksweep hooks uninstall` removes it and
# restores the hook it chained (if any). It runs the leaksweep installed for this Python:
LEAKSWEEP_PYTHON={python}
chained="$0{suffix}"
"""

_MISSING = """if [ ! -x "$LEAKSWEEP_PYTHON" ]; then
    echo "leaksweep hook: $LEAKSWEEP_PYTHON is gone; run 'leaksweep hooks install' again" >&2
    echo "or 'leaksweep hooks uninstall' ('git {verb} --no-verify' skips hooks once)" >&2
    exit 1
fi
"""

_PRE_COMMIT = """if [ -x "$chained" ]; then
    "$chained" "$@" || exit $?
fi
{missing}exec "$LEAKSWEEP_PYTHON" -m leaksweep {command}
"""

# git writes the pushed refs on stdin: keep them so both hooks can read them.
_PRE_PUSH = """input=$(cat)
if [ -x "$chained" ]; then
    printf '%s\\n' "$input" | "$chained" "$@" || exit $?
fi
{missing}printf '%s\\n' "$input" | "$LEAKSWEEP_PYTHON" -m leaksweep {command}
"""


def script(name: str, python: str) -> str:
    head = _HEADER.format(marker=MARKER, python=shlex.quote(python), suffix=CHAINED_SUFFIX)
    verb = "push" if name == "pre-push" else "commit"
    body = _PRE_PUSH if name == "pre-push" else _PRE_COMMIT
    return head + body.format(missing=_MISSING.format(verb=verb), command=HOOKS[name])


def is_ours(path: Path) -> bool:
    try:
        with open(path, "rb") as handle:
            return MARKER.encode() in handle.read(1024)
    except OSError:
        return False


def _exists(path: Path) -> bool:
    return path.exists() or path.is_symlink()


def _write_executable(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        os.chmod(tmp, 0o755)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def install(hooks_dir: Path, name: str, python: str, force: bool = False) -> str:
    """Write our ``name`` hook; returns what was done, for the user."""
    hook = hooks_dir / name
    chained = hooks_dir / (name + CHAINED_SUFFIX)
    hooks_dir.mkdir(parents=True, exist_ok=True)
    done = f"installed the {name} hook: {hook}"
    if _exists(hook) and not is_ours(hook):
        if not force:
            raise LeaksweepError(
                f"{hook} already exists and was not installed by leaksweep; rerun with --force to chain "
                "it (it keeps running, before leaksweep, and `leaksweep hooks uninstall` restores it)"
            )
        if _exists(chained):
            raise LeaksweepError(
                f"{hook} is not ours and {chained} already exists: move one of them away by hand first"
            )
        os.replace(hook, chained)
        done += f" (the existing hook now runs first, from {chained.name})"
    elif _exists(hook):
        done = f"updated the {name} hook: {hook}"
    _write_executable(hook, script(name, python))
    return done


def uninstall(hooks_dir: Path, name: str) -> str | None:
    """Remove our ``name`` hook and restore the one it chained; None when ours is not there."""
    hook = hooks_dir / name
    chained = hooks_dir / (name + CHAINED_SUFFIX)
    if not _exists(hook) or not is_ours(hook):
        if _exists(hook):
            return f"left {hook} alone: it was not installed by leaksweep"
        return None
    hook.unlink()
    if _exists(chained):
        os.replace(chained, hook)
        return f"removed the {name} hook and restored the one it chained: {hook}"
    return f"removed the {name} hook: {hook}"
