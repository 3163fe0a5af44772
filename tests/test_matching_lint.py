"""``leaksweep rules check`` warns about rules that will be slow, and times rules on a sample."""

from __future__ import annotations

from pathlib import Path

from leaksweep.rulecheck import lint_rules
from leaksweep.rules import load_pack

from .conftest import run_cli

PACK = """\
- id: fine
  name: fine
  regex: '\\btok_(?P<secret>[a-z0-9]{20})(?![a-z0-9])'
  keywords: [tok_]
  severity: low
  remediation: x
- id: unbounded
  name: unbounded
  regex: 'password\\s*=\\s*(?P<secret>[a-z0-9]{8,})'
  keywords: [password]
  severity: low
  remediation: x
- id: unanchored
  name: unanchored
  regex: '(?P<secret>[0-9a-f]{32})'
  keywords: [a]
  severity: low
  remediation: x
- id: keyword-elsewhere
  name: keyword elsewhere
  regex: '(?:api|app)_token=(?P<secret>[a-z0-9]{16})'
  keywords: [api_token]
  severity: low
  remediation: x
"""


def test_lint_names_what_makes_a_rule_slow(tmp_path: Path) -> None:
    pack = tmp_path / "p.yaml"
    pack.write_text(PACK)
    found: dict[str, list[str]] = {}
    for problem in lint_rules(load_pack(pack)):
        assert problem.warning
        found.setdefault(problem.rule.id, []).append(problem.message)
    assert "fine" not in found
    assert any("no bounded width" in m for m in found["unbounded"])
    assert any("cannot prefilter" in m for m in found["unanchored"])
    assert any("'app_token=" in m for m in found["keyword-elsewhere"])


def test_rules_check_lints_and_times(tmp_path: Path) -> None:
    pack = tmp_path / "p.yaml"
    pack.write_text(PACK)
    sample = tmp_path / "sample"
    sample.mkdir()
    (sample / "a.txt").write_text("password = hunter2hunter2\n" + "x" * 5000)
    res = run_cli("rules", "check", str(pack), "--time", "--sample", str(sample))
    assert res.code == 0, res.err
    assert "rule unbounded: warning: slow" in res.err
    assert "speed warnings" in res.out
    assert "rule timing on" in res.out and "unbounded" in res.out
    quiet = run_cli("rules", "check", str(pack), "--no-lint")
    assert "speed warnings" not in quiet.out and "slow" not in quiet.err
