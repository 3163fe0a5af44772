"""Scans in worker processes report exactly what a scan in one process reports, in the same order."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from leaksweep.detector import Detector
from leaksweep.model import Skipped, Target
from leaksweep.parallel import Scanned, scan_items
from leaksweep.rules import load_rules
from leaksweep.session import Parallelism, run_scan
from leaksweep.sources.history import BlobWork, History

from .conftest import Repo, run_cli

RULES = load_rules()
SECRETS = [r.examples[0].text for r in RULES if r.examples and not r.paths][:40]


def build(repo: Repo) -> None:
    """A history with secrets in many files and versions, a binary, a deleted file."""
    for number in range(12):
        files = {
            f"f{number}_{k}.py": f"x = {number}\n{SECRETS[(number * 3 + k) % len(SECRETS)]}\n"
            for k in range(3)
        }
        repo.commit(f"c{number}", **files)
    repo.write("data.bin", b"\x00\x01binary")
    repo.git("rm", "-q", "f0_0.py")
    repo.commit("binary and a deletion", "data.bin")


def report(repo: Repo, *args: str) -> list[dict[str, Any]]:
    result = run_cli(*args, "--format", "json", "--show-secrets", "--no-cache", cwd=repo.path)
    assert result.code in (0, 1), result.err
    findings: list[dict[str, Any]] = json.loads(result.out)
    return findings


@pytest.mark.parametrize(
    "command", [["history"], ["commits", "--since-ref", "HEAD~12", "HEAD"], ["scan", "."]]
)
def test_workers_report_what_one_process_reports(repo: Repo, command: list[str]) -> None:
    build(repo)
    one = report(repo, *command, "--jobs", "1")
    many = report(repo, *command, "--jobs", "3")
    assert one and many == one


def test_run_scan_in_workers_keeps_order_and_skips(tmp_path: Path) -> None:
    items: list[Target | Skipped] = []
    for number in range(300):
        if number % 50 == 7:
            items.append(Skipped(f"s{number}", "too large"))
        else:
            items.append(Target(f"t{number}.txt", f"{number}\n{SECRETS[number % len(SECRETS)]}\n".encode()))
    detector = Detector(RULES)
    one = run_scan(items, detector, parallel=Parallelism(jobs=1))
    many = run_scan(items, detector, parallel=Parallelism(jobs=2, force=True))
    assert many.findings == one.findings and many.dropped == one.dropped
    assert [s.path for s in many.skipped] == [s.path for s in one.skipped]
    assert (many.targets, many.bytes) == (one.targets, one.bytes)


def test_history_blobs_are_read_by_the_workers(repo: Repo) -> None:
    build(repo)
    source = History(cwd=repo.path)
    work = [w for w in source.listing(10_000_000) if isinstance(w, BlobWork)]
    records = list(scan_items(Detector(RULES), work, jobs=2, cwd=repo.path, max_size=10_000_000, force=True))
    assert [r.blob for r in records if isinstance(r, Scanned)] == [w.oid for w in work[: len(records)]]
    assert any(isinstance(r, Scanned) and r.detection.findings for r in records)


def test_readers_bound_gits_caches_and_keep_the_safe_config(repo: Repo) -> None:
    """Each worker runs its own cat-file: its caches are bounded (READER_CACHES), after SAFE_CONFIG."""
    from leaksweep import git
    from leaksweep.parallel import READER_CACHES, _Reader

    build(repo)
    work = next(w for w in History(cwd=repo.path).listing(10_000_000) if isinstance(w, BlobWork))
    reader = _Reader(repo.path, 10_000_000)
    try:
        assert isinstance(reader.read(work), Target)
        assert reader._cat is not None and reader._cat._proc is not None
        cmd = reader._cat._proc.proc.args
        assert isinstance(cmd, list)
        subcommand = cmd.index("cat-file")
        settings = [cmd[i + 1] for i, word in enumerate(cmd[:subcommand]) if word == "-c"]
        assert settings == [*git.SAFE_CONFIG, *READER_CACHES]
    finally:
        reader.close()


def test_a_missing_object_is_skipped_by_a_worker_too(repo: Repo) -> None:
    build(repo)
    work = [BlobWork("0" * 39 + "1", "ghost.py", 10)]
    (record,) = scan_items(Detector(RULES), work, jobs=2, cwd=repo.path, max_size=100, force=True)
    assert isinstance(record, Skipped) and record.damaged


def test_a_worker_error_reaches_the_main_process(repo: Repo) -> None:
    build(repo)
    work = [BlobWork("a" * 40, "x.py", 10)]
    with pytest.raises(Exception):  # noqa: B017  (git refuses the directory: an error, not a hang)
        list(scan_items(Detector(RULES), work, jobs=2, cwd=repo.path / "missing", max_size=100, force=True))


def test_spawned_workers_rebuild_the_detector(repo: Repo) -> None:
    """macOS and Windows spawn their workers: the rules and the compiled database must travel."""
    from leaksweep.parallel import ParallelScan

    build(repo)
    source = History(cwd=repo.path)
    work = [w for w in source.listing(10_000_000) if isinstance(w, BlobWork)][:40]
    detector = Detector(RULES)
    one = list(scan_items(detector, work, jobs=1, cwd=repo.path, max_size=10_000_000))
    spawned = list(ParallelScan(detector, 2, repo.path, 10_000_000, method="spawn").run(work))
    assert [(r.path, r.detection.findings) for r in spawned if isinstance(r, Scanned)] == [
        (r.path, r.detection.findings) for r in one if isinstance(r, Scanned)
    ]


def test_workers_read_a_folder_with_the_same_checks(tmp_path: Path) -> None:
    """A directory scan hands its workers paths: they read the files with every check the main
    process applied (symlinks out of the tree, symlinked folders), with the same results."""
    tree, outside = tmp_path / "tree", tmp_path / "outside"
    (tree / "sub").mkdir(parents=True)
    outside.mkdir()
    for number in range(30):
        (tree / "sub" / f"f{number}.py").write_text(f"x = {number}\n{SECRETS[number % len(SECRETS)]}\n")
    (outside / "leak.py").write_text(SECRETS[0] + "\n")
    (tree / "escape").symlink_to(outside, target_is_directory=True)
    (tree / "to-leak.py").symlink_to(outside / "leak.py")
    (tree / "inside.py").symlink_to(tree / "sub" / "f1.py")

    def run(jobs: str) -> tuple[list[dict[str, Any]], list[str]]:
        args = ("scan", str(tree), "--no-cache", "--jobs", jobs)
        found = run_cli(*args, "--format", "json", "--show-secrets", cwd=tmp_path)
        said = run_cli(*args, "-v", cwd=tmp_path)
        skipped = sorted(line for line in said.out.splitlines() if line.startswith("skipped "))
        return json.loads(found.out), skipped

    one, many = run("1"), run("2")
    assert one[0] and many == one
    assert not any("outside" in f["path"] or "leak" in f["path"] for f in one[0])
    assert any("to-leak.py: symlink pointing outside" in line for line in one[1]), one[1]
