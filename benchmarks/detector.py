#!/usr/bin/env python3
"""Detector throughput: every blob of a repository, in memory, through one detector.

    python benchmarks/detector.py REPO [--reps N] [--profile FILE] [--cache DIR]

Reads every blob once (``git cat-file --batch-all-objects --batch``; each under the first path
``git rev-list --all --objects`` gives it, as an audit does; blobs over 10 MB are left out, as
the audit's default size limit does), builds the detector as the CLI does (rules and candidate
stage through the rule cache, the stage settled as before a parallel scan), then times
``Detector.scan`` over all of them with ``time.process_time``: the Python CPU an audit's workers
spend per MB, without git, process start-up or reporting. Each repetition uses a fresh detector;
``--profile`` adds one more, under cProfile (slower), and prints its top 20.

To compare two versions of the code, run it with each on ``PYTHONPATH`` (for example a
``git archive`` of each commit), alternating, and compare the best of several repetitions: on a
shared machine single runs vary by a fifth or more.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from leaksweep.detector import Detector
    from leaksweep.model import Target

MAX_SIZE = 10 * 1024 * 1024  # the audit's default --max-file-size


def read_blobs(repo: Path) -> list[tuple[str, str, bytes]]:
    """(path, oid, content) of every blob reachable from the refs, each once."""
    listing = subprocess.run(
        ["git", "rev-list", "--all", "--objects"], cwd=repo, capture_output=True, check=True
    ).stdout
    paths: dict[str, str] = {}
    for line in listing.decode("utf-8", "surrogateescape").splitlines():
        oid, _, path = line.partition(" ")
        if path:
            paths.setdefault(oid, path)
    raw = subprocess.run(
        ["git", "cat-file", "--batch-all-objects", "--batch"], cwd=repo, capture_output=True, check=True
    ).stdout
    blobs = []
    pos = 0
    while pos < len(raw):
        header_end = raw.index(b"\n", pos)
        oid, kind, size_text = raw[pos:header_end].decode().split()
        size = int(size_text)
        pos = header_end + 1 + size + 1
        if kind == "blob" and oid in paths and size <= MAX_SIZE:
            blobs.append((paths[oid], oid, raw[header_end + 1 : header_end + 1 + size]))
    return blobs


def make_detector(cache_dir: Path) -> Detector:
    from leaksweep.cache import RuleCache
    from leaksweep.detector import Detector
    from leaksweep.rules import load_rules, select

    cache = RuleCache(cache_dir)
    rules = select(cache.load_rules((), True, lambda: load_rules((), builtin=True), False), ())
    detector = Detector(rules, candidates=cache.candidates(rules))
    detector.candidates.prepare()  # what a parallel scan does before forking its workers
    return detector


def main() -> None:
    ap = argparse.ArgumentParser(description="Time the detector over every blob of a repository.")
    ap.add_argument("repo", type=Path)
    ap.add_argument("--reps", type=int, default=1)
    ap.add_argument("--profile", metavar="FILE", help="then one more run under cProfile, saved here")
    ap.add_argument("--cache", type=Path, help="rule cache directory (default: a temporary one)")
    args = ap.parse_args()

    import leaksweep
    from leaksweep.model import Target

    blobs = read_blobs(args.repo)
    total = sum(len(content) for _, _, content in blobs)
    print(f"leaksweep {Path(leaksweep.__file__).parent}; {len(blobs)} blobs, {total / 1e6:.1f} MB")
    targets = [Target(path=p, content=c, blob=o, origin="history") for p, o, c in blobs]
    with tempfile.TemporaryDirectory() as tmp:
        cache_dir = args.cache or Path(tmp)
        make_detector(cache_dir)  # fill the cache: the timed detectors read it, as a second audit does
        for rep in range(args.reps):
            took = scan_all(make_detector(cache_dir), targets)
            print(f"run {rep + 1}: {took:.2f} CPU s, {total / 1e6 / took:.1f} MB per CPU-second")
        if args.profile:
            profile = cProfile.Profile()
            scan_all(make_detector(cache_dir), targets, profile)
            profile.dump_stats(args.profile)
            pstats.Stats(args.profile, stream=sys.stdout).sort_stats("tottime").print_stats(20)


def scan_all(detector: Detector, targets: list[Target], profile: cProfile.Profile | None = None) -> float:
    """CPU seconds to scan every target (under ``profile`` if given)."""
    started = time.process_time()
    if profile is not None:
        profile.enable()
    for target in targets:
        detector.scan(target)
    if profile is not None:
        profile.disable()
    return time.process_time() - started


if __name__ == "__main__":
    main()
