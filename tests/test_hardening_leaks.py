"""Never leak: without --show-secrets no report format, log line, warning, progress line, error
message or exception text holds a full secret, in any mode; the secrets can only come out when
asked for (which proves the checks here are not vacuous)."""

from __future__ import annotations

import base64
import os
import pty
import select
import subprocess
import sys
from pathlib import Path

import pytest

from leaksweep.model import CommitInfo, Dropped, Finding, Target
from tests.conftest import Repo, run_cli
from tests.git_helpers import PRIVATE_KEY, aws_key_id, aws_secret, write_pack

FORMATS = ("json", "jsonl", "sarif", "csv", "junit", "gitlab", "github")


@pytest.fixture(scope="module")
def pack(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_pack(tmp_path_factory.mktemp("pack"))


def _leaky_repo(repo: Repo) -> list[str]:
    """Secrets everywhere a report could echo them: two on one line, a private key block, one
    only in base64, one allowed inline, one in the baseline, one quoted by its commit message,
    and one staged. Returns every secret (the key body's lines for the PEM block)."""
    key_id, key = aws_key_id(1), aws_secret(1)
    repo.commit(
        f"add temporary key {aws_key_id(2)} for the demo",
        **{
            "creds.env": f"AWS_ACCESS_KEY_ID={key_id} AWS_SECRET_ACCESS_KEY={key}\n",
            "quoted.env": f"K={aws_key_id(2)}\n",
            "id_rsa": PRIVATE_KEY + "\n",
            "encoded.txt": "blob: "
            + base64.b64encode(f"aws_access_key_id = {aws_key_id(3)}".encode()).decode()
            + "\n",
            "allowed.env": f"K={aws_key_id(4)}  # leaksweep:allow demo fixture\n",
            "baselined.env": f"K={aws_key_id(5)}\n",
        },
    )
    repo.write("staged.env", f"password = '{aws_secret(6)}'\nK={aws_key_id(7)}\n")
    repo.git("add", "staged.env")
    body = [line for line in PRIVATE_KEY.splitlines() if "PRIVATE KEY" not in line and len(line) > 20]
    return [key_id, key, *(aws_key_id(n) for n in (2, 3, 4, 5, 7)), aws_secret(6), *body]


def _outputs(repo: Repo, pack: Path, out: Path, args: tuple[str, ...], *extra: str) -> str:
    reports = [a for fmt in FORMATS for a in ("--report", f"{fmt}:{out / fmt}")]
    result = run_cli(
        *args,
        "--no-builtin",
        "--rules",
        str(pack),
        "-v",
        "--show-suppressed",
        *reports,
        *extra,
        cwd=repo.path,
    )
    assert result.code == 1, (args, result.err)
    return result.out + result.err + "".join((out / fmt).read_text() for fmt in FORMATS)


MODES = [("staged",), ("commits", "HEAD"), ("history",), ("scan", ".")]


def test_no_mode_or_format_prints_a_secret(repo: Repo, pack: Path, tmp_path: Path) -> None:
    secrets = _leaky_repo(repo)
    baseline = tmp_path / "baseline.json"
    created = run_cli(
        "baseline",
        "create",
        "baselined.env",
        "--no-builtin",
        "--rules",
        str(pack),
        "-o",
        str(baseline),
        cwd=repo.path,
    )
    assert created.code == 0
    out = tmp_path / "reports"
    out.mkdir()
    everything = created.out + created.err + baseline.read_text()
    for args in MODES:
        everything += _outputs(repo, pack, out, args, "--baseline", str(baseline))
    # The commit message quoting a secret is in the commit metadata of commits and history.
    assert "add temporary key AKIA*****" in everything
    checked = run_cli("allowlist", "check", ".", "--no-builtin", "--rules", str(pack), cwd=repo.path)
    everything += checked.out + checked.err
    for args in MODES:  # jsonl to standard output is streamed, finding by finding
        streamed = run_cli(*args, "--no-builtin", "--rules", str(pack), "--format", "jsonl", cwd=repo.path)
        everything += streamed.out + streamed.err
    leaked = [s for s in secrets if s in everything]
    assert leaked == [], leaked
    # The same runs with --show-secrets print them: the check above can see a leak.
    shown = _outputs(repo, pack, out, ("history",), "--show-secrets") + _outputs(
        repo, pack, out, ("staged",), "--show-secrets"
    )
    assert [s for s in secrets[:4] if s not in shown] == []


def test_the_progress_bar_on_a_terminal_holds_no_secret(repo: Repo, pack: Path) -> None:
    secrets = _leaky_repo(repo)
    repo.git("commit", "-q", "-m", "more")
    primary, secondary = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "leaksweep", "history", "--no-builtin", "--rules", str(pack)],
        cwd=repo.path,
        stdin=subprocess.DEVNULL,
        stdout=secondary,
        stderr=secondary,
        env={**os.environ, "TERM": "xterm", "COLUMNS": "120"},
    )
    os.close(secondary)
    seen = b""
    while True:
        ready, _, _ = select.select([primary], [], [], 30)
        if not ready:
            break
        try:
            chunk = os.read(primary, 65536)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    assert proc.wait(30) == 1
    os.close(primary)
    text = seen.decode("utf-8", "replace")
    assert "blobs" in text  # the bar was drawn
    assert [s for s in secrets if s in text] == []


_CRASH = """
import sys
from leaksweep import detector
def boom(self, target):
    raise ValueError("cannot handle " + target.content.decode())
detector.Detector.scan = boom
from leaksweep.cli.main import main
main(sys.argv[1:])
"""


def test_an_internal_error_never_quotes_what_was_scanned(tmp_path: Path, pack: Path) -> None:
    """A bug whose exception text holds scanned content (here, deliberately, the whole file):
    the user sees the type and place, not the text; LEAKSWEEP_DEBUG=1 opts into the traceback."""
    secret = aws_key_id(9)
    (tmp_path / "k.env").write_text(f"K={secret}\n")
    args = [sys.executable, "-c", _CRASH, "scan", "k.env", "--no-builtin", "--rules", str(pack)]
    proc = subprocess.run(args, cwd=tmp_path, capture_output=True, check=False, timeout=60)
    err = proc.stderr.decode()
    assert proc.returncode == 3
    assert err.startswith("leaksweep: internal error: ValueError at leaksweep/") and err.count("\n") == 1
    assert secret not in err + proc.stdout.decode()
    debug = subprocess.run(
        args,
        cwd=tmp_path,
        capture_output=True,
        check=False,
        timeout=60,
        env={**os.environ, "LEAKSWEEP_DEBUG": "1"},
    )
    assert "Traceback" in debug.stderr.decode() and secret in debug.stderr.decode()


def test_reprs_hold_no_secret() -> None:
    """Values in tracebacks, logs and debuggers: the dataclasses that carry secrets keep them
    out of their repr."""
    secret = aws_key_id(10)
    commit = CommitInfo("a" * 40, "Dev", "dev@example.invalid", "2024-01-01", f"add {secret}")
    finding = Finding(
        rule_id="aws-access-key-id",
        rule_name="AWS access key ID",
        severity="high",
        confidence="high",
        path="k.env",
        line=1,
        column=3,
        end_line=1,
        end_column=22,
        secret=secret,
        line_text=f"K={secret}",
        entropy=4.0,
        commit=commit,
        match_text=f"K={secret}",
    )
    target = Target(path="k.env", content=f"K={secret}\n".encode(), before=(f"old {secret}".encode(),))
    for value in (finding, Dropped(finding, "in the baseline"), target, commit):
        assert secret not in repr(value), repr(value)
