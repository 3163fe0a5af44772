"""`leaksweep commits`: every file version a range of commits creates, against its parents."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from leaksweep.sources.prepush import framework_args, parse_lines, push_args
from tests.conftest import Repo, run_cli
from tests.git_helpers import PRIVATE_KEY, aws_key_id, aws_secret, scan, write_pack

ZERO = "0" * 40


@pytest.fixture(scope="session")
def pack(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_pack(tmp_path_factory.mktemp("pack"))


def test_findings_carry_the_commit_that_introduced_them(repo: Repo, pack: Path) -> None:
    base = repo.commit("base", a="x\n")
    repo.git("config", "user.name", "Ada Lovelace")
    repo.git("config", "user.email", "ada@example.invalid")
    env_author = {"GIT_AUTHOR_NAME": "Ada Lovelace", "GIT_AUTHOR_EMAIL": "ada@example.invalid"}
    repo.write("svc.env", f"K={aws_key_id(1)}\n")
    repo.git("add", "svc.env")
    subprocess.run(
        ["git", "commit", "-q", "-m", "add service config\n\nlong body"],
        cwd=repo.path,
        env={**__import__("os").environ, **env_author},
        check=True,
    )
    sha = repo.git("rev-parse", "HEAD").strip()
    repo.commit("unrelated", b="y\n")
    found = scan(repo, pack, "commits", f"{base}..HEAD")
    assert found.code == 1
    [f] = found.findings
    assert (f["commit"], f["author"], f["email"], f["message"]) == (
        sha,
        "Ada Lovelace",
        "ada@example.invalid",
        "add service config",
    )
    assert f["date"] == "2024-01-02T03:04:05+00:00"
    assert (f["path"], f["line"], f["secret"]) == ("svc.env", 1, aws_key_id(1))


def test_a_secret_already_in_the_parent_is_not_reported(repo: Repo, pack: Path) -> None:
    base = repo.commit("key", **{"a.env": f"K={aws_key_id(2)}\n"})
    repo.commit("edit around it", **{"a.env": f"# header\nK={aws_key_id(2)}\nX=1\n"})
    assert scan(repo, pack, "commits", f"{base}..HEAD").findings == []


def test_a_private_key_pasted_across_two_commits_is_found_once_complete(repo: Repo, pack: Path) -> None:
    base = repo.commit("base", a="x\n")
    lines = PRIVATE_KEY.splitlines(keepends=True)
    first = repo.commit("half a key", **{"keys__id_rsa": "".join(lines[: len(lines) // 2])})
    second = repo.commit("the rest", **{"keys__id_rsa": PRIVATE_KEY + "\n"})
    found = scan(repo, pack, "commits", f"{base}..HEAD")
    assert [(f["rule_id"], f["commit"]) for f in found.findings] == [("private-key-rsa", second)]
    assert first != second


def test_a_yaml_value_changed_under_an_unchanged_key_is_found(repo: Repo, pack: Path) -> None:
    base = repo.commit("v1", **{"values.yaml": f"aws_secret_access_key:\n  {aws_secret(1)}\n"})
    repo.commit("v2", **{"values.yaml": f"aws_secret_access_key:\n  {aws_secret(2)}\n"})
    assert scan(repo, pack, "commits", f"{base}..HEAD").secrets() == [aws_secret(2)]


def _merge_with_evil_change(repo: Repo) -> tuple[str, str, str]:
    """main and side each edit a file; the merge commit itself adds a key. Returns
    (base, side commit, merge commit)."""
    base = repo.commit("base", **{"conf.ini": "a=1\n\nb=1\n", "other": "o\n"})
    repo.git("checkout", "-q", "-b", "side")
    side = repo.commit("side", **{"conf.ini": "a=2\n\nb=1\n"})
    repo.git("checkout", "-q", "main")
    repo.commit("main", **{"other": "p\n"})
    repo.git("merge", "-q", "--no-commit", "side")
    repo.write("conf.ini", f"a=2\n\nb=1\nkey={aws_key_id(3)}\n")
    repo.git("add", "conf.ini")
    repo.git("commit", "-q", "-m", "merge side")
    return base, side, repo.git("rev-parse", "HEAD").strip()


def test_a_secret_only_a_merge_commit_introduces_is_found(repo: Repo, pack: Path) -> None:
    base, _, merge = _merge_with_evil_change(repo)
    found = scan(repo, pack, "commits", f"{base}..HEAD")
    assert [(f["secret"], f["commit"], f["path"]) for f in found.findings] == [
        (aws_key_id(3), merge, "conf.ini")
    ]
    # The merge alone, named as a single commit, is enough.
    assert scan(repo, pack, "commits", merge).secrets() == [aws_key_id(3)]


def test_a_merge_does_not_re_report_what_a_parent_brought(repo: Repo, pack: Path) -> None:
    base = repo.commit("base", **{"a.env": "A=1\n", "b": "b\n"})
    repo.git("checkout", "-q", "-b", "side")
    side = repo.commit("side adds a key", **{"a.env": f"A=1\nK={aws_key_id(4)}\n"})
    repo.git("checkout", "-q", "main")
    repo.commit("main", **{"a.env": "Z=0\nA=1\n"})
    repo.git("merge", "-q", "-m", "merge", "side")
    assert "Z=0" in (repo.path / "a.env").read_text()  # a real three-way merge result
    found = scan(repo, pack, "commits", f"{base}..HEAD")
    assert [(f["secret"], f["commit"]) for f in found.findings] == [(aws_key_id(4), side)]


def test_a_single_revision_means_that_commit_only(repo: Repo, pack: Path) -> None:
    repo.commit("one", **{"a.env": f"K={aws_key_id(5)}\n"})
    second = repo.commit("two", **{"b.env": f"K={aws_key_id(6)}\n"})
    assert scan(repo, pack, "commits", second).secrets() == [aws_key_id(6)]
    assert scan(repo, pack, "commits", "HEAD~1").secrets() == [aws_key_id(5)]
    # A range syntax walks ancestry as git log does.
    assert sorted(scan(repo, pack, "commits", "HEAD", "^HEAD~1").secrets()) == [aws_key_id(6)]


def test_since_ref(repo: Repo, pack: Path) -> None:
    repo.commit("one", **{"a.env": f"K={aws_key_id(7)}\n"})
    repo.git("tag", "v1")
    repo.commit("two", **{"b.env": f"K={aws_key_id(8)}\n"})
    assert scan(repo, pack, "commits", "--since-ref", "v1").secrets() == [aws_key_id(8)]
    assert scan(repo, pack, "commits", "--since-ref", "v1", "HEAD~1").findings == []


def test_the_same_change_on_two_branches_is_scanned_once(repo: Repo, pack: Path) -> None:
    base = repo.commit("base", a="x\n")
    for branch in ("one", "two"):
        repo.git("checkout", "-q", "-b", branch, base)
        repo.commit(f"{branch} adds it", **{"same.env": f"K={aws_key_id(9)}\n"})
    found = scan(repo, pack, "commits", "one", "two", f"^{base}")
    assert len(found.findings) == 1
    assert "1 blob (" in found.result.err


def test_renames_and_deletions_add_nothing(repo: Repo, pack: Path) -> None:
    base = repo.commit("key", **{"a.env": f"K={aws_key_id(10)}\nA=1\nB=2\n"})
    repo.git("mv", "a.env", "moved.env")
    repo.commit("rename")
    repo.git("rm", "-q", "moved.env")
    repo.commit("delete")
    assert scan(repo, pack, "commits", f"{base}..HEAD").findings == []


def test_empty_range_and_bad_revisions(repo: Repo, pack: Path) -> None:
    repo.commit("one", a="x\n")
    result = run_cli("commits", "HEAD..HEAD", "--no-builtin", "--rules", str(pack), cwd=repo.path)
    assert (result.code, result.out.strip()) == (0, "no commits to scan in that range.")
    result = run_cli("commits", "nope..HEAD", "--no-builtin", "--rules", str(pack), cwd=repo.path)
    assert result.code == 2 and "nope" in result.err
    result = run_cli("commits", "--", "--output=/tmp/x", cwd=repo.path)
    assert result.code == 2 and "cannot start with '-'" in result.err
    result = run_cli("commits", f"{ZERO}..HEAD", cwd=repo.path)
    assert result.code == 2 and "--since-ref" in result.err
    result = run_cli("commits", cwd=repo.path)
    assert result.code == 2 and "REV-RANGE" in result.err


def test_submodule_entries_are_skipped_with_a_note(repo: Repo, pack: Path, tmp_path: Path) -> None:
    base = repo.commit("base", a="x\n")
    sub = Repo(tmp_path / "sub")
    sub.path.mkdir()
    sub.git("init", "-q")
    sub_sha = sub.commit("sub", f="y\n")
    repo.git("update-index", "--add", "--cacheinfo", f"160000,{sub_sha},vendor/lib")
    repo.git("commit", "-q", "-m", "add submodule")
    result = run_cli("commits", f"{base}..HEAD", "--no-builtin", "--rules", str(pack), cwd=repo.path)
    assert result.code == 0
    assert "skipped vendor/lib: submodule (gitlink)" in result.out


# ---------------------------------------------------------------- pre-push


def _remote(repo: Repo, tmp_path: Path) -> Path:
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    repo.git("remote", "add", "origin", str(remote))
    return remote


def test_pre_push_lines_update_new_branch_and_delete(repo: Repo, pack: Path, tmp_path: Path) -> None:
    _remote(repo, tmp_path)
    pushed = repo.commit("old key, already on the remote", **{"old.env": f"K={aws_key_id(11)}\n"})
    repo.git("push", "-q", "origin", "main")
    tip = repo.commit("new key", **{"new.env": f"K={aws_key_id(12)}\n"})
    update = f"refs/heads/main {tip} refs/heads/main {pushed}\n".encode()
    assert scan(repo, pack, "commits", "--pre-push", input=update).secrets() == [aws_key_id(12)]
    # A new branch: only what no remote-tracking ref has yet.
    repo.git("checkout", "-q", "-b", "feature")
    feature = repo.commit("feature key", **{"f.env": f"K={aws_key_id(13)}\n"})
    new_branch = f"refs/heads/feature {feature} refs/heads/feature {ZERO}\n".encode()
    found = scan(repo, pack, "commits", "--pre-push", input=new_branch)
    assert sorted(found.secrets()) == sorted([aws_key_id(12), aws_key_id(13)])
    # A deletion sends nothing.
    delete = f"(delete) {ZERO} refs/heads/old {pushed}\n".encode()
    result = run_cli("commits", "--pre-push", input=delete, cwd=repo.path)
    assert (result.code, result.out.strip()) == (0, "nothing pushed that needs scanning.")


def test_pre_push_with_a_remote_tip_we_never_fetched(repo: Repo, pack: Path) -> None:
    tip = repo.commit("key", **{"a.env": f"K={aws_key_id(14)}\n"})
    line = f"refs/heads/main {tip} refs/heads/main {'1' * 40}\n".encode()
    assert scan(repo, pack, "commits", "--pre-push", input=line).secrets() == [aws_key_id(14)]


def test_pre_push_under_the_pre_commit_framework(repo: Repo, pack: Path) -> None:
    first = repo.commit("one", **{"a.env": f"K={aws_key_id(15)}\n"})
    tip = repo.commit("two", **{"b.env": f"K={aws_key_id(16)}\n"})
    env = {"PRE_COMMIT_FROM_REF": first, "PRE_COMMIT_TO_REF": tip}
    assert scan(repo, pack, "commits", "--pre-push", env=env).secrets() == [aws_key_id(16)]
    # Pushing a root commit: the framework names only the local branch.
    env = {"PRE_COMMIT_LOCAL_BRANCH": "refs/heads/main", "PRE_COMMIT_REMOTE_NAME": "origin"}
    assert len(scan(repo, pack, "commits", "--pre-push", env=env).findings) == 2


def test_pre_push_parsing() -> None:
    refs = parse_lines(f"refs/heads/a {'a' * 40} refs/heads/a {ZERO}\n\n")
    assert [(r.local_ref, r.remote_sha) for r in refs] == [("refs/heads/a", ZERO)]
    with pytest.raises(Exception, match="expected"):
        parse_lines("garbage\n")
    assert push_args([]) is None
    assert framework_args({}) is None
    assert framework_args({"PRE_COMMIT_FROM_REF": "a" * 40, "PRE_COMMIT_TO_REF": "b" * 40}) == [
        "--end-of-options",
        "b" * 40,
        "^" + "a" * 40,
    ]


def test_pre_push_refuses_a_terminal_and_range_arguments(repo: Repo) -> None:
    repo.commit("one", a="x\n")
    result = run_cli("commits", "--pre-push", "HEAD", cwd=repo.path)
    assert result.code == 2 and "takes no REV-RANGE" in result.err
