"""Native git hooks: `leaksweep hooks install/uninstall`, then real `git commit` and `git push`."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

from leaksweep import hooks
from tests.conftest import Repo, run_cli
from tests.git_helpers import aws_key_id


def _git(repo: Repo, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=repo.path, capture_output=True, text=True, check=False)


def test_the_pre_commit_hook_blocks_a_secret_and_lets_a_clean_commit_through(repo: Repo) -> None:
    repo.commit("base", a="x\n")
    result = run_cli("hooks", "install", cwd=repo.path)
    assert result.code == 0, result.err
    hook = repo.path / ".git" / "hooks" / "pre-commit"
    assert f"installed the pre-commit hook: {hook}" in result.out
    assert hook.stat().st_mode & stat.S_IXUSR
    assert sys.executable in hook.read_text()

    repo.write("deploy.env", f"AWS_ACCESS_KEY_ID={aws_key_id(1)}\n")
    repo.git("add", "deploy.env")
    blocked = _git(repo, "commit", "-q", "-m", "add key")
    assert blocked.returncode != 0
    assert "deploy.env:1:19" in blocked.stdout + blocked.stderr  # git sends hook output to stderr
    assert aws_key_id(1) not in blocked.stdout + blocked.stderr  # redacted
    assert "commit blocked" in blocked.stderr and "git commit --no-verify" in blocked.stderr
    assert repo.git("rev-list", "--count", "HEAD").strip() == "1"

    repo.write("deploy.env", "AWS_ACCESS_KEY_ID=${FROM_THE_VAULT}\n")
    repo.git("add", "deploy.env")
    assert _git(repo, "commit", "-q", "-m", "use the vault").returncode == 0
    assert repo.git("rev-list", "--count", "HEAD").strip() == "2"


def test_install_honours_core_hooks_path_and_is_idempotent(repo: Repo) -> None:
    repo.git("config", "core.hooksPath", ".githooks")
    first = run_cli("hooks", "install", "--pre-push", cwd=repo.path)
    assert first.code == 0, first.err
    for name in ("pre-commit", "pre-push"):
        assert hooks.is_ours(repo.path / ".githooks" / name)
    assert not (repo.path / ".git" / "hooks" / "pre-commit").exists()
    again = run_cli("hooks", "install", cwd=repo.path)
    assert again.code == 0 and "updated the pre-commit hook" in again.out
    removed = run_cli("hooks", "uninstall", cwd=repo.path)
    assert removed.code == 0 and removed.out.count("removed the") == 2
    assert not (repo.path / ".githooks" / "pre-commit").exists()
    assert run_cli("hooks", "uninstall", cwd=repo.path).out.startswith("no leaksweep hooks in")


def test_an_existing_hook_is_refused_then_chained_then_restored(repo: Repo, tmp_path: Path) -> None:
    repo.commit("base", a="x\n")
    hook = repo.path / ".git" / "hooks" / "pre-commit"
    ran = tmp_path / "theirs-ran"
    original = f'#!/bin/sh\necho "their hook $#" >> "{ran}"\nexit "${{THEIR_HOOK_EXIT:-0}}"\n'
    hook.write_text(original)
    hook.chmod(0o755)

    refused = run_cli("hooks", "install", cwd=repo.path)
    assert refused.code == 2 and "--force" in refused.err
    assert hook.read_text() == original

    chained = run_cli("hooks", "install", "--force", cwd=repo.path)
    assert chained.code == 0 and "the existing hook now runs first" in chained.out
    assert (hook.parent / "pre-commit.leaksweep-chained").read_text() == original

    repo.write("b", "clean\n")
    repo.git("add", "b")
    assert _git(repo, "commit", "-q", "-m", "clean").returncode == 0
    assert ran.read_text() == "their hook 0\n"
    # Their hook still has the last word when it fails.
    repo.write("b", "clean again\n")
    repo.git("add", "b")
    env = {**os.environ, "THEIR_HOOK_EXIT": "3"}
    failed = subprocess.run(["git", "commit", "-q", "-m", "x"], cwd=repo.path, env=env, capture_output=True)
    assert failed.returncode != 0

    removed = run_cli("hooks", "uninstall", cwd=repo.path)
    assert removed.code == 0 and "restored the one it chained" in removed.out
    assert hook.read_text() == original
    assert not (hook.parent / "pre-commit.leaksweep-chained").exists()
    # A hook that is not ours is left alone by uninstall.
    assert "left" in run_cli("hooks", "uninstall", cwd=repo.path).out
    assert hook.read_text() == original


def test_the_pre_push_hook_refuses_a_push_to_a_bare_remote(repo: Repo, tmp_path: Path) -> None:
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    repo.git("remote", "add", "origin", str(remote))
    repo.commit("base", a="x\n")
    repo.git("push", "-q", "origin", "main")
    # A pre-existing pre-push hook is chained and still sees git's lines on stdin.
    seen = tmp_path / "stdin-seen"
    theirs = repo.path / ".git" / "hooks" / "pre-push"
    theirs.write_text(f'#!/bin/sh\ncat > "{seen}"\n')
    theirs.chmod(0o755)
    result = run_cli("hooks", "install", "--pre-push", "--force", cwd=repo.path)
    assert result.code == 0, result.err

    # --no-verify: the pre-commit hook would stop this commit; the pre-push one is on trial.
    repo.write("ci.env", f"AWS_ACCESS_KEY_ID={aws_key_id(2)}\n")
    repo.git("add", "ci.env")
    repo.git("commit", "-q", "--no-verify", "-m", "add a key")
    tip = repo.git("rev-parse", "HEAD").strip()
    refused = _git(repo, "push", "origin", "main")
    assert refused.returncode != 0
    assert "push blocked" in refused.stderr and "git push --no-verify" in refused.stderr
    assert tip[:12] in refused.stdout + refused.stderr
    assert tip in seen.read_text()
    remote_tip = subprocess.run(["git", "rev-parse", "main"], cwd=remote, capture_output=True, text=True)
    assert remote_tip.stdout.strip() != tip

    repo.write("ci.env", "AWS_ACCESS_KEY_ID=${FROM_CI_SECRETS}\n")
    repo.git("add", "ci.env")
    repo.git("commit", "-q", "--amend", "--no-verify", "-m", "ci config")
    assert _git(repo, "push", "-q", "origin", "main").returncode == 0


def test_the_hook_script_quotes_the_interpreter() -> None:
    text = hooks.script("pre-commit", "/opt/my python/bin/python3")
    assert "LEAKSWEEP_PYTHON='/opt/my python/bin/python3'" in text
    assert text.startswith("#!/bin/sh\n") and hooks.MARKER in text
    assert 'exec "$LEAKSWEEP_PYTHON" -m leaksweep staged' in text
    push = hooks.script("pre-push", "/usr/bin/python3")
    assert "-m leaksweep commits --pre-push" in push and "input=$(cat)" in push
