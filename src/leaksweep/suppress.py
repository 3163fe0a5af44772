"""Suppression: inline markers, the allowlist file and the baseline, each a filter with reasons.

Every entry keys on the finding's identity (rule id + hash of the secret), never on a line
number or a commit it happened to be found in, so entries survive rebases, squashes and moved
code, and hold in every scan mode. Files that persist hold fingerprints, never secrets.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from leaksweep.errors import LeaksweepError
from leaksweep.fileio import atomic_text
from leaksweep.globs import match_path
from leaksweep.lazyre import lazy
from leaksweep.model import Finding
from leaksweep.records import Record, field
from leaksweep.regexguard import too_large
from leaksweep.yamlsrc import MAX_BYTES, LList, LMap, decode_utf8, load_yaml, read_bounded

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (see records.py)
if TYPE_CHECKING:
    import datetime as dt
    from typing import Any

ENTRY_KEYS = {"reason", "fingerprint", "rule", "path", "regex", "target", "commit", "expires"}
MATCHERS = ("fingerprint", "rule", "path", "regex", "commit")
TARGETS = ("secret", "match", "line")
FINGERPRINT = lazy(r"^[0-9a-f]{32}$")
BASELINE_VERSION = 1
ALLOWLIST_HEADER = (
    "# leaksweep allowlist: findings to stay quiet about, each with the reason why.\n"
    "# Keys: reason (required), fingerprint, rule, path, regex (+ target), commit, expires.\n"
)


class AllowEntry(Record):
    number: int  # 1-based position in the file, as the user sees it
    line: int
    reason: str
    fingerprint: str | None = None
    rule: str | None = None
    path: str | None = None
    pattern: Any = None  # a compiled `regex` pattern (the package ships no stubs)
    target: str = "secret"
    commit: str | None = None
    expires: dt.date | None = None

    def matches(self, finding: Finding) -> bool:
        """All the conditions the entry names must hold (and across entries, any entry may)."""
        if self.fingerprint is not None and finding.fingerprint != self.fingerprint:
            return False
        if self.rule is not None and finding.rule_id != self.rule and self.rule not in finding.tags:
            return False
        if self.path is not None and not match_path(finding.path, [self.path]):
            return False
        if self.commit is not None and (
            finding.commit is None or not finding.commit.sha.startswith(self.commit)
        ):
            return False
        if self.pattern is not None:
            subject = {"secret": finding.secret, "match": finding.match_text or finding.secret}.get(
                self.target, finding.line_text
            )
            if not self.pattern.search(subject, timeout=1.0):
                return False
        return True

    def describe(self) -> str:
        return f"allowlist entry {self.number} (line {self.line}: {self.reason})"


def load_allowlist(path: Path) -> list[AllowEntry]:
    return _entries(load_yaml(path), path)


def _entries(data: Any, path: Path) -> list[AllowEntry]:
    if data is None:
        return []
    if not isinstance(data, LList):
        raise LeaksweepError("an allowlist is a list of entries", where=f"{path}:1")
    pairs = zip(data, data.item_lines, strict=True)
    return [_entry(item, str(path), n, line) for n, (item, line) in enumerate(pairs, 1)]


def _entry(item: Any, where: str, number: int, line: int) -> AllowEntry:
    if not isinstance(item, LMap):
        raise LeaksweepError(f"entry {number}: must be a mapping with a reason", where=f"{where}:{line}")

    def fail(key: str, message: str) -> LeaksweepError:
        return LeaksweepError(
            f"entry {number}: {key}: {message}", where=f"{where}:{item.key_lines.get(key, line)}"
        )

    for key in item:
        if key not in ENTRY_KEYS:
            raise fail(key, f"unknown key (known: {', '.join(sorted(ENTRY_KEYS))})")
    reason = item.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        raise LeaksweepError(f"entry {number}: a non-empty 'reason' is required", where=f"{where}:{line}")
    if not any(k in item for k in MATCHERS):
        raise LeaksweepError(
            f"entry {number}: needs at least one of {', '.join(MATCHERS)}", where=f"{where}:{line}"
        )
    for key in ("fingerprint", "rule", "path", "regex", "commit", "target"):
        if key in item and (not isinstance(item[key], str) or not item[key]):
            raise fail(key, "must be a non-empty string")
    fingerprint = item.get("fingerprint")
    if fingerprint is not None and not FINGERPRINT.match(fingerprint):
        raise fail("fingerprint", "must be the 32 hex digits leaksweep reports as a finding's fingerprint")
    target = item.get("target", "secret")
    if target not in TARGETS:
        raise fail("target", f"must be one of {', '.join(TARGETS)}")
    if "target" in item and "regex" not in item:
        raise fail("target", "only applies together with 'regex'")
    pattern = None
    if "regex" in item:
        why = too_large(item["regex"])
        if why is not None:
            raise fail("regex", why)
        import regex  # only an allowlist with a regex entry needs the module

        try:
            pattern = regex.compile(item["regex"])
        except (regex.error, ValueError, OverflowError, RecursionError) as exc:
            raise fail("regex", f"invalid regular expression: {exc}") from None
    commit = item.get("commit")
    if commit is not None and not re.fullmatch(r"[0-9a-fA-F]{7,64}", commit):
        raise fail("commit", "must be a commit id (7 to 64 hex digits)")
    expires = item.get("expires")
    if expires is not None:
        import datetime as dt  # only for an entry with a date: the hook rarely meets one

        if isinstance(expires, dt.datetime):
            expires = expires.date()
        if not isinstance(expires, dt.date):
            raise fail("expires", "must be a date such as 2026-12-31")
    return AllowEntry(
        number=number,
        line=line,
        reason=reason.strip(),
        fingerprint=fingerprint,
        rule=item.get("rule"),
        path=item.get("path"),
        pattern=pattern,
        target=target,
        commit=commit.lower() if commit else None,
        expires=expires,
    )


class BaselineEntry(Record):
    fingerprint: str
    rule: str
    path: str


def load_baseline(path: Path) -> list[BaselineEntry]:
    where = str(path)
    text = decode_utf8(read_bounded(path, MAX_BYTES, "baseline"), where, "baseline")
    import json  # the JSON modules load only when a baseline or allowlist is read or written

    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise LeaksweepError(f"invalid JSON: {exc.msg}", where=f"{where}:{exc.lineno}") from None
    except RecursionError:
        raise LeaksweepError("invalid baseline: nested too deeply", where=f"{where}:1") from None
    except ValueError as exc:  # an integer of thousands of digits (Python refuses to convert it)
        raise LeaksweepError(
            f"invalid JSON: {' '.join(str(exc).split())[:120]}", where=f"{where}:1"
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("findings"), list):
        raise LeaksweepError("a baseline is an object with a 'findings' list", where=f"{where}:1")
    if data.get("version") != BASELINE_VERSION:
        raise LeaksweepError(f"unsupported baseline version {data.get('version')!r}", where=f"{where}:1")
    extra = set(data) - {"version", "tool", "findings"}
    if extra:
        raise LeaksweepError(f"unknown key {sorted(extra)[0]!r}", where=f"{where}:1")
    lines = _entry_lines(text)
    entries = []
    for index, item in enumerate(data["findings"]):
        line = lines[index] if index < len(lines) else 1
        if (
            not isinstance(item, dict)
            or set(item) != {"fingerprint", "rule", "path"}
            or not all(isinstance(v, str) for v in item.values())
            or not FINGERPRINT.match(item["fingerprint"])
        ):
            raise LeaksweepError(
                "each baseline entry is {fingerprint (32 hex digits), rule, path}", where=f"{where}:{line}"
            )
        entries.append(BaselineEntry(item["fingerprint"], item["rule"], item["path"]))
    return entries


def _entry_lines(text: str) -> list[int]:
    return [n for n, line in enumerate(text.splitlines(), 1) if '"fingerprint"' in line]


def render_baseline(entries: Iterable[BaselineEntry]) -> str:
    """One entry per line, sorted, no timestamps or line numbers: two branches that each add a
    finding touch different lines and merge cleanly in the common case."""
    import json

    unique = sorted({(e.fingerprint, e.rule, e.path) for e in entries})
    rows = [json.dumps({"fingerprint": f, "rule": r, "path": p}, ensure_ascii=True) for f, r, p in unique]
    body = ",\n".join(f"    {row}" for row in rows)
    return (
        '{\n  "version": 1,\n  "tool": "leaksweep",\n  "findings": [\n'
        + (body + "\n" if rows else "")
        + "  ]\n}\n"
    )


def write_baseline(path: Path, entries: Iterable[BaselineEntry]) -> None:
    with atomic_text(path) as handle:
        handle.write(render_baseline(entries))


def baseline_entries(findings: Iterable[Finding]) -> list[BaselineEntry]:
    return [BaselineEntry(f.fingerprint, f.rule_id, f.path) for f in findings]


class Suppressor(Record, frozen=False):
    """Decides, finding by finding, whether the user said to stay quiet about it, and why."""

    allowlist: list[AllowEntry] = field(default_factory=list)
    baseline: frozenset[str] = frozenset()
    inline: bool = True
    today: dt.date | None = None  # None: the date when an expiry is first compared
    used: dict[int, int] = field(default_factory=dict)  # allowlist entry number -> matches
    timed_out: dict[int, int] = field(default_factory=dict)  # entry number -> regex timeouts

    def notes(self) -> list[str]:
        notes = [
            f"{e.describe()} expired on {e.expires} and no longer suppresses anything" for e in self.expired()
        ]
        for entry in self.allowlist:
            if entry.number in self.timed_out:
                notes.append(
                    f"{entry.describe()}: its regex took more than 1s on {self.timed_out[entry.number]} "
                    "finding(s) and was treated as not matching them (catastrophic backtracking?)"
                )
        return notes

    def _today(self) -> dt.date:
        if self.today is None:
            import datetime as dt

            self.today = dt.date.today()  # fixed once: one run, one date
        return self.today

    def expired(self) -> list[AllowEntry]:
        return [e for e in self.allowlist if e.expires is not None and e.expires < self._today()]

    def reason(self, finding: Finding) -> str | None:
        if self.inline and finding.inline_marker == "same-line":
            return f"inline marker leaksweep:allow at line {finding.line}"
        if self.inline and finding.inline_marker == "previous-line":
            return f"inline marker leaksweep:allow-next-line at line {finding.line - 1}"
        for entry in self.allowlist:
            if entry.expires is not None and entry.expires < self._today():
                continue
            try:
                matched = entry.matches(finding)
            except TimeoutError:
                # A runaway regex must neither hang the scan nor hide the finding: it did not match.
                self.timed_out[entry.number] = self.timed_out.get(entry.number, 0) + 1
                continue
            if matched:
                self.used[entry.number] = self.used.get(entry.number, 0) + 1
                return entry.describe()
        if finding.fingerprint in self.baseline:
            return "in the baseline"
        return None

    def stale(self) -> list[AllowEntry]:
        """Entries that matched nothing in this scan (and have not expired)."""
        expired = {e.number for e in self.expired()}
        return [e for e in self.allowlist if e.number not in self.used and e.number not in expired]


def append_allow_entry(
    path: Path,
    reason: str,
    fingerprint: str | None = None,
    rule: str | None = None,
    glob: str | None = None,
    expires: dt.date | None = None,
) -> AllowEntry:
    """Append one entry as text, so the user's comments and order stay exactly as they were.

    The new file is loaded and validated before it replaces the old one.
    """
    import json

    old = path.read_text(encoding="utf-8") if path.exists() else ALLOWLIST_HEADER
    if old and not old.endswith("\n"):
        old += "\n"
    lines = [f"- reason: {json.dumps(reason)}"]
    if fingerprint:
        lines.append(f"  fingerprint: {fingerprint}")
    if rule:
        lines.append(f"  rule: {json.dumps(rule)}")
    if glob:
        lines.append(f"  path: {json.dumps(glob)}")
    if expires:
        lines.append(f"  expires: {expires.isoformat()}")
    new = old + "\n".join(lines) + "\n"
    # Validate the result exactly as a scan would read it before touching the file: a broken
    # allowlist is reported with its line and left as it was.
    entries = _entries(load_yaml(path, new), path)
    with atomic_text(path) as handle:
        handle.write(new)
    return entries[-1]
