"""The detector: rules and targets in, findings out.

Pure by design: it never prints, reads configuration or touches the file system, so every
source (files, stdin, the index, commit ranges, history) gets the same answers from it.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Sequence
from itertools import repeat
from urllib.parse import unquote

from leaksweep.decoding import EncodedRun, encoded_runs
from leaksweep.entropy import shannon
from leaksweep.globs import glob_to_regex, match_path
from leaksweep.heuristics import HEURISTICS, base64_text
from leaksweep.matching import BACKENDS, Candidates, Starts
from leaksweep.model import CONFIDENCES, Dropped, Finding, Skipped, Target, redact
from leaksweep.records import Record, field, replace
from leaksweep.rules import Pattern, Rule
from leaksweep.textpos import LineIndex
from leaksweep.validators import VALIDATORS

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (see records.py)
if TYPE_CHECKING:
    from typing import Any, Generic, TypeVar

    T = TypeVar("T")
else:

    class Generic:
        """typing.Generic's part at run time here: a base class that can be subscripted."""

        def __class_getitem__(cls, item: object) -> type:
            return cls

    T = None

# How many base64 runs' decodings a detector remembers (runs of at most decoding.MEMO_RUN bytes:
# about 30 MB at most, with their decodings).
DECODED_MEMO = 50_000

# How many paths' sets of applicable rules a detector remembers.
ACTIVE_MEMO = 4096

# git's own heuristic: a NUL byte in the first 8000 bytes means binary.
BINARY_SNIFF = 8000


def is_binary(content: bytes) -> bool:
    return b"\x00" in content[:BINARY_SNIFF]


def decode(content: bytes) -> str:
    # Replacement keeps one character per undecodable byte run, so line numbers stay right
    # and the ASCII secrets in latin-1 or broken UTF-8 files are still found. CRLF becomes LF:
    # line and column numbers do not change, rules need not care about "\r", and a key block
    # has the same value (and fingerprint) whichever line endings a checkout uses.
    return _decode(content)[0]


def _decode(content: bytes) -> tuple[str, bytes]:
    """The text :func:`decode` returns, and the bytes it was decoded from (the encoded-run
    search works on bytes, and would otherwise encode the text again)."""
    if b"\r" in content:
        # On the bytes, before decoding: "\r" and "\n" are never part of a UTF-8 sequence (nor of
        # an invalid one the decoder replaces), so this is the decoded text's replace("\r\n",
        # "\n"). When every "\r" starts a "\r\n" (the usual CRLF file) that is dropping every
        # "\r": split on it (memchr) and join, about four times as fast as replace.
        pieces = content.split(b"\r")
        if all(map(bytes.startswith, pieces[1:], repeat(b"\n"))):
            content = b"".join(pieces)
        else:
            content = b"\n".join(content.split(b"\r\n"))
    return content.decode("utf-8", "replace"), content


class Detection(Record, frozen=False):
    findings: list[Finding] = field(default_factory=list)
    dropped: list[Dropped] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    skipped: Skipped | None = None
    rule_seconds: dict[str, float] = field(default_factory=dict)


class _Candidate(Record):
    rule: Rule
    secret: str
    start: int  # secret span in the decoded text
    end: int
    match_text: str
    match_start: int


class _Context:
    """One target being scanned: its decoded text, a lazy line index and its earlier versions."""

    def __init__(self, target: Target, text: str) -> None:
        self.target = target
        self.text = text
        self._index: LineIndex | None = None
        self._before: tuple[str, ...] | None = None

    @property
    def index(self) -> LineIndex:
        if self._index is None:
            self._index = LineIndex(self.text)
        return self._index

    def seen_before(self, secret: str, run: EncodedRun | None) -> bool:
        if not self.target.before:
            return False
        if self._before is None:
            self._before = tuple(decode(b) for b in self.target.before)
        encoded = self.text[run.start : run.end] if run is not None else None
        return any(secret in old or (encoded is not None and encoded in old) for old in self._before)


class Detector:
    """Runs rules over targets.

    ``timeout`` bounds the regex work of one rule on one target (seconds, plus ``timeout_per_mb``
    for each MB of text): a catastrophic pattern is cut off and reported in ``notes`` rather
    than allowed to hang a commit.

    ``backend`` picks the candidate stage (see :mod:`leaksweep.matching`): ``hyperscan``, ``python``
    (keywords), ``auto`` (Hyperscan when it is installed and worth it), or ``plain``, which runs
    every rule whose keyword occurs over the whole text: the reference the others must agree
    with. ``candidates`` passes a prepared candidate stage (from the rules cache).
    """

    def __init__(
        self,
        rules: Sequence[Rule],
        timeout: float = 1.0,
        timeout_per_mb: float = 1.0,
        timing: bool = False,
        decode_depth: int = 2,
        backend: str = "auto",
        candidates: Candidates | None = None,
    ) -> None:
        self.rules = list(rules)
        self.timeout = timeout
        self.timeout_per_mb = timeout_per_mb
        self.timing = timing
        self.decode_depth = decode_depth
        self.keywords = sorted({kw for rule in self.rules for kw in rule.keywords})
        if backend not in BACKENDS:
            raise ValueError(f"unknown matching backend {backend!r} (known: {', '.join(BACKENDS)})")
        self.plain = backend == "plain"
        self.candidates = candidates or Candidates(
            [r.regex for r in self.rules], [r.keywords for r in self.rules], backend=backend
        )
        self._patterns: dict[int, Pattern] = {}
        # What base64 runs decode to, across targets: the versions of a file share most of them.
        self._decoded: dict[bytes, str | None] = {}
        self._unscoped = frozenset(i for i, rule in enumerate(self.rules) if not rule.paths)
        self._scoped = _Scopes(self.rules)
        self._actives: dict[str, frozenset[int]] = {}
        # A match is kept only if it contains a keyword, which implies the plain detector's gate
        # (a keyword occurs in the lower-cased text) unless lower() depends on context there:
        # only a final sigma does. Rules with such keywords keep the explicit gate.
        self._gated = frozenset(
            i
            for i, rule in enumerate(self.rules)
            if any("\u03c3" in kw or "\u03c2" in kw for kw in rule.keywords)
        )

    @property
    def backend(self) -> str:
        """The candidate stage in use (it may change from python to hyperscan as a scan grows)."""
        return "plain" if self.plain else self.candidates.backend

    def _pattern(self, index: int) -> Pattern:
        """A rule's compiled regex, compiled the first time a candidate needs it."""
        pattern = self._patterns.get(index)
        if pattern is None:
            pattern = self._patterns[index] = self.rules[index].pattern
        return pattern

    def scan(self, target: Target) -> Detection:
        result = Detection()
        if is_binary(target.content):
            result.skipped = Skipped(target.path, "binary", target.blob)
            return result
        text, data = _decode(target.content)
        ctx = _Context(target, text)
        occupied = self._emit(ctx, text, None, "", result)
        if self.decode_depth > 0:
            self._emit_decoded(ctx, text, 1, None, "", occupied, result, data)
        return result

    def _emit(
        self, ctx: _Context, text: str, run: EncodedRun | None, chain: str, result: Detection
    ) -> list[tuple[int, int, Finding]]:
        """Findings for ``text`` (the target itself, or decoded text standing at ``run``).

        Returns the spans, in the target's text, of what was reported, with the findings."""
        candidates = self._candidates(ctx.target, text, result)
        if not candidates:
            return []
        local = ctx.index if run is None else LineIndex(text)
        # Filters first, overlaps second: a candidate that its own rule rejects (a failed checksum,
        # a placeholder) must not take another rule's finding of the same span down with it.
        # But a value that a specific rule recognised and rejected (a failed checksum, a fixture) is
        # not reported by a generic rule either.
        survivors: dict[int, Finding] = {}
        rejected: _Spans[_Candidate] = _Spans()
        # Specific rules first, so their rejections are known when the generic ones are judged.
        for index, cand in sorted(enumerate(candidates), key=lambda pair: pair[1].rule.generic):
            finding = self._finding(ctx, cand, run, chain)
            reason = self._rejection(cand, finding, local)
            if reason is None and cand.rule.generic:
                loser = next(iter(rejected.overlapping(cand.start, cand.end)), None)
                if loser is not None:
                    reason = f"value rejected by the specific rule {loser.rule.id}"
            if reason is None and ctx.seen_before(cand.secret, run):
                reason = "already present in the earlier version"
            if reason is None:
                survivors[index] = finding
            else:
                result.dropped.append(Dropped(finding, reason))
                if not cand.rule.generic and not reason.startswith("already present"):
                    rejected.add(cand.start, cand.end, cand)
        kept, lost = _resolve_overlaps([candidates[i] for i in survivors])
        by_candidate = {id(candidates[i]): f for i, f in survivors.items()}
        for cand, why in lost:
            result.dropped.append(Dropped(by_candidate[id(cand)], why))
        spans = []
        for cand in kept:
            finding = by_candidate[id(cand)]
            if run is None:
                finding = _decoded_value(finding)
            result.findings.append(finding)
            spans.append((cand.start, cand.end, finding) if run is None else (run.start, run.end, finding))
        return spans

    def _emit_decoded(
        self,
        ctx: _Context,
        text: str,
        depth: int,
        outer: EncodedRun | None,
        chain: str,
        occupied: list[tuple[int, int, Finding]],
        result: Detection,
        data: bytes | None = None,
    ) -> None:
        """Findings in the encoded runs of ``text`` (``data``: the bytes it was decoded from)."""
        spans: _Spans[Finding] = _Spans()
        for s, e, f in occupied:
            spans.add(s, e, f)
        if len(self._decoded) > DECODED_MEMO:
            self._decoded.clear()
        for run in encoded_runs(text, self._decoded, data=data):
            covering = spans.overlapping(run.start, run.end)
            if covering and (run.kind != "base64" or any("generic" not in f.tags for f in covering)):
                continue  # already reported in its plain (or URL-decoded) form
            at = run if outer is None else outer
            label = f"{chain}>{run.kind}" if chain else run.kind
            found = self._emit(ctx, run.text, at, label, result)
            if found and covering:
                # A generic rule saw only "a secret-looking value"; the decoded content says what
                # it is. Keep the specific finding, drop the generic one with the reason.
                ids = {id(f) for f in covering}
                result.findings = [f for f in result.findings if id(f) not in ids]
                rules = ", ".join(sorted({f.rule_id for _, _, f in found}))
                result.dropped.extend(
                    Dropped(f, f"reported in decoded form by rule {rules}") for f in covering
                )
            if depth < self.decode_depth:
                self._emit_decoded(ctx, run.text, depth + 1, at, label, [], result)

    def _candidates(self, target: Target, text: str, result: Detection) -> list[_Candidate]:
        if self.plain:
            return self._candidates_plain(target, text, result)
        active = self._active(target.path) if self._scoped else self._unscoped
        plan = self.candidates.plan(text, active)
        if not plan:
            return []
        lower = text.lower() if self._gated else ""
        budget = self.timeout + self.timeout_per_mb * len(text) / 1_000_000
        out: list[_Candidate] = []
        for index in sorted(plan):
            rule = self.rules[index]
            if index in self._gated and not any(kw in lower for kw in rule.keywords):
                continue
            windows = plan[index]
            started = time.perf_counter()
            pattern = self._pattern(index)
            try:
                if windows is None:
                    self._collect(rule, pattern.finditer(text, timeout=budget), None, out)
                elif isinstance(windows, Starts):
                    self._collect(rule, _starts(pattern, text, windows, budget, started), None, out)
                else:
                    for window in windows:
                        left = budget - (time.perf_counter() - started)
                        if left <= 0:
                            raise TimeoutError
                        found = pattern.finditer(text, window.pos, window.endpos or len(text), timeout=left)
                        self._collect(rule, found, window.last, out)
            except TimeoutError:
                result.notes.append(_over_budget(rule, budget, target.path))
            self._record_time(rule, started, result)
        return out

    def _active(self, path: str) -> frozenset[int]:
        """The rules that apply at ``path``: the unscoped ones and the scoped ones whose paths
        match. Remembered per path, since an audit meets each path once per version (and the
        same set object lets the keyword matcher reuse its keyword set)."""
        active = self._actives.get(path)
        if active is None:
            extra = self._scoped.active(_normal_path(path))
            active = self._unscoped.union(extra) if extra else self._unscoped
            if len(self._actives) >= ACTIVE_MEMO:
                self._actives.clear()
            self._actives[path] = active
        return active

    def _record_time(self, rule: Rule, started: float, result: Detection) -> None:
        if self.timing:
            took = time.perf_counter() - started
            result.rule_seconds[rule.id] = result.rule_seconds.get(rule.id, 0.0) + took

    @staticmethod
    def _collect(rule: Rule, matches: Iterable[Any], last: int | None, out: list[_Candidate]) -> None:
        """Keep the matches (starting at or before ``last``) whose secret is non-empty and whose
        whole match contains a keyword."""
        for m in matches:
            if last is not None and m.start() > last:
                break
            secret = m.group(rule.secret_group)
            if not secret:
                continue
            whole = m.group(0)
            lower = whole.lower()
            if not any(kw in lower for kw in rule.keywords):
                continue
            start, end = m.span(rule.secret_group)
            out.append(_Candidate(rule, secret, start, end, whole, m.start()))

    def _candidates_plain(self, target: Target, text: str, result: Detection) -> list[_Candidate]:
        """The reference: every rule whose keyword occurs runs over the whole text."""
        lower = text.lower()
        present = {kw for kw in self.keywords if kw in lower}
        if not present:
            return []
        budget = self.timeout + self.timeout_per_mb * len(text) / 1_000_000
        out: list[_Candidate] = []
        for index, rule in enumerate(self.rules):
            if not present.intersection(rule.keywords):
                continue
            if rule.paths and not match_path(target.path, rule.paths):
                continue
            started = time.perf_counter()
            try:
                self._collect(rule, self._pattern(index).finditer(text, timeout=budget), None, out)
            except TimeoutError:
                result.notes.append(_over_budget(rule, budget, target.path))
            self._record_time(rule, started, result)
        return out

    def _finding(self, ctx: _Context, cand: _Candidate, run: EncodedRun | None, chain: str) -> Finding:
        index = ctx.index
        span = (cand.start, cand.end) if run is None else (run.start, run.end)
        line, column = index.position(span[0])
        end_line, end_column = index.position(max(span[0], span[1] - 1))
        line_text = index.line_text(line, span)
        if run is not None:
            # The encoded run *is* the secret in another spelling: never show it.
            encoded = ctx.text[run.start : run.end]
            line_text = line_text.replace(encoded, redact(encoded))
        rule = cand.rule
        target = ctx.target
        return Finding(
            inline_marker=_inline_marker(index, line, span),
            match_text=cand.match_text,
            rule_id=rule.id,
            rule_name=rule.name,
            severity=rule.severity,
            confidence=rule.confidence,
            path=target.path,
            line=line,
            column=column,
            end_line=end_line,
            end_column=end_column,
            secret=cand.secret,
            line_text=line_text,
            entropy=round(shannon(cand.secret), 3),
            blob=target.blob,
            commit=target.commit,
            decoded=chain or None,
            origin=target.origin,
            tags=rule.tags,
        )

    def _rejection(self, cand: _Candidate, finding: Finding, index: LineIndex) -> str | None:
        """Why the rule's own filters drop this candidate, or None to keep it."""
        rule = cand.rule
        allow = rule.allow
        if allow.paths:
            pattern = match_path(finding.path, allow.paths)
            if pattern:
                return f"rule allow-list: path matches {pattern!r}"
        lowered = cand.secret.lower()
        for word in allow.stopwords:
            if word in lowered:
                return f"rule allow-list: stopword {word!r}"
        for entry in allow.regexes:
            subject = {"secret": cand.secret, "match": cand.match_text}.get(entry.target)
            if subject is None:
                subject = index.line_text(index.position(cand.start)[0], limit=10_000)
            try:
                allowed = entry.pattern.search(subject, timeout=self.timeout)
            except TimeoutError:
                # A runaway allow pattern must neither hang the scan nor hide the finding.
                continue
            if allowed:
                return f"rule allow-list: {entry.target} matches /{entry.pattern.pattern}/"
        why = HEURISTICS["fixture"](cand.secret, cand.match_text, "")
        if why is not None:
            return f"filter fixture: {why}"
        if rule.filters:
            line = index.line_text(index.position(cand.start)[0], limit=10_000)
            for name in rule.filters:
                why = HEURISTICS[name](cand.secret, cand.match_text, line)
                if why is not None:
                    return f"filter {name}: {why}"
        if rule.entropy is not None and finding.entropy < rule.entropy:
            return f"entropy {finding.entropy:.2f} below threshold {rule.entropy:.2f}"
        if rule.validate and not VALIDATORS[rule.validate](cand.secret):
            return f"failed validator {rule.validate}"
        return None


_PERCENT_ESCAPE = re.compile(r"%[0-9A-Fa-f]{2}")


def _starts(pattern: Pattern, text: str, starts: Starts, budget: float, started: float) -> Iterable[Any]:
    """The matches a whole-text ``finditer`` makes, when they can only start in ``starts``: each
    such position is tried in order, skipping what a match already covers."""
    done = 0
    match = pattern.match
    clock = time.perf_counter
    for first, last in starts.ranges:
        at = max(first, done)
        while at <= last:
            left = budget - (clock() - started)
            if left <= 0:
                raise TimeoutError
            m = match(text, at, timeout=left)
            if m is None:
                at += 1
                continue
            yield m
            done = m.end() if m.end() > at else at + 1
            at = max(at + 1, done)


class _Scopes:
    """The rules' ``paths``, matched as :func:`match_path` matches them. Each glob's last part rules
    most paths out without a regex (one is compiled only when a path gets past that), which keeps
    the pre-commit hook from compiling a regex per scoped rule on every commit."""

    def __init__(self, rules: Sequence[Rule]) -> None:
        self.exact: dict[str, set[int]] = {}  # a last part without wildcard -> rule indexes
        self.wild: list[tuple[str, str, int]] = []  # (before "*", after "*", rule index)
        self.always: set[int] = set()  # a last part this cannot reason about
        self.paths = {i: rule.paths for i, rule in enumerate(rules) if rule.paths}
        self._regex: dict[int, re.Pattern[str]] = {}
        for index, paths in self.paths.items():
            for glob in paths:
                last = glob.strip().rstrip("/").rsplit("/", 1)[-1]
                if not last or last.count("*") > 1 or any(c in last for c in "?[\\"):
                    self.always.add(index)
                elif "*" in last:
                    head, _, tail = last.partition("*")
                    self.wild.append((head, tail, index))
                else:
                    self.exact.setdefault(last, set()).add(index)
        self.tails = tuple({tail for _, tail, _ in self.wild})

    def __bool__(self) -> bool:
        return bool(self.paths)

    def active(self, path: str) -> list[int]:
        """The scoped rules whose paths match ``path`` (already normalised)."""
        # A glob also matches everything below a directory it names: every component counts.
        parts = path.split("/")
        maybe = set(self.always)
        for part in parts:
            hit = self.exact.get(part)
            if hit:
                maybe |= hit
            if part.endswith(self.tails):
                for head, tail, index in self.wild:
                    if part.startswith(head) and part.endswith(tail) and len(part) >= len(head) + len(tail):
                        maybe.add(index)
        out = []
        for index in sorted(maybe):
            regex = self._regex.get(index)
            if regex is None:
                regex = self._regex[index] = _paths_regex(self.paths[index])
            if regex.match(path):
                out.append(index)
        return out


def _paths_regex(paths: Sequence[str]) -> re.Pattern[str]:
    """One regex for a rule's ``paths`` globs: it matches where :func:`match_path` would."""
    return re.compile("|".join(f"(?:{glob_to_regex(p).pattern})" for p in paths), re.DOTALL)


def _normal_path(path: str) -> str:
    norm = path.replace("\\", "/")
    while norm.startswith("./"):
        norm = norm[2:]
    return norm


def _over_budget(rule: Rule, budget: float, path: str) -> str:
    return (
        f"rule {rule.id} exceeded its time budget ({budget:.1f}s) on {path}; "
        "its results for that file may be incomplete"
    )


def _decoded_value(finding: Finding) -> Finding:
    """A value that is an encoding of the credential is reported as the credential: a
    percent-encoded password in a URL (rules tagged connection-string), and a generic rule's
    base64 of printable text (a Kubernetes Secret ``data:`` value, a base64 env var). That is
    what a user has to rotate, and its fingerprint then matches the same secret found elsewhere."""
    secret = finding.secret
    if "connection-string" in finding.tags and _PERCENT_ESCAPE.search(secret):
        # A password in a URL is percent-encoded; the credential is what it decodes to. (Only
        # there: some tokens, such as Twitter's bearer tokens, carry %2B as part of the token.)
        try:
            plain = unquote(secret, errors="strict")
        except UnicodeDecodeError:
            return finding
        return _as_decoded(finding, plain, "percent")
    if "generic" not in finding.tags:
        return finding
    text = base64_text(secret)
    if text is None or len(text) < 8 or any(c.isspace() for c in text):
        return finding
    return _as_decoded(finding, text, "base64")


def _as_decoded(finding: Finding, plain: str, kind: str) -> Finding:
    # The encoded form is the secret in another spelling: mask it in the line we keep.
    line = finding.line_text.replace(finding.secret, redact(finding.secret))
    return replace(finding, secret=plain, decoded=kind, entropy=round(shannon(plain), 3), line_text=line)


ALLOW_MARKER = "leaksweep:allow"
ALLOW_NEXT_MARKER = "leaksweep:allow-next-line"


def _inline_marker(index: LineIndex, line: int, span: tuple[int, int]) -> str | None:
    """Whether the secret's line carries ``leaksweep:allow`` (in any comment syntax), or the line
    before it ``leaksweep:allow-next-line``."""
    here = index.line_text(line, span, limit=65_536)
    if ALLOW_MARKER in here.replace(ALLOW_NEXT_MARKER, ""):
        return "same-line"
    if line > 1 and ALLOW_NEXT_MARKER in index.line_text(line - 1, limit=65_536):
        return "previous-line"
    return None


class _Spans(Generic[T]):
    """Items by span, indexed by 4 KiB block: an overlap check looks at neighbours only. Scanning
    a list per check is quadratic on a minified file with thousands of matches."""

    def __init__(self) -> None:
        self._blocks: dict[int, list[int]] = {}
        self._items: list[tuple[int, int, T]] = []

    def add(self, start: int, end: int, item: T) -> None:
        for block in range(start >> 12, (max(end, start + 1) - 1 >> 12) + 1):
            self._blocks.setdefault(block, []).append(len(self._items))
        self._items.append((start, end, item))

    def overlapping(self, start: int, end: int) -> list[T]:
        """The items whose span overlaps [start, end), in the order they were added."""
        blocks = range(start >> 12, (max(end, start + 1) - 1 >> 12) + 1)
        near = sorted({i for block in blocks for i in self._blocks.get(block, ())})
        return [item for s, e, item in (self._items[i] for i in near) if start < e and s < end]


def _resolve_overlaps(
    candidates: list[_Candidate],
) -> tuple[list[_Candidate], list[tuple[_Candidate, str]]]:
    """One secret, one finding: a specific rule beats a generic one on overlapping spans, and
    among rules of the same kind the more confident (then earlier) rule wins an identical span."""

    def rank(c: _Candidate) -> tuple[int, int]:
        return (1 if c.rule.generic else 0, CONFIDENCES.index(c.rule.confidence))

    kept: list[_Candidate] = []
    lost: list[tuple[_Candidate, str]] = []
    near: _Spans[_Candidate] = _Spans()
    for cand in sorted(candidates, key=rank):
        winner = next(
            (
                w
                for w in near.overlapping(cand.start, cand.end)
                if (cand.rule.generic and not w.rule.generic) or (cand.start, cand.end) == (w.start, w.end)
            ),
            None,
        )
        if winner is None:
            near.add(cand.start, cand.end, cand)
            kept.append(cand)
        else:
            lost.append((cand, f"same secret already reported by rule {winner.rule.id}"))
    kept.sort(key=lambda c: (c.start, c.rule.id))
    return kept, lost
