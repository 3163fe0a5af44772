"""Suppression end to end: config, allowlist, inline markers and baseline through the real CLI,
in real git repositories; one identity in every scan mode."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import Repo, run_cli
from tests.git_helpers import aws_key_id, aws_secret, scan, write_pack


@pytest.fixture(scope="module")
def pack(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_pack(tmp_path_factory.mktemp("pack"))


def fingerprints(found: list[dict[str, str]]) -> set[str]:
    return {f["fingerprint"] for f in found}


def test_same_fingerprint_in_all_four_modes(repo: Repo, pack: Path) -> None:
    key = aws_key_id(1)
    first = repo.commit("add config", **{"conf/app.env": f"AWS_ACCESS_KEY_ID={key}\n"})
    by_scan = scan(repo, pack, "scan", ".").findings
    by_commits = scan(repo, pack, "commits", first).findings
    by_history = scan(repo, pack, "history").findings
    repo.write("other/copy.py", f"# moved\n\nkey = '{key}'\n")
    repo.git("add", "other/copy.py")
    by_staged = scan(repo, pack, "staged").findings
    prints = [fingerprints(x) for x in (by_scan, by_staged, by_commits, by_history)]
    assert all(len(p) == 1 for p in prints), prints
    assert prints[0] == prints[1] == prints[2] == prints[3]


def test_baseline_from_one_mode_holds_in_the_others_and_survives_a_rebase(repo: Repo, pack: Path) -> None:
    old = aws_key_id(2)
    repo.commit("base", **{"app/settings.py": f"KEY = '{old}'\n"})
    created = run_cli("baseline", "create", "--no-builtin", "--rules", str(pack), ".", cwd=repo.path)
    assert created.code == 0, created.err
    baseline = (repo.path / ".leaksweep-baseline.json").read_text()
    assert old not in baseline and '"line"' not in baseline
    repo.git("add", ".leaksweep-baseline.json")
    repo.commit("baseline")
    assert scan(repo, pack, "scan", ".").code == 0
    assert scan(repo, pack, "history").code == 0
    # Rewrite history so the secret moves lines and commits: the baseline still holds.
    repo.write("app/settings.py", "import os\n\n\n# settings\nKEY = '" + old + "'\n")
    repo.git("commit", "-q", "-a", "--amend", "-m", "rebased")
    moved = scan(repo, pack, "scan", ".")
    assert moved.code == 0, moved.findings
    # A new secret is reported; the old one stays quiet.
    new = aws_key_id(3)
    repo.write("app/more.py", f"OTHER = '{new}'\n")
    repo.git("add", "app/more.py")
    staged = scan(repo, pack, "staged")
    assert staged.secrets() == [new]
    assert scan(repo, pack, "scan", ".").secrets() == [new]


def test_baseline_update_and_prune(repo: Repo, pack: Path) -> None:
    a, b = aws_key_id(4), aws_key_id(5)
    repo.write("a.py", f"A = '{a}'\n")
    args = ("--no-builtin", "--rules", str(pack), ".")
    assert run_cli("baseline", "create", *args, cwd=repo.path).code == 0
    again = run_cli("baseline", "create", *args, cwd=repo.path)
    assert again.code == 2 and "baseline exists" in again.err
    repo.write("b.py", f"B = '{b}'\n")
    assert run_cli("baseline", "update", *args, cwd=repo.path).code == 0
    entries = json.loads((repo.path / ".leaksweep-baseline.json").read_text())["findings"]
    assert {e["path"] for e in entries} == {"a.py", "b.py"}
    (repo.path / "a.py").unlink()
    out = run_cli("baseline", "update", "--prune", *args, cwd=repo.path)
    assert "1 pruned" in out.out
    entries = json.loads((repo.path / ".leaksweep-baseline.json").read_text())["findings"]
    assert [e["path"] for e in entries] == ["b.py"]


def test_two_branches_adding_baseline_entries_merge_cleanly(repo: Repo, pack: Path) -> None:
    args = ("--no-builtin", "--rules", str(pack), ".")
    for n in range(6):
        repo.write(f"seed{n}.py", f"K = '{aws_key_id(100 + n)}'\n")
    assert run_cli("baseline", "create", *args, cwd=repo.path).code == 0
    repo.commit("baseline")
    repo.git("checkout", "-q", "-b", "left")
    repo.write("left.py", f"L = '{aws_key_id(200)}'\n")
    assert run_cli("baseline", "update", *args, cwd=repo.path).code == 0
    repo.commit("left")
    repo.git("checkout", "-q", "main")
    repo.git("checkout", "-q", "-b", "right")
    repo.write("right.py", f"R = '{aws_key_id(300)}'\n")
    assert run_cli("baseline", "update", *args, cwd=repo.path).code == 0
    repo.commit("right")
    merged = repo.git("merge", "-q", "--no-edit", "left", check=False)
    assert "CONFLICT" not in merged
    entries = json.loads((repo.path / ".leaksweep-baseline.json").read_text())["findings"]
    assert {"left.py", "right.py"} <= {e["path"] for e in entries}


def test_allow_command_then_scan_then_allowlist_check(repo: Repo, pack: Path) -> None:
    key = aws_key_id(6)
    repo.write("a.py", f"A = '{key}'\n")
    repo.write(".leaksweep-allowlist.yaml", "# our allowlist\n- reason: old fixture  # gone\n  rule: jwt\n")
    (fp,) = fingerprints(scan(repo, pack, "scan", ".").findings)
    added = run_cli("allow", fp, "--reason", "rotated 2024-05-01", cwd=repo.path)
    assert added.code == 0, added.err
    text = (repo.path / ".leaksweep-allowlist.yaml").read_text()
    assert text.startswith("# our allowlist\n- reason: old fixture  # gone\n")
    quiet = scan(repo, pack, "scan", "--show-suppressed", ".")
    assert quiet.code == 0
    shown = run_cli("scan", "--no-builtin", "--rules", str(pack), "--show-suppressed", ".", cwd=repo.path)
    assert "allowlist entry 2 (line 4: rotated 2024-05-01)" in shown.out
    check = run_cli("allowlist", "check", "--no-builtin", "--rules", str(pack), ".", cwd=repo.path)
    assert check.code == 1
    assert "stale: allowlist entry 1 (line 2: old fixture) matched nothing" in check.out


def test_expired_entry_reports_again_and_says_so(repo: Repo, pack: Path) -> None:
    key = aws_key_id(7)
    repo.write("a.py", f"A = '{key}'\n")
    (fp,) = fingerprints(scan(repo, pack, "scan", ".").findings)
    repo.write(".leaksweep-allowlist.yaml", f"- reason: grace\n  fingerprint: {fp}\n  expires: 2020-01-01\n")
    res = run_cli("scan", "--no-builtin", "--rules", str(pack), ".", cwd=repo.path)
    assert res.code == 1
    assert "warning: allowlist entry 1 (line 1: grace) expired on 2020-01-01" in res.out


def test_inline_markers_and_no_inline_allow(repo: Repo, pack: Path) -> None:
    repo.write("a.sh", f"export AWS_ACCESS_KEY_ID={aws_key_id(8)}  # leaksweep:allow\n")
    repo.write("b.sql", f"-- leaksweep:allow-next-line\nSELECT '{aws_key_id(9)}';\n")
    assert scan(repo, pack, "scan", ".").code == 0
    assert len(scan(repo, pack, "scan", "--no-inline-allow", ".").findings) == 2


def test_config_extends_never_silently_replaces_builtin_rules(repo: Repo, pack: Path) -> None:
    secret = aws_secret(1)
    repo.write("a.py", f"aws_secret_access_key = '{secret}'\n")
    repo.write(".leaksweep.yaml", f"rules: [{pack}]\nexclude: [docs/]\n")
    repo.write("docs/x.py", f"aws_secret_access_key = '{aws_secret(2)}'\n")
    listed = json.loads(run_cli("rules", "list", "--format", "json", cwd=repo.path).out)
    assert len(listed) > 100  # builtin rules still on
    res = run_cli("scan", "--format", "json", ".", cwd=repo.path)
    assert res.code == 2 and "duplicate rule id" in res.err  # the pack repeats built-in ids: said, not hidden
    repo.write(".leaksweep.yaml", f"builtin: false\nrules: [{pack}]\nexclude: [docs/]\ndisable: [generic]\n")
    found = json.loads(run_cli("scan", "--format", "json", ".", cwd=repo.path).out)
    assert [(f["path"], f["rule_id"]) for f in found] == [("a.py", "aws-secret-access-key")]


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        (".leaksweep.yaml", "exclude: docs\n", ".leaksweep.yaml:1: exclude: must be a list"),
        (".leaksweep.yaml", "builtin: true\nrulez: [x]\n", ".leaksweep.yaml:2: rulez: unknown key"),
        (
            ".leaksweep-allowlist.yaml",
            "- reason: x\n  regex: '(('\n",
            ".leaksweep-allowlist.yaml:2: entry 1: regex",
        ),
        (".leaksweep-allowlist.yaml", "- reason: [\n", ".leaksweep-allowlist.yaml:2: invalid YAML"),
        (
            ".leaksweep-baseline.json",
            '{"version": 1, "findings": [',
            ".leaksweep-baseline.json:1: invalid JSON",
        ),
    ],
)
def test_malformed_files_exit_2_and_nothing_is_rewritten(
    repo: Repo, pack: Path, name: str, text: str, message: str
) -> None:
    repo.write("a.py", f"A = '{aws_key_id(10)}'\n")
    repo.write(name, text)
    for args in (("scan", "."), ("allow", "a" * 32, "--reason", "x"), ("baseline", "update", ".")):
        res = (
            run_cli(*args, "--no-builtin", "--rules", str(pack), cwd=repo.path)
            if args[0] != "allow"
            else (run_cli(*args, cwd=repo.path))
        )
        if args[0] == "allow" and not name.startswith(".leaksweep-allowlist") and name != ".leaksweep.yaml":
            continue
        assert res.code == 2, (args, res.out, res.err)
        assert message in res.err, res.err
        assert "Traceback" not in res.err
        assert (repo.path / name).read_text() == text
