"""`leaksweep scan` end to end, through a real subprocess: files, folders, stdin, exit codes."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from leaksweep.rules import load_rules
from tests.conftest import Repo, run_cli

EXAMPLES = {r.id: r.examples[0] for r in load_rules()}


def secret(rule_id: str) -> str:
    return EXAMPLES[rule_id].secret


def planted(root: Path) -> dict[str, tuple[str, int, int]]:
    """Plant one secret per starter type in .py, .env, .yaml and .json files.

    Returns rule id -> (path, line, column) where each must be reported."""
    gh, ak, sk = secret("github-pat"), secret("aws-access-key-id"), secret("stripe-live-secret-key")
    slack, pg = secret("slack-webhook-url"), secret("postgres-connection-string")
    key = secret("private-key-rsa")
    files = {
        "app/settings.py": f'import os\n\nDEBUG = True\nGITHUB_TOKEN = "{gh}"\n',
        ".env": f"# local\nAWS_ACCESS_KEY_ID={ak}\nDATABASE_URL=postgres://app:{pg}@db:5432/app\n",
        "deploy/values.yaml": f'stripe:\n  key: {sk}\nslack:\n  hook: "{slack}"\n',
        "data/config.json": json.dumps({"name": "x", "ssh": {"key": key}}, indent=2) + "\n",
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return {
        "github-pat": ("app/settings.py", 4, 17),
        "aws-access-key-id": (".env", 2, 19),
        "postgres-connection-string": (".env", 3, 29),
        "stripe-live-secret-key": ("deploy/values.yaml", 2, 8),
        "slack-webhook-url": ("deploy/values.yaml", 4, 10),
        "private-key-rsa": ("data/config.json", 4, 13),
    }


def test_planted_secrets_are_found_at_the_right_place(tmp_path: Path) -> None:
    expected = planted(tmp_path)
    res = run_cli("scan", "--format", "json", ".", cwd=tmp_path)
    assert res.code == 1, res.err
    found = {(f["rule_id"], f["path"], f["line"], f["column"]) for f in json.loads(res.out)}
    for rule_id, (path, line, col) in expected.items():
        assert (rule_id, path, line, col) in found, (rule_id, sorted(found))
    assert len(found) == len(expected), sorted(found)


def test_clean_folder_exits_zero(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("print('hello')\npassword = os.environ['PASSWORD']\n")
    res = run_cli("scan", str(tmp_path))
    assert res.code == 0, res.out + res.err
    assert "0 secrets found" in res.out


def test_secrets_are_redacted_unless_asked(tmp_path: Path) -> None:
    planted(tmp_path)
    values = [secret(r) for r in ("github-pat", "aws-access-key-id", "stripe-live-secret-key")]
    for fmt in ("text", "json"):
        res = run_cli("scan", "--format", fmt, ".", cwd=tmp_path)
        assert res.code == 1
        for value in values:
            assert value not in res.out + res.err
    shown = run_cli("scan", "--format", "json", "--show-secrets", ".", cwd=tmp_path)
    assert all(v in shown.out for v in values)


def test_stdin_with_a_name(tmp_path: Path) -> None:
    gh = secret("github-pat")
    res = run_cli(
        "scan", "-", "--stdin-name", "pasted.txt", "--format", "json", input=f"hello\ntoken: {gh}\n".encode()
    )
    assert res.code == 1
    (f,) = json.loads(res.out)
    assert (f["path"], f["line"], f["column"]) == ("pasted.txt", 2, 8)


def test_binary_and_oversized_files_are_skipped_with_a_note(tmp_path: Path) -> None:
    gh = secret("github-pat")
    (tmp_path / "blob.bin").write_bytes(b"\x00\x01" + gh.encode())
    (tmp_path / "big.txt").write_text("x" * 2000 + "\n" + gh)
    res = run_cli("scan", "--max-file-size", "1KB", "-v", ".", cwd=tmp_path)
    assert res.code == 0, res.out
    assert "skipped big.txt: larger than --max-file-size" in res.out
    assert "skipped blob.bin: binary" in res.out
    assert run_cli("scan", ".", cwd=tmp_path).code == 1


def test_crlf_and_latin1_files(tmp_path: Path) -> None:
    ak = secret("aws-access-key-id")
    (tmp_path / "win.ini").write_bytes(f"[a]\r\nx=1\r\nkey={ak}\r\n".encode())
    (tmp_path / "old.properties").write_bytes("n\xe4me=J\xf6rg\nkey=".encode("latin-1") + ak.encode() + b"\n")
    res = run_cli("scan", "--format", "json", ".", cwd=tmp_path)
    got = {(f["path"], f["line"], f["column"]) for f in json.loads(res.out)}
    assert got == {("win.ini", 3, 5), ("old.properties", 2, 5)}


def test_symlinks_are_not_followed_out_of_the_tree(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text(f"k={secret('github-pat')}\n")
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "ok.txt").write_text("fine\n")
    os.symlink(outside / "secret.txt", tree / "link.txt")
    os.symlink(outside, tree / "linkdir")
    res = run_cli("scan", ".", cwd=tree)
    assert res.code == 0, res.out
    assert "symlink pointing outside the scanned tree" in res.out


def test_git_work_tree_skips_ignored_files(repo: Repo) -> None:
    gh = secret("github-pat")
    repo.write(".gitignore", "build/\n")
    repo.write("build/out.txt", f"k={gh}\n")
    repo.write("src/tracked.txt", "nothing\n")
    repo.commit("init")
    repo.write("untracked.txt", f"k={gh}\n")
    res = run_cli("scan", "--format", "json", ".", cwd=repo.path)
    assert [f["path"] for f in json.loads(res.out)] == ["untracked.txt"]


def test_output_file_and_exclude(tmp_path: Path) -> None:
    planted(tmp_path)
    out = tmp_path / "report.json"
    res = run_cli(
        "scan",
        "--format",
        "json",
        "-o",
        str(out),
        "--exclude",
        "data/",
        "--exclude",
        "*.yaml",
        ".",
        cwd=tmp_path,
    )
    assert res.code == 1
    assert res.out == ""
    assert "secrets found" in res.err
    paths = {f["path"] for f in json.loads(out.read_text())}
    assert paths == {"app/settings.py", ".env"}


def test_bad_rule_pack_exits_2_with_file_and_line(tmp_path: Path) -> None:
    pack = tmp_path / "bad.yaml"
    pack.write_text("- id: x\n  name: x\n  regex: '('\n  keywords: [x]\n  severity: low\n  remediation: r\n")
    res = run_cli("scan", "--rules", str(pack), str(tmp_path))
    assert res.code == 2
    assert f"{pack}:3: rule x: regex: invalid regular expression" in res.err
    assert "Traceback" not in res.err


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["--version"], 0),
        (["scan", "--format", "nope"], 2),
        (["nonsense"], 2),
        (["scan", "--max-file-size", "huge"], 2),
        (["rules", "show", "no-such-rule"], 2),
    ],
)
def test_exit_codes(args: list[str], code: int, tmp_path: Path) -> None:
    res = run_cli(*args, cwd=tmp_path)
    assert res.code == code, res.out + res.err
    assert "Traceback" not in res.err


def test_rules_commands(tmp_path: Path) -> None:
    listed = json.loads(run_cli("rules", "list", "--format", "json").out)
    assert {r["id"] for r in listed} >= {"github-pat", "aws-access-key-id", "private-key-rsa"}
    assert run_cli("rules", "check").code == 0
    shown = run_cli("rules", "show", "github-pat")
    assert shown.code == 0 and "remediation:" in shown.out
    broken = tmp_path / "b.yaml"
    broken.write_text(
        "- id: weak\n  name: weak\n  regex: 'tok_(?P<secret>[a-z]{4})'\n  keywords: [tok_]\n  severity: low\n"
        "  remediation: r\n  examples:\n    - {text: 'tok_abcd', secret: tok_wxyz}\n"
        "  negative_examples: ['tok_abcd']\n"
    )
    res = run_cli("rules", "check", str(broken))
    assert res.code == 1
    assert f"{broken}:8: rule weak: error: example does not yield secret 'tok_wxyz'" in res.err
    assert f"{broken}:9: rule weak: error: negative example matches" in res.err


def test_missing_path_is_reported_not_fatal(tmp_path: Path) -> None:
    res = run_cli("scan", "does-not-exist", cwd=tmp_path)
    assert res.code == 0
    assert "skipped does-not-exist: no such file or directory" in res.out
