"""The rule pack loader: every built-in rule proves itself, and bad packs fail with file:line."""

from __future__ import annotations

from pathlib import Path

import pytest

from leaksweep.errors import LeaksweepError, RuleError
from leaksweep.rulecheck import check_rule
from leaksweep.rules import Rule, load_pack, load_rules

BUILTIN = load_rules()


def test_builtin_pack_is_not_empty_and_ids_are_unique() -> None:
    ids = [r.id for r in BUILTIN]
    assert len(ids) >= 40
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("rule", BUILTIN, ids=lambda r: r.id)
def test_builtin_rule_examples(rule: Rule, backend: str) -> None:
    """Each example yields its secret, no negative example matches, and each rule has enough of both
    (under each matching backend)."""
    problems = check_rule(rule, strict=True, backend=backend)
    assert [p.render() for p in problems] == []
    assert rule.remediation.strip()
    assert all(kw == kw.lower() for kw in rule.keywords)


GOOD = """\
- id: acme-token
  name: Acme token
  regex: '\\b(?P<secret>acme_[a-z0-9]{20})\\b'
  keywords: [acme_]
  severity: high
  remediation: Revoke it at https://acme.invalid/tokens
  examples:
    - text: 'TOKEN=acme_q7kz2mw9xr4tb8np3vhs'
      secret: acme_q7kz2mw9xr4tb8np3vhs
  negative_examples:
    - 'TOKEN=acme_short'
"""


def write(tmp_path: Path, text: str, name: str = "pack.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_good_pack_loads(tmp_path: Path) -> None:
    (rule,) = load_pack(write(tmp_path, GOOD))
    assert rule.id == "acme-token"
    assert rule.secret_group == "secret"
    assert rule.source.endswith("pack.yaml:1")
    assert check_rule(rule) == []


@pytest.mark.parametrize(
    ("edit", "line", "message"),
    [
        (
            lambda t: t.replace("  severity: high\n", "  severity: high\n  sevrity: low\n"),
            6,
            "sevrity: unknown field",
        ),
        (lambda t: t.replace("  severity: high\n", ""), 1, "missing required field 'severity'"),
        (lambda t: t.replace("{20})", "{20}"), 3, "regex: invalid regular expression"),
        (
            lambda t: t.replace("  keywords: [acme_]\n", "  keywords: [acme_]\n  secret_group: token\n"),
            5,
            "named group 'token' does not exist",
        ),
        (
            lambda t: t.replace("  keywords: [acme_]\n", "  keywords: [acme_]\n  secret_group: 3\n"),
            5,
            "group 3 does not exist",
        ),
        (lambda t: t.replace("[acme_]", "[beta]"), 8, "every match must contain a keyword"),
        (lambda t: t.replace("[acme_]", "[ACME_]"), 4, "must be lower-case"),
        (lambda t: t.replace("severity: high", "severity: severe"), 5, "'severe' is not one of"),
        (lambda t: t.replace("id: acme-token", "id: Acme_Token"), 1, "must be kebab-case"),
        (lambda t: t.replace("  severity: high\n", "  severity: high\n  entropy: 12\n"), 6, "entropy"),
        (
            lambda t: t.replace("  severity: high\n", "  severity: high\n  validate: luhn\n"),
            6,
            "unknown validator 'luhn'",
        ),
        (lambda t: t.replace("      secret: acme_q7kz2mw9xr4tb8np3vhs\n", ""), 8, "exactly 'text' and"),
        (
            lambda t: t.replace("  severity: high\n", "  severity: high\n  allow: {regexes: ['(']}\n"),
            6,
            "allow.regexes: invalid regular expression",
        ),
    ],
)
def test_loader_errors_name_file_line_and_rule(tmp_path: Path, edit: object, line: int, message: str) -> None:
    path = write(tmp_path, edit(GOOD))  # type: ignore[operator]
    with pytest.raises(RuleError) as info:
        load_pack(path)
    text = info.value.render()
    assert text.startswith(f"{path}:{line}: "), text
    assert message in text
    if "kebab" not in message:
        assert "rule acme-token" in text


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty rule pack"),
        ("rules: []\n", "a rule pack is a list of rules"),
        ("- id: [unclosed\n", "invalid YAML"),
        ("- 42\n", "each rule must be a mapping"),
        ("- id: a\n  id: b\n", "duplicate key 'id'"),
    ],
)
def test_malformed_packs(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(LeaksweepError) as info:
        load_pack(write(tmp_path, text))
    assert message in str(info.value)
    assert str(tmp_path / "pack.yaml") in str(info.value)


def test_alias_bomb_is_refused_quickly(tmp_path: Path) -> None:
    lines = ['a0: &a0 ["x","x","x","x","x","x","x","x","x","x"]']
    for i in range(1, 10):
        lines.append(f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 10) + "]")
    with pytest.raises(LeaksweepError) as info:
        load_pack(write(tmp_path, "\n".join(lines) + "\n"))
    assert "alias bomb" in str(info.value)


def test_duplicate_ids_across_packs(tmp_path: Path) -> None:
    a = write(tmp_path, GOOD, "a.yaml")
    b = write(tmp_path, GOOD, "b.yaml")
    with pytest.raises(RuleError) as info:
        load_rules([a, b], builtin=False)
    assert f"{b}:1: rule acme-token: duplicate rule id (first defined at {a}:1)" in info.value.render()
