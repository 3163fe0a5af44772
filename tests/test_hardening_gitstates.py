"""Bad and unusual git states: every command either works or says clearly why not (exit 2), never
a traceback, a hang, a fetch, or a change to the repository; damaged objects are named, the rest
is still scanned, and a scan that missed something never exits 0."""

from __future__ import annotations

import json
import subprocess
import zlib
from pathlib import Path

import pytest

from tests.conftest import Repo, Result, run_cli
from tests.git_helpers import aws_key_id, write_pack


@pytest.fixture(scope="module")
def pack(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_pack(tmp_path_factory.mktemp("pack"))


def ls(pack: Path, *args: str, cwd: Path, input: bytes | None = None) -> Result:
    result = run_cli(*args, "--no-builtin", "--rules", str(pack), cwd=cwd, input=input)
    assert "Traceback" not in result.err and "internal error" not in result.err, result.err
    return result


def found(result: Result) -> set[str]:
    return {f["path"] for f in json.loads(result.out)}


def snapshot(repo: Path) -> dict[str, bytes]:
    """Everything in the repository (git dir included) that a read-only scan must leave alone."""
    out = {}
    for path in sorted(repo.rglob("*")):
        if path.is_file() and not path.is_symlink():
            out[str(path.relative_to(repo))] = path.read_bytes()
    return out


def test_empty_repository(repo: Repo, pack: Path) -> None:
    assert ls(pack, "staged", cwd=repo.path).code == 0
    assert ls(pack, "history", cwd=repo.path).code == 0
    assert ls(pack, "scan", ".", cwd=repo.path).code == 0
    result = ls(pack, "commits", "HEAD", cwd=repo.path)
    assert result.code == 2 and "error:" in result.err and "\n" not in result.err.strip()
    assert ls(pack, "commits", "--pre-push", cwd=repo.path, input=b"").code == 0


def test_unborn_branch_next_to_other_branches(repo: Repo, pack: Path) -> None:
    repo.commit("main", **{"main.env": f"K={aws_key_id(1)}\n"})
    repo.git("checkout", "-q", "--orphan", "fresh")
    repo.git("rm", "-q", "-r", "--cached", ".")
    repo.write("new.env", f"K={aws_key_id(2)}\n")
    repo.git("add", "new.env")
    staged = ls(pack, "staged", "--format", "json", cwd=repo.path)
    assert staged.code == 1 and found(staged) == {"new.env"}  # compared with the empty tree
    history = ls(pack, "history", "--format", "json", cwd=repo.path)
    assert history.code == 1 and found(history) == {"main.env"}  # the other branch is still audited


def test_detached_head(repo: Repo, pack: Path) -> None:
    first = repo.commit("one", **{"a.env": f"K={aws_key_id(3)}\n"})
    repo.commit("two", **{"b.env": f"K={aws_key_id(4)}\n"})
    repo.git("checkout", "-q", "--detach", first)
    repo.write("c.env", f"K={aws_key_id(5)}\n")
    repo.git("add", "c.env")
    assert found(ls(pack, "staged", "--format", "json", cwd=repo.path)) == {"c.env"}
    assert found(ls(pack, "commits", "HEAD", "--format", "json", cwd=repo.path)) == {"a.env"}
    assert found(ls(pack, "history", "--format", "json", cwd=repo.path)) == {"a.env", "b.env"}


def test_shallow_clone_says_history_is_missing(repo: Repo, pack: Path, tmp_path: Path) -> None:
    repo.commit("old", **{"old.env": f"K={aws_key_id(6)}\n"})
    repo.commit("new", **{"new.env": f"K={aws_key_id(7)}\n"})
    clone = tmp_path / "shallow"
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{repo.path}", str(clone)], check=True)
    history = ls(pack, "history", cwd=clone)
    assert history.code == 1 and "warning: this is a shallow clone" in history.out
    commits = ls(pack, "commits", "HEAD", cwd=clone)
    assert commits.code == 1 and "warning: this is a shallow clone" in commits.out


def _partial_clone(repo: Repo, tmp_path: Path) -> Path:
    repo.commit("one", **{"old.env": f"K={aws_key_id(8)}\n", "keep.txt": "x\n"})
    repo.commit("two", **{"old.env": f"K={aws_key_id(9)}\nmore\n"})
    repo.git("config", "uploadpack.allowFilter", "true")
    clone = tmp_path / "partial"
    subprocess.run(
        ["git", "clone", "-q", "--filter=blob:none", "--no-checkout", f"file://{repo.path}", str(clone)],
        check=True,
    )
    # The promisor remote disappears: a scanner that fetched would hang or fail here.
    subprocess.run(
        ["git", "remote", "set-url", "origin", "file:///nonexistent/promisor"], cwd=clone, check=True
    )
    return clone


def test_partial_clone_reports_missing_blobs_and_never_fetches(
    repo: Repo, pack: Path, tmp_path: Path
) -> None:
    clone = _partial_clone(repo, tmp_path)
    before = snapshot(clone)
    history = ls(pack, "history", cwd=clone)
    assert history.code == 2, history.out + history.err
    assert "skipped old.env: object " in history.out and "could not be read" in history.out
    assert "the scan is incomplete" in history.out
    commits = ls(pack, "commits", "HEAD", "--format", "sarif", cwd=clone)
    assert commits.code == 2, commits.err
    notes = json.loads(commits.out)["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert any(n["level"] == "error" and "old.env" in n["message"]["text"] for n in notes)
    assert snapshot(clone) == before  # no object fetched, nothing written


def test_a_partial_clone_is_known_from_its_config_file_in_every_worktree(repo: Repo, tmp_path: Path) -> None:
    from leaksweep import git

    clone = _partial_clone(repo, tmp_path)
    subprocess.run(
        ["git", "worktree", "add", "-q", "--no-checkout", str(tmp_path / "wt"), "HEAD"], cwd=clone, check=True
    )
    for where in (clone, tmp_path / "wt"):
        info = git.repo_info(where)
        assert git.is_partial_clone(where, info.git_dir) is True
        git._partial.clear()
        assert git.is_partial_clone(where) is True  # what git config says agrees
        git._partial.clear()
    info = git.repo_info(repo.path)
    assert git._config_may_be_partial(info.git_dir) is False
    assert git.is_partial_clone(repo.path, info.git_dir) is False
    git._partial.clear()
    # An include could name anything: then git is asked.
    repo.git("config", "include.path", str(tmp_path / "elsewhere.gitconfig"))
    (tmp_path / "elsewhere.gitconfig").write_text('[remote "origin"]\n\tpromisor = true\n')
    assert git._config_may_be_partial(info.git_dir) is True
    assert git.is_partial_clone(repo.path, info.git_dir) is True
    git._partial.clear()


def _loose_object(repo: Path, oid: str) -> Path:
    return repo / ".git" / "objects" / oid[:2] / oid[2:]


def test_corrupt_loose_objects_are_named_and_the_rest_is_scanned(repo: Repo, pack: Path) -> None:
    repo.commit("one", **{"a.env": f"K={aws_key_id(10)}\n"})
    filler = "".join(f"line {i} {i * 7919 % 104729}\n" for i in range(3000))
    repo.commit(
        "two",
        **{
            "b.env": f"K={aws_key_id(11)}\n{filler}",
            "c.env": "garbage header\n",
            "d.env": f"K={aws_key_id(12)}\n",
        },
    )
    truncated = repo.git("rev-parse", "HEAD:b.env").strip()
    garbage = repo.git("rev-parse", "HEAD:c.env").strip()
    path = _loose_object(repo.path, truncated)
    path.chmod(0o644)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])  # the header inflates, the content does not
    _loose_object(repo.path, garbage).chmod(0o644)
    _loose_object(repo.path, garbage).write_bytes(b"not zlib at all")
    for args in (("history",), ("commits", "HEAD~1..HEAD")):
        result = ls(pack, *args, cwd=repo.path)
        assert result.code == 1, (args, result.err)  # what could be read was scanned
        assert "at d.env:1:3" in result.out
        assert f"skipped b.env: object {truncated} could not be read" in result.out
        assert f"skipped c.env: object {garbage} could not be read" in result.out
        assert "2 object(s) could not be read" in result.out


def test_corrupt_pack_entry_is_named_and_the_rest_is_scanned(repo: Repo, pack: Path) -> None:
    body = "".join(f"row {i} {i * 31337 % 65521}\n" for i in range(4000))
    repo.commit("one", **{"big.env": f"K={aws_key_id(13)}\n{body}", "small.env": f"K={aws_key_id(14)}\n"})
    repo.git("gc", "-q", "--aggressive")
    target = repo.git("rev-parse", "HEAD:big.env").strip()
    (idx,) = (repo.path / ".git" / "objects" / "pack").glob("*.idx")
    offsets = {}
    for line in repo.git("verify-pack", "-v", str(idx)).splitlines():
        fields = line.split()
        if len(fields) >= 5 and len(fields[0]) == 40:
            offsets[fields[0]] = (int(fields[4]), int(fields[3]))
    offset, size = offsets[target]
    packfile = idx.with_suffix(".pack")
    packfile.chmod(0o644)
    raw = bytearray(packfile.read_bytes())
    middle = offset + size // 2
    raw[middle : middle + 16] = bytes(16)  # zeros in the middle of the deflated stream
    packfile.write_bytes(bytes(raw))
    result = ls(pack, "history", cwd=repo.path)
    assert result.code == 1, result.err
    assert "at small.env:1:3" in result.out
    assert f"object {target} could not be read" in result.out


def test_merge_in_progress_with_conflicts(repo: Repo, pack: Path) -> None:
    base = repo.commit("base", **{"c.env": "A=1\n"})
    repo.git("checkout", "-q", "-b", "other")
    repo.commit("other", **{"c.env": f"A={aws_key_id(15)}\n"})
    repo.git("checkout", "-q", "main")
    repo.commit("mine", **{"c.env": "A=2\n", "clean.env": f"K={aws_key_id(16)}\n"})
    merge = subprocess.run(["git", "merge", "-q", "other"], cwd=repo.path, capture_output=True, check=False)
    assert merge.returncode != 0 and (repo.path / ".git" / "MERGE_HEAD").exists()
    before = snapshot(repo.path)
    staged = ls(pack, "staged", cwd=repo.path)
    assert staged.code == 0, staged.err  # an unresolved path cannot be committed yet
    scan = ls(pack, "scan", ".", "--format", "json", cwd=repo.path)
    assert scan.code == 1 and "c.env" in found(scan)  # the conflict markers hold the other side
    assert ls(pack, "history", cwd=repo.path).code == 1
    assert ls(pack, "commits", f"{base}..HEAD", cwd=repo.path).code == 1
    assert snapshot(repo.path) == before


def test_submodule_worktree_and_bare(repo: Repo, pack: Path, tmp_path: Path) -> None:
    lib = Repo(tmp_path / "lib")
    lib.path.mkdir()
    lib.git("init", "-q", "-b", "main")
    lib.commit("lib", **{"lib.env": f"K={aws_key_id(17)}\n"})
    repo.commit("base", **{"a.env": f"K={aws_key_id(18)}\n"})
    repo.git("-c", "protocol.file.allow=always", "submodule", "add", "-q", str(lib.path), "vendor/lib")
    repo.git("commit", "-q", "-m", "submodule")
    scan = ls(pack, "scan", ".", "-v", cwd=repo.path)
    assert scan.code == 1 and "at a.env:1:3" in scan.out
    assert "lib.env" not in scan.out  # the submodule is another repository: not scanned, not followed
    linked = tmp_path / "linked"
    repo.git("worktree", "add", "-q", "--detach", str(linked), "HEAD")
    (linked / "w.env").write_text(f"K={aws_key_id(19)}\n")
    subprocess.run(["git", "add", "w.env"], cwd=linked, check=True)
    assert ls(pack, "staged", "--format", "json", cwd=linked).out.count("w.env") == 1
    assert ls(pack, "history", cwd=linked).code == 1
    assert ls(pack, "commits", "HEAD~1..HEAD", cwd=linked).code == 0  # the submodule commit adds no secret
    bare = tmp_path / "bare.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(repo.path), str(bare)], check=True)
    assert ls(pack, "history", cwd=bare).code == 1
    assert ls(pack, "commits", "HEAD", "--since-ref", "HEAD~1", cwd=bare).code == 0
    staged = ls(pack, "staged", cwd=bare)
    assert staged.code == 2 and "needs a work tree" in staged.err


def test_index_lock_held_by_another_process(repo: Repo, pack: Path) -> None:
    repo.commit("base", **{"a.env": "A=1\n"})
    repo.write("b.env", f"K={aws_key_id(20)}\n")
    repo.git("add", "b.env")
    lock = repo.path / ".git" / "index.lock"
    lock.write_bytes(b"held by another git\n")
    for args in (("staged",), ("history",), ("scan", "."), ("commits", "HEAD")):
        result = ls(pack, *args, cwd=repo.path)
        assert result.code in (0, 1), (args, result.err)
        assert lock.read_bytes() == b"held by another git\n"  # never taken, never removed
    assert ls(pack, "staged", cwd=repo.path).code == 1  # the staged secret is still found


def test_corrupt_head_and_refs_are_clear_errors(repo: Repo, pack: Path) -> None:
    repo.commit("base", **{"a.env": "A=1\n"})
    (repo.path / ".git" / "refs" / "heads" / "broken").write_text(
        "0123456789abcdef0123456789abcdef01234567\n"
    )
    for args in (("history",), ("commits", "broken")):
        result = ls(pack, *args, cwd=repo.path)
        assert result.code == 2, (args, result.out, result.err)
        assert result.err.startswith("leaksweep: error: ") and result.err.count("\n") == 1
    # An index that is not an index.
    (repo.path / ".git" / "refs" / "heads" / "broken").unlink()
    (repo.path / ".git" / "index").write_bytes(zlib.compress(b"nonsense"))
    result = ls(pack, "staged", cwd=repo.path)
    assert result.code == 2 and result.err.startswith("leaksweep: error: ")
