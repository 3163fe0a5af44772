"""The pre-commit hook's fast path: ``staged`` with its usual options is parsed without click.

It must read every command line it accepts exactly as click does (same settings), hand
everything else to click, and produce the same report, messages and exit code as the click path.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leaksweep.cli.git_cmd import staged
from leaksweep.cli.hook import DEFAULTS, parse_fast
from leaksweep.matching import hyperscan_import
from tests.conftest import Repo, run_cli
from tests.git_helpers import aws_key_id, write_pack


def click_params(args: list[str]) -> dict[str, Any]:
    """The keyword arguments click would call the ``staged`` command with."""
    with staged.make_context("staged", list(args)) as ctx:
        return dict(ctx.params)


def test_defaults_are_clicks_defaults() -> None:
    assert click_params([]) == DEFAULTS


ACCEPTED = [
    ["-q"],
    ["--quiet", "-v"],
    ["--no-color"],
    ["--color", "--no-color"],
    ["--format", "json", "-o", "out.json"],
    ["--config", "c.yaml", "--allowlist", "a.yaml", "--baseline", "b.json"],
    ["--rules", "one.yaml", "--rules", "two.yaml", "--no-builtin"],
    ["--disable", "generic", "--exclude", "vendor/**", "--exclude", "*.min.js"],
    ["--show-secrets", "--show-suppressed", "--no-inline-allow", "--no-cache"],
]


@pytest.mark.parametrize("args", ACCEPTED, ids=" ".join)
def test_accepted_command_lines_mean_what_they_mean_to_click(args: list[str]) -> None:
    assert parse_fast(args) == click_params(args)


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["-h"],
        ["--format=json"],  # click's = form
        ["-qv"],  # bundled short flags
        ["--report", "sarif:x.sarif"],
        ["--max-file-size", "1MB"],
        ["--jobs", "2"],
        ["--format", "nonsense"],  # click explains the choices
        ["--config"],  # a missing value: click says so
        ["--config", "--quiet"],
        ["--frobnicate"],
        ["some-path"],
        ["--"],
    ],
    ids=" ".join,
)
def test_anything_else_goes_to_click(args: list[str]) -> None:
    assert parse_fast(args) is None


TOKENS = ["-q", "--quiet", "-v", "--color", "--no-color", "--no-cache", "--show-secrets", "--no-builtin"]
VALUED = ["--config", "--format", "--rules", "--disable", "--exclude", "-o", "--baseline"]
VALUES = ["json", "text", "sarif", "x.yaml", "dir/y.json", "generic", "**/*.py"]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.sampled_from(TOKENS).map(lambda t: [t]),
            st.tuples(st.sampled_from(VALUED), st.sampled_from(VALUES)).map(list),
        ),
        max_size=6,
    )
)
def test_random_command_lines_agree_with_click(parts: list[list[str]]) -> None:
    args = [token for part in parts for token in part]
    fast = parse_fast(args)
    if fast is not None:
        assert fast == click_params(args)


@pytest.fixture(scope="module")
def pack(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_pack(tmp_path_factory.mktemp("pack"))


def test_fast_and_click_paths_report_the_same(repo: Repo, pack: Path) -> None:
    repo.commit("base", README="hello\n")
    repo.write("app/settings.py", f'KEY = "{aws_key_id(7)}"\n')
    repo.git("add", "app/settings.py")
    common = ["staged", "--no-builtin", "--rules", str(pack), "--no-color"]
    fast = run_cli(*common, cwd=repo.path)
    # --max-file-size is not on the fast path: the same scan through click.
    slow = run_cli(*common, "--max-file-size", "10MB", cwd=repo.path)
    assert fast.code == slow.code == 1
    assert fast.err == slow.err and "commit blocked" in fast.err
    strip = [line for line in fast.out.splitlines() if " scanned in " not in line]
    assert strip == [line for line in slow.out.splitlines() if " scanned in " not in line]


def test_the_fast_path_never_imports_click_or_the_other_reporters(repo: Repo, pack: Path) -> None:
    repo.commit("base", README="hello\n")
    repo.write("notes.txt", "nothing secret here\n")
    repo.git("add", "notes.txt")
    # Only what leaksweep imports counts: a site-packages .pth file may import typing, shutil
    # or tempfile before any code of ours runs (CI's interpreter does, for certifi).
    probe = (
        "import sys\n"
        "before = set(sys.modules)\n"
        "from leaksweep.cli.main import main\n"
        "try:\n"
        f"    main(['staged', '-q', '--no-builtin', '--rules', {str(pack)!r}])\n"
        "except SystemExit as exit:\n"
        "    code = exit.code\n"
        "heavy = ['click', 'yaml', 'tomllib', 'leaksweep.report.sarif', 'leaksweep.report.junit',\n"
        "         'leaksweep.report.json_report', 'traceback', 'dataclasses', 'inspect', 'shutil',\n"
        "         'tempfile', 'hashlib', 'queue', 'typing']\n"
        "if __import__('leaksweep.matching').matching.hyperscan_import()[0] is not None:\n"
        "    heavy.append('regex')  # the database was compiled and cached by the first run\n"
        "print(code, [name for name in heavy if name in sys.modules and name not in before])\n"
    )
    # --rules PACK.yaml is read from YAML the first time, then from the cache: look at the second.
    for _ in range(2):
        proc = subprocess.run(
            [sys.executable, "-c", probe], cwd=repo.path, capture_output=True, text=True, check=True
        )
    assert proc.stdout.splitlines()[-1] == "0 []", proc.stdout + proc.stderr


@pytest.mark.skipif(hyperscan_import()[0] is None, reason="hyperscan is not installed")
def test_the_hook_compiles_the_database_once_and_only_where_it_can_keep_it(
    repo: Repo, pack: Path, tmp_path: Path
) -> None:
    repo.commit("base", README="hello\n")
    repo.write("notes.txt", "nothing secret here\n")
    repo.git("add", "notes.txt")
    hook = ("staged", "-v", "--no-builtin", "--rules", str(pack))

    def matching(cache: Path) -> str:
        said = run_cli(*hook, cwd=repo.path, env={"LEAKSWEEP_CACHE_DIR": str(cache)})
        assert said.code == 0, said.err
        return next(line for line in said.err.splitlines() if "matching:" in line)

    # A cache that cannot be written (a file where a folder should be): compiling on every commit
    # would cost seconds each time, so the keyword prefilter runs, on every commit.
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    assert "keyword prefilter" in matching(blocked / "cache")
    assert "keyword prefilter" in matching(blocked / "cache")
    # A writable cache: the first commit compiles and stores the database, the next ones load it.
    first, second = matching(tmp_path / "cache"), matching(tmp_path / "cache")
    assert "matching: hyperscan" in first and "hyperscan database" not in first
    assert "matching: hyperscan" in second and "hyperscan database" in second
