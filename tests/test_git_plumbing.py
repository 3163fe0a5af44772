"""git.py: the streams and parsers the git sources stand on, against real repositories."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from leaksweep import git
from leaksweep.errors import GitError
from tests.conftest import Repo


def test_cat_file_reads_many_objects_through_one_process(repo: Repo) -> None:
    repo.commit("one", a="alpha\n", b="beta" * 100)
    a = repo.git("rev-parse", "HEAD:a").strip()
    b = repo.git("rev-parse", "HEAD:b").strip()
    with git.CatFile(repo.path) as cat:
        assert cat._proc is None  # started lazily
        assert cat.read(a) == b"alpha\n"
        first = cat._proc
        with pytest.raises(git.ObjectTooLarge) as too_large:
            cat.read(b, max_size=10)
        assert too_large.value.size == 400
        assert cat.read("f" * 40) is None  # missing
        assert cat.read(repo.git("rev-parse", "HEAD").strip()) is None  # a commit, not a blob
        assert cat.read(b) == b"beta" * 100  # the stream is still in step after skips
        assert cat._proc is first
    assert cat._proc is None


def test_read_blobs_keeps_order_and_reports_missing(repo: Repo) -> None:
    repo.commit("one", a="1\n", b="2\n")
    a, b = (repo.git("rev-parse", f"HEAD:{n}").strip() for n in "ab")
    assert list(git.read_blobs([b, "e" * 40, a], repo.path)) == [(b, b"2\n"), ("e" * 40, None), (a, b"1\n")]
    assert list(git.read_blobs([], repo.path)) == []


def test_stream_raises_git_errors_after_output(repo: Repo) -> None:
    with pytest.raises(GitError, match=r"bad revision|unknown revision"):
        list(git.stream(["rev-list", "no-such-ref", "--"], repo.path))


def test_repo_info_for_unborn_bare_and_shallow(repo: Repo, tmp_path: Path) -> None:
    info = git.repo_info(repo.path)
    assert (info.head, info.bare, info.in_work_tree, info.shallow) == (None, False, True, False)
    sha = repo.commit("one", a="1\n")
    repo.commit("two", a="2\n")
    assert git.repo_info(repo.path).head is not None
    bare = tmp_path / "bare.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(repo.path), str(bare)], check=True)
    info = git.repo_info(bare)
    assert (info.bare, info.in_work_tree) == (True, False)
    shallow = tmp_path / "shallow"
    subprocess.run(["git", "clone", "-q", "--depth=1", f"file://{repo.path}", str(shallow)], check=True)
    assert git.repo_info(shallow).shallow
    assert git.resolve_commit(sha, shallow) is None  # beyond the boundary
    with pytest.raises(GitError, match="not a git repository"):
        git.repo_info(tmp_path)


def test_commit_changes_pairs_renames_and_merge_parents(repo: Repo) -> None:
    body = "".join(f"line {n}\n" for n in range(30))
    base = repo.commit("base", **{"a.txt": body, "other": "o\n"})
    repo.git("checkout", "-q", "-b", "side")
    repo.git("mv", "a.txt", "b.txt")
    repo.write("b.txt", body + "side\n")
    side = repo.commit("rename on side")
    repo.git("checkout", "-q", "main")
    main = repo.commit("main", **{"a.txt": "top\n" + body})
    repo.git("merge", "-q", "--no-commit", "side")
    repo.write("b.txt", "top\n" + body + "side\nmerge\n")
    repo.git("add", "b.txt")
    repo.git("commit", "-q", "-m", "merge")
    merge = repo.git("rev-parse", "HEAD").strip()
    changes = dict(git.commit_changes([base, side, main, merge], repo.path))
    assert [(c.path, c.status) for c in changes[base]] == [("a.txt", "A"), ("other", "A")]
    [renamed] = changes[side]
    assert (renamed.path, renamed.status, renamed.parents[0].path) == ("b.txt", "R", "a.txt")
    [merged] = changes[merge]
    assert merged.path == "b.txt" and len(merged.parents) == 2
    assert [p.path for p in merged.parents] == ["a.txt", "b.txt"]
    assert [p.blob for p in merged.parents] == [
        repo.git("rev-parse", f"{main}:a.txt").strip(),
        repo.git("rev-parse", f"{side}:b.txt").strip(),
    ]


def test_parse_raw_takes_path_counts_from_headers() -> None:
    oid = "1" * 40
    zero = "0" * 40
    records = [
        b"c" * 40,  # a commit line from diff-tree --stdin
        f":000000 100644 {zero} {oid} A".encode(),
        b"2" * 40,  # a file whose name looks like a commit id
        f":100644 100644 {oid} {oid} R100".encode(),
        b"old name",
        b"new\nname",
    ]
    items = list(git.parse_raw(records))
    assert items[0] == "c" * 40
    assert [(c.path, c.status) for c in items[1:] if isinstance(c, git.Change)] == [
        ("2" * 40, "A"),
        ("new\nname", "R"),
    ]


def test_reachable_objects_lists_types_sizes_and_paths(repo: Repo) -> None:
    repo.commit("one", **{"dir__file.txt": "12345"})
    objects = {(o.kind, o.path, o.size) for o in git.reachable_objects(["--all"], repo.path)}
    assert ("blob", "dir/file.txt", 5) in objects
    assert any(kind == "commit" for kind, _, _ in objects)


def _settings(cmd: list[str]) -> list[str]:
    """The ``-c`` settings given to git itself, before the subcommand (diff-tree has a -c of its own)."""
    settings, words = [], iter(cmd[1:])
    for word in words:
        if word == "-c":
            settings.append(next(words))
        elif word != "--no-pager":
            break
    return settings


def test_whole_history_walks_bound_gits_caches_and_keep_the_safe_config(
    repo: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """rev-list, cat-file --batch-check and diff-tree get WALK_CACHES (the audit's peak memory was
    their default caches), always after SAFE_CONFIG, which no cache setting replaces."""
    repo.commit("one", a="1\n")
    sha = repo.commit("two", a="2\n", b="3\n")
    started: list[list[str]] = []
    popen = subprocess.Popen

    def spy(cmd: list[str], *args: Any, **kwargs: Any) -> Any:
        started.append(list(cmd))
        return popen(cmd, *args, **kwargs)

    monkeypatch.setattr(git.subprocess, "Popen", spy)
    assert any(o.kind == "blob" for o in git.reachable_objects(["--all"], repo.path))
    assert [c for _, c in git.commit_changes([sha], repo.path)]
    with git.CatFile(repo.path) as cat:  # a plain reader keeps git's defaults
        assert cat.read(repo.git("rev-parse", "HEAD:a").strip()) == b"2\n"
    walks = [c for c in started if "rev-list" in c or "diff-tree" in c or "--batch-check" in str(c)]
    assert len(walks) == 3
    for cmd in walks:
        assert _settings(cmd) == [*git.SAFE_CONFIG, *git.WALK_CACHES]
    (reader,) = [c for c in started if "--batch" in c]
    assert _settings(reader) == list(git.SAFE_CONFIG)


def test_hooks_path_is_read_as_git_uses_it(repo: Repo) -> None:
    assert git.git_path("hooks", repo.path, honour_hooks_path=True) == repo.path / ".git" / "hooks"
    repo.git("config", "core.hooksPath", "my-hooks")
    assert git.git_path("hooks", repo.path, honour_hooks_path=True) == repo.path / "my-hooks"
    assert git.git_path("hooks", repo.path) == Path("/dev/null")  # every other call ignores it
