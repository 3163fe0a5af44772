"""A fixed ScanResult for the reporter tests: every format is rendered from it and pinned by a
golden file under tests/golden/. Times, version and repository are fixed so output is stable."""

from __future__ import annotations

from pathlib import Path

from leaksweep.model import CommitInfo, Dropped, Finding, Skipped
from leaksweep.report import ReportOptions
from leaksweep.rules import Rule
from leaksweep.session import ScanResult

GOLDEN = Path(__file__).resolve().parent / "golden"
DATA = Path(__file__).resolve().parent / "data"

# Synthetic values shaped like real credentials; none of them was ever valid.
GH_TOKEN = "ghp_R3portTestTokenAbCdEfGhIjKlMnOpQr12"
AWS_KEY = "AKIAREPORTTEST7EXAMP"
PG_PASSWORD = "s3cr3t-Pa55w0rd-4-golden"
DROPPED_SECRET = "ghp_DroppedTokenValue0123456789abcdefAB"
SECRETS = (GH_TOKEN, AWS_KEY, PG_PASSWORD, DROPPED_SECRET)

# A file name built to break every format it can: newlines that would forge a GitHub workflow
# command, quotes and markup, a terminal escape, % and : (escaped by GitHub), a comma (CSV), a
# formula prefix, a bidi override and an undecodable byte kept as a surrogate escape.
HOSTILE_PATH = "=evil\n::warning file=x::pwned\r,\"<&>'\x1b[31m%:\u202ename\udcff.txt"

RULES = (
    Rule(
        id="github-pat",
        name="GitHub personal access token",
        regex=r"ghp_[A-Za-z0-9]{36}",
        keywords=("ghp_",),
        severity="critical",
        confidence="high",
        description="A classic GitHub personal access token.",
        remediation="Revoke the token at https://github.com/settings/tokens, then review the security log.",
        tags=("github", "vcs"),
    ),
    Rule(
        id="aws-access-key-id",
        name="AWS access key ID",
        regex=r"AKIA[A-Z0-9]{16}",
        keywords=("akia",),
        severity="high",
        confidence="medium",
        description="The public half of an AWS access key pair.",
        remediation="Deactivate the key in IAM and create a new one:\nhttps://docs.aws.amazon.com/IAM/",
        tags=("aws", "cloud"),
    ),
    Rule(
        id="postgres-password",
        name="PostgreSQL connection string password",
        regex=r"postgres://[^:]+:([^@]+)@",
        keywords=("postgres://",),
        severity="medium",
        confidence="low",
        remediation="Change the database password.",
        tags=("database",),
    ),
)

COMMIT = CommitInfo(
    sha="4f1e2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b",
    author="Ada Lovelace",
    email="ada@example.invalid",
    date="2024-01-02T03:04:05+00:00",
    message="add deploy config",
)


def _finding(
    rule: Rule, path: str, line: int, column: int, secret: str, line_text: str, **kw: object
) -> Finding:
    return Finding(
        rule_id=rule.id,
        rule_name=rule.name,
        severity=rule.severity,
        confidence=rule.confidence,
        path=path,
        line=line,
        column=column,
        end_line=line,
        end_column=column + len(secret) - 1,
        secret=secret,
        line_text=line_text,
        entropy=4.2,
        tags=rule.tags,
        **kw,  # type: ignore[arg-type]
    )


def fixed_result() -> ScanResult:
    gh, aws, pg = RULES
    findings = [
        _finding(gh, "app/settings.py", 4, 17, GH_TOKEN, f'GITHUB_TOKEN = "{GH_TOKEN}"'),
        _finding(
            aws,
            "deploy/prod env.yaml",
            2,
            9,
            AWS_KEY,
            f"  鍵 key:\t{AWS_KEY}  # note ",
            blob="9c1185a5c5e9fc54612808977ee8f548b2258d31",
            commit=COMMIT,
        ),
        _finding(pg, ".env", 3, 23, PG_PASSWORD, f"DATABASE_URL=postgres://app:{PG_PASSWORD}@db:5432/app"),
        # The same token again in a second file: one block in the text report, two results elsewhere.
        _finding(gh, HOSTILE_PATH, 1, 7, GH_TOKEN, f"token={GH_TOKEN}"),
        # Found decoded from base64: the line holds only the (already masked) encoded run.
        _finding(aws, "k8s/secret.yaml", 5, 9, AWS_KEY, "  data: QUtJ*****", decoded="base64"),
    ]
    dropped = [
        Dropped(_finding(gh, "docs/example.md", 8, 1, DROPPED_SECRET, DROPPED_SECRET), "allowlist: docs/**"),
    ]
    return ScanResult(
        rules=RULES,
        findings=findings,
        dropped=dropped,
        skipped=[Skipped("big.bin", "larger than --max-file-size (20971520 > 10485760 bytes)")],
        notes=[
            "rule generic-password timed out on vendor/min.js; its results for that file may be incomplete"
        ],
        targets=42,
        bytes=123_456,
        elapsed=1.25,
        rule_seconds={"github-pat": 0.0123, "aws-access-key-id": 0.0045},
        mode="scan",
        started=1704164645.0,  # 2024-01-02T03:04:05Z
    )


def fixed_options(**kw: object) -> ReportOptions:
    base: dict[str, object] = {
        "tool_version": "0.0.0-test",
        "repository_uri": "https://example.invalid/acme/app",
    }
    base.update(kw)
    return ReportOptions(**base)  # type: ignore[arg-type]
