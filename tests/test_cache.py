"""The on-disk cache: parsed rule packs, analyses and the Hyperscan database; which blobs an audit
already scanned. A stale or corrupt entry is rebuilt silently; the results never change."""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path
from typing import Any

import pytest

from leaksweep.cache import AuditMemory, RuleCache, Store
from leaksweep.detector import Detector
from leaksweep.matching import hyperscan_import
from leaksweep.model import Target
from leaksweep.records import fields
from leaksweep.rules import Rule, load_rules

from .conftest import Repo, run_cli


def same_rule(a: Rule, b: Rule) -> bool:
    for name in fields(Rule):
        if name == "compiled":
            continue
        x, y = getattr(a, name), getattr(b, name)
        if name == "allow":
            x = (x.stopwords, [(e.pattern.pattern, e.target) for e in x.regexes], x.paths)
            y = (y.stopwords, [(e.pattern.pattern, e.target) for e in y.regexes], y.paths)
        if x != y:
            return False
    return True


def test_rules_come_back_from_the_cache_unchanged(tmp_path: Path) -> None:
    loaded = load_rules()
    RuleCache(tmp_path).load_rules([], True, load_rules)
    cache = RuleCache(tmp_path)
    again = cache.load_rules([], True, lambda: pytest.fail("the cache was not used"))
    assert cache.hits == ["rules"]
    assert all(same_rule(a, b) for a, b in zip(loaded, again, strict=True))
    bare = RuleCache(tmp_path).load_rules([], True, lambda: pytest.fail("not used"), examples=False)
    assert all(r.examples == () for r in bare)


def test_an_edited_pack_is_loaded_again(tmp_path: Path) -> None:
    pack = tmp_path / "p.yaml"
    text = (
        "- id: acme\n  name: Acme\n  regex: 'acme_[a-z]{{8}}'\n  keywords: [acme_]\n  severity: {sev}\n"
        "  remediation: x\n"
    )
    pack.write_text(text.format(sev="low"))
    store = tmp_path / "cache"
    first = RuleCache(store).load_rules([pack], False, lambda: load_rules([pack], builtin=False))
    pack.write_text(text.format(sev="high"))
    second = RuleCache(store).load_rules([pack], False, lambda: load_rules([pack], builtin=False))
    assert (first[0].severity, second[0].severity) == ("low", "high")


ACME = (
    "- id: acme\n  name: Acme\n  regex: 'acme_[a-z]{{8}}'\n  keywords: [acme_]\n  severity: {sev}\n"
    "  remediation: x\n"
)


def test_a_pack_rewritten_at_once_with_the_same_size_is_loaded_again(tmp_path: Path) -> None:
    """Two writes within one timestamp tick leave the same size and times: a pack changed in the
    last seconds is known by its content."""
    pack, store = tmp_path / "p.yaml", tmp_path / "cache"
    severities = []
    for sev in ("high", "info", "high"):  # same length each time
        pack.write_text(ACME.format(sev=sev))
        rules = RuleCache(store).load_rules([pack], False, lambda: load_rules([pack], builtin=False))
        severities.append(rules[0].severity)
    assert severities == ["high", "info", "high"]


def test_a_settled_pack_is_known_by_its_metadata(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import leaksweep.cache

    monkeypatch.setattr(leaksweep.cache, "SETTLED_SECONDS", -1.0)  # every file counts as settled
    pack, store = tmp_path / "p.yaml", tmp_path / "cache"
    pack.write_text(ACME.format(sev="high"))
    RuleCache(store).load_rules([pack], False, lambda: load_rules([pack], builtin=False))
    again = RuleCache(store).load_rules([pack], False, lambda: pytest.fail("the cache was not used"))
    assert again[0].severity == "high"
    # Same size, and the modification time put back: the change time still moves on.
    before = pack.stat()
    time.sleep(0.02)
    pack.write_text(ACME.format(sev="info"))
    os.utime(pack, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert pack.stat().st_size == before.st_size and pack.stat().st_mtime_ns == before.st_mtime_ns
    changed = RuleCache(store).load_rules([pack], False, lambda: load_rules([pack], builtin=False))
    assert changed[0].severity == "info"


def test_a_corrupt_cache_is_rebuilt_silently(tmp_path: Path) -> None:
    RuleCache(tmp_path).load_rules([], True, load_rules)
    for entry in tmp_path.rglob("*.bin"):
        entry.write_bytes(b"\x00garbage" * 10)
    cache = RuleCache(tmp_path)
    rules = cache.load_rules([], True, load_rules)
    assert cache.hits == [] and len(rules) == len(load_rules())
    # ... and written back whole.
    assert RuleCache(tmp_path).load_rules([], True, lambda: pytest.fail("not rebuilt")) != []


@pytest.mark.parametrize(
    "entry",
    [[], [("not", "a", "rule")], [(("x",) * 3, (), (), ())], 42, [None], [(("x",) * 40, (), (), ())]],
    ids=repr,
)
def test_a_well_formed_but_wrong_rules_entry_is_rebuilt(tmp_path: Path, entry: Any) -> None:
    # marshal reads it fine; the rules in it are not rules: reloaded, never a crash.
    RuleCache(tmp_path).load_rules([], True, load_rules)
    import marshal

    for path in (tmp_path / "rules").glob("*.bin"):
        path.write_bytes(marshal.dumps(entry))
    cache = RuleCache(tmp_path)
    rules = cache.load_rules([], True, load_rules, examples=False)
    assert cache.hits == [] and len(rules) == len(load_rules())


def test_an_unwritable_cache_only_costs_speed(tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a directory")
    rules = RuleCache(blocked / "cache").load_rules([], True, load_rules)
    assert rules


@pytest.mark.skipif(hyperscan_import()[0] is None, reason="hyperscan is not installed")
def test_the_database_is_compiled_once_and_loaded_after(tmp_path: Path) -> None:
    rules = load_rules()[:40]
    text = f"token = {next(r for r in load_rules() if r.id == 'github-pat').examples[0].secret}\n"
    first = RuleCache(tmp_path).candidates(rules, backend="hyperscan")
    found = Detector(rules, backend="hyperscan", candidates=first).scan(Target("a", text.encode()))
    cache = RuleCache(tmp_path)
    second = cache.candidates(rules, backend="hyperscan")
    assert cache.hits == ["analyses", "hyperscan database"]
    again = Detector(rules, backend="hyperscan", candidates=second).scan(Target("a", text.encode()))
    assert again.findings == found.findings


def test_audit_memory_round_trip(tmp_path: Path) -> None:
    store = Store(tmp_path)
    memory = AuditMemory(store, "/repo/.git", "rules-1")
    memory.seen[AuditMemory._id("a" * 40, "x.py")] = AuditMemory.CLEAN
    memory.seen[AuditMemory._id("b" * 40, "y.bin")] = AuditMemory.BINARY
    memory.save()
    again = AuditMemory(store, "/repo/.git", "rules-1")
    assert again.status("a" * 40, "x.py") == AuditMemory.CLEAN
    assert again.status("b" * 40, "y.bin") == AuditMemory.BINARY
    assert again.status("a" * 40, "elsewhere.py") is None  # path-scoped rules depend on the path
    assert AuditMemory(store, "/repo/.git", "rules-2").status("a" * 40, "x.py") is None
    assert AuditMemory(store, "/other/.git", "rules-1").status("a" * 40, "x.py") is None


def audit(repo: Repo, *extra: str) -> tuple[list[dict[str, Any]], str]:
    result = run_cli("history", "--format", "json", "--show-secrets", "-v", *extra, cwd=repo.path)
    assert result.code in (0, 1), result.err
    return json.loads(result.out), result.err


def comparable(report: list[dict[str, Any]]) -> Any:
    return [(f["rule_id"], f["path"], f["secret"], f.get("commit")) for f in report]


def scanned(said: str) -> int:
    found = re.search(r"(\d+) blobs? \(", said)
    assert found, said
    return int(found.group(1))


def test_incremental_audit_scans_only_new_blobs_and_keeps_old_findings(
    repo: Repo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEAKSWEEP_CACHE_DIR", str(tmp_path / "private-cache"))
    gh = next(r for r in load_rules() if r.id == "github-pat").examples[0].secret
    repo.commit("one", **{"a.py": "print('hello')\n", "b.txt": "plain text\n", "c.py": f"t = '{gh}'\n"})
    first, said = audit(repo)
    assert scanned(said) == 3
    repo.commit("two", **{"d.py": "x = 1\n"})
    second, said = audit(repo)
    assert "not read again" in said
    assert comparable(second) == comparable(first) and comparable(first)
    assert scanned(said) == 2  # the new blob, and the one with a finding (reported as before)
    full, said = audit(repo, "--no-cache")
    assert "not read again" not in said and scanned(said) == 4
    assert comparable(full) == comparable(second)
