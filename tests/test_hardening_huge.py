"""Huge input: a 2 GB file, a line longer than --max-file-size, a 10 MB minified bundle, a blob of
NUL bytes, 100,000 tiny files and 50,000 commits. Memory stays bounded (what is too large is
skipped by its size, unread), nothing grows quadratically, and --max-file-size holds in every
mode. Generous time bounds only ("does not hang"); the work itself is counted, not timed."""

from __future__ import annotations

import json
import random
import string
import sys
from pathlib import Path

import pytest

from leaksweep.detector import Detector
from leaksweep.model import Target
from leaksweep.rules import load_pack
from leaksweep.textpos import LineIndex
from tests.conftest import Repo
from tests.git_helpers import aws_key_id, write_pack
from tests.hardening_support import (
    checkout,
    fast_import,
    many_commits_stream,
    many_files_stream,
    run_measured,
)

MB = 1024 * 1024


@pytest.fixture(scope="module")
def pack(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_pack(tmp_path_factory.mktemp("pack"))


def _paths(run_out: str) -> set[str]:
    return {f["path"] for f in json.loads(run_out)}


def test_a_2gb_file_is_skipped_by_its_size_without_being_read(pack: Path, tmp_path: Path) -> None:
    huge = tmp_path / "dump.sql"
    with open(huge, "wb") as handle:
        handle.write(f"K={aws_key_id(1)}\n".encode())
        handle.truncate(2 * 1024 * MB)  # sparse: 2 GiB that cost no disk
    (tmp_path / "small.env").write_text(f"K={aws_key_id(2)}\n")
    for args in (("scan", "."), ("scan", "dump.sql", "small.env")):
        run = run_measured(*args, "--no-builtin", "--rules", str(pack), "--format", "json", cwd=tmp_path)
        assert run.code == 1, run.err
        assert _paths(run.out) == {"small.env"}
        assert "1 skipped" in run.err
        assert run.peak_mib < 200, run.peak_mib  # it was never read
    text = run_measured("scan", ".", "--no-builtin", "--rules", str(pack), cwd=tmp_path)
    assert "skipped dump.sql: larger than --max-file-size (2147483648 > 10485760 bytes)" in text.out


def test_max_file_size_holds_in_every_mode(repo: Repo, pack: Path, tmp_path: Path) -> None:
    """A single line just over --max-file-size stands in for a 200 MB line: it is skipped by its
    size in every mode, and so is the same content on standard input."""
    line = "K=" + aws_key_id(3) + ";" + "x" * (MB + 1000) + "\n"
    repo.commit("big line", **{"one-line.js": line, "small.env": f"K={aws_key_id(4)}\n"})
    repo.write("staged-line.js", line.replace(aws_key_id(3), aws_key_id(5)))
    repo.write("staged.env", f"K={aws_key_id(6)}\n")
    repo.git("add", "staged-line.js", "staged.env")
    limit = ("--no-builtin", "--rules", str(pack), "--max-file-size", "1MB", "--format", "json")
    expected = {
        ("staged",): {"staged.env"},
        ("commits", "HEAD"): {"small.env"},
        ("history",): {"small.env"},
        ("scan", "."): {"small.env", "staged.env"},
    }
    for args, paths in expected.items():
        run = run_measured(*args, *limit, cwd=repo.path)
        assert run.code == 1 and _paths(run.out) == paths, (args, run.err)
        assert "skipped" in run.err
    stdin = run_measured("scan", "-", *limit, cwd=repo.path, input=line.encode())
    assert stdin.code == 0 and "1 skipped" in stdin.err
    # The config's max_file_size holds the same way when no option overrides it.
    (repo.path / ".leaksweep.yaml").write_text("max_file_size: 1MB\n")
    run = run_measured("history", "--no-builtin", "--rules", str(pack), "--format", "json", cwd=repo.path)
    assert _paths(run.out) == {"small.env"}


def test_a_blob_of_nul_bytes_is_binary_in_every_mode(repo: Repo, pack: Path) -> None:
    nul = b"\0" * (5 * MB) + f"K={aws_key_id(7)}\n".encode()
    repo.commit("nul", **{"small.env": f"K={aws_key_id(8)}\n"})
    repo.write("zeros.bin", nul)
    repo.git("add", "zeros.bin")
    for args in (("staged",), ("scan", ".")):
        run = run_measured(
            *args, "--no-builtin", "--rules", str(pack), "--format", "json", "-v", cwd=repo.path
        )
        assert aws_key_id(7) not in run.out and run.code in (0, 1), run.err
    repo.git("commit", "-q", "-m", "zeros")
    run = run_measured("history", "--no-builtin", "--rules", str(pack), "-v", cwd=repo.path)
    assert "skipped zeros.bin: binary" in run.out


def _bundle(size: int, secrets: list[str]) -> str:
    """Minified-looking JavaScript on one line: identifiers, strings, secret-ish names, base64."""
    rng = random.Random(7)
    alnum = string.ascii_letters + string.digits

    def ident() -> str:
        return rng.choice("abcdefghijklmnopqrstuvwxyz_$") + "".join(
            rng.choice(alnum) for _ in range(rng.randint(0, 6))
        )

    out: list[str] = []
    total = i = 0
    while total < size:
        roll = rng.random()
        if roll < 0.5:
            piece = f"var {ident()}={ident()}({ident()},{rng.randint(0, 99999)});"
        elif roll < 0.7:
            piece = f'{ident()}.{ident()}="{"".join(rng.choice(alnum) for _ in range(rng.randint(5, 40)))}";'
        elif roll < 0.85:
            piece = f'{ident()}={{password:"{ident()}",secret:{ident()},apiKey:"{ident()}"}};'
        else:
            blob = "".join(rng.choice(alnum) for _ in range(rng.randint(40, 400)))
            piece = f'x="data:image/png;base64,{blob}";'
        if i % 25_000 == 10:
            piece += f'cfg.k="{secrets[(i // 25_000) % len(secrets)]}";'
        out.append(piece)
        total += len(piece)
        i += 1
    return "".join(out)[:size]


@pytest.mark.slow
def test_a_10mb_minified_bundle_with_every_builtin_rule(tmp_path: Path) -> None:
    secrets = [aws_key_id(9), aws_key_id(10)]
    (tmp_path / "app.min.js").write_text(_bundle(10 * 1000 * 1000, secrets))
    run = run_measured("scan", "app.min.js", "--format", "json", "--show-secrets", cwd=tmp_path, timeout=120)
    assert run.code == 1, run.err
    found = {f["secret"] for f in json.loads(run.out)}
    assert set(secrets) <= found
    assert run.peak_mib < 600, run.peak_mib
    assert all(f["line"] == 1 and len(json.dumps(f)) < 4000 for f in json.loads(run.out))


# ---- 100,000 tiny files, 50,000 commits (built with git fast-import in seconds) ---------------


@pytest.fixture(scope="module")
def many_files(tmp_path_factory: pytest.TempPathFactory) -> Repo:
    repo = Repo(tmp_path_factory.mktemp("many-files") / "repo")
    repo.path.mkdir()
    repo.git("init", "-q", "-b", "main")
    fast_import(repo.path, many_files_stream(100_000, f"K={aws_key_id(11)}\n".encode()))
    checkout(repo)
    return repo


def test_100000_tiny_files_in_history_and_commits(many_files: Repo, pack: Path) -> None:
    for args in (("history",), ("commits", "HEAD")):
        run = run_measured(
            *args, "--no-builtin", "--rules", str(pack), "--format", "json", cwd=many_files.path
        )
        assert run.code == 1, run.err
        assert _paths(run.out) == {"d0/f0.txt"}
        assert "100000 blobs" in run.err
        assert run.peak_mib < 400, (args, run.peak_mib)


@pytest.mark.slow
def test_100000_tiny_files_in_a_work_tree(many_files: Repo, pack: Path) -> None:
    many_files.git("read-tree", "HEAD")
    many_files.git("checkout-index", "-a", "-f")
    run = run_measured(
        "scan", ".", "--no-builtin", "--rules", str(pack), "--format", "json", cwd=many_files.path
    )
    assert run.code == 1, run.err
    assert _paths(run.out) == {"d0/f0.txt"} and "100000 files" in run.err
    assert run.peak_mib < 400, run.peak_mib


@pytest.mark.slow
def test_50000_commits(tmp_path: Path, pack: Path) -> None:
    repo = Repo(tmp_path / "repo")
    repo.path.mkdir()
    repo.git("init", "-q", "-b", "main")
    secrets = {10: f"K={aws_key_id(12)}\n".encode(), 40_000: f"K={aws_key_id(13)}\n".encode()}
    fast_import(repo.path, many_commits_stream(50_000, secrets))
    checkout(repo)
    history = run_measured("history", "--no-builtin", "--rules", str(pack), "--format", "json", cwd=repo.path)
    assert history.code == 1, history.err
    assert sorted(f["message"] for f in json.loads(history.out)) == ["commit 10", "commit 40000"]
    assert history.peak_mib < 400, history.peak_mib
    commits = run_measured(
        "commits",
        "--since-ref",
        "HEAD~49999",
        "--no-builtin",
        "--rules",
        str(pack),
        "--format",
        "json",
        cwd=repo.path,
    )
    assert commits.code == 1, commits.err
    assert sorted(f["message"] for f in json.loads(commits.out)) == ["commit 10", "commit 40000"]
    assert commits.peak_mib < 400, commits.peak_mib


# ---- linear behaviour, counted ------------------------------------------------------------------


class CountingStr(str):
    """A str that counts the characters every slice of it copies."""

    copied = 0

    def __getitem__(self, key):  # type: ignore[no-untyped-def]
        out = str.__getitem__(self, key)
        CountingStr.copied += len(out)
        return CountingStr(out) if isinstance(out, str) else out


def test_line_lookups_on_a_long_line_copy_only_their_window() -> None:
    """Each finding on a multi-megabyte minified line shows a short window of it: the work per
    lookup must not grow with the line (copying the whole line each time was quadratic)."""
    for length in (1 * MB, 4 * MB):
        text = CountingStr("k" * length + "\nnext line\n")
        index = LineIndex(text)
        CountingStr.copied = 0
        lookups = 0
        for offset in range(0, length, length // 500):
            assert index.position(offset) == (1, offset + 1)
            index.line_text(1, (offset, offset + 40))
            index.line_text(1, limit=10_000)
            lookups += 1
        assert CountingStr.copied < lookups * (400 + 60 + 10_000 + 10), (length, CountingStr.copied)


def _line_events(detector: Detector, content: bytes) -> tuple[int, int]:
    """Python line events executed while scanning ``content``: a count of the work done in
    Python that does not depend on the machine's speed."""
    count = 0

    def tracer(frame, event, arg):  # type: ignore[no-untyped-def]
        nonlocal count
        if event == "line":
            count += 1
        return tracer

    sys.settrace(tracer)
    try:
        found = len(detector.scan(Target(path="bundle.min.js", content=content)).findings)
    finally:
        sys.settrace(None)
    return count, found


def test_detector_work_on_one_long_line_is_linear(pack: Path) -> None:
    """A megabyte-long single line with 600 secrets, then one twice as long with twice as many:
    the detector's Python work must double, not quadruple (overlap checks against every earlier
    finding made it quadratic)."""
    detector = Detector(load_pack(pack))

    def line(count: int) -> bytes:
        return ";".join(f'var k{i}="{aws_key_id(5000 + i)}";' + "x" * 2000 for i in range(count)).encode()

    small, found_small = _line_events(detector, line(600))  # 1.3 MB
    large, found_large = _line_events(detector, line(1200))  # 2.6 MB
    assert (found_small, found_large) == (600, 1200)
    # Exactly 2.0 when linear; the quadratic overlap check made it 2.44 here.
    assert large / small < 2.15, (small, large)


def test_subprocess_helper_reports_memory(tmp_path: Path) -> None:
    run = run_measured("--version", cwd=tmp_path)
    assert run.code == 0 and 5 < run.peak_mib < 200
