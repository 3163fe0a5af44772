"""The real pre-commit framework running this repository's `.pre-commit-hooks.yaml`.

The framework installs leaksweep from a snapshot of the working tree under test (so a fresh
clone in CI tests itself, uncommitted edits included) into its own virtualenv, once for the
session: the first test pays for that install (pip, from PyPI), the second reuses it.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, Repo
from tests.git_helpers import aws_key_id

SNAPSHOT = ("pyproject.toml", "README.md", ".pre-commit-hooks.yaml", "src", "rules")


@pytest.fixture(scope="session")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A one-commit repository holding this working tree's package: (path, sha)."""
    dest = tmp_path_factory.mktemp("leaksweep-hook-repo")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    for name in SNAPSHOT:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, dest / name, ignore=ignore)
        else:
            shutil.copy2(source, dest / name)
    snapshot = Repo(dest)
    snapshot.git("init", "-q")
    return dest, snapshot.commit("snapshot of the tree under test")


@pytest.fixture(scope="session")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pre-commit-home")


@pytest.fixture
def framework_repo(
    repo: Repo, hook_repo: tuple[Path, str], pre_commit_home: Path, monkeypatch: pytest.MonkeyPatch
) -> Repo:
    monkeypatch.setenv("PRE_COMMIT_HOME", str(pre_commit_home))
    path, sha = hook_repo
    repo.write(
        ".pre-commit-config.yaml",
        f"repos:\n- repo: {path}\n  rev: {sha}\n  hooks:\n  - id: leaksweep\n  - id: leaksweep-push\n",
    )
    repo.commit("add pre-commit config")
    install = subprocess.run(
        [sys.executable, "-m", "pre_commit", "install", "-t", "pre-commit", "-t", "pre-push"],
        cwd=repo.path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert install.returncode == 0, install.stdout + install.stderr
    return repo


def _git(repo: Repo, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", *args], cwd=repo.path, capture_output=True, text=True, check=False, timeout=600
    )


def test_pre_commit_framework_refuses_a_secret_and_passes_a_clean_commit(framework_repo: Repo) -> None:
    repo = framework_repo
    repo.write("settings.py", f'AWS_ACCESS_KEY_ID = "{aws_key_id(1)}"\n')
    repo.git("add", "settings.py")
    refused = _git(repo, "commit", "-m", "add a key")
    output = refused.stdout + refused.stderr
    assert refused.returncode != 0, output
    assert "leaksweep (secrets in staged changes)" in output and "Failed" in output
    assert "settings.py:1:22" in output and "commit blocked" in output
    assert aws_key_id(1) not in output

    repo.write("settings.py", 'AWS_ACCESS_KEY_ID = os.environ["AWS_ACCESS_KEY_ID"]\n')
    repo.git("add", "settings.py")
    passed = _git(repo, "commit", "-m", "read the key from the environment")
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "leaksweep (secrets in staged changes)" in passed.stdout + passed.stderr


def test_pre_commit_framework_pre_push_refuses_a_push_to_a_bare_remote(
    framework_repo: Repo, tmp_path: Path
) -> None:
    repo = framework_repo
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    repo.git("remote", "add", "origin", str(remote))
    assert _git(repo, "push", "-q", "origin", "main").returncode == 0
    repo.write("ci.env", f"AWS_ACCESS_KEY_ID={aws_key_id(2)}\n")
    repo.git("add", "ci.env")
    repo.git("commit", "-q", "--no-verify", "-m", "a key slips past the commit hook")
    refused = _git(repo, "push", "origin", "main")
    output = refused.stdout + refused.stderr
    assert refused.returncode != 0, output
    assert "leaksweep (secrets in pushed commits)" in output and "push blocked" in output
    repo.write("ci.env", "AWS_ACCESS_KEY_ID=${FROM_CI}\n")
    repo.git("add", "ci.env")
    repo.git("commit", "-q", "--amend", "--no-verify", "-m", "ci config")
    pushed = _git(repo, "push", "origin", "main")
    assert pushed.returncode == 0, pushed.stdout + pushed.stderr
