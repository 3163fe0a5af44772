"""Scanning a repository never runs code the repository (or an inherited GIT_* variable) names."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from leaksweep import git
from tests.conftest import Repo, run_cli
from tests.git_helpers import aws_key_id, write_pack


@pytest.fixture(scope="session")
def pack(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_pack(tmp_path_factory.mktemp("pack"))


def _evil_script(tmp_path: Path, marker: Path) -> Path:
    script = tmp_path / "evil.sh"
    script.write_text(f'#!/bin/sh\necho "ran: $0 $*" >> "{marker}"\ncat\n')
    script.chmod(0o755)
    return script


def _hostile_repo(repo: Repo, script: Path) -> None:
    """History, something staged, then config and attributes that name ``script`` everywhere
    git could run a command while reading (set last: plain git would run them while we build)."""
    base = repo.commit("base", **{"a.env": "A=1\n"})
    repo.commit("key", **{"a.env": f"A=1\nK={aws_key_id(1)}\n"})
    repo.git("tag", "base", base)
    repo.write("b.env", f"K={aws_key_id(2)}\n")
    repo.git("add", "b.env")
    hooks = repo.path / "evil-hooks"
    hooks.mkdir()
    for name in ("pre-commit", "post-checkout", "reference-transaction", "pre-auto-gc"):
        (hooks / name).symlink_to(script)
    s = str(script)
    settings = {
        "core.fsmonitor": s,
        "core.hooksPath": str(hooks),
        "core.pager": s,
        "core.sshCommand": s,
        "core.askPass": s,
        "diff.external": s,
        "diff.evil.textconv": s,
        "diff.evil.command": s,
        "filter.evil.clean": s,
        "filter.evil.smudge": s,
        "filter.evil.process": s,
        "filter.evil.required": "true",
        "credential.helper": f"!{s}",
        "gpg.program": s,
        "log.showSignature": "true",
        "uploadpack.packObjectsHook": s,
    }
    for key, value in settings.items():
        repo.git("config", key, value)
    (repo.path / ".git" / "info").mkdir(exist_ok=True)
    (repo.path / ".git" / "info" / "attributes").write_text("* diff=evil filter=evil\n")


def test_repository_config_never_runs(repo: Repo, pack: Path, tmp_path: Path) -> None:
    marker = tmp_path / "ran.txt"
    script = _evil_script(tmp_path, marker)
    _hostile_repo(repo, script)
    # The trap is real: plain git runs the repository's fsmonitor just to list the staged files.
    subprocess.run(["git", "diff", "--cached", "--name-only"], cwd=repo.path, capture_output=True, check=True)
    assert marker.exists()
    marker.unlink()
    rules = ("--no-builtin", "--rules", str(pack))
    for args in (("staged",), ("commits", "base..HEAD"), ("history",)):
        result = run_cli(*args, *rules, cwd=repo.path)
        assert result.code == 1, (args, result.err)
        assert not marker.exists(), f"leaksweep {' '.join(args)} ran {marker.read_text()}"
    # `hooks install` reads the hooks path the repository configures, and runs nothing from it.
    result = run_cli("hooks", "install", cwd=repo.path)
    assert result.code == 2 and "evil-hooks/pre-commit already exists" in result.err
    assert not marker.exists()


def test_inherited_git_variables_are_dropped(repo: Repo, pack: Path, tmp_path: Path) -> None:
    marker = tmp_path / "ran.txt"
    script = str(_evil_script(tmp_path, marker))
    repo.commit("key", **{"a.env": f"K={aws_key_id(3)}\n"})
    repo.write("b.env", f"K={aws_key_id(4)}\n")
    repo.git("add", "b.env")
    env = {
        "GIT_CONFIG_COUNT": "2",
        "GIT_CONFIG_KEY_0": "core.fsmonitor",
        "GIT_CONFIG_VALUE_0": script,
        "GIT_CONFIG_KEY_1": "diff.external",
        "GIT_CONFIG_VALUE_1": script,
        "GIT_CONFIG_PARAMETERS": f"'core.fsmonitor'='{script}'",
        "GIT_EXTERNAL_DIFF": script,
        "GIT_SSH_COMMAND": script,
        "GIT_PAGER": script,
        "GIT_EDITOR": script,
    }
    for args in (("staged",), ("commits", "HEAD"), ("history",)):
        result = run_cli(*args, "--no-builtin", "--rules", str(pack), cwd=repo.path, env=env)
        assert result.code == 1, (args, result.err)
    assert not marker.exists()


def test_safe_env_keeps_only_what_a_hook_needs() -> None:
    env = git.safe_env(
        {
            "PATH": "/bin",
            "GIT_DIR": "/r/.git",
            "GIT_INDEX_FILE": "/r/.git/index.lock",
            "GIT_WORK_TREE": "/r",
            "GIT_EXTERNAL_DIFF": "x",
            "GIT_CONFIG_COUNT": "1",
            "GIT_CONFIG_PARAMETERS": "x",
            "GIT_SSH_COMMAND": "x",
            "GIT_TRACE": "1",
        }
    )
    assert env["PATH"] == "/bin"
    assert {k for k in env if k.startswith("GIT_")} >= {"GIT_DIR", "GIT_INDEX_FILE", "GIT_WORK_TREE"}
    for dropped in ("GIT_EXTERNAL_DIFF", "GIT_CONFIG_COUNT", "GIT_CONFIG_PARAMETERS", "GIT_SSH_COMMAND"):
        assert dropped not in env
    assert "GIT_TRACE" not in env
    cmd = git.git_command(["status"])
    assert "core.fsmonitor=false" in cmd and "core.hooksPath=/dev/null" in cmd and "diff.external=" in cmd
    assert os.path.basename(cmd[0]) == "git"
