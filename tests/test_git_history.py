"""`leaksweep history`: every reachable blob once, with provenance for the findings."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Repo, run_cli
from tests.git_helpers import aws_key_id, scan, write_pack


@pytest.fixture(scope="session")
def pack(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_pack(tmp_path_factory.mktemp("pack"))


def by_secret(findings: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for f in findings:
        assert f["secret"] not in out, f"reported twice: {f}"
        out[f["secret"]] = f
    return out


def test_a_secret_added_then_deleted_keeps_its_introducing_commit(repo: Repo, pack: Path) -> None:
    repo.commit("base", a="x\n")
    added = repo.commit("add creds", **{"creds.env": f"K={aws_key_id(1)}\n"})
    repo.commit("edit creds", **{"creds.env": f"# note\nK={aws_key_id(1)}\n"})
    repo.git("rm", "-q", "creds.env")
    repo.commit("remove creds")
    found = scan(repo, pack, "history")
    [f] = found.findings  # two blobs hold the key: one finding
    assert (f["commit"], f["message"], f["path"], f["in_head"]) == (added, "add creds", "creds.env", False)
    assert (f["author"], f["email"], f["date"]) == (
        "Test Author",
        "author@example.invalid",
        "2024-01-02T03:04:05+00:00",
    )
    assert f["other_paths"] == []
    text = run_cli("history", "--no-builtin", "--rules", str(pack), cwd=repo.path)
    assert text.code == 1
    assert added[:12] in text.out and "creds.env" in text.out


def test_secrets_on_an_unmerged_branch_behind_a_tag_and_in_the_stash(repo: Repo, pack: Path) -> None:
    repo.commit("base", a="x\n")
    repo.git("checkout", "-q", "-b", "wip")
    repo.commit("branch only", **{"b.env": f"K={aws_key_id(2)}\n"})
    repo.git("checkout", "-q", "--orphan", "release")
    repo.git("rm", "-rqf", ".")
    repo.commit("tagged only", **{"t.env": f"K={aws_key_id(3)}\n"})
    repo.git("tag", "-a", "-m", "v1", "v1")
    repo.git("checkout", "-q", "main")
    repo.git("branch", "-D", "release")  # only the tag reaches it now
    for n in (4, 5):  # two stash entries: only the newest is a ref, the older one is in its reflog
        repo.write("a", f"K={aws_key_id(n)}\n")
        repo.git("stash", "-q")
    found = by_secret(scan(repo, pack, "history").findings)
    assert set(found) == {aws_key_id(n) for n in (2, 3, 4, 5)}
    assert all(f["in_head"] is False for f in found.values())
    # --branch narrows the audit.
    assert scan(repo, pack, "history", "--branch", "wip").secrets() == [aws_key_id(2)]
    assert scan(repo, pack, "history", "--branch", "v1").secrets() == [aws_key_id(3)]


def test_a_secret_only_a_merge_introduces_is_credited_to_the_merge(repo: Repo, pack: Path) -> None:
    repo.commit("base", **{"conf.ini": "a=1\n\nb=1\n", "other": "o\n"})
    repo.git("checkout", "-q", "-b", "side")
    repo.commit("side", **{"conf.ini": "a=2\n\nb=1\n"})
    repo.git("checkout", "-q", "main")
    repo.commit("main", **{"other": "p\n"})
    repo.git("merge", "-q", "--no-commit", "side")
    repo.write("conf.ini", f"a=2\n\nb=1\nkey={aws_key_id(6)}\n")
    repo.git("add", "conf.ini")
    repo.git("commit", "-q", "-m", "merge side")
    merge = repo.git("rev-parse", "HEAD").strip()
    [f] = scan(repo, pack, "history").findings
    assert (f["commit"], f["path"], f["in_head"]) == (merge, "conf.ini", True)


def test_renamed_files_keep_their_provenance(repo: Repo, pack: Path) -> None:
    repo.commit("base", a="x\n")
    added = repo.commit("add", **{"config__old.env": f"K={aws_key_id(7)}\nA=1\nB=2\nC=3\n"})
    repo.git("mv", "config/old.env", "config/renamed.env")
    repo.commit("pure rename")
    repo.git("mv", "config/renamed.env", "settings.env")
    repo.write("settings.env", f"K={aws_key_id(7)}\nA=1\nB=2\nC=3\nD=4\n")
    repo.commit("rename and edit")
    [f] = scan(repo, pack, "history").findings
    assert (f["commit"], f["path"], f["in_head"]) == (added, "config/old.env", True)
    assert f["other_paths"] == ["config/renamed.env", "settings.env"]


def test_one_secret_at_two_paths_is_listed_with_its_other_path(repo: Repo, pack: Path) -> None:
    first = repo.commit("one", **{"a.env": f"K={aws_key_id(8)}\n"})
    second = repo.commit("copy", **{"docs__setup.md": f"Use K={aws_key_id(8)} for now\n"})
    found = scan(repo, pack, "history").findings
    assert [(f["path"], f["commit"], f["other_paths"]) for f in found] == [
        ("a.env", first, ["docs/setup.md"]),
        ("docs/setup.md", second, ["a.env"]),
    ]


def test_each_blob_is_scanned_once(repo: Repo, pack: Path) -> None:
    repo.commit("one", **{"a.env": f"K={aws_key_id(9)}\n", "b.env": f"K={aws_key_id(9)}\n"})
    for n in range(3):
        repo.commit(f"touch {n}", other=f"{n}\n")
    found = scan(repo, pack, "history")
    # a.env and b.env share one blob; "other" has three versions.
    assert "4 blobs" in found.result.err
    # One finding per path it was introduced at (rule + secret + path), each naming the other.
    assert [(f["path"], f["other_paths"]) for f in found.findings] == [
        ("a.env", ["b.env"]),
        ("b.env", ["a.env"]),
    ]


def test_since_limits_the_commits(repo: Repo, pack: Path) -> None:
    import os

    def commit_at(date: str, name: str, n: int) -> None:
        repo.write(name, f"K={aws_key_id(n)}\n")
        repo.git("add", name)
        env = {**os.environ, "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}
        subprocess.run(["git", "commit", "-q", "-m", name], cwd=repo.path, env=env, check=True)
        repo.git("rm", "-q", name)
        subprocess.run(["git", "commit", "-q", "-m", f"rm {name}"], cwd=repo.path, env=env, check=True)

    commit_at("2020-01-01T00:00:00+00:00", "old.env", 10)
    commit_at("2023-01-01T00:00:00+00:00", "new.env", 11)
    assert scan(repo, pack, "history", "--since", "2022-01-01").secrets() == [aws_key_id(11)]


def test_bare_repository_and_shallow_clone(repo: Repo, pack: Path, tmp_path: Path) -> None:
    first = repo.commit("one", **{"a.env": f"K={aws_key_id(12)}\n"})
    repo.commit("two", b="x\n")
    repo.commit("three", **{"c.env": f"K={aws_key_id(13)}\n"})
    bare = tmp_path / "bare.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(repo.path), str(bare)], check=True)
    found = by_secret(scan(bare, pack, "history").findings)
    assert found[aws_key_id(12)]["commit"] == first
    shallow = tmp_path / "shallow"
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{repo.path}", str(shallow)], check=True)
    result = run_cli("history", "--no-builtin", "--rules", str(pack), cwd=shallow)
    assert result.code == 1
    assert "warning: this is a shallow clone" in result.out
    # Only what the clone holds: both keys are still in HEAD's tree.
    assert result.out.count("aws-access-key-id") == 2


def test_submodules_are_noted_and_an_empty_repository_is_clean(
    repo: Repo, pack: Path, tmp_path: Path
) -> None:
    result = run_cli("history", "--no-builtin", "--rules", str(pack), cwd=repo.path)
    assert result.code == 0, result.err
    sub = Repo(tmp_path / "sub")
    sub.path.mkdir()
    sub.git("init", "-q")
    sub_sha = sub.commit("sub", f="y\n")
    repo.git("update-index", "--add", "--cacheinfo", f"160000,{sub_sha},vendor/lib")
    repo.git("commit", "-q", "-m", "add submodule")
    result = run_cli("history", "--no-builtin", "--rules", str(pack), cwd=repo.path)
    assert result.code == 0, result.err
    assert "vendor/lib is a submodule (gitlink)" in result.out


def test_unknown_branch_is_a_usage_error(repo: Repo, pack: Path) -> None:
    repo.commit("one", a="x\n")
    result = run_cli("history", "--branch", "nope", "--no-builtin", "--rules", str(pack), cwd=repo.path)
    assert result.code == 2 and "--branch nope" in result.err


def test_awkward_paths_are_reported_exactly(repo: Repo, pack: Path) -> None:
    name = "dir with space/new\nline ü.env"
    repo.write(name, f"K={aws_key_id(14)}\n")
    repo.git("add", "--", name)
    repo.git("commit", "-q", "-m", "odd")
    [f] = scan(repo, pack, "history").findings
    assert f["path"] == name


def test_the_listing_leaves_no_git_running(repo: Repo, monkeypatch: pytest.MonkeyPatch) -> None:
    """rev-list and cat-file --batch-check have exited once the blobs are listed: the workers (each
    with its own cat-file) start after that, so the two phases' memory never adds up. The storage
    order's listing is stopped once every blob to scan has been seen."""
    from leaksweep import git
    from leaksweep.sources import history
    from leaksweep.sources.history import BlobWork, History

    monkeypatch.setattr(history, "STORAGE_ORDER_MIN", 0)

    for n in range(3):
        repo.commit(f"c{n}", **{f"f{n}.txt": f"{n}\n", "shared.txt": f"v{n}\n"})
    started: list[subprocess.Popen[bytes]] = []
    popen = subprocess.Popen

    def spy(*args: Any, **kwargs: Any) -> Any:
        proc = popen(*args, **kwargs)
        started.append(proc)
        return proc

    monkeypatch.setattr(git.subprocess, "Popen", spy)
    work = list(History(cwd=repo.path).listing(1_000_000))
    assert len([w for w in work if isinstance(w, BlobWork)]) == 6
    walks = [p for p in started if {"rev-list", "--buffer", "--batch-all-objects"} & set(p.args)]
    assert len(walks) == 3  # the walk, its type and size check, and the storage order
    assert all(p.returncode is not None for p in walks)


def test_blobs_are_listed_in_the_order_git_stores_them(repo: Repo, monkeypatch: pytest.MonkeyPatch) -> None:
    """Readers inflate about a quarter less when a delta comes right after its base
    (git.storage_order): every blob is listed once, in the order git lists the objects it has
    (loose ones, then each pack in its order)."""
    from leaksweep import git
    from leaksweep.sources import history
    from leaksweep.sources.history import BlobWork, History

    for n in range(6):
        repo.commit(f"c{n}", **{"app.py": "x = 1\n" * 50 + f"y = {n}\n", f"f{n}.txt": f"{n}\n"})
    repo.git("gc", "-q")
    repo.commit("loose", **{"app.py": "x = 2\n", "late.txt": "late\n"})

    def listed() -> list[BlobWork]:
        return [w for w in History(cwd=repo.path).listing(1_000_000) if isinstance(w, BlobWork)]

    # A small audit keeps rev-list's order (listing every object's name would cost more).
    walked = [o.oid for o in git.reachable_objects(["--all"], repo.path) if o.kind == "blob"]
    assert [w.oid for w in listed()] == list(dict.fromkeys(walked))
    monkeypatch.setattr(history, "STORAGE_ORDER_MIN", 0)
    work = listed()
    stored = [
        line.split()[0]
        for line in repo.git(
            "cat-file", "--batch-all-objects", "--unordered", "--batch-check=%(objectname) %(objecttype)"
        ).splitlines()
        if line.endswith(" blob")
    ]
    reachable = {line.split()[0] for line in repo.git("rev-list", "--all", "--objects").splitlines()}
    assert [w.oid for w in work] == [oid for oid in stored if oid in reachable]
    assert len(work) == len({w.oid for w in work}) == 14


def test_without_a_storage_order_every_blob_is_still_listed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The order is only an optimisation: if git cannot list the objects, the work comes in the
    order rev-list found it, all of it."""
    from leaksweep.sources import history
    from leaksweep.sources.history import BlobWork, _stored_order

    monkeypatch.setattr(history, "STORAGE_ORDER_MIN", 0)
    wanted = {oid: BlobWork(oid, f"p{oid}", 1) for oid in ("b" * 40, "a" * 40, "c" * 40)}
    ordered = _stored_order(dict(wanted), tmp_path)  # not a repository: git fails
    assert ordered == list(wanted.values())
