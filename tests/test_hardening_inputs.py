"""Bad input files: rule packs, config, allowlist and baseline that are empty, truncated, not YAML or
JSON, the wrong shape, with broken or runaway regexes, enormous numbers, alias bombs, deep nesting,
or that are not files at all. Each is one line naming the file (and the line, where there is one)
with exit code 2, in bounded time and memory; nothing is rewritten."""

from __future__ import annotations

import os
import re
import resource
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from leaksweep.config import load_config
from leaksweep.errors import LeaksweepError
from leaksweep.regexguard import MAX_EXPANDED, expanded_size
from leaksweep.rules import load_pack
from leaksweep.suppress import load_allowlist, load_baseline
from tests.conftest import ROOT

GOOD_RULE = """\
- id: acme-token
  name: Acme token
  regex: '\\b(?P<secret>acme_[a-z0-9]{20})\\b'
  keywords: [acme_]
  severity: high
  remediation: Rotate it at https://acme.example/tokens.
  examples:
    - text: 'k = acme_q8z3k1m9x7c5v2b4n6l0'
      secret: acme_q8z3k1m9x7c5v2b4n6l0
"""


def _rule(**fields: str) -> str:
    """A one-rule pack with some fields replaced (YAML text of each value)."""
    base = {
        "id": "acme-token",
        "name": "Acme token",
        "regex": "'acme_[a-z0-9]{20}'",
        "keywords": "[acme_]",
        "severity": "high",
        "remediation": "rotate",
    }
    base.update(fields)
    lines = [f"{'- ' if i == 0 else '  '}{k}: {v}" for i, (k, v) in enumerate(base.items())]
    return "\n".join(lines) + "\n"


def _bomb(levels: int = 9) -> str:
    lines = ['a0: &a0 ["x","x","x","x","x","x","x","x","x","x"]']
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 10) + "]")
    return "\n".join(lines) + "\n"


DEEP_YAML = "[" * 5000 + "]" * 5000 + "\n"
DEEP_BLOCK = "".join("  " * i + "- \n" for i in range(300))
FLAT_YAML = "- a\n" * 210_000
HUGE_INT = "9" * 5000
CATASTROPHIC = "'(a|aa)+b'"

# (kind, case, content, expected message part, whether the message must carry a line number)
YAML_CASES: list[tuple[str, str | bytes, str, bool]] = [
    ("truncated", GOOD_RULE[: GOOD_RULE.index("keywords") + 14], "invalid YAML", True),
    ("unclosed-quote", "- id: 'acme\n  name: x\n", "invalid YAML", True),
    ("tab-indent", "- id: a\n\t name: b\n", "invalid YAML", True),
    ("not-utf8", b"- id: \xff\xfe\n", "not UTF-8", True),
    ("nul-bytes", b"\x00\x01\x02", "invalid YAML", True),
    ("alias-bomb", _bomb(), "alias bomb", True),
    ("deep-flow", DEEP_YAML, "nested more than", True),
    ("deep-block", DEEP_BLOCK, "nested more than", True),
    ("flat-huge", FLAT_YAML, "more than 200000 values", True),
    ("merge-key", "base: &b {x: 1}\nother:\n  <<: *b\n", "merge keys", True),
    ("duplicate-key", "a: 1\na: 2\n", "duplicate key", True),
    ("bad-date", "a: 2024-02-30\n", "bad value", True),
    ("two-documents", "a: 1\n---\nb: 2\n", "invalid YAML", True),
]

RULE_CASES: list[tuple[str, str | bytes, str, bool]] = [
    ("empty", "", "empty rule pack", True),
    ("comments-only", "# nothing\n", "empty rule pack", True),
    ("mapping", "id: x\n", "a rule pack is a list of rules", True),
    ("scalar-rule", "- 42\n", "each rule must be a mapping", True),
    ("invalid-regex", _rule(regex="'([a-z'"), "invalid regular expression", True),
    ("huge-repeat", _rule(regex="'a{1000000}'"), "expands to about 1000000 nodes", True),
    ("nested-repeat", _rule(regex="'((((a{1000}){1000}){1000}){1000})'"), "nodes when compiled", True),
    ("too-big-repeat", _rule(regex="'a{99999999999999999999}'"), "nodes when compiled", True),
    (
        "5000-digit-repeat",
        _rule(regex=f"'a{{{HUGE_INT}}}'"),
        "nodes when compiled",
        True,
    ),  # found by fuzz/run.py
    ("huge-entropy", _rule(entropy="1e999"), "entropy", True),
    ("huge-group", _rule(secret_group=HUGE_INT), "number too large", True),
    ("huge-int", _rule(entropy=HUGE_INT), "number too large", True),
    ("huge-group-fits", _rule(secret_group="9" * 400), "secret_group", True),
    ("unknown-key", _rule(keyword="[x]"), "unknown field", True),
    ("wrong-type", _rule(keywords="acme_"), "keywords", True),
    (
        "catastrophic-example",
        _rule(regex=CATASTROPHIC, keywords="[a]")
        + "  examples:\n    - text: '"
        + "a" * 40
        + "c'\n      secret: ab\n",
        "catastrophic backtracking",
        True,
    ),
]

CONFIG_CASES: list[tuple[str, str | bytes, str, bool]] = [
    ("list", "- a\n", "must be a mapping", True),
    ("scalar", "hello\n", "must be a mapping", True),
    ("unknown-key", "rulez: []\n", "unknown key", True),
    ("huge-size", f"max_file_size: {HUGE_INT}\n", "number too large", True),
    ("big-size", f"max_file_size: {'9' * 400}\n", "at most 4GB", True),
    ("huge-size-units", "max_file_size: 100000000000000000000000000000000000GB\n", "at most 4GB", True),
    ("negative-size", "max_file_size: -1\n", "max_file_size", True),
    ("wrong-type", "exclude: vendor/\n", "exclude", True),
    ("bool-size", "max_file_size: true\n", "max_file_size", True),
]

ALLOWLIST_CASES: list[tuple[str, str | bytes, str, bool]] = [
    ("mapping", "reason: x\n", "an allowlist is a list of entries", True),
    ("no-reason", "- fingerprint: " + "a" * 32 + "\n", "reason", True),
    ("invalid-regex", "- reason: r\n  regex: '(['\n", "invalid regular expression", True),
    ("huge-regex", "- reason: r\n  regex: 'x{10000000}'\n", "nodes when compiled", True),
    ("bad-fingerprint", "- reason: r\n  fingerprint: nothex\n", "fingerprint", True),
    ("huge-date", "- reason: r\n  rule: x\n  expires: 99999-01-01\n", "expires", True),
    ("huge-int", f"- reason: r\n  rule: {HUGE_INT}\n", "number too large", True),
    ("int-rule", "- reason: r\n  rule: 12345\n", "rule: must be a non-empty string", True),
]

BASELINE_CASES: list[tuple[str, str | bytes, str, bool]] = [
    ("empty", "", "invalid JSON", True),
    (
        "truncated",
        '{"version": 1, "tool": "leaksweep", "findings": [\n  {"fingerprint": "ab',
        "invalid JSON",
        True,
    ),
    ("yaml", "version: 1\nfindings: []\n", "invalid JSON", True),
    ("not-utf8", b'{"version": 1,\n "findings": ["\xff"]}', "not UTF-8", True),
    ("list", "[]", "a baseline is an object", True),
    ("bad-entry", '{"version": 1, "findings": [{"fingerprint": "x"}]}', "each baseline entry", True),
    ("wrong-version", '{"version": 99, "findings": []}', "unsupported baseline version", True),
    ("huge-int", '{"version": ' + HUGE_INT + ', "findings": []}', "invalid JSON", True),
    ("deep", "[" * 100_000 + "]" * 100_000, "nested too deeply", True),
    ("huge-float", '{"version": 1e999999, "findings": []}', "unsupported baseline version", True),
]

LOADERS: dict[str, Callable[[Path], Any]] = {
    "rules": load_pack,
    "config": lambda p: load_config(explicit=p),
    "allowlist": load_allowlist,
    "baseline": load_baseline,
}
CASES = [
    *[("rules", *c) for c in YAML_CASES + RULE_CASES],
    *[("config", *c) for c in YAML_CASES + CONFIG_CASES],
    *[("allowlist", *c) for c in YAML_CASES + ALLOWLIST_CASES],
    *[("baseline", *c) for c in BASELINE_CASES],
]


def _write(tmp_path: Path, kind: str, content: str | bytes) -> Path:
    path = tmp_path / f"bad-{kind}.{'json' if kind == 'baseline' else 'yaml'}"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return path


def _one_line(message: str, path: Path, with_line: bool) -> None:
    assert "\n" not in message
    assert message.startswith(str(path)), message
    if with_line:
        assert re.match(re.escape(str(path)) + r":\d+: ", message), message


@pytest.mark.parametrize(
    ("kind", "case", "content", "expected", "with_line"), CASES, ids=lambda v: str(v)[:20]
)
def test_bad_file_is_one_error_with_file_and_line(
    tmp_path: Path, kind: str, case: str, content: str | bytes, expected: str, with_line: bool
) -> None:
    path = _write(tmp_path, kind, content)
    with pytest.raises(LeaksweepError) as info:
        LOADERS[kind](path)
    message = str(info.value)
    _one_line(message, path, with_line)
    assert expected in message, message


def _special_files(tmp_path: Path) -> list[Path]:
    fifo = tmp_path / "fifo.yaml"
    os.mkfifo(fifo)
    folder = tmp_path / "folder.yaml"
    folder.mkdir()
    return [fifo, folder, Path("/dev/zero"), tmp_path / "missing.yaml"]


@pytest.mark.parametrize("kind", sorted(LOADERS))
def test_not_a_regular_file_is_refused_without_blocking(tmp_path: Path, kind: str) -> None:
    """A FIFO would block a plain open(); /dev/zero never ends."""
    for path in _special_files(tmp_path):
        with pytest.raises(LeaksweepError) as info:
            LOADERS[kind](path)
        message = str(info.value)
        assert message.startswith(str(path)) and ("cannot read" in message or "not found" in message), message
        if path.name == "fifo.yaml":
            path.unlink()


def test_oversized_file_is_refused_before_parsing(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    with open(big, "wb") as handle:
        handle.truncate(30 * 1024 * 1024)  # sparse: costs no disk
    for kind in LOADERS:
        with pytest.raises(LeaksweepError, match="larger than"):
            LOADERS[kind](big)


def test_pyproject_section_errors(tmp_path: Path) -> None:
    for text, message in [
        ("tool = 5  # leaksweep settings\n", "[tool] must be a table"),
        ("[tool]\nleaksweep = 5\n", "[tool.leaksweep] must be a table"),
        ("[tool.leaksweep\n", "invalid TOML"),
        ("[tool.leaksweep]\na = " + "[" * 5000 + "]" * 5000 + "\n", "invalid TOML"),
        ("[tool.leaksweep]\nmax_file_size = " + HUGE_INT + "\n", "invalid TOML"),
        ("[tool.leaksweep]\nmax_file_size = 1" + "0" * 40 + "\n", "max_file_size"),
    ]:
        folder = tmp_path / str(abs(hash(text)))
        folder.mkdir()
        (folder / ".git").mkdir()
        (folder / "pyproject.toml").write_text(text)
        with pytest.raises(LeaksweepError) as info:
            load_config(start=folder)
        assert message in str(info.value) and "\n" not in str(info.value)
        assert str(info.value).startswith(str(folder / "pyproject.toml"))


def test_a_pyproject_that_never_names_leaksweep_is_not_ours_to_judge(tmp_path: Path) -> None:
    # Another tool's broken pyproject.toml must not block every commit: without the word
    # leaksweep it cannot hold our section, so it is not parsed at all.
    (tmp_path / ".git").mkdir()
    (tmp_path / "pyproject.toml").write_text("tool = 5\n[broken\n")
    assert load_config(start=tmp_path).builtin is True


def test_regex_size_measure() -> None:
    assert expanded_size(r"\b(?P<secret>ghp_[A-Za-z0-9]{36})\b") < 100
    assert expanded_size("a{1,200000}") < 10  # an optional range is a loop, not copies
    assert expanded_size("(?:x{500,1000}){1000}") > MAX_EXPANDED
    assert expanded_size(r"[a{]{5}\{1000000\}(?#{1000000})") < 50


# ---- through the CLI: exit 2, one line on stderr, bounded time (60 s) and memory (1 GiB) ----


def _limited() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))


def _cli(args: list[str], cwd: Path) -> tuple[int, str, str]:
    proc = subprocess.run(
        [sys.executable, "-m", "leaksweep", *args],
        cwd=cwd,
        capture_output=True,
        timeout=60,
        preexec_fn=_limited,
        check=False,
    )
    return proc.returncode, proc.stdout.decode(errors="replace"), proc.stderr.decode(errors="replace")


CLI_CASES = [
    ("rules", "alias-bomb", _bomb()),
    ("rules", "nested-repeat", _rule(regex="'((((a{1000}){1000}){1000}){1000})'")),
    ("rules", "flat-huge", FLAT_YAML),
    ("config", "deep-flow", DEEP_YAML),
    ("config", "huge-size", f"max_file_size: {HUGE_INT}\n"),
    ("allowlist", "alias-bomb", _bomb()),
    ("allowlist", "huge-regex", "- reason: r\n  regex: 'x{10000000}'\n"),
    ("baseline", "deep", "[" * 100_000 + "]" * 100_000),
    ("baseline", "huge-int", '{"version": ' + HUGE_INT + ', "findings": []}'),
]
OPTION = {"rules": "--rules", "config": "--config", "allowlist": "--allowlist", "baseline": "--baseline"}


@pytest.mark.parametrize(("kind", "case", "content"), CLI_CASES, ids=[f"{k}-{c}" for k, c, _ in CLI_CASES])
def test_bad_file_through_the_cli(tmp_path: Path, kind: str, case: str, content: str) -> None:
    path = _write(tmp_path, kind, content)
    before = path.read_bytes()
    (tmp_path / "scan.txt").write_text("nothing\n")
    pack = ROOT / "rules" / "tokens.yaml"
    args = ["scan", "scan.txt", OPTION[kind], str(path)]
    if kind != "rules":
        args += ["--no-builtin", "--rules", str(pack)]
    code, _, err = _cli(args, tmp_path)
    assert code == 2, (code, err)
    assert err.startswith(f"leaksweep: error: {path}") and err.count("\n") == 1, err
    assert path.read_bytes() == before


def test_huge_max_file_size_option_is_a_usage_error(tmp_path: Path) -> None:
    code, _, err = _cli(["scan", "--max-file-size", HUGE_INT, "."], tmp_path)
    assert code == 2 and "is not a size" in err and "Traceback" not in err


def test_runaway_allowlist_regex_neither_hangs_nor_hides_the_finding(tmp_path: Path) -> None:
    """A catastrophic allowlist regex only shows on real input: it is cut off after a second,
    counts as not matching (the finding stays), and the report says so."""
    pack = tmp_path / "pack.yaml"
    pack.write_text(_rule(regex="'\\bacme_[a-z]{40}\\b'"))
    (tmp_path / "allow.yaml").write_text("- reason: runaway\n  regex: '(a|aa)+b'\n  target: line\n")
    (tmp_path / "x.txt").write_text("acme_" + "a" * 40 + " " + "a" * 60 + "c\n")
    code, out, err = _cli(
        ["scan", "x.txt", "--no-builtin", "--rules", str(pack), "--allowlist", "allow.yaml"], tmp_path
    )
    assert code == 1, err
    assert "its regex took more than 1s" in out


def test_runaway_rule_regex_is_cut_off_with_a_warning(tmp_path: Path) -> None:
    pack = tmp_path / "pack.yaml"
    pack.write_text(_rule(regex=CATASTROPHIC, keywords="[a]"))
    (tmp_path / "x.txt").write_text("a" * 60 + "c\n")
    code, out, err = _cli(["scan", "x.txt", "--no-builtin", "--rules", str(pack)], tmp_path)
    assert code == 0, err
    assert "exceeded its time budget" in out


def test_runaway_rule_allow_regex_keeps_the_finding(tmp_path: Path) -> None:
    pack = tmp_path / "pack.yaml"
    pack.write_text(
        _rule(regex="'\\bacme_[a-z]{40}\\b'")
        + "  allow:\n    regexes:\n      - {regex: '(a|aa)+b', target: line}\n"
    )
    (tmp_path / "x.txt").write_text("acme_" + "a" * 40 + " " + "a" * 60 + "c\n")
    code, out, err = _cli(["scan", "x.txt", "--no-builtin", "--rules", str(pack)], tmp_path)
    assert code == 1 and "acme*****" in out, err


def test_runaway_allowlist_regex_in_a_history_audit(tmp_path: Path) -> None:
    """History applies the allowlist after provenance: its notes must still reach the report."""
    pack = tmp_path / "pack.yaml"
    pack.write_text(_rule(regex="'\\bacme_[a-z]{40}\\b'"))
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "x.txt").write_text("acme_" + "a" * 40 + " " + "a" * 60 + "c\n")
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    subprocess.run(["git", "add", "x.txt"], cwd=repo, check=True)
    subprocess.run(["git", "commit", "-q", "-m", "x"], cwd=repo, check=True)
    (tmp_path / "allow.yaml").write_text("- reason: runaway\n  regex: '(a|aa)+b'\n  target: line\n")
    code, out, err = _cli(
        ["history", "--no-builtin", "--rules", str(pack), "--allowlist", str(tmp_path / "allow.yaml")], repo
    )
    assert code == 1, err
    assert "its regex took more than 1s" in out


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("deep.toml", "a = " + "[" * 5000 + "]" * 5000 + "\n", "nested too deeply"),
        ("huge-int.toml", f"a = {HUGE_INT}\n", "number too large"),
        (
            "huge-regex.toml",
            '[[rules]]\nid = "x"\nregex = "((a{1000}){1000}){1000}"\n',
            "nothing could be imported",
        ),
    ],
)
def test_rules_import_of_hostile_toml(tmp_path: Path, name: str, content: str, message: str) -> None:
    (tmp_path / name).write_text(content)
    code, _, err = _cli(["rules", "import", name], tmp_path)
    assert code == 2 and message in err.splitlines()[-1], err
    assert err.splitlines()[-1].startswith(f"leaksweep: error: {name}")


def test_pre_push_input_that_is_not_git_talking(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    pack = ROOT / "rules" / "tokens.yaml"
    for stdin, message in [
        (b"\0" * (17 * 1024 * 1024), "pre-push input is larger than"),
        (b"refs/heads/main only-three fields\n", "pre-push input line 1: expected"),
        (b"\xff\xfe garbage \x1b[2J\n", "pre-push input line 1: expected"),
    ]:
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "leaksweep",
                "commits",
                "--pre-push",
                "--no-builtin",
                "--rules",
                str(pack),
            ],
            cwd=tmp_path,
            input=stdin,
            capture_output=True,
            timeout=60,
            preexec_fn=_limited,
            check=False,
        )
        err = proc.stderr.decode()
        assert proc.returncode == 2 and message in err and err.count("\n") == 1, err
        assert "\x1b" not in err
