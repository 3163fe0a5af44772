"""What every reporter shares: options, redaction, and making hostile text safe to print."""

from __future__ import annotations

import re
from dataclasses import dataclass

from leaksweep.model import Finding, redact

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


@dataclass(frozen=True)
class ReportOptions:
    show_secrets: bool = False
    color: bool = False
    verbose: int = 0  # -1 quiet, 0 normal, 1 verbose
    show_suppressed: bool = False


def printable(text: str) -> str:
    """Escape control characters (terminal escapes, bidi overrides) in names and lines from
    scanned content so a hostile file name cannot rewrite the user's terminal."""
    text = safe_text(text)
    return _CONTROL.sub(
        lambda m: f"\\x{ord(m.group(0)):02x}" if ord(m.group(0)) < 256 else f"\\u{ord(m.group(0)):04x}", text
    )


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
