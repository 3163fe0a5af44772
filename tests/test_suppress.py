"""Allowlist entries, inline markers, baseline files and project config, as units."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from leaksweep.config import load_config
from leaksweep.detector import Detector
from leaksweep.errors import LeaksweepError
from leaksweep.model import CommitInfo, Finding, Target
from leaksweep.rules import load_rules
from leaksweep.suppress import (
    BaselineEntry,
    Suppressor,
    append_allow_entry,
    load_allowlist,
    load_baseline,
    render_baseline,
)

RULES = load_rules()
GH = next(r for r in RULES if r.id == "github-pat").examples[0].secret
AK = next(r for r in RULES if r.id == "aws-access-key-id").examples[0].secret


def findings(text: str, path: str = "app/main.py", commit: CommitInfo | None = None) -> list[Finding]:
    return Detector(RULES).scan(Target(path=path, content=text.encode(), commit=commit)).findings


def allowlist(tmp_path: Path, text: str) -> Path:
    path = tmp_path / ".leaksweep-allowlist.yaml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    "marker_text",
    [
        "token = '{s}'  # leaksweep:allow",  # Python / shell / YAML
        "const t = '{s}'; // leaksweep:allow test fixture",  # JavaScript
        '<!-- leaksweep:allow --> <a data-token="{s}">',  # HTML
        "SELECT '{s}'; -- leaksweep:allow",  # SQL
        "# leaksweep:allow-next-line\ntoken: {s}",  # YAML, marker on the line before
        '/* leaksweep:allow-next-line */\nlet t = "{s}";',  # C-style block comment
    ],
)
def test_inline_markers_in_any_comment_syntax(marker_text: str) -> None:
    (f,) = findings(marker_text.format(s=GH))
    sup = Suppressor()
    assert sup.reason(f) is not None and "inline marker" in sup.reason(f)  # type: ignore[operator]
    assert Suppressor(inline=False).reason(f) is None


def test_allow_next_line_marker_does_not_allow_its_own_line() -> None:
    (f,) = findings(f"token = '{GH}'  # leaksweep:allow-next-line")
    assert Suppressor().reason(f) is None


def test_allowlist_entry_kinds(tmp_path: Path) -> None:
    (gh,) = findings(f"token = '{GH}'\n", path="src/app.py")
    (ak,) = findings(
        f"aws = {AK}\n", path="tests/fixtures/keys.txt", commit=CommitInfo(sha="abcdef1234567890")
    )
    path = allowlist(
        tmp_path,
        f"""# team allowlist
- reason: rotated on 2024-03-01
  fingerprint: {gh.fingerprint}
- reason: fixtures
  path: tests/fixtures/**
  rule: aws-access-key-id
- reason: only this commit
  commit: abcdef1
- reason: line regex
  regex: 'token = '
  target: line
""",
    )
    entries = load_allowlist(path)
    assert [e.number for e in entries] == [1, 2, 3, 4]
    sup = Suppressor(allowlist=entries[:1])
    assert sup.reason(gh) == "allowlist entry 1 (line 2: rotated on 2024-03-01)"
    assert Suppressor(allowlist=entries[1:2]).reason(ak) is not None
    assert Suppressor(allowlist=entries[1:2]).reason(gh) is None
    assert Suppressor(allowlist=entries[2:3]).reason(ak) is not None
    assert Suppressor(allowlist=entries[2:3]).reason(gh) is None  # no commit: a commit entry cannot match
    assert Suppressor(allowlist=entries[3:4]).reason(gh) is not None
    assert Suppressor(allowlist=entries[3:4]).reason(ak) is None


def test_expired_entries_stop_working_and_say_so(tmp_path: Path) -> None:
    (gh,) = findings(f"token = '{GH}'\n")
    path = allowlist(
        tmp_path, f"- reason: grace period\n  fingerprint: {gh.fingerprint}\n  expires: 2024-01-31\n"
    )
    entries = load_allowlist(path)
    before = Suppressor(allowlist=entries, today=dt.date(2024, 1, 30))
    assert before.reason(gh) is not None and before.notes() == []
    after = Suppressor(allowlist=entries, today=dt.date(2024, 2, 1))
    assert after.reason(gh) is None
    assert after.notes() == [
        "allowlist entry 1 (line 1: grace period) expired on 2024-01-31 and no longer suppresses anything"
    ]


def test_stale_entries(tmp_path: Path) -> None:
    (gh,) = findings(f"token = '{GH}'\n")
    path = allowlist(
        tmp_path, f"- reason: used\n  fingerprint: {gh.fingerprint}\n- reason: unused\n  rule: jwt\n"
    )
    sup = Suppressor(allowlist=load_allowlist(path))
    sup.reason(gh)
    assert [e.reason for e in sup.stale()] == ["unused"]


@pytest.mark.parametrize(
    ("text", "where", "message"),
    [
        ("- fingerprint: " + "a" * 32 + "\n", ":1", "a non-empty 'reason' is required"),
        ("- reason: x\n", ":1", "needs at least one of"),
        ("- reason: x\n  rule: jwt\n  colour: red\n", ":3", "colour: unknown key"),
        ("- reason: x\n  regex: '('\n", ":2", "regex: invalid regular expression"),
        ("- reason: x\n  fingerprint: abc\n", ":2", "fingerprint: must be the 32 hex digits"),
        ("- reason: x\n  rule: jwt\n  expires: someday\n", ":3", "expires: must be a date"),
        ("- reason: x\n  rule: jwt\n  target: line\n", ":3", "only applies together with 'regex'"),
        ("reason: x\n", ":1", "an allowlist is a list of entries"),
        ("- reason: [unclosed\n", ":2", "invalid YAML"),
    ],
)
def test_malformed_allowlist(tmp_path: Path, text: str, where: str, message: str) -> None:
    path = allowlist(tmp_path, text)
    with pytest.raises(LeaksweepError) as info:
        load_allowlist(path)
    assert str(info.value).startswith(f"{path}{where}: ")
    assert message in str(info.value)


def test_append_keeps_comments_and_order(tmp_path: Path) -> None:
    original = "# keep me\n- reason: first  # inline comment\n  rule: jwt\n\n# trailing note\n"
    path = allowlist(tmp_path, original)
    entry = append_allow_entry(path, "rotated", fingerprint="b" * 32, expires=dt.date(2030, 1, 1))
    text = path.read_text()
    assert text.startswith(original)
    assert entry.number == 2 and entry.expires == dt.date(2030, 1, 1)
    assert [e.reason for e in load_allowlist(path)] == ["first", "rotated"]


def test_append_refuses_to_touch_a_broken_file(tmp_path: Path) -> None:
    path = allowlist(tmp_path, "rules: [broken\n")
    with pytest.raises(LeaksweepError):
        append_allow_entry(path, "x", fingerprint="b" * 32)
    assert path.read_text() == "rules: [broken\n"


def test_baseline_round_trip_is_sorted_one_entry_per_line(tmp_path: Path) -> None:
    entries = [BaselineEntry("f" * 32, "jwt", "b.py"), BaselineEntry("0" * 32, "github-pat", "a.py")]
    text = render_baseline(entries + entries)
    lines = text.splitlines()
    assert lines[4].startswith('    {"fingerprint": "000') and lines[5].startswith('    {"fingerprint": "fff')
    assert "line" not in text and "date" not in text
    path = tmp_path / "b.json"
    path.write_text(text)
    assert sorted(load_baseline(path), key=lambda e: e.fingerprint) == sorted(
        entries, key=lambda e: e.fingerprint
    )
    assert json.loads(render_baseline([]))["findings"] == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "invalid JSON"),
        ('{"version": 1, "findings": {}}', "a baseline is an object with a 'findings' list"),
        ('{"version": 2, "findings": []}', "unsupported baseline version 2"),
        (
            '{"version": 1, "findings": [\n  {"fingerprint": "zz", "rule": "x", "path": "p"}\n]}',
            "each baseline entry",
        ),
    ],
)
def test_malformed_baseline(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "b.json"
    path.write_text(text)
    with pytest.raises(LeaksweepError) as info:
        load_baseline(path)
    assert message in str(info.value) and str(path) in str(info.value)


def test_config_defaults_and_keys(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    assert load_config(start=tmp_path).builtin is True
    (tmp_path / ".leaksweep.yaml").write_text(
        "rules: [extra.yaml]\ndisable: [generic]\nexclude: ['vendor/']\nmax_file_size: 2MB\n"
        "allowlist: conf/allow.yaml\ninline_allow: false\n"
    )
    cfg = load_config(start=tmp_path / ".")
    assert cfg.rules == (tmp_path.resolve() / "extra.yaml",)
    assert (cfg.builtin, cfg.disable, cfg.exclude, cfg.max_file_size) == (
        True,
        ("generic",),
        ("vendor/",),
        2 * 1024**2,
    )
    assert cfg.allowlist == tmp_path.resolve() / "conf/allow.yaml" and cfg.inline_allow is False


def test_config_from_pyproject(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname="x"\n\n[tool.leaksweep]\nbuiltin = false\nfoo = 1\n'
    )
    with pytest.raises(LeaksweepError) as info:
        load_config(start=tmp_path)
    assert (
        str(info.value)
        == f"{tmp_path.resolve()}/pyproject.toml:6: foo: unknown key (known: "
        + ", ".join(
            sorted(
                [
                    "rules",
                    "builtin",
                    "disable",
                    "exclude",
                    "max_file_size",
                    "allowlist",
                    "baseline",
                    "inline_allow",
                ]
            )
        )
        + ")"
    )


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("builtin: no-thanks\n", 1, "builtin: must be true or false"),
        ("rules: extra.yaml\n", 1, "rules: must be a list of rule pack paths"),
        ("exclude: []\nmax_file_size: lots\n", 2, "max_file_size: must be a size"),
        ("excludes: [x]\n", 1, "excludes: unknown key"),
        ("- a\n", 1, "the config must be a mapping"),
    ],
)
def test_malformed_config(tmp_path: Path, text: str, line: int, message: str) -> None:
    path = tmp_path / "cfg.yaml"
    path.write_text(text)
    with pytest.raises(LeaksweepError) as info:
        load_config(path)
    assert str(info.value).startswith(f"{path}:{line}: ") and message in str(info.value)
