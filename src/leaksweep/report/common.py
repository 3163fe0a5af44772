"""What every reporter shares: options, redaction, and making hostile text safe to print."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from urllib.parse import quote

from leaksweep import __version__
from leaksweep.lazyre import lazy
from leaksweep.model import SEVERITIES, Dropped, Finding, redact
from leaksweep.records import Record, replace

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (see records.py)
if TYPE_CHECKING:
    from leaksweep.rules import Rule
    from leaksweep.session import ScanResult

# Every C0/C1 control (newline and tab included: a file name holding one would otherwise break a
# report's lines), plus the Unicode line separators and bidi overrides that can disguise text.
_CONTROL = lazy(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
# Characters XML 1.0 cannot carry at all, not even as character references.
_NOT_XML = lazy("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


class ReportOptions(Record):
    show_secrets: bool = False
    color: bool = False
    verbose: int = 0  # -1 quiet, 0 normal, 1 verbose
    show_suppressed: bool = False
    # Pinned by golden tests so that reports do not change with every release.
    tool_version: str = __version__
    # Absolute URI of the scanned repository (SARIF versionControlProvenance), when known.
    repository_uri: str | None = None


def printable(text: str) -> str:
    """Escape control characters (terminal escapes, newlines, bidi overrides) in names and lines
    from scanned content so a hostile file name cannot rewrite the user's terminal or forge
    extra report lines."""
    text = safe_text(text)
    return _CONTROL.sub(
        lambda m: f"\\x{ord(m.group(0)):02x}" if ord(m.group(0)) < 256 else f"\\u{ord(m.group(0)):04x}", text
    )


# JSON escapes C0 controls itself; with ensure_ascii=False it leaves DEL, the C1 controls (U+009B
# is a one-character CSI to many terminals), the Unicode line separators and the bidi overrides
# raw, so `cat report.json` could still drive a terminal.
_JSON_UNSAFE = lazy("[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def json_text(document: str) -> str:
    """A JSON document with the characters above written as ``\\uXXXX`` escapes: the same value
    to any JSON reader, inert on a terminal. They can only occur inside strings, so this is safe
    on the whole document."""
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group(0)):04x}", document)


def safe_text(text: str) -> str:
    """Text that encodes as UTF-8: undecodable bytes kept from file names (surrogate escapes)
    become ``\\xNN`` so a hostile name can neither crash a writer nor vanish."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        raw = (
            text.encode("utf-8", "surrogateescape") if _all_escapes(text) else text.encode("utf-8", "replace")
        )
        return raw.decode("utf-8", "backslashreplace")


def _all_escapes(text: str) -> bool:
    return all(not 0xD800 <= ord(c) <= 0xDFFF or 0xDC80 <= ord(c) <= 0xDCFF for c in text)


def xml_text(text: str) -> str:
    """Text an XML 1.0 document can hold: controls escaped as for a terminal, and the few code
    points XML forbids outright (U+FFFE, U+FFFF) spelled out. ElementTree escapes ``&<>"``."""
    return _NOT_XML.sub(lambda m: f"\\u{ord(m.group(0)):04x}", printable(text))


def uri_path(path: str) -> str:
    """A relative URI reference for a scanned path (SARIF ``artifactLocation.uri``).

    Percent-encodes everything outside RFC 3986's unreserved set and ``/``, so spaces, ``%``,
    ``#``, ``?`` and ``:`` (which would read as a scheme) keep their meaning. Undecodable bytes
    kept as surrogate escapes are encoded as the original bytes."""
    raw = path.replace("\\", "/").encode("utf-8", "surrogateescape")
    return quote(raw, safe="/-._~!$&'()*+,;=@")


def scrub_commits(
    findings: Iterable[Finding],
    show: bool,
    known: Iterable[Finding] = (),
    rules: Sequence[Rule] = (),
) -> list[Finding]:
    """The findings with secrets masked wherever they reappear outside their own place: in
    commit metadata (a message that quotes the key it adds: "temporary key AKIA...") and in the
    line shown for another finding (an access key id and its secret key on one line: each
    finding masks its own, this masks the other). Unchanged with --show-secrets.

    What is masked: every secret of ``findings`` and ``known``, and in commit metadata whatever
    one of ``rules`` matches (a streamed finding's commit can quote a secret not found yet)."""
    findings = list(findings)
    if show:
        return findings
    secrets = {part for f in (*findings, *known) for part in f.secret.splitlines() if len(part) >= 8}
    # Longest first, so a secret containing another is masked whole.
    pattern = (
        re.compile("|".join(re.escape(s) for s in sorted(secrets, key=len, reverse=True)))
        if secrets
        else None
    )
    masked: dict[str, str] = {}

    def mask(text: str, keep: str = "") -> str:
        if pattern is not None:
            text = pattern.sub(lambda m: m.group(0) if m.group(0) == keep else redact(m.group(0)), text)
        return text

    def mask_meta(text: str) -> str:
        if text not in masked:
            masked[text] = _mask_rule_matches(mask(text), rules)
        return masked[text]

    out = []
    for f in findings:
        own = f.secret.splitlines()[0] if f.secret else ""
        line = mask(f.line_text, keep=own)
        c = f.commit
        commit = c and replace(
            c, author=mask_meta(c.author), email=mask_meta(c.email), message=mask_meta(c.message)
        )
        if line != f.line_text or commit != c:
            f = replace(f, line_text=line, commit=commit)
        out.append(f)
    return out


def _mask_rule_matches(text: str, rules: Sequence[Rule]) -> str:
    """``text`` with every rule's secret masked (keywords first, so most rules cost nothing)."""
    lower = text.lower()
    for rule in rules:
        if not any(kw in lower for kw in rule.keywords):
            continue
        try:
            spans = [m.span(rule.secret_group) for m in rule.pattern.finditer(text, timeout=0.1)]
        except TimeoutError:
            continue
        for start, end in reversed(spans):
            if end > start:
                text = text[:start] + redact(text[start:end]) + text[end:]
        lower = text.lower()
    return text


def redacted_result(result: ScanResult, show: bool, with_dropped: bool = True) -> ScanResult:
    """``result`` as every reporter sees it (see :func:`scrub_commits`). Without
    ``with_dropped`` (a report that lists no suppressed candidates) it carries none: an audit
    drops thousands, and scrubbing them all cost a serial half second."""
    if show:
        return result
    everything = [*result.findings, *(d.finding for d in result.dropped)]
    findings = scrub_commits(result.findings, show, everything, result.rules)
    if not with_dropped:
        return replace(result, findings=findings, dropped=[])
    dropped_findings = scrub_commits((d.finding for d in result.dropped), show, everything, result.rules)
    dropped = [Dropped(f, d.reason) for f, d in zip(dropped_findings, result.dropped, strict=True)]
    return replace(result, findings=findings, dropped=dropped)


def masked_line(finding: Finding, show: bool) -> str:
    """The finding's line with every occurrence of the secret masked (unless ``show``)."""
    line = finding.line_text
    if show:
        return line
    secret_first_line = finding.secret.splitlines()[0] if finding.secret else ""
    if secret_first_line:
        line = line.replace(secret_first_line, redact(finding.secret))
    return line


def secret_for_output(finding: Finding, show: bool) -> str:
    return redact(finding.secret, show)


def human_bytes(count: int) -> str:
    size = float(count)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"


def display_width(text: str) -> int:
    """Terminal columns ``text`` takes: wide East Asian characters count two, combining marks none.

    Used to put the ``^^^^`` marker under the secret even when the line before it holds CJK."""
    width = 0
    for char in text:
        if unicodedata.combining(char):
            continue
        width += 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
    return width


def severity_rank(severity: str) -> int:
    """0 for critical ... 4 for info: sort keys that put the worst first."""
    return SEVERITIES.index(severity) if severity in SEVERITIES else len(SEVERITIES)


def utc_stamp(epoch: float, zulu: bool = True) -> str:
    """``2024-01-02T03:04:05Z`` (SARIF, JUnit) or ``2024-01-02T03:04:05`` (GitLab's pattern)."""
    from datetime import UTC, datetime

    stamp = datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return stamp + "Z" if zulu else stamp


def other_paths(finding: Finding) -> tuple[str, ...]:
    """Further paths a history audit saw the same blob at."""
    return finding.other_paths


def in_head(finding: Finding) -> bool | None:
    """Whether HEAD still holds the secret (history audits only; None where unknown)."""
    return finding.in_head
