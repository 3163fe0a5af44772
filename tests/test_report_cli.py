"""Reports through the real CLI: every format, several reports in one run, jsonl streaming,
colour and the progress bar on a (pseudo-)terminal and not in a pipe."""

from __future__ import annotations

import csv
import io
import json
import os
import pty
import select
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from leaksweep.cli.settings import ScanSettings, _without_credentials, repository_uri, scan_and_report
from leaksweep.model import Target
from leaksweep.progress import CLEAR, Progress
from leaksweep.report import REPORTERS
from leaksweep.sources import SourceItem
from tests.conftest import ROOT, Repo, run_cli
from tests.test_report_formats import sarif_validator

RULE_IDS = ("github-pat", "aws-access-key-id")


def _builtin(rule_id: str) -> dict[str, object]:
    for pack in sorted((ROOT / "rules").glob("*.yaml")):
        for rule in yaml.safe_load(pack.read_text(encoding="utf-8")) or []:
            if rule.get("id") == rule_id:
                return dict(rule)
    raise LookupError(rule_id)


BUILTIN = {rid: _builtin(rid) for rid in RULE_IDS}
GH = BUILTIN["github-pat"]["examples"][0]["secret"]  # type: ignore[index]
AWS = BUILTIN["aws-access-key-id"]["examples"][0]["secret"]  # type: ignore[index]


@pytest.fixture(scope="module")
def pack(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two built-in rules only: each CLI run compiles two rules, not hundreds."""
    path = tmp_path_factory.mktemp("pack") / "report-rules.yaml"
    path.write_text(yaml.safe_dump([BUILTIN[r] for r in RULE_IDS], sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "tree"
    (root / "app").mkdir(parents=True)
    (root / "app" / "settings.py").write_text(f'TOKEN = "{GH}"\n')
    (root / "app" / "copy.py").write_text(f"# again\nt = '{GH}'\n")
    (root / ".env").write_text(f"AWS_ACCESS_KEY_ID={AWS}\n")
    return root


def scan_args(pack: Path, *extra: str) -> list[str]:
    return ["scan", "--no-builtin", "--rules", str(pack), *extra, "."]


@pytest.mark.parametrize("fmt", sorted(REPORTERS))
def test_each_format_redacts_through_the_cli(fmt: str, pack: Path, tree: Path) -> None:
    res = run_cli(*scan_args(pack, "--format", fmt), cwd=tree)
    assert res.code == 1, res.err
    assert GH not in res.out + res.err and AWS not in res.out + res.err
    assert res.out.strip()
    shown = run_cli(*scan_args(pack, "--format", fmt, "--show-secrets"), cwd=tree)
    assert GH in shown.out and AWS in shown.out


def test_several_reports_in_one_run(pack: Path, tree: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    reports = [f"{fmt}:{out / ('r.' + fmt)}" for fmt in sorted(REPORTERS)]
    args = [a for spec in reports for a in ("--report", spec)]
    res = run_cli(*scan_args(pack, "--format", "json", *args), cwd=tree)
    assert res.code == 1, res.err
    assert len(json.loads(res.out)) == 3  # the main report is unchanged
    texts = {fmt: (out / f"r.{fmt}").read_text(encoding="utf-8") for fmt in REPORTERS}
    for fmt, text in texts.items():
        assert GH not in text and AWS not in text, fmt
    assert not any(p.name.endswith(".tmp") for p in out.iterdir())  # atomic: no leftovers
    errors = list(sarif_validator().iter_errors(json.loads(texts["sarif"])))
    assert not errors, [e.message for e in errors]
    assert len(json.loads(texts["sarif"])["runs"][0]["results"]) == 3
    assert len(json.loads(texts["gitlab"])["vulnerabilities"]) == 3
    assert len(ET.fromstring(texts["junit"]).findall(".//failure")) == 3
    assert len(list(csv.DictReader(io.StringIO(texts["csv"])))) == 3
    assert len(texts["jsonl"].splitlines()) == 3 == len(texts["github"].splitlines())
    assert "2 places" in texts["text"] and "\x1b[" not in texts["text"]


@pytest.mark.parametrize("spec", ["sarif", "nope:x.out", "sarif:"])
def test_bad_report_spec_is_a_usage_error(spec: str, pack: Path, tree: Path) -> None:
    res = run_cli(*scan_args(pack, "--report", spec), cwd=tree)
    assert res.code == 2
    assert "FORMAT:PATH" in res.err or "unknown report format" in res.err
    assert "Traceback" not in res.err


def test_report_path_with_a_colon(pack: Path, tree: Path) -> None:
    res = run_cli(*scan_args(pack, "--report", "csv:out:put.csv"), cwd=tree)
    assert res.code == 1, res.err
    assert (tree / "out:put.csv").read_text().startswith("severity,")


def test_hostile_file_name_end_to_end(pack: Path, tmp_path: Path) -> None:
    name = 'x\n::error file=a::pwned,"<&>.txt'
    (tmp_path / name).write_text(f"k={GH}\n")
    github = run_cli(*scan_args(pack, "--format", "github"), cwd=tmp_path)
    assert github.code == 1
    (line,) = github.out.splitlines()
    assert line.startswith("::error file=x\\x0a%3A%3Aerror file=a%3A%3Apwned%2C")
    junit = run_cli(*scan_args(pack, "--format", "junit"), cwd=tmp_path)
    ET.fromstring(junit.out)
    sarif = json.loads(run_cli(*scan_args(pack, "--format", "sarif"), cwd=tmp_path).out)
    uri = sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == "x%0A%3A%3Aerror%20file=a%3A%3Apwned,%22%3C&%3E.txt"
    text = run_cli(*scan_args(pack), cwd=tmp_path)
    assert "at x\\x0a::error file=a::pwned" in text.out


# --- jsonl streams as findings arrive --------------------------------------------------------


def test_jsonl_lines_are_written_as_findings_arrive(
    pack: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    seen_before_second: list[str] = []

    def items() -> Iterator[SourceItem]:
        yield Target(path="one.txt", content=f"k={GH}\n".encode())
        # By the time the source produces its second target, the first line must be out.
        seen_before_second.append(capsys.readouterr().out)
        yield Target(path="two.txt", content=f"k={AWS}\n".encode())

    settings = ScanSettings.from_kwargs(
        {
            "rule_packs": (pack,),
            "no_builtin": True,
            "disable": (),
            "fmt": "jsonl",
            "output": None,
            "show_secrets": False,
            "show_suppressed": False,
            "max_file_size": 1 << 20,
            "exclude": (),
            "quiet": False,
            "verbose": False,
            "color": None,
        }
    )
    code = scan_and_report(items(), settings, mode="scan")
    assert code == 1
    (first,) = [json.loads(line) for line in seen_before_second[0].splitlines()]
    assert first["path"] == "one.txt" and first["secret"] != GH
    rest = capsys.readouterr().out.splitlines()
    assert [json.loads(line)["path"] for line in rest] == ["two.txt"]  # not written twice


# --- repository URI for SARIF provenance -----------------------------------------------------


@pytest.mark.parametrize(
    ("remote", "expected"),
    [
        ("https://bob:ghp_tok@github.com/acme/app.git", "https://github.com/acme/app.git"),
        ("git@gitlab.com:acme/app.git", "ssh://gitlab.com/acme/app.git"),
        ("ssh://git@host:2222/x.git", "ssh://host:2222/x.git"),
        ("/srv/git/app.git", None),
    ],
)
def test_remote_urls_lose_their_credentials(remote: str, expected: str | None) -> None:
    assert _without_credentials(remote) == expected


def test_repository_uri_sources(repo: Repo, monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "CI_PROJECT_URL"):
        monkeypatch.delenv(key, raising=False)
    assert repository_uri(repo.path) == repo.path.resolve().as_uri()
    repo.git("remote", "add", "origin", "https://user:secret@example.invalid/acme/app.git")
    assert repository_uri(repo.path) == "https://example.invalid/acme/app.git"
    monkeypatch.setenv("GITHUB_SERVER_URL", "https://github.com")
    monkeypatch.setenv("GITHUB_REPOSITORY", "acme/app")
    assert repository_uri(repo.path) == "https://github.com/acme/app"


# --- terminals: colour and progress ------------------------------------------------------------


def run_in_pty(args: list[str], cwd: Path, which: str, env: dict[str, str]) -> tuple[int, bytes, bytes]:
    """Run the CLI with ``which`` ("stdout" or "stderr") on a pseudo-terminal and the other on a
    pipe; return (exit code, what the terminal received, what the pipe received)."""
    master, slave = pty.openpty()
    tty_side = {which: slave}
    proc = subprocess.Popen(
        [sys.executable, "-m", "leaksweep", *args],
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=tty_side.get("stdout", subprocess.PIPE),
        stderr=tty_side.get("stderr", subprocess.PIPE),
        env=env,
    )
    os.close(slave)
    pipe = proc.stdout if which == "stderr" else proc.stderr
    assert pipe is not None
    terminal, piped = b"", b""
    open_fds = {master, pipe.fileno()}
    while open_fds:
        ready, _, _ = select.select(list(open_fds), [], [], 60)
        assert ready, "the CLI stopped producing output"
        for fd in ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:  # EIO: the terminal's other side closed
                chunk = b""
            if not chunk:
                open_fds.discard(fd)
            elif fd == master:
                terminal += chunk
            else:
                piped += chunk
    os.close(master)
    return proc.wait(timeout=60), terminal, piped


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    env.update(extra)
    return env


def big_tree(root: Path) -> Path:
    """A scan large enough to earn a progress bar (more than its 4 MiB threshold)."""
    root.mkdir()
    line = "lorem ipsum dolor sit amet, consectetur adipiscing elit " * 20 + "\n"
    for i in range(3):
        (root / f"part{i}.txt").write_text(line * 1500)
    (root / "key.env").write_text(f"k={GH}\n")
    return root


def test_progress_bar_on_a_terminal_and_not_in_a_pipe(pack: Path, tmp_path: Path) -> None:
    root = big_tree(tmp_path / "big")
    code, terminal, stdout = run_in_pty(scan_args(pack), root, "stderr", _env())
    assert code == 1
    text = terminal.decode("utf-8", "replace")
    assert CLEAR + "[" in text, text
    assert " files, " in text and "/s, " in text
    assert text.endswith(CLEAR) or text.rstrip("\r\n").endswith(CLEAR), "the bar must be erased"
    assert b"\x1b[K" not in stdout and b"1 secret found" in stdout

    piped = subprocess.run(
        [sys.executable, "-m", "leaksweep", *scan_args(pack)], cwd=root, capture_output=True, env=_env()
    )
    assert piped.returncode == 1
    assert b"\x1b" not in piped.stderr and b"\r" not in piped.stderr


def test_quiet_has_no_progress_bar(pack: Path, tmp_path: Path) -> None:
    root = big_tree(tmp_path / "big")
    code, terminal, stdout = run_in_pty(scan_args(pack, "-q"), root, "stderr", _env())
    assert code == 1
    assert b"\x1b[K" not in terminal
    assert len(stdout.decode().splitlines()) == 1  # only the summary


def test_colour_on_a_terminal_unless_no_color(pack: Path, tree: Path) -> None:
    _, coloured, _ = run_in_pty(scan_args(pack), tree, "stdout", _env())
    assert b"\x1b[1;31mCRITICAL" in coloured and b"\x1b[4m" in coloured
    _, plain, _ = run_in_pty(scan_args(pack), tree, "stdout", _env(NO_COLOR="1"))
    assert b"\x1b[" not in plain and b"^^^^" in plain
    _, forced, _ = run_in_pty(scan_args(pack, "--no-color"), tree, "stdout", _env())
    assert b"\x1b[" not in forced


# --- the progress bar itself -------------------------------------------------------------------


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_progress_waits_for_a_large_scan_then_throttles() -> None:
    stream, clock = FakeTerminal(), Clock()
    bar = Progress(stream, "blobs", delay=0.5, min_bytes=1000, interval=0.1, clock=clock)
    bar.update(1, 10)
    assert stream.getvalue() == ""  # small and quick: nothing yet
    clock.now += 0.6
    bar.update(2, 20)
    assert stream.getvalue().count(CLEAR) == 1 and "2 blobs" in stream.getvalue()
    clock.now += 0.05
    bar.update(3, 30)
    assert stream.getvalue().count(CLEAR) == 1  # throttled
    clock.now += 0.06
    bar.update(4, 40)
    assert stream.getvalue().count(CLEAR) == 2
    bar.close()
    assert stream.getvalue().endswith(CLEAR)


def test_progress_shows_at_once_past_the_byte_threshold() -> None:
    stream, clock = FakeTerminal(), Clock()
    bar = Progress(stream, "files", delay=10, min_bytes=1000, clock=clock)
    bar.update(1, 5000)
    assert "1 files, 4.9 KB" in stream.getvalue()


def test_progress_line_shows_rate_and_elapsed() -> None:
    clock = Clock()
    bar = Progress(FakeTerminal(), "blobs", clock=clock)
    bar.targets, bar.bytes = 1234, 10 * 1024 * 1024
    line = bar.line(clock.now + 2.0)
    assert "1,234 blobs, 10.0 MB, 5.0 MB/s, 0:02" in line
    assert bar.line(clock.now + 2.0, total=2468).startswith("[######------]  50%")


def test_progress_is_silent_off_a_terminal() -> None:
    stream, clock = io.StringIO(), Clock()
    bar = Progress(stream, delay=0, min_bytes=0, clock=clock)
    bar.update(1, 10**9)
    bar.close()
    assert stream.getvalue() == ""


def test_history_shows_the_bar_at_once_on_a_terminal(pack: Path, repo: Repo) -> None:
    git_cmd = pytest.importorskip("leaksweep.cli.git_cmd")
    if not hasattr(git_cmd, "history"):
        pytest.skip("no history command yet")
    repo.commit("one", a="hello\n")
    repo.commit("two", **{"b.env": f"k={GH}\n"})
    args = ["history", "--no-builtin", "--rules", str(pack)]
    code, terminal, stdout = run_in_pty(args, repo.path, "stderr", _env())
    assert code == 1, terminal
    text = terminal.decode("utf-8", "replace")
    assert CLEAR + "[" in text and " blobs, " in text
    assert b"1 secret found" in stdout
    piped = run_cli(*args, cwd=repo.path)
    assert "\x1b" not in piped.err
