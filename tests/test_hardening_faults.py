"""Interrupts and faults: Ctrl-C and SIGTERM in the middle of an audit, git missing or too old, a
full disk or a file size limit while writing a report or baseline. leaksweep stops promptly with
the documented exit code, leaves no git process and no temporary file behind, and never leaves a
half-written file where a good one was."""

from __future__ import annotations

import contextlib
import os
import resource
import shutil
import signal
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from leaksweep.errors import LeaksweepError
from leaksweep.fileio import atomic_text
from tests.conftest import Repo, run_cli
from tests.git_helpers import aws_key_id, write_pack
from tests.hardening_support import descendants, fast_import, files_under, in_group

GIT = shutil.which("git") or "git"
UNCHANGED = "the previous file, if any, is unchanged\n"


@pytest.fixture(scope="module")
def pack(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_pack(tmp_path_factory.mktemp("pack"))


@pytest.fixture(scope="module")
def audit_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A history whose audit takes several seconds: 40,000 distinct blobs of text that the rules'
    keywords gate in (so each one is matched, not just read)."""
    path = tmp_path_factory.mktemp("audit") / "repo"
    path.mkdir()
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=path, check=True)
    parts = [b"commit refs/heads/main\ncommitter T <t@example.invalid> 1700000000 +0000\ndata 3\nbig\n"]
    filler = b"password = os.environ['DB_PASSWORD']  # aws_secret_access_key from the vault\n" * 6
    for i in range(40_000):
        body = b"id=%d\n%s" % (i, filler)
        parts.append(b"M 100644 inline d%d/f%d.py\ndata %d\n%s\n" % (i // 1000, i, len(body), body))
    parts.append(b"done\n")
    fast_import(path, b"".join(parts))
    return path


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def _start_audit(repo: Path, pack: Path, tmpdir: Path, *extra: str) -> subprocess.Popen[bytes]:
    env = dict(os.environ, TMPDIR=str(tmpdir))
    return subprocess.Popen(
        [sys.executable, "-m", "leaksweep", "history", "--no-builtin", "--rules", str(pack), *extra],
        cwd=repo,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its own process group, as a shell job has
    )


def _wait_until_reading_blobs(proc: subprocess.Popen[bytes]) -> None:
    """Until the audit streams blobs (its `git cat-file --batch` is up): the middle of the scan."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if any(b"--batch\0" in _cmdline(pid) for pid in descendants(proc.pid)):
            time.sleep(0.2)
            return
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.01)
    pytest.fail("the audit never started reading blobs")


@pytest.mark.parametrize(
    ("sig", "whole_group", "code"),
    [(signal.SIGINT, True, 130), (signal.SIGINT, False, 130), (signal.SIGTERM, False, 143)],
    ids=["ctrl-c", "sigint-to-leaksweep-only", "sigterm"],
)
def test_interrupting_an_audit(
    audit_repo: Path, pack: Path, tmp_path: Path, sig: int, whole_group: bool, code: int
) -> None:
    report = tmp_path / "audit.json"
    report.write_text('{"previous": "report"}\n')
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    before = files_under(audit_repo)
    proc = _start_audit(audit_repo, pack, tmpdir, "--format", "json", "-o", str(report))
    _wait_until_reading_blobs(proc)
    (os.killpg if whole_group else os.kill)(proc.pid, sig)
    started = time.monotonic()
    _, err = proc.communicate(timeout=30)
    stopped_in = time.monotonic() - started
    assert proc.returncode == code, err
    assert stopped_in < 10, stopped_in  # promptly: not after the scan finishes
    assert err.decode().strip().endswith(("interrupted", "terminated"))
    assert in_group(proc.pid) == []  # no orphan git left running in its process group
    assert not [pid for pid in descendants(os.getpid()) if b"leaksweep" in _cmdline(pid)]
    assert report.read_text() == '{"previous": "report"}\n'
    assert sorted(p.name for p in tmp_path.iterdir()) == ["audit.json", "tmp"]
    assert list(tmpdir.iterdir()) == []
    assert files_under(audit_repo) == before


FINALIZER_SCRIPT = """
import gc, os, signal, sys, time
from leaksweep.cli.main import _install_signal_handlers

class Slow:
    def __del__(self):
        os.kill(os.getpid(), signal.SIGNUM)  # arrives while Python runs a finalizer
        time.sleep(0.2)

_install_signal_handlers()
try:
    Slow()  # freed at once: __del__ runs here
    gc.collect()
    time.sleep(5)
    print("not interrupted")
except KeyboardInterrupt:
    print("interrupted")
except BaseException as exc:
    print(type(exc).__name__)
"""


@pytest.mark.parametrize(("name", "said"), [("SIGINT", "interrupted"), ("SIGTERM", "Terminated")])
def test_a_signal_inside_a_finalizer_is_not_lost(name: str, said: str) -> None:
    # Python swallows an exception raised inside __del__ (it prints "Exception ignored in"): a
    # Ctrl-C that lands there, e.g. while the regex module frees a parse tree, used to be lost and
    # the audit ran to the end. The handler now re-raises it once the finalizer is done.
    script = FINALIZER_SCRIPT.replace("SIGNUM", name)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=30)
    assert proc.stdout.strip() == said, proc.stderr
    assert "Exception ignored" not in proc.stderr


def test_git_missing_from_path(repo: Repo, pack: Path, tmp_path: Path) -> None:
    repo.commit("base", **{"a.env": "A=1\n"})
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    for args in (("staged",), ("commits", "HEAD"), ("history",), ("scan", "."), ("hooks", "install")):
        result = run_cli(*args, "--no-builtin", "--rules", str(pack), cwd=repo.path, env={"PATH": str(empty)})
        if args[0] == "hooks":
            result = run_cli(*args, cwd=repo.path, env={"PATH": str(empty)})
        assert result.code == 2, (args, result.err)
        assert (
            result.err == "leaksweep: error: git was not found on PATH; leaksweep needs git 2.30 or newer\n"
        )
    # A single file or standard input needs no git at all.
    (tmp_path / "k.env").write_text(f"K={aws_key_id(1)}\n")
    assert (
        run_cli(
            "scan", "k.env", "--no-builtin", "--rules", str(pack), cwd=tmp_path, env={"PATH": str(empty)}
        ).code
        == 1
    )


def _fake_git(folder: Path, version: str) -> Path:
    """A `git` that claims ``version`` and hands everything else to the real git: the only way to
    meet an old git on a machine that has a new one."""
    folder.mkdir()
    script = folder / "git"
    script.write_text(
        f'#!/bin/sh\nif [ "$1" = "--version" ]; then echo "{version}"; exit 0; fi\nexec {GIT} "$@"\n'
    )
    script.chmod(0o755)
    return folder


@pytest.mark.parametrize(
    ("version", "message"),
    [
        ("git version 2.20.1", "git 2.20 ("),
        ("git version 1.8.3.1", "git 1.8 ("),
        ("hello", "--version failed: is it git?"),
    ],
)
def test_git_too_old_or_not_git(repo: Repo, pack: Path, tmp_path: Path, version: str, message: str) -> None:
    repo.commit("base", **{"a.env": "A=1\n"})
    fake = _fake_git(tmp_path / "bin", version)
    env = {"PATH": f"{fake}{os.pathsep}{os.environ['PATH']}"}
    result = run_cli("history", "--no-builtin", "--rules", str(pack), cwd=repo.path, env=env)
    assert result.code == 2 and message in result.err and result.err.count("\n") == 1, result.err
    assert "2.30 or newer" in result.err
    ok = _fake_git(tmp_path / "bin-new", "git version 2.45.0.windows.1")
    env = {"PATH": f"{ok}{os.pathsep}{os.environ['PATH']}"}
    assert run_cli("history", "--no-builtin", "--rules", str(pack), cwd=repo.path, env=env).code == 0


def test_a_remembered_git_is_checked_again_once_replaced(repo: Repo, pack: Path, tmp_path: Path) -> None:
    """The hook remembers (in the user cache) a git that passed the version check, by its
    executable's identity; a git replaced at the same path is checked again."""
    repo.commit("base", **{"a.env": "A=1\n"})
    repo.write("b.env", "B=2\n")
    repo.git("add", "b.env")
    folder, log = tmp_path / "bin", tmp_path / "asked.log"
    folder.mkdir()
    script = folder / "git"

    def claim(version: str) -> None:
        script.write_text(
            f'#!/bin/sh\nif [ "$1" = "--version" ]; then echo asked >> {log}; echo "{version}"; exit 0; fi\n'
            f'exec {GIT} "$@"\n'
        )
        script.chmod(0o755)

    env = {"PATH": f"{folder}{os.pathsep}{os.environ['PATH']}", "LEAKSWEEP_CACHE_DIR": str(tmp_path / "c")}
    hook = ("staged", "-q", "--no-builtin", "--rules", str(pack))
    claim("git version 2.45.0")
    assert [run_cli(*hook, cwd=repo.path, env=env).code for _ in range(3)] == [0, 0, 0]
    assert log.read_text().splitlines() == ["asked"]  # once, then remembered
    time.sleep(0.02)  # a new change time, whatever the filesystem's timestamp granularity here
    claim("git version 2.20.1")
    result = run_cli(*hook, cwd=repo.path, env=env)
    assert result.code == 2 and "git 2.20 (" in result.err, result.err
    assert log.read_text().splitlines() == ["asked", "asked"]
    # --no-cache neither reads nor writes the record.
    claim("git version 2.45.0")
    assert run_cli(*hook, "--no-cache", cwd=repo.path, env=env).code == 0
    assert run_cli(*hook, "--no-cache", cwd=repo.path, env=env).code == 0
    assert log.read_text().splitlines() == ["asked"] * 4


# ---- a full disk, or a file size limit, while writing ----------------------------------------


@contextlib.contextmanager
def tiny_filesystem(where: Path) -> Iterator[Path | None]:
    """A 64 KiB tmpfs at ``where`` when this process may mount one (root), else None."""
    where.mkdir()
    if os.geteuid() != 0:
        yield None
        return
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k,mode=0777", "tmpfs", str(where)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        yield None
        return
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], capture_output=True, check=False)


def _many_secrets(folder: Path, count: int) -> None:
    folder.mkdir()
    for i in range(count):
        (folder / f"s{i}.env").write_text(f"K={aws_key_id(1000 + i)}\n")


def test_full_disk_leaves_the_previous_report_and_baseline(pack: Path, tmp_path: Path) -> None:
    _many_secrets(tmp_path / "src", 200)  # a JSON report of ~200 KB: more than the disk holds
    with tiny_filesystem(tmp_path / "disk") as disk:
        if disk is None:
            pytest.skip("no tmpfs here (needs root); the file-size-limit test covers the same path")
        report = disk / "report.json"
        report.write_text('{"previous": "report"}\n')
        baseline = disk / "baseline.json"
        old = '{\n  "version": 1,\n  "tool": "leaksweep",\n  "findings": [\n  ]\n}\n'
        baseline.write_text(old)
        args = ("--no-builtin", "--rules", str(pack))
        result = run_cli("scan", "src", *args, "--format", "json", "-o", str(report), cwd=tmp_path)
        assert result.code == 2, result.err
        assert result.err == f"leaksweep: error: {report}: cannot write: No space left on device; {UNCHANGED}"
        # Fill the disk so that even the small baseline cannot be written.
        filler = disk / "filler"
        with open(filler, "wb") as handle, contextlib.suppress(OSError):
            handle.write(b"x" * (64 * 1024))
        update = run_cli("baseline", "update", "src", *args, "-o", str(baseline), cwd=tmp_path)
        assert update.code == 2 and "No space left on device" in update.err
        assert report.read_text() == '{"previous": "report"}\n'
        assert baseline.read_text() == old
        assert sorted(p.name for p in disk.iterdir()) == ["baseline.json", "filler", "report.json"]


def _file_size_limit() -> None:
    resource.setrlimit(resource.RLIMIT_FSIZE, (16 * 1024, 16 * 1024))


def test_file_size_limit_leaves_the_previous_report(pack: Path, tmp_path: Path) -> None:
    """RLIMIT_FSIZE makes writes past 16 KiB fail with EFBIG (Python ignores SIGXFSZ): the same
    failure path as a full disk, without root."""
    _many_secrets(tmp_path / "src", 200)
    report = tmp_path / "report.sarif"
    report.write_text('{"previous": "report"}\n')
    outputs = ["--format", "json", "--report", f"sarif:{report}", "-o", "/dev/null"]
    proc = subprocess.run(
        [sys.executable, "-m", "leaksweep", "scan", "src", "--no-builtin", "--rules", str(pack), *outputs],
        cwd=tmp_path,
        capture_output=True,
        preexec_fn=_file_size_limit,
        timeout=60,
        check=False,
    )
    err = proc.stderr.decode()
    assert proc.returncode == 2, err
    assert err == f"leaksweep: error: {report}: cannot write: File too large; {UNCHANGED}"
    assert report.read_text() == '{"previous": "report"}\n'
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.sarif", "src"]


def test_stdout_on_a_full_disk_is_a_clear_error(pack: Path, tmp_path: Path) -> None:
    _many_secrets(tmp_path / "src", 200)
    with open(tmp_path / "out.json", "wb") as out:
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "leaksweep",
                "scan",
                "src",
                "--no-builtin",
                "--rules",
                str(pack),
                "--format",
                "json",
            ],
            cwd=tmp_path,
            stdout=out,
            stderr=subprocess.PIPE,
            preexec_fn=_file_size_limit,
            timeout=60,
            check=False,
        )
    assert proc.returncode == 2
    assert proc.stderr.decode() == "leaksweep: error: cannot write the output: File too large\n"


# ---- temporary files ----------------------------------------------------------------------------


def test_atomic_write_is_private_and_leaves_nothing_on_failure(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    with atomic_text(target) as handle:
        (tmp,) = [p for p in tmp_path.iterdir() if p.name.startswith(".report.json.")]
        assert stat.S_IMODE(tmp.stat().st_mode) == 0o600  # private from the first byte
        handle.write("new\n")
    assert target.read_text() == "new\n" and stat.S_IMODE(target.stat().st_mode) == 0o600
    target.chmod(0o644)
    with pytest.raises(RuntimeError), atomic_text(target) as handle:
        handle.write("half")
        raise RuntimeError("crash while writing")
    assert target.read_text() == "new\n" and list(tmp_path.iterdir()) == [target]
    with atomic_text(target) as handle:
        handle.write("again\n")
    assert stat.S_IMODE(target.stat().st_mode) == 0o644  # an existing file keeps its mode
    with pytest.raises(LeaksweepError, match="cannot write"), atomic_text(tmp_path / "no" / "dir.json"):
        pass


def test_special_files_are_written_in_place_not_replaced(tmp_path: Path) -> None:
    """`-o /dev/null` or a FIFO: renaming a file over them would replace the node itself."""
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    with atomic_text(fifo) as handle:
        handle.write("through the pipe\n")
    reader.join(10)
    assert got == [b"through the pipe\n"] and stat.S_ISFIFO(fifo.stat().st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pipe"]


def test_runs_leave_no_temporary_files(repo: Repo, pack: Path, tmp_path: Path) -> None:
    repo.commit("base", **{"a.env": f"K={aws_key_id(2)}\n"})
    repo.write("b.env", f"K={aws_key_id(3)}\n")
    repo.git("add", "b.env")
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    before = files_under(repo.path)
    env = {"TMPDIR": str(tmpdir)}
    out = tmp_path / "out"
    out.mkdir()
    for args in (("staged",), ("commits", "HEAD"), ("history",), ("scan", ".")):
        result = run_cli(
            *args,
            "--no-builtin",
            "--rules",
            str(pack),
            "-o",
            str(out / "r.txt"),
            "--report",
            f"sarif:{out / 's'}",
            cwd=repo.path,
            env=env,
        )
        assert result.code == 1, result.err
    assert list(tmpdir.iterdir()) == []
    assert files_under(repo.path) == before
    assert sorted(p.name for p in out.iterdir()) == ["r.txt", "s"]
    assert stat.S_IMODE((out / "s").stat().st_mode) == 0o600
