"""Shared by the hardening tests: CLI runs that report their peak memory and respect a time bound,
repositories generated with ``git fast-import`` (100,000 files or 50,000 commits in seconds), and
the leaksweep processes' children as /proc sees them."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import Repo

# Runs the CLI, then prints the peak resident memory (KiB) of the largest process in the run
# (leaksweep itself or a git it waited for) on the last line of standard error.
_MEASURED = """
import resource, runpy, sys
sys.argv = ["leaksweep", *sys.argv[1:]]
try:
    runpy.run_module("leaksweep", run_name="__main__")
finally:
    # VmHWM, not RUSAGE_SELF: Linux carries the spawning process's peak (here: pytest's, hundreds
    # of MB in a full run) across exec into ru_maxrss, but VmHWM belongs to this process's memory.
    hwm = 0
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                hwm = int(line.split()[1])
    peak = max(hwm, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    sys.stderr.write(f"\\npeak-rss-kib {peak}\\n")
"""


@dataclass
class Run:
    code: int
    out: str
    err: str
    peak_mib: float

    def json(self) -> object:
        return json.loads(self.out)


def run_measured(
    *args: str,
    cwd: Path,
    env: dict[str, str] | None = None,
    input: bytes | None = None,
    timeout: float = 60,
) -> Run:
    """``leaksweep ARGS`` in a subprocess, failing the test (not hanging it) past ``timeout``."""
    full_env = dict(os.environ)
    full_env.update(env or {})
    proc = subprocess.run(
        [sys.executable, "-c", _MEASURED, *args],
        cwd=cwd,
        input=input,
        capture_output=True,
        env=full_env,
        timeout=timeout,
        check=False,
    )
    err = proc.stderr.decode("utf-8", "replace")
    body, _, tail = err.rpartition("peak-rss-kib ")
    peak = int(tail.strip()) / 1024 if tail.strip().isdigit() else float("nan")
    return Run(proc.returncode, proc.stdout.decode("utf-8", "replace"), body.rstrip("\n") + "\n", peak)


def fast_import(repo: Path, stream: bytes) -> None:
    subprocess.run(
        ["git", "fast-import", "--done", "--quiet"], cwd=repo, input=stream, check=True, capture_output=True
    )


def _data(payload: bytes) -> bytes:
    return b"data %d\n%s\n" % (len(payload), payload)


def many_files_stream(count: int, secret_line: bytes, branch: bytes = b"refs/heads/main") -> bytes:
    """One commit with ``count`` tiny files (1,000 per folder); file 0 also holds ``secret_line``."""
    parts = [
        b"commit %s\ncommitter T <t@example.invalid> 1700000000 +0000\n" % branch,
        _data(b"many files"),
    ]
    for i in range(count):
        body = b"value=%d\n" % i + (secret_line if i == 0 else b"")
        parts.append(b"M 100644 inline d%d/f%d.txt\n" % (i // 1000, i) + _data(body))
    parts.append(b"done\n")
    return b"".join(parts)


def many_commits_stream(count: int, secret_at: dict[int, bytes], branch: bytes = b"refs/heads/main") -> bytes:
    """``count`` commits, each rewriting ``log.txt``; commit ``i`` in ``secret_at`` adds that line
    to the file (it stays for the commits after it)."""
    parts: list[bytes] = []
    carried = b""
    for i in range(count):
        carried += secret_at.get(i, b"")
        parts.append(
            b"commit %s\ncommitter T <t@example.invalid> %d +0000\n" % (branch, 1700000000 + i)
            + _data(b"commit %d" % i)
            + b"M 100644 inline log.txt\n"
            + _data(b"n=%d\n%s" % (i, carried))
        )
    parts.append(b"done\n")
    return b"".join(parts)


def checkout(repo: Repo, branch: str = "main") -> None:
    repo.git("symbolic-ref", "HEAD", f"refs/heads/{branch}")


def descendants(pid: int) -> list[int]:
    """Every live process whose parent chain reaches ``pid`` (read from /proc)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # "pid (comm) state ppid ...": comm can hold spaces and parentheses.
        fields = stat[stat.rfind(")") + 2 :].split()
        parents[int(entry.name)] = int(fields[1])
    found = []
    for child, parent in parents.items():
        seen = set()
        while parent not in (0, 1) and parent not in seen:
            if parent == pid:
                found.append(child)
                break
            seen.add(parent)
            parent = parents.get(parent, 0)
    return found


def in_group(pgid: int) -> list[int]:
    """Live processes in process group ``pgid``."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2 :].split()
        if fields[0] != "Z" and int(fields[2]) == pgid:
            members.append(int(entry.name))
    return members


def interrupt(proc: subprocess.Popen[bytes], sig: int = signal.SIGINT) -> None:
    """Ctrl-C as a terminal delivers it: to the whole foreground process group."""
    os.killpg(proc.pid, sig)


def files_under(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


def has_any(text: str, needles: Iterable[str]) -> list[str]:
    return [n for n in needles if n in text]


def cli_args(pack: Path, *extra: str) -> Sequence[str]:
    return ("--no-builtin", "--rules", str(pack), *extra)
