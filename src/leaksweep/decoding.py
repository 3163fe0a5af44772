"""Finding encoded runs (base64, percent-encoding) whose decoded text is worth scanning again.

A secret pasted base64-encoded (a Kubernetes Secret, a basic-auth header, a config blob) or
percent-encoded (a URL query) is invisible to rules written for its plain form. We decode only
runs that decode to mostly printable text, cap their number and size, and let the detector scan
the result to a bounded depth.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import unquote

MIN_BASE64 = 20
MAX_RUN = 64 * 1024
MAX_RUNS = 5000

# One cheap pass finds every candidate run; the alphabet decides standard or URL-safe base64.
_RUN = re.compile(rf"[A-Za-z0-9+/_-]{{{MIN_BASE64},}}={{0,2}}")
_PERCENT_ESCAPE = re.compile(r"%[0-9A-Fa-f]{2}")
_PERCENT = re.compile(
    r"(?:[A-Za-z0-9._~+:@!$&'()*,;=/?-]{0,256}%[0-9A-Fa-f]{2}){2,}[A-Za-z0-9._~+:@!$&'()*,;=/?-]{0,256}"
)


@dataclass(frozen=True, slots=True)
class EncodedRun:
    start: int
    end: int
    kind: str  # "base64" | "percent"
    text: str  # the decoded text


def _printable(text: str) -> bool:
    if not text:
        return False
    good = sum(1 for c in text if c.isprintable() or c in "\r\n\t")
    return good / len(text) >= 0.95


def _b64(run: str, urlsafe: bool) -> str | None:
    padded = run + "=" * (-len(run) % 4)
    try:
        raw = base64.urlsafe_b64decode(padded) if urlsafe else base64.b64decode(padded, validate=True)
        text = raw.decode("utf-8")
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None
    return text if _printable(text) else None


def encoded_runs(text: str) -> Iterator[EncodedRun]:
    """Encoded runs in ``text`` that decode to printable text."""
    found = 0
    for m in _RUN.finditer(text):
        run = m.group(0)
        start, end = m.span()
        # (A run right after "=" is the common KEY=base64 form; one followed by a third "=" is not
        # base64 at all.)
        if len(run) > MAX_RUN or (end < len(text) and text[end] == "="):
            continue
        body = run.rstrip("=")
        standard, urlsafe = any(c in "+/" for c in body), any(c in "-_" for c in body)
        if standard and urlsafe:
            continue
        # Only letters, or only hex digits: an identifier or a digest, not base64 worth decoding.
        if body.isalpha() or all(c in "0123456789abcdefABCDEF" for c in body):
            continue
        decoded = _b64(body if urlsafe else run, urlsafe)
        if decoded is None:
            continue
        found += 1
        if found > MAX_RUNS:
            return
        yield EncodedRun(start, end, "base64", decoded)
    first = _PERCENT_ESCAPE.search(text) if "%" in text else None
    if first is None or _PERCENT_ESCAPE.search(text, first.end()) is None:
        return
    for m in _PERCENT.finditer(text):
        run = m.group(0)
        try:
            decoded = unquote(run, errors="strict")
        except UnicodeDecodeError:
            continue
        if decoded != run and _printable(decoded):
            found += 1
            if found > MAX_RUNS:
                return
            yield EncodedRun(m.start(), m.end(), "percent", decoded)
