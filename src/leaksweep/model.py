"""The values that flow through leaksweep: targets in, findings out.

Everything here is a frozen record (``records.py``) so that sources, the detector, filters and reporters
can share them without anyone mutating what another stage produced.
"""

from __future__ import annotations

from leaksweep.records import Record, field

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (see records.py)
if TYPE_CHECKING:
    from typing import Literal

    Severity = Literal["critical", "high", "medium", "low", "info"]
    Confidence = Literal["high", "medium", "low"]
else:
    Severity = Confidence = str
SEVERITIES: tuple[Severity, ...] = ("critical", "high", "medium", "low", "info")
CONFIDENCES: tuple[Confidence, ...] = ("high", "medium", "low")


class CommitInfo(Record):
    """The commit a target came from (git sources only)."""

    sha: str
    author: str = ""
    email: str = ""
    date: str = ""  # ISO 8601 author date
    message: str = field(default="", repr=False)  # first line only; it can quote a secret


class Target(Record):
    """One piece of content to scan.

    ``before`` holds the earlier version(s) of the same path (HEAD for a staged file, the
    parents' versions for a commit): a secret whose value already occurs in one of them is
    not new and is not reported.
    """

    path: str
    # Never in a repr (tracebacks, logs): the content is what holds the secrets.
    content: bytes = field(repr=False)
    blob: str | None = None
    before: tuple[bytes, ...] = field(default=(), repr=False)
    origin: str = "file"
    commit: CommitInfo | None = None


class Skipped(Record):
    """Content a source or the detector decided not to scan, with the reason."""

    path: str
    reason: str
    blob: str | None = None
    # True when the content exists but could not be read (a corrupt or missing git object): the
    # scan is incomplete, which a clean exit code must not hide.
    damaged: bool = False


def fingerprint(rule_id: str, secret: str) -> str:
    """The identity of a finding: rule id + secret, hashed.

    Deliberately free of path, line and commit so that allowlist and baseline entries survive
    rebases, squashes and moved code, and are the same in every scan mode.
    """
    import hashlib  # here: loading OpenSSL costs a clean pre-commit hook run more than this

    digest = hashlib.sha256(f"{rule_id}\x00{secret}".encode("utf-8", "surrogatepass"))
    return digest.hexdigest()[:32]


class Finding(Record):
    rule_id: str
    rule_name: str
    severity: Severity
    confidence: Confidence
    path: str
    line: int  # 1-based
    column: int  # 1-based, in characters of the decoded line
    end_line: int
    end_column: int  # 1-based, inclusive
    secret: str = field(repr=False)  # never in a repr: tracebacks and logs must not leak it
    # The first line of the match, without its line ending: it holds the secret, so no repr.
    line_text: str = field(repr=False)
    entropy: float
    blob: str | None = None
    commit: CommitInfo | None = None
    decoded: str | None = None  # e.g. "base64" when the secret was found inside encoded text
    origin: str = "file"
    tags: tuple[str, ...] = ()
    extra: tuple[tuple[str, str], ...] = field(default=())
    # History audits: the other paths the secret appears at, and whether HEAD still holds it
    # (None outside history mode).
    other_paths: tuple[str, ...] = ()
    in_head: bool | None = None
    # Set by the detector when a ``leaksweep:allow`` marker stands on the secret's line
    # ("same-line") or ``leaksweep:allow-next-line`` on the line before ("previous-line");
    # whether it counts is the suppression filter's decision (``--no-inline-allow``).
    inline_marker: str | None = None
    # The whole regex match (it contains the secret: never written to a report).
    match_text: str = field(default="", repr=False)

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.rule_id, self.secret)


class Dropped(Record):
    """A candidate the detector or a filter removed, kept so ``--show-suppressed`` can explain."""

    finding: Finding
    reason: str


def redact(secret: str, show: bool = False) -> str:
    """Mask a secret, keeping at most its first four characters (fewer for short ones)."""
    if show:
        return secret
    keep = min(4, len(secret) // 4)
    return secret[:keep] + "*****"
