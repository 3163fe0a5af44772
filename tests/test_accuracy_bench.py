"""Smoke test of the accuracy benchmark generator: a small run, checked for consistency.

Accuracy numbers are never asserted here; the benchmark prints them.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import quote
from xml.sax.saxutils import escape as xml_escape

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "benchmarks" / "accuracy"
PLACES = {"current", "removed", "side-branch", "tag-only", "merge"}


def git(repo: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", *args], cwd=repo, capture_output=True, text=True, check=check, encoding="latin-1"
    )


def squash(text: str) -> str:
    """PEM blocks compared without whitespace and \\n escapes."""
    return re.sub(r"\s+", "", text.replace("\\n", "").replace("\\r", ""))


def appears(secret: dict[str, Any], content: str) -> bool:
    enc, value = secret["encoding"], secret["secret"]
    if enc == "base64":
        return secret["written"] in content
    if enc == "percent":
        return quote(value, safe="") in content
    if enc in ("pem", "pem-escaped") or "-----BEGIN" in value:
        return squash(value) in squash(content)
    return value in content or xml_escape(value) in content


def test_generator_small_run_is_consistent(tmp_path: Path) -> None:
    check_run(tmp_path / "bench", types=5, negatives=20, seed=7)


def check_run(out: Path, types: int, negatives: int, seed: int) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            str(BENCH / "generate.py"),
            str(out),
            "--types",
            str(types),
            "--negatives",
            str(negatives),
            "--seed",
            str(seed),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    truth = json.loads((out / "truth.json").read_text(encoding="utf-8"))
    check_truth(out, truth, types, negatives)


def check_truth(out: Path, truth: dict[str, Any], types: int, min_negatives: int) -> None:
    repo = out / "repo"
    secrets, negatives = truth["secrets"], truth["negatives"]
    assert len({s["type"] for s in secrets}) >= types  # (+1: a GCP key file also holds a PEM)
    per_type: dict[str, int] = {}
    for s in secrets:
        per_type[s["type"]] = per_type.get(s["type"], 0) + 1
    assert min(per_type.values()) >= 2
    assert len(negatives) >= min_negatives
    assert {s["where"] for s in secrets} == PLACES
    for s in secrets:
        assert set(s) >= {
            "type",
            "secret",
            "path",
            "context",
            "where",
            "encoding",
            "written",
            "in_head",
            "commit",
        }
        assert s["secret"] and s["path"] and re.fullmatch(r"[0-9a-f]{40}", s["commit"])
    for n in negatives:
        assert set(n) >= {"kind", "value", "path"} and n["value"]
    assert len({s["secret"] for s in secrets}) == len(secrets), "every planted secret is distinct"

    # the repository: commits, unmerged branches, tags, a merge commit
    assert int(git(repo, "rev-list", "--all", "--count").stdout) == truth["commits"] >= 5
    branches = git(repo, "for-each-ref", "--format=%(refname:short)", "refs/heads").stdout.split()
    assert "main" in branches and len(branches) >= 3
    assert git(repo, "tag").stdout.split()
    assert int(git(repo, "rev-list", "--merges", "--count", "main").stdout) >= 1
    assert not git(repo, "status", "--porcelain").stdout, "work tree is clean"

    head_files = set(git(repo, "ls-tree", "-r", "--name-only", "HEAD").stdout.splitlines())
    for s in secrets:
        content = git(repo, "show", f"{s['commit']}:{s['path']}").stdout
        assert appears(s, content), f"{s['type']} not in {s['path']} at {s['commit'][:8]}"
        on_main = git(repo, "merge-base", "--is-ancestor", s["commit"], "main", check=False).returncode == 0
        in_head = s["path"] in head_files and appears(s, git(repo, "show", f"HEAD:{s['path']}").stdout)
        assert in_head == s["in_head"], s
        if s["where"] in ("current", "merge"):
            assert on_main and in_head
        elif s["where"] == "removed":
            assert on_main and not in_head
        elif s["where"] == "side-branch":
            assert not on_main
            assert git(repo, "branch", "--contains", s["commit"]).stdout.strip()
        elif s["where"] == "tag-only":
            assert not git(repo, "branch", "--contains", s["commit"]).stdout.strip()
            assert git(repo, "tag", "--contains", s["commit"]).stdout.strip()
        if s["where"] == "merge":
            parents = git(repo, "rev-list", "--parents", "-n", "1", s["commit"]).stdout.split()
            assert len(parents) == 3, "introduced by a merge commit"
    for n in negatives:
        if n["where"] == "current" and n["path"] in head_files:
            content = git(repo, "show", f"HEAD:{n['path']}").stdout
            value = n["value"]
            assert squash(value) in squash(content) or squash(xml_escape(value)) in squash(content), n
