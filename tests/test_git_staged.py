"""`leaksweep staged`: the index version of each staged file, against HEAD, in real repositories."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import Repo, run_cli
from tests.git_helpers import PRIVATE_KEY, aws_key_id, aws_secret, scan, write_pack


@pytest.fixture(scope="session")
def pack(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_pack(tmp_path_factory.mktemp("pack"))


def test_a_staged_secret_blocks_the_commit_with_advice(repo: Repo, pack: Path) -> None:
    repo.commit("base", README="hello\n")
    key = aws_key_id(1)
    repo.write("app/settings.py", f'KEY = "{key}"\n')
    repo.git("add", "app/settings.py")
    result = run_cli("staged", "--no-builtin", "--rules", str(pack), cwd=repo.path)
    assert result.code == 1
    assert "app/settings.py:1:8" in result.out
    assert key not in result.out + result.err  # redacted
    assert "commit blocked" in result.err
    assert "git commit --no-verify" in result.err and "leaksweep allow" in result.err


def test_a_secret_already_in_head_is_not_reported_again(repo: Repo, pack: Path) -> None:
    key = aws_key_id(2)
    repo.commit("with key", **{"config.env": f"AWS_ACCESS_KEY_ID={key}\n"})
    repo.write("config.env", f"# moved below\nDEBUG=1\nAWS_ACCESS_KEY_ID={key}\n")
    repo.git("add", "config.env")
    assert scan(repo, pack, "staged").findings == []
    # ...but a second, new key in the same file is.
    repo.write("config.env", f"AWS_ACCESS_KEY_ID={key}\nBACKUP_KEY={aws_key_id(3)}\n")
    repo.git("add", "config.env")
    found = scan(repo, pack, "staged")
    assert found.code == 1 and found.secrets() == [aws_key_id(3)]


def test_a_yaml_value_changed_under_an_unchanged_key_is_found(repo: Repo, pack: Path) -> None:
    # The key line does not change, so a scanner of added diff lines sees only the bare value.
    old, new = aws_secret(1), aws_secret(2)
    repo.commit("creds", **{"deploy__values.yaml": f"prod:\n  aws_secret_access_key:\n    {old}\n"})
    repo.write("deploy/values.yaml", f"prod:\n  aws_secret_access_key:\n    {new}\n")
    repo.git("add", "deploy/values.yaml")
    found = scan(repo, pack, "staged")
    assert found.secrets() == [new]
    assert (found.findings[0]["path"], found.findings[0]["line"]) == ("deploy/values.yaml", 3)


def test_a_private_key_pasted_in_two_steps_is_found_once_complete(repo: Repo, pack: Path) -> None:
    lines = PRIVATE_KEY.splitlines(keepends=True)
    repo.write("id_rsa", "".join(lines[: len(lines) // 2]))
    repo.git("add", "id_rsa")
    assert scan(repo, pack, "staged").findings == []  # half a key is no key yet
    repo.git("commit", "-q", "-m", "half")
    repo.write("id_rsa", PRIVATE_KEY + "\n")
    repo.git("add", "id_rsa")
    found = scan(repo, pack, "staged")
    assert [(f["rule_id"], f["line"]) for f in found.findings] == [("private-key-rsa", 1)]


def test_first_commit_of_a_repository(repo: Repo, pack: Path) -> None:
    repo.write("a.env", f"K={aws_key_id(4)}\n")
    repo.git("add", "a.env")
    assert scan(repo, pack, "staged").secrets() == [aws_key_id(4)]


def test_nothing_staged_says_so_and_exits_0(repo: Repo, pack: Path) -> None:
    repo.commit("base", a="x\n")
    repo.write("untracked.env", f"K={aws_key_id(5)}\n")  # not staged: not what a commit records
    result = run_cli("staged", "--no-builtin", "--rules", str(pack), cwd=repo.path)
    assert (result.code, result.out.strip()) == (0, "nothing staged: nothing to scan.")
    # Machine formats still get a valid, empty report.
    assert scan(repo, pack, "staged").findings == []


@pytest.mark.parametrize(
    "name", ["with space.env", "ünïcødé/ключ.env", "new\nline.env", "tab\there.env", "-dash.env"]
)
def test_awkward_paths(repo: Repo, pack: Path, name: str) -> None:
    repo.commit("base", a="x\n")
    repo.write(name, f"K={aws_key_id(6)}\n")
    repo.git("add", "--", name)
    found = scan(repo, pack, "staged")
    assert [(f["path"], f["secret"]) for f in found.findings] == [(name, aws_key_id(6))]


def test_only_the_index_version_counts(repo: Repo, pack: Path) -> None:
    repo.commit("base", **{"a.env": "K=1\n"})
    repo.write("a.env", f"K={aws_key_id(7)}\n")
    repo.git("add", "a.env")
    repo.write("a.env", "K=cleaned-in-the-work-tree-but-not-staged\n")
    assert scan(repo, pack, "staged").secrets() == [aws_key_id(7)]


def test_renames_compare_with_the_source_and_deletions_are_ignored(repo: Repo, pack: Path) -> None:
    key = aws_key_id(8)
    repo.commit("base", **{"old.env": f"K={key}\nA=1\nB=2\nC=3\n", "gone.env": f"K={aws_key_id(9)}\n"})
    repo.git("mv", "old.env", "new.env")
    repo.write("new.env", f"K={key}\nA=1\nB=2\nC=3\nD=4\n")  # renamed and edited
    repo.git("rm", "-q", "gone.env")
    repo.git("add", "new.env")
    assert scan(repo, pack, "staged").findings == []
    repo.write("new.env", f"K={key}\nA=1\nB=2\nC=3\nD={aws_key_id(10)}\n")
    repo.git("add", "new.env")
    assert scan(repo, pack, "staged").secrets() == [aws_key_id(10)]


def test_works_in_a_linked_worktree_and_with_a_detached_head(repo: Repo, pack: Path, tmp_path: Path) -> None:
    repo.commit("one", **{"a.env": "A=1\n"})
    repo.commit("two", **{"a.env": "A=2\n"})
    other = tmp_path / "linked"
    repo.git("worktree", "add", "-q", "--detach", str(other), "HEAD~1")
    (other / "a.env").write_text(f"A=1\nK={aws_key_id(11)}\n")
    subprocess.run(["git", "add", "a.env"], cwd=other, check=True)
    assert scan(other, pack, "staged").secrets() == [aws_key_id(11)]
    # The main work tree's index is untouched.
    assert scan(repo, pack, "staged").findings == []


def test_git_index_file_is_honoured(repo: Repo, pack: Path) -> None:
    # `git commit -a` and partial commits run the hook against a temporary index.
    repo.commit("base", **{"a.env": "A=1\n"})
    repo.write("a.env", f"K={aws_key_id(12)}\n")
    index = repo.path / ".git" / "other-index"
    env = {"GIT_INDEX_FILE": str(index)}
    for args in (["read-tree", "HEAD"], ["add", "a.env"]):
        subprocess.run(["git", *args], cwd=repo.path, env={**os.environ, **env}, check=True)
    assert scan(repo, pack, "staged").findings == []
    assert scan(repo, pack, "staged", env=env).secrets() == [aws_key_id(12)]


def test_concluding_a_merge_does_not_re_report_the_merged_branch(repo: Repo, pack: Path) -> None:
    repo.commit("base", **{"a.txt": "line\n", "b.env": "B=0\n"})
    repo.git("checkout", "-q", "-b", "side")
    repo.commit("side adds a key", **{"b.env": f"B={aws_key_id(13)}\n", "a.txt": "side\n"})
    repo.git("checkout", "-q", "main")
    repo.commit("main edits a", **{"a.txt": "main\n"})
    repo.git("merge", "-q", "side", check=False)  # conflict in a.txt
    repo.write("a.txt", "resolved\n")
    repo.git("add", "a.txt")
    # b.env arrives from side exactly as side committed it: nothing new for this commit.
    assert scan(repo, pack, "staged").findings == []
    repo.write("a.txt", f"resolved with {aws_key_id(14)}\n")
    repo.git("add", "a.txt")
    assert scan(repo, pack, "staged").secrets() == [aws_key_id(14)]


def test_bare_repository_needs_a_work_tree(tmp_path: Path, pack: Path) -> None:
    subprocess.run(["git", "init", "-q", "--bare", str(tmp_path / "bare.git")], check=True)
    result = run_cli("staged", "--no-builtin", "--rules", str(pack), cwd=tmp_path / "bare.git")
    assert result.code == 2
    assert "needs a work tree" in result.err


def test_outside_a_repository_is_a_usage_error(tmp_path: Path, pack: Path) -> None:
    result = run_cli("staged", "--no-builtin", "--rules", str(pack), cwd=tmp_path)
    assert result.code == 2
    assert "not a git repository" in result.err


def test_large_files_and_submodules_are_skipped_with_a_reason(repo: Repo, pack: Path, tmp_path: Path) -> None:
    repo.commit("base", a="x\n")
    repo.write("big.env", f"K={aws_key_id(15)}\n" + "x" * 5000)
    sub = Repo(tmp_path / "sub")
    sub.path.mkdir()
    sub.git("init", "-q")
    sub_sha = sub.commit("sub", f="y\n")
    repo.git("update-index", "--add", "--cacheinfo", f"160000,{sub_sha},vendor/lib")
    repo.git("add", "big.env")
    result = run_cli("staged", "--no-builtin", "--rules", str(pack), "--max-file-size", "1KB", cwd=repo.path)
    assert result.code == 0
    assert "skipped big.env: larger than --max-file-size" in result.out
    assert "skipped vendor/lib: submodule (gitlink)" in result.out
