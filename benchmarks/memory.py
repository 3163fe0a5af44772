#!/usr/bin/env python3
"""Peak-memory benchmark of the full-history audit, with a breakdown by process.

    python benchmarks/memory.py REPO [--reps N] [--variant NAME=DIR ...] [--no-current]
                                     [--jobs N] [--timeline SECONDS]

Runs ``leaksweep history -q --no-cache`` in REPO and measures it as ``benchmarks/speed.py`` does
(the proportional set size summed over the whole process tree, sampled every 10 ms), and also
says which processes make up the peak: leaksweep itself, its scan workers, and each kind of git
child (rev-list, cat-file --batch-check, cat-file --batch, diff-tree...). That tells which phase
to work on, and whether two phases overlap so that their peaks add up (``--timeline`` prints the
highest total of each interval with what made it up).

A variant is a directory holding a ``leaksweep`` package (a copy of ``src/`` with one change, and
``rules/`` beside it); it is put first on PYTHONPATH so that it is imported instead of the
installed code ("current"). All of them run interleaved, in a different order each round, so that
a busy machine hurts them alike. Printed for every run: wall time, CPU time of the process tree
(it varies less than the wall time on a shared machine), the peak and its make-up; then the
median wall and CPU time and the highest peak of each.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.speed import _pss_kb, _tree, leaksweep_env


@dataclass
class Run:
    wall: float
    cpu: float
    code: int
    peak: int = 0  # kB, summed over the tree
    peak_at: float = 0.0
    at_peak: dict[str, int] = field(default_factory=dict)  # kB per role at the peak
    role_peak: dict[str, int] = field(default_factory=dict)  # each role's own highest kB
    timeline: list[tuple[float, dict[str, int]]] = field(default_factory=list)


def _mb(kb: dict[str, int]) -> str:
    return ", ".join(f"{k} {v / 1024:.0f}" for k, v in sorted(kb.items(), key=lambda kv: -kv[1]) if v)


def _role(pid: int, root: int, names: dict[int, str]) -> str:
    """What a process of the audit is, from its command line (read once per pid)."""
    if pid == root:
        return "leaksweep"
    known = names.get(pid)
    if known is not None:
        return known
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            argv = [a.decode("utf-8", "replace") for a in handle.read().split(b"\0") if a]
    except OSError:
        return "?"
    if not argv or "git" not in os.path.basename(argv[0]):
        # A scan worker. A forked one has leaksweep's command line, so this is never cached: a pid
        # is only named once it is known for sure.
        return "worker"
    words: list[str] = []  # past git's own options (-c NAME=VALUE, --no-pager)
    setting = False
    for word in argv[1:]:
        if setting or word == "--no-pager":
            setting = False
        elif word == "-c" and not words:
            setting = True
        else:
            words.append(word.split("=")[0])
    names[pid] = " ".join(["git", *words[:2]])
    return names[pid]


def measure_tree(cmd: Sequence[str], cwd: Path, env: dict[str, str]) -> Run:
    done = threading.Event()
    names: dict[int, str] = {}
    samples: list[tuple[float, dict[str, int]]] = []
    # CPU time of the whole tree: every process in it is waited for by its parent.
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.Popen(list(cmd), cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def sample() -> None:
        while not done.is_set():
            roles: dict[str, int] = {}
            for pid in _tree(proc.pid):
                role = _role(pid, proc.pid, names)
                roles[role] = roles.get(role, 0) + _pss_kb(pid)
            samples.append((time.perf_counter() - started, roles))
            done.wait(0.01)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, err = proc.communicate()
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    done.set()
    sampler.join()
    if proc.returncode not in (0, 1):  # 1: findings were reported
        sys.stderr.write(err.decode("utf-8", "replace"))
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    run = Run(wall, cpu, proc.returncode, timeline=samples)
    for at, roles in samples:
        total = sum(roles.values())
        for role, kb in roles.items():
            run.role_peak[role] = max(run.role_peak.get(role, 0), kb)
        if total > run.peak:
            run.peak, run.peak_at, run.at_peak = total, at, roles
    return run


def print_timeline(run: Run, step: float) -> None:
    """The highest total in each ``step`` seconds, with what made it up."""
    slots: dict[int, tuple[float, dict[str, int]]] = {}
    for at, roles in run.timeline:
        slot = int(at / step)
        if slot not in slots or sum(roles.values()) >= sum(slots[slot][1].values()):
            slots[slot] = (at, roles)
    for _, (at, roles) in sorted(slots.items()):
        print(f"    {at:6.1f}s {sum(roles.values()) / 1024:5.0f} MB: {_mb(roles)}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("repo", type=Path)
    parser.add_argument("--reps", type=int, default=2)
    parser.add_argument("--variant", action="append", default=[], metavar="NAME=DIR")
    parser.add_argument("--no-current", action="store_true", help="run only the variants")
    parser.add_argument("--jobs", type=int, default=0)
    parser.add_argument("--timeline", type=float, default=0, metavar="SECONDS")
    args = parser.parse_args(argv)

    variants: dict[str, str | None] = {} if args.no_current else {"current": None}
    for spec in args.variant:
        name, _, directory = spec.partition("=")
        variants[name] = str(Path(directory).resolve())
    work = Path(tempfile.mkdtemp(prefix="memory-"))
    jobs = ["--jobs", str(args.jobs)] if args.jobs else []

    def audit(name: str) -> Run:
        env = leaksweep_env(work / "cache")  # the rules are compiled once, by the first run
        if variants[name]:
            env["PYTHONPATH"] = str(variants[name])
        out = work / f"{name}.json"
        cmd = [sys.executable, "-m", "leaksweep", "history", "-q", "--no-cache", "--format", "json"]
        return measure_tree([*cmd, "-o", str(out), *jobs], args.repo, env)

    names = list(variants)
    results: dict[str, list[Run]] = {name: [] for name in names}
    try:
        audit(names[0])  # warms the rule cache and the page cache; not counted
        for rep in range(args.reps):
            for name in names[rep % len(names) :] + names[: rep % len(names)]:
                run = audit(name)
                results[name].append(run)
                print(
                    f"{name:16} {run.wall:7.2f}s cpu {run.cpu:6.2f}s peak {run.peak / 1024:5.0f} MB "
                    f"at {run.peak_at:5.1f}s (exit {run.code}): {_mb(run.at_peak)}",
                    flush=True,
                )
                print(f"{'':16} each one's own peak: {_mb(run.role_peak)}", flush=True)
                if args.timeline:
                    print_timeline(run, args.timeline)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print()
    for name, runs in results.items():
        if not runs:
            continue
        walls = [r.wall for r in runs]
        peaks = [r.peak / 1024 for r in runs]
        print(
            f"{name:16} wall median {statistics.median(walls):6.2f}s "
            f"(min {min(walls):.2f}, max {max(walls):.2f}); "
            f"cpu median {statistics.median(r.cpu for r in runs):6.2f}s; "
            f"peak max {max(peaks):4.0f} MB (min {min(peaks):.0f})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
