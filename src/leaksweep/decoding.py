"""Finding encoded runs (base64, percent-encoding) whose decoded text is worth scanning again.

A secret pasted base64-encoded (a Kubernetes Secret, a basic-auth header, a config blob) or
percent-encoded (a URL query) is invisible to rules written for its plain form. We decode only
runs that decode to mostly printable text, cap their number and size, and let the detector scan
the result to a bounded depth.
"""

from __future__ import annotations

import binascii
import functools
import re
import sys
from binascii import a2b_base64
from collections.abc import Iterator
from urllib.parse import unquote

from leaksweep.records import Record

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (see records.py)
if TYPE_CHECKING:
    from typing import Any

MIN_BASE64 = 20
MAX_RUN = 64 * 1024
MAX_RUNS = 5000
# Only runs up to this long are remembered. Identifiers are far shorter, and the memo holds tens
# of thousands of runs: at MAX_RUN each, a history of embedded images (data: URIs, one long
# base64 run each) would make it gigabytes. A longer run costs its decoding each time it is met,
# little beside reading it.
MEMO_RUN = 256

# The candidate runs are what ``[A-Za-z0-9+/_-]{20,}={0,2}`` finds (the alphabet decides standard
# or URL-safe base64), found at memory speed: the text's bytes mapped to "a" (alphabet) or " " (any
# other byte, including each byte of a non-ASCII character), then searched for MIN_BASE64 "a"s in
# a row.
_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/_-"
_MASK = bytes(0x61 if code in _ALPHABET else 0x20 for code in range(256))
_NEEDLE = b"a" * MIN_BASE64
_HEX = "0123456789abcdefABCDEF"
_HEX_BYTES = _HEX.encode()
_PERCENT = re.compile(
    r"(?:[A-Za-z0-9._~+:@!$&'()*,;=/?-]{0,256}%[0-9A-Fa-f]{2}){2,}[A-Za-z0-9._~+:@!$&'()*,;=/?-]{0,256}"
)
_SPAN = 256  # the alphabet run _PERCENT allows before an escape and after the last one
_GAP = _SPAN + 3  # the furthest apart two consecutive escapes of one match can start


class EncodedRun(Record):
    start: int
    end: int
    kind: str  # "base64" | "percent"
    text: str  # the decoded text


def _printable(text: str) -> bool:
    if not text:
        return False
    if text.isprintable():
        return True
    good = sum(1 for c in text if c.isprintable() or c in "\r\n\t")
    return good / len(text) >= 0.95


_URLSAFE = bytes.maketrans(b"-_", b"+/")


_UNSEEN = ""  # a sentinel no decoding returns (an empty decoding is not printable)


def _base64_text(run: bytes) -> str | None:
    """The printable text a base64 run (standard or URL-safe alphabet) decodes to, if any."""
    body = run.rstrip(b"=")
    if len(body) % 4 == 1:
        return None  # not base64 in either alphabet (binascii refuses it)
    # find, not "in": CPython's bytes.__contains__ first tries its argument as an integer and
    # builds a TypeError for every bytes argument (about 1,800 instructions, most of this check).
    standard = body.find(b"+") != -1 or body.find(b"/") != -1
    urlsafe = body.find(b"-") != -1 or body.find(b"_") != -1
    if standard and urlsafe:
        return None
    # Only letters, or only hex digits: an identifier or a digest, not base64 worth decoding.
    if body.isalpha() or not body.strip(_HEX_BYTES):
        return None
    try:
        # What base64.urlsafe_b64decode / b64decode(validate=True) do, without their wrappers.
        if urlsafe:
            raw = a2b_base64((body + b"=" * (-len(body) % 4)).translate(_URLSAFE))
        else:
            raw = a2b_base64(run + b"=" * (-len(run) % 4), strict_mode=True)
    except binascii.Error:
        return None
    if raw.isascii():
        decoded = raw.decode("ascii")
    else:
        # Most runs are identifiers that decode to noise: test UTF-8 without raising for each.
        decoded = raw.decode("utf-8", "replace")
        if "\ufffd" in decoded:
            if b"\xef\xbf\xbd" not in raw:
                return None
            try:
                decoded = raw.decode("utf-8")
            except UnicodeDecodeError:
                return None
    return decoded if _printable(decoded) else None


def encoded_runs(
    text: str, memo: dict[bytes, str | None] | None = None, *, data: bytes | None = None
) -> Iterator[EncodedRun]:
    """Encoded runs in ``text`` that decode to printable text.

    ``memo`` remembers what each base64 run decodes to (the caller bounds its size): the same
    identifiers recur in every version of a file. ``data`` may pass the bytes ``text`` was
    decoded from (``data.decode("utf-8", "replace")``): the base64 search then runs on them
    instead of on an ASCII encoding of the text, which costs a pass per character (with
    replacements) when the text is not ASCII."""
    found = 0
    if data is None:
        data = text.encode("ascii") if text.isascii() else text.encode("ascii", "replace")
    # An offset in data is one in text unless data holds multi-byte characters. Runs are ASCII,
    # so only their starts need converting: the bytes since the last run start are decoded again
    # (a cut before an ASCII byte splits no character, nor a sequence the decoder replaces).
    same = len(data) == len(text)
    byte_at = char_at = 0
    for start, end, decoded in _base64_runs(data, {} if memo is None else memo):
        found += 1
        if found > MAX_RUNS:
            return
        if not same:
            char_at += len(data[byte_at:start].decode("utf-8", "replace"))
            byte_at = start
            start, end = char_at, char_at + end - start
        yield EncodedRun(start, end, "base64", decoded)
    for start, end in _percent_spans(text):
        escaped = text[start:end]
        try:
            plain = unquote(escaped, errors="strict")
        except UnicodeDecodeError:
            continue
        if plain != escaped and _printable(plain):
            found += 1
            if found > MAX_RUNS:
                return
            yield EncodedRun(start, end, "percent", plain)


def _base64_runs(data: bytes, seen: dict[bytes, str | None]) -> Iterator[tuple[int, int, str]]:
    """(start, end, decoded text) of each run in ``data`` that decodes to printable text.

    This loop sees every long identifier of every file: it works on bytes, and calls little."""
    size = len(data)
    # One byte per byte: "a" for the alphabet, " " for the rest ("=" too: it ends a run).
    for start, end in _run_spans(data.translate(_MASK)):
        if end < size and data[end] == 0x3D:  # up to two "=" belong to the run
            end += 1
            if end < size and data[end] == 0x3D:
                end += 1
            # (A run right after "=" is the common KEY=base64 form; one followed by a third "="
            # is not base64 at all.)
            if end < size and data[end] == 0x3D:
                continue
        if end - start > MAX_RUN:
            continue
        run = data[start:end]
        decoded = seen.get(run, _UNSEEN)
        if decoded is None:  # the usual case: an identifier met before
            continue
        if decoded is _UNSEEN:
            decoded = _base64_text(run)
            if end - start <= MEMO_RUN:  # identifiers repeat: decide each once
                seen[run] = decoded
            if decoded is None:
                continue
        yield start, end, decoded


def _run_spans(mask: bytes) -> Iterator[tuple[int, int]]:
    """The spans of MIN_BASE64 or more "a"s in a row in ``mask``.

    The regex module finds them in about half the instructions bytes.find takes (it skips through
    the literal run of "a"s, Boyer-Moore, and returns each span at once), but importing it costs a
    pre-commit hook about 40 ms: it is used once the rules have loaded it, which every scan with
    a candidate does (an audit at its first few files)."""
    if "regex" in sys.modules:
        return _regex_spans(mask)
    return _find_spans(mask)


def _find_spans(mask: bytes) -> Iterator[tuple[int, int]]:
    find = mask.find
    at = find(_NEEDLE)
    while at != -1:
        end = find(b" ", at + MIN_BASE64)
        if end == -1:
            yield at, len(mask)
            return
        yield at, end
        at = find(_NEEDLE, end)


@functools.cache
def _run_search() -> tuple[Any, Any]:
    """_NEEDLE and any more "a"s, compiled once; and regex.Match.span, mapped over the matches
    at C speed."""
    import regex

    return regex.compile(_NEEDLE + b"a*"), regex.Match.span


def _regex_spans(mask: bytes) -> Iterator[tuple[int, int]]:
    run, span = _run_search()
    # Not concurrent: releasing the GIL around each run's search cost a third of the search.
    spans: Iterator[tuple[int, int]] = map(span, run.finditer(mask, concurrent=False))
    return spans


def _percent_spans(text: str) -> Iterator[tuple[int, int]]:
    """The spans ``_PERCENT.finditer(text)`` yields, searching only near escapes.

    A match holds two or more escapes, consecutive ones at most ``_GAP`` apart (its alphabet has
    no "%"), and reaches at most ``_SPAN`` characters before its first and after its last. So
    the search runs on each cluster of close escapes, bounded by those reaches, and continues the
    whole-text search's chain (a cluster's search starts no earlier than the last match ended)."""
    if "%" not in text:
        return
    # Every "%" and two hex digits is an escape (a hex digit is not "%", so none overlap). str.find
    # goes from "%" to "%" at memory speed; a regex (or str.count) reads every character.
    escapes = []
    find = text.find
    at = find("%")
    while at != -1:
        pair = text[at + 1 : at + 3]
        if len(pair) == 2 and not pair.strip(_HEX):
            escapes.append(at)
        at = find("%", at + 1)
    done = 0
    index = 0
    while index < len(escapes) - 1:
        first = last = index
        while last + 1 < len(escapes) and escapes[last + 1] - escapes[last] <= _GAP:
            last += 1
        index = last + 1
        if first == last:
            continue
        pos = max(done, escapes[first] - _SPAN)
        endpos = min(len(text), escapes[last] + 3 + _SPAN)
        for m in _PERCENT.finditer(text, pos, endpos):
            done = m.end()
            yield m.start(), done
