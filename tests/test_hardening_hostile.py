"""Hostile repositories: config and attributes that name commands, symlinks out of the tree, and
file names built to break reports. Nothing runs, nothing outside the tree is read, and every
report format stays well-formed and inert on a terminal."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest

from tests.conftest import ROOT, Repo, run_cli
from tests.git_helpers import aws_key_id, write_pack

# A git config or attribute that makes plain git run this; leaksweep never may.
SETTINGS = (
    "core.fsmonitor",
    "core.sshCommand",
    "core.askPass",
    "core.pager",
    "core.editor",
    "diff.external",
    "diff.evil.textconv",
    "diff.evil.command",
    "filter.evil.clean",
    "filter.evil.smudge",
    "filter.evil.process",
    "merge.evil.driver",
    "credential.helper",
    "gpg.program",
    "uploadpack.packObjectsHook",
)


@pytest.fixture(scope="module")
def pack(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_pack(tmp_path_factory.mktemp("pack"))


def _trap(tmp_path: Path) -> tuple[Path, Path]:
    marker = tmp_path / "ran.txt"
    script = tmp_path / "evil.sh"
    script.write_text(f'#!/bin/sh\necho "ran: $0 $*" >> "{marker}"\ncat\n')
    script.chmod(0o755)
    return script, marker


def test_config_and_committed_gitattributes_never_run_in_any_command(
    repo: Repo, pack: Path, tmp_path: Path
) -> None:
    """Every command that touches git, against a repository whose local config and committed
    .gitattributes name a command for every hook point git has while reading."""
    script, marker = _trap(tmp_path)
    base = repo.commit("base", **{"a.env": "A=1\n"})
    # Committed attributes: a clone gets them with the repository, unlike .git/info/attributes.
    repo.commit(
        "key",
        **{
            ".gitattributes": "* filter=evil diff=evil merge=evil\n*.env text eol=crlf\n",
            "a.env": f"A=1\nK={aws_key_id(11)}\n",
        },
    )
    repo.git("tag", "base", base)
    repo.write("b.env", f"K={aws_key_id(12)}\n")
    repo.git("add", "b.env")
    hooks = tmp_path / "evil-hooks"
    hooks.mkdir()
    for name in ("pre-commit", "post-checkout", "post-index-change", "reference-transaction"):
        (hooks / name).symlink_to(script)
    for key in SETTINGS:
        repo.git("config", key, f"!{script}" if key == "credential.helper" else str(script))
    repo.git("config", "core.hooksPath", str(hooks))
    repo.git("config", "filter.evil.required", "true")
    # The trap is real: plain git runs the filter just to refresh the index.
    repo.write("a.env", "changed\n")
    subprocess.run(["git", "status", "--porcelain"], cwd=repo.path, capture_output=True, check=False)
    assert marker.exists()
    marker.unlink()
    repo.git("checkout", "--", "a.env", check=False)
    if marker.exists():
        marker.unlink()
    (repo.path / "a.env").write_text(f"A=1\nK={aws_key_id(11)}\n")

    rules = ("--no-builtin", "--rules", str(pack))
    runs = [
        (("staged", *rules), 1),
        (("commits", "base..HEAD", *rules), 1),
        (("history", *rules), 1),
        (("scan", ".", *rules), 1),
        (("baseline", "create", ".", *rules, "-o", str(tmp_path / "b.json")), 0),
        (("allowlist", "check", ".", *rules), 0),
        (("commits", "--pre-push", *rules), 1),
    ]
    push = f"refs/heads/main {repo.git('rev-parse', 'HEAD').strip()} refs/heads/main {'0' * 40}\n"
    for args, code in runs:
        result = run_cli(*args, cwd=repo.path, input=push.encode() if "--pre-push" in args else None)
        assert result.code == code, (args, result.err)
        assert not marker.exists(), f"leaksweep {' '.join(args)} ran: {marker.read_text()}"


def test_symlinks_out_of_the_tree_are_never_followed(repo: Repo, pack: Path, tmp_path: Path) -> None:
    home = Path.home()
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "creds.env").write_text(f"K={aws_key_id(21)}\n")
    (home / ".aws-creds").write_text(f"K={aws_key_id(22)}\n")
    repo.commit("base", **{"ok.txt": "nothing\n", "d/creds.env": "placeholder\n"})
    links = {
        "etc": "/etc",
        "passwd": "/etc/passwd",
        "home": str(home),
        "home-creds": str(home / ".aws-creds"),
        "out-creds": str(outside / "creds.env"),
        "up": "../../outside/creds.env",
    }
    for name, target in links.items():
        (repo.path / name).symlink_to(target)
    repo.git("add", *links)
    repo.git("commit", "-q", "-m", "links")
    # A tracked folder swapped for a symlink to outside: git lists d/creds.env from its index.
    (repo.path / "d" / "creds.env").unlink()
    (repo.path / "d").rmdir()
    (repo.path / "d").symlink_to(outside)
    leaked = {aws_key_id(21), aws_key_id(22)}
    for args in (("scan", "."), ("scan", "d", "etc", "home", "up"), ("history",), ("commits", "HEAD")):
        result = run_cli(
            *args,
            "--no-builtin",
            "--rules",
            str(pack),
            "--show-secrets",
            "-v",
            "--format",
            "text",
            cwd=repo.path,
        )
        assert result.code == 0, (args, result.out, result.err)
        assert not [s for s in leaked if s in result.out + result.err], args
    scan = run_cli("scan", ".", "-v", "--no-builtin", "--rules", str(pack), cwd=repo.path)
    assert "skipped passwd: symlink pointing outside the scanned tree" in scan.out
    assert "skipped home: symlink pointing outside the scanned tree" in scan.out
    assert "skipped d/creds.env: inside a symlinked folder pointing outside the scanned tree" in scan.out


# Names git can hold (bytes: git paths are not text) that try to break a report or a terminal.
HOSTILE_NAMES = [
    b"new\nline.env",
    b"cr\rreturn.env",
    b"tab\tname.env",
    b"quote\"and'apos,comma.env",
    b"..dotdot.env",
    b"-rf.env",
    b"--output=pwned.env",
    b"bad\xff\xfeutf8.env",
    b"esc\x1b]0;pwned\x07\x1b[2Jname.env",
    b"csi\xc2\x9b31mc1.env",
    b"bidi\xe2\x80\xaevne.txt",
    b"=cmd|' -C calc'!A0.env",
    b"<script>&amp;.env",
    b"::error file=x::pwned.env",
]
FORMATS = ("json", "jsonl", "sarif", "csv", "junit", "gitlab", "github", "text")
# What must never reach a terminal raw: C0 controls but newline, DEL, C1 controls, bidi overrides.
RAW_CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _hostile_repo(repo: Repo) -> dict[bytes, str]:
    """A commit with a secret in a file under every hostile name (and a tree entry named '..',
    which only plumbing can make), plus the same names staged with new secrets."""
    secrets = {}
    for n, name in enumerate(HOSTILE_NAMES):
        (repo.path / os.fsdecode(name)).write_bytes(f"K={aws_key_id(100 + n)}\n".encode())
        secrets[name] = aws_key_id(100 + n)
    repo.git("add", "-A")
    blob = repo.git("hash-object", "-w", "--stdin", input=f"K={aws_key_id(99)}\n".encode()).strip()
    inner = repo.git("mktree", input=f"100644 blob {blob}\t..\n".encode()).strip()
    tree = repo.git("write-tree").strip()
    listing = repo.git("ls-tree", "-z", tree)
    entries = listing.encode("utf-8", "surrogateescape") + f"040000 tree {inner}\tsub\0".encode()
    top = repo.git("mktree", "-z", input=entries).strip()
    sha = repo.git("commit-tree", top, "-m", "hostile names").strip()
    repo.git("update-ref", "refs/heads/main", sha)
    repo.git("reset", "-q", "--soft", sha)
    secrets[b"sub/.."] = aws_key_id(99)
    for n, name in enumerate(HOSTILE_NAMES):
        (repo.path / os.fsdecode(name)).write_bytes(f"K={aws_key_id(200 + n)}\n".encode())
    repo.git("add", "-A")
    return secrets


def _check_reports(reports: dict[str, str], count: int) -> None:
    """Each format parses, holds one entry per finding, and carries nothing a terminal acts on."""
    for fmt, text in reports.items():
        assert not RAW_CONTROL.search(text), (fmt, RAW_CONTROL.search(text))
    assert len(json.loads(reports["json"])) == count
    lines = reports["jsonl"].splitlines()
    assert len(lines) == count and all(json.loads(line) for line in lines)
    sarif = json.loads(reports["sarif"])
    schema = json.loads((ROOT / "tests" / "data" / "sarif-schema-2.1.0.json").read_text())
    jsonschema.validate(sarif, schema)
    assert len(sarif["runs"][0]["results"]) == count
    gitlab = json.loads(reports["gitlab"])
    gl_schema = json.loads(
        (ROOT / "tests" / "data" / "secret-detection-report-format-15.0.7.json").read_text()
    )
    jsonschema.validate(gitlab, gl_schema)
    rows = list(csv.reader(io.StringIO(reports["csv"])))
    assert len(rows) == count + 1 and len(reports["csv"].splitlines()) == count + 1
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows[1:] for cell in row)
    junit = ET.fromstring(reports["junit"])
    assert len(junit.findall(".//testcase")) == count
    annotations = reports["github"].splitlines()
    assert len(annotations) == count and all(
        line.startswith(("::error ", "::warning ")) for line in annotations
    )
    # A name cannot end an annotation's properties early and start a command of its own.
    assert not any("::error file=x::pwned" in line.split("::", 2)[1] for line in annotations)


@pytest.mark.parametrize("mode", ["staged", "commits", "history", "scan"])
def test_hostile_file_names_in_every_report_format(repo: Repo, pack: Path, tmp_path: Path, mode: str) -> None:
    secrets = _hostile_repo(repo)
    args = {
        "staged": ["staged"],
        "commits": ["commits", "HEAD"],
        "history": ["history"],
        "scan": ["scan", "."],
    }[mode]
    out = tmp_path / "reports"
    out.mkdir()
    extra = [a for fmt in FORMATS[1:] for a in ("--report", f"{fmt}:{out / fmt}")]
    result = run_cli(*args, "--no-builtin", "--rules", str(pack), "--format", "json", *extra, cwd=repo.path)
    assert result.code == 1, result.err
    reports = {"json": result.out, **{fmt: (out / fmt).read_text(encoding="utf-8") for fmt in FORMATS[1:]}}
    count = len(json.loads(result.out))
    # staged and scan see the work tree's names, commits and history also the plumbing-made '..'.
    assert count == len(HOSTILE_NAMES) + (1 if mode in ("commits", "history") else 0)
    _check_reports(reports, count)
    paths = {f["path"] for f in json.loads(result.out)}
    if mode in ("commits", "history"):
        assert "sub/.." in paths  # reported as git names it; nothing resolves it on disk
    assert "bad\\xff\\xfeutf8.env" in paths  # undecodable bytes spelled out, never dropped
    assert "new\nline.env" in paths  # JSON escapes the newline itself
    # stderr (summary, warnings) is as inert as the reports.
    assert not RAW_CONTROL.search(result.err)
    # The text report on a terminal: one line per place, names escaped.
    text = run_cli(*args, "--no-builtin", "--rules", str(pack), cwd=repo.path)
    assert not RAW_CONTROL.search(text.out)
    assert "at esc\\x1b]0;pwned\\x07\\x1b[2Jname.env:1:3" in text.out
    assert not [s for s in secrets.values() if s in result.out + text.out]  # redacted throughout


def test_leading_dash_names_are_paths_not_options(repo: Repo, pack: Path) -> None:
    repo.write("--output=pwned.env", f"K={aws_key_id(31)}\n")
    repo.write("-v", f"K={aws_key_id(32)}\n")
    result = run_cli(
        "scan",
        "--no-builtin",
        "--rules",
        str(pack),
        "--format",
        "json",
        "--",
        "-v",
        "--output=pwned.env",
        cwd=repo.path,
    )
    assert result.code == 1
    assert {f["path"] for f in json.loads(result.out)} == {"-v", "--output=pwned.env"}
    assert not (repo.path / "pwned.env").exists()
