"""Shared by the git and hook tests: a small rule pack cut from the built-in packs (a CLI run
then compiles four rules, not all of them: the suite stays fast), synthetic secrets, and a
runner that returns the JSON report."""

from __future__ import annotations

import json
import random
import string
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from tests.conftest import ROOT, Repo, Result, run_cli

RULE_IDS = ("aws-access-key-id", "aws-secret-access-key", "private-key-rsa", "generic-password")


def _builtin_rules() -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for pack in sorted((ROOT / "rules").glob("*.yaml")):
        for rule in yaml.safe_load(pack.read_text(encoding="utf-8")) or []:
            if rule.get("id") in RULE_IDS:
                found[rule["id"]] = rule
    return found


BUILTIN = _builtin_rules()
# The built-in RSA example: a whole PEM block, and the secret it must yield.
PRIVATE_KEY = BUILTIN["private-key-rsa"]["examples"][0]["secret"]


def write_pack(directory: Path) -> Path:
    path = directory / "git-test-rules.yaml"
    path.write_text(yaml.safe_dump([BUILTIN[i] for i in RULE_IDS], sort_keys=False), encoding="utf-8")
    return path


def aws_key_id(n: int) -> str:
    """A distinct, synthetic AWS access key id per ``n`` (AKIA + 16 base32 characters)."""
    rng = random.Random(f"key-id-{n}")
    return "AKIA" + "".join(rng.choice(string.ascii_uppercase + "234567") for _ in range(16))


def aws_secret(n: int) -> str:
    """A distinct, synthetic 40-character AWS secret access key per ``n``."""
    rng = random.Random(f"secret-{n}")
    return "".join(rng.choice(string.ascii_letters + string.digits + "/+") for _ in range(40))


@dataclass
class Scan:
    result: Result
    findings: list[dict[str, Any]]

    @property
    def code(self) -> int:
        return self.result.code

    def secrets(self) -> list[str]:
        return [f["secret"] for f in self.findings]


def scan(
    repo: Repo | Path,
    pack: Path,
    *args: str,
    input: bytes | None = None,
    env: dict[str, str] | None = None,
) -> Scan:
    """Run ``leaksweep ARGS`` with the test pack, secrets shown, JSON out; parse the report."""
    cwd = repo.path if isinstance(repo, Repo) else repo
    result = run_cli(
        *args,
        "--no-builtin",
        "--rules",
        str(pack),
        "--format",
        "json",
        "--show-secrets",
        cwd=cwd,
        input=input,
        env=env,
    )
    assert result.code in (0, 1), f"exit {result.code}: {result.err}"
    return Scan(result, json.loads(result.out))
