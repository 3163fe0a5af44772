"""Candidate matching: one pass over a text finds, for every rule at once, where that rule's regex
can match; the detector then runs only those rules, only in those windows.

Two backends answer the same question, and the detector gets the same findings from either:

- **hyperscan** compiles every rule into one Hyperscan database. A rule's Python ``regex`` pattern is
  parsed and re-emitted in Hyperscan's syntax as a pattern that matches a *prefix of every match*
  the rule can make: assertions are dropped, a backreference becomes the group it repeats, classes
  are widened for Unicode case folding, and the variable-length tail is cut to its minimum (so a
  long token reports one end, not one per character). The database scans a one-byte-per-character
  transliteration of the text (ASCII as is, other characters 0x80, which every construct that
  could match a non-ASCII character accepts), so offsets are character offsets.
- **python** (for platforms without a wheel) finds each rule's keywords with ``str.find``: a match
  is kept only if it contains a keyword, so it lies within the rule's maximum width of one.

Either way each candidate bounds where a match can start and end; overlapping candidates merge
into one window per stretch, which the rule's regex searches with ``pos``/``endpos`` on the whole
text (never a slice), so lookbehinds, ``\\b`` and anchors see what they see in a whole-text run,
and the search covers everything any path of the pattern can read. A rule whose matches are
unbounded and may cross lines runs over the whole text, as the plain detector does.
"""

from __future__ import annotations

import re
import sys
import warnings
from collections.abc import Callable, Container, Iterable, Sequence

from leaksweep.lazyre import lazy
from leaksweep.records import Record

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (see records.py)
if TYPE_CHECKING:
    from typing import Any, TypeAlias

MAX_WIDTH = 1 << 16  # a match wider than this counts as unbounded
NONASCII = 0x80  # the byte a Latin-1 character becomes
QUESTION = 0x3F  # "?": a character above U+00FF becomes this byte
FULL = (1 << 129) - 1  # bytes 0x00-0x80
# Non-ASCII characters that the ``regex`` module's case folding pairs with ASCII letters. They are
# transliterated to that letter, and every class that can match a non-ASCII character also takes
# the letter.
_SPECIAL = {0x130: "i", 0x131: "i", 0x17F: "s", 0x212A: "k"}
_SPECIAL_BITS = (1 << ord("i")) | (1 << ord("s")) | (1 << ord("k"))

_HIGH = bytes(range(128)) + b"\x80" * 128  # bytes 0x80-0xFF (Latin-1 characters) to 0x80
# regex-module syntax that the ``re`` parser would read differently (POSIX classes, fuzzy
# matching, version-1 sets, flags re lacks): such rules are not translated.
_REGEX_ONLY = lazy(r"\[:\^?[A-Za-z]+:\]|\{[ides][<=]|\(\?[a-zA-Z]*[VbfrwpeL]")
# A repeat whose count can vary by more than this ends the Hyperscan prefix.
MAX_SPREAD = 64
# The Hyperscan prefix stops after this many character classes: enough to be selective, short
# enough that the database stays small and fast (the rule's regex does the rest in the window).
PREFIX_BUDGET = 24
# Hyperscan patterns need a literal of at least this many characters, or they would report
# candidates all over ordinary text; rules without one are planned by their keywords.
MIN_ANCHOR = 3
ANALYSIS_VERSION = "7"


class Window(Record):
    """Where to run a rule: the matches wanted start in [pos, last]; ``endpos`` bounds the search
    beyond anything such a match (or any path towards one) can read, None for the text's end."""

    pos: int
    last: int
    endpos: int | None


class Starts(Record):
    """The only positions where a rule's matches can start: (first, last) ranges, in order."""

    ranges: list[tuple[int, int]]


# For each rule index that may match, its windows or start positions (None: run it over the
# whole text).
Plan = dict[int, "list[Window] | Starts | None"]
# Rules whose matches can start at no more than this many places per candidate are tried there.
MAX_STARTS = 16


class Analysis(Record):
    """What the candidate stage knows about one rule's pattern."""

    width: int | None  # maximum match width in characters; None when unbounded
    reach: int | None  # how far past its position a path's assertions may look; None when unbounded
    single_line: bool  # no match can contain a newline
    prefix: str | None  # Hyperscan pattern for a prefix of every match; None if untranslatable
    prefix_min: int = 0  # minimum and maximum width of that prefix
    prefix_max: int = 0
    note: str = ""  # why there is no prefix
    # The literal text every match of the prefix contains, one string per way through it
    # (lower-cased; "\0" where a class stands): whether the prefix implies a keyword.
    samples: tuple[str, ...] = ()

    def implies_keyword(self, keywords: Sequence[str]) -> bool:
        return bool(self.samples) and all(any(kw in s for kw in keywords) for s in self.samples)


# ---------------------------------------------------------------- analysis and translation


class _Untranslatable(Exception):
    pass


def _ascii_table(pattern: str) -> int:
    import regex

    compiled = regex.compile(pattern)
    return sum(1 << code for code in range(128) if compiled.fullmatch(chr(code)))


class Tables:
    """The ASCII members of each class category and each character's case partners, as the
    ``regex`` module (which runs the rules) defines them."""

    def __init__(self) -> None:
        self.category = {
            name: _ascii_table(pattern)
            for name, pattern in (
                ("DIGIT", r"\d"),
                ("NOT_DIGIT", r"\D"),
                ("WORD", r"\w"),
                ("NOT_WORD", r"\W"),
                ("SPACE", r"\s"),
                ("NOT_SPACE", r"\S"),
            )
        }
        self.fold = [_ascii_table("(?i)" + re.escape(chr(code))) for code in range(128)]


Items: TypeAlias = "list[tuple[Any, Any]]"


class _Translator:
    def __init__(self, tables: Tables) -> None:
        from re import _constants  # type: ignore[attr-defined]

        self.c = _constants
        self.tables = tables
        self.groups: dict[int, Items] = {}
        self.group_flags: dict[int, tuple[bool, bool]] = {}
        self.reach: int | None = 0
        self.crosses_lines = False

    # -- character sets: bit masks over bytes 0x00-0x80

    def _fold(self, bits: int) -> int:
        out = bits
        for code in range(128):
            if bits >> code & 1:
                out |= self.tables.fold[code]
        return out

    def _char(self, code: int, caseless: bool) -> int:
        if code < 128:
            return self._fold(1 << code) if caseless else 1 << code
        bits = 1 << NONASCII
        if code in _SPECIAL:
            bits |= 1 << ord(_SPECIAL[code])
            if caseless:
                bits = self._fold(bits)
        return bits

    def _members(self, items: Iterable[tuple[Any, Any]], caseless: bool) -> int:
        c = self.c
        bits = 0
        negate = False
        for op, av in items:
            if op is c.NEGATE:
                negate = True
            elif op is c.LITERAL:
                bits |= self._char(av, caseless)
            elif op is c.RANGE:
                lo, hi = av
                bits |= sum(1 << code for code in range(lo, min(hi, 127) + 1))
                if hi >= 128:
                    bits |= 1 << NONASCII
                    for special, letter in _SPECIAL.items():
                        if lo <= special <= hi:
                            bits |= 1 << ord(letter)
            elif op is c.CATEGORY:
                name = str(av).removeprefix("CATEGORY_").removeprefix("UNI_")
                if name not in self.tables.category:
                    raise _Untranslatable(f"class category {av}")
                bits |= self.tables.category[name] | 1 << NONASCII
            else:
                raise _Untranslatable(f"class item {op}")
        if caseless:
            bits = self._fold(bits)
        if negate:
            bits = (FULL & ~bits) | 1 << NONASCII
        return bits

    def charset(self, op: Any, av: Any, caseless: bool, dotall: bool) -> int | None:
        """The bytes one character-consuming node accepts, or None if it is not one."""
        c = self.c
        if op is c.LITERAL:
            bits = self._char(av, caseless)
        elif op is c.NOT_LITERAL:
            bits = (FULL & ~self._char(av, caseless)) | 1 << NONASCII
        elif op is c.IN:
            bits = self._members(av, caseless)
        elif op is c.CATEGORY:
            bits = self._members([(op, av)], caseless)
        elif op is c.ANY:
            bits = FULL if dotall else FULL & ~(1 << 10)
        else:
            return None
        if bits >> NONASCII & 1:
            bits |= _SPECIAL_BITS | 1 << QUESTION
        if bits >> 10 & 1:
            self.crosses_lines = True
        return bits

    # -- the tree: normalise to (kind, ...) nodes with flags resolved

    def normalise(self, items: Iterable[tuple[Any, Any]], caseless: bool, dotall: bool) -> list[Any]:
        """("set", bits) | ("seq", [...]) | ("alt", [[...], ...]) | ("rep", lo, hi, [...])"""
        c = self.c
        out: list[Any] = []
        for op, av in items:
            bits = self.charset(op, av, caseless, dotall)
            if bits is not None:
                if bits == 0:
                    raise _Untranslatable("a class that matches nothing")
                out.append(("set", bits))
            elif op is c.BRANCH:
                out.append(("alt", [self.normalise(alt, caseless, dotall) for alt in av[1]]))
            elif op is c.SUBPATTERN:
                group, add, remove, sub = av
                ci = (caseless or bool(add & c.SRE_FLAG_IGNORECASE)) and not remove & c.SRE_FLAG_IGNORECASE
                da = (dotall or bool(add & c.SRE_FLAG_DOTALL)) and not remove & c.SRE_FLAG_DOTALL
                body = self.normalise(sub, ci, da)
                if group is not None:
                    self.groups[group] = body
                out.append(("seq", body))
            elif op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT):
                lo, hi, sub = av
                out.append(("rep", lo, min(hi, MAX_WIDTH), self.normalise(sub, caseless, dotall)))
            elif op is c.ATOMIC_GROUP:
                out.append(("seq", self.normalise(av, caseless, dotall)))
            elif op is c.GROUPREF:
                if av not in self.groups:
                    raise _Untranslatable("backreference to a later group")
                # The text a backreference matches is text its group matched: a superset.
                out.append(("seq", self.groups[av]))
            elif op is c.GROUPREF_EXISTS:
                _, yes, no = av
                alternatives = [self.normalise(yes, caseless, dotall)]
                alternatives.append(self.normalise(no, caseless, dotall) if no else [])
                out.append(("alt", alternatives))
            elif op is c.AT:
                self._extend_reach(2)  # \b, $, \Z look at most two characters ahead
            elif op in (c.ASSERT, c.ASSERT_NOT):
                direction, sub = av
                if direction > 0:
                    high = _width(self.normalise(sub, caseless, dotall))[1]
                    self._extend_reach(None if high >= MAX_WIDTH else high + 2)
                else:
                    self.normalise(sub, caseless, dotall)  # validate only
                # Dropped: without its assertions a pattern matches more, never less.
            else:
                raise _Untranslatable(f"construct {op}")
        return out

    def _extend_reach(self, value: int | None) -> None:
        self.reach = None if value is None or self.reach is None else max(self.reach, value)


def _width(nodes: list[Any]) -> tuple[int, int]:
    low = high = 0
    for node in nodes:
        kind = node[0]
        if kind == "set":
            lo, hi = 1, 1
        elif kind == "seq":
            lo, hi = _width(node[1])
        elif kind == "alt":
            widths = [_width(alt) for alt in node[1]]
            lo, hi = min(w[0] for w in widths), max(w[1] for w in widths)
        else:
            inner = _width(node[3])
            lo, hi = inner[0] * node[1], inner[1] * node[2]
        low += lo
        high = min(high + hi, MAX_WIDTH)
    return low, high


def _cut(nodes: list[Any], budget: int) -> tuple[list[Any], int, bool]:
    """The longest start of ``nodes`` within ``budget`` character classes that still matches a
    prefix of every match: (nodes, budget left, whether all of ``nodes`` was kept). A repeat whose
    count varies widely keeps only its minimum and ends the prefix (one end per token, not one
    per character)."""
    out: list[Any] = []
    for node in nodes:
        kind = node[0]
        if budget <= 0:
            return out, budget, False
        if kind == "set":
            out.append(node)
            if not _literal(node[1]):
                budget -= 1
        elif kind == "seq":
            inner, budget, complete = _cut(node[1], budget)
            if inner:
                out.append(("seq", inner))
            if not complete:
                return out, budget, False
        elif kind == "alt":
            results = [_cut(alt, budget) for alt in node[1]]
            out.append(("alt", [r[0] for r in results]))
            budget = min(r[1] for r in results)
            if not all(r[2] for r in results):
                return out, budget, False
        else:
            lo, hi, body = node[1], node[2], node[3]
            inner, left, complete = _cut(body, budget)
            if not complete:
                if lo and inner:  # the first repetition is there, cut short
                    out.append(("seq", inner))
                return out, left, False
            if hi - lo > MAX_SPREAD:
                if lo:
                    out.append(("rep", lo, lo, body))
                return out, left, False
            out.append(node)
            budget = left
    return out, budget, True


def _trim_end(nodes: list[Any]) -> list[Any]:
    """Drop optional trailing parts and cut a trailing variable repeat to its minimum: still a
    prefix of every match, with fewer distinct ends."""
    out = list(nodes)
    while out:
        last = out[-1]
        kind = last[0]
        if kind == "rep" and last[1] != last[2]:
            if last[1] == 0:
                out.pop()
                continue
            out[-1] = ("rep", last[1], last[1], last[3])
        elif kind == "seq":
            inner = _trim_end(last[1])
            if not inner:
                out.pop()
                continue
            out[-1] = ("seq", inner)
        elif kind == "alt":
            alternatives = [_trim_end(alt) for alt in last[1]]
            if any(not alt for alt in alternatives):
                out.pop()  # an alternative can be empty: the whole alternation is optional
                continue
            out[-1] = ("alt", alternatives)
        break
    return out


def _trim_start(nodes: list[Any]) -> list[Any]:
    """Drop optional leading parts and cut a leading variable repeat to its minimum: what is left
    matches a suffix of what ``nodes`` matches (the same end), with fewer states to track."""
    out = list(nodes)
    while out:
        first = out[0]
        kind = first[0]
        if kind == "rep" and first[1] != first[2]:
            if first[1] == 0:
                out.pop(0)
                continue
            out[0] = ("rep", first[1], first[1], first[3])
        elif kind == "seq":
            inner = _trim_start(first[1])
            if not inner:
                out.pop(0)
                continue
            out[0] = ("seq", inner)
        elif kind == "alt":
            alternatives = [_trim_start(alt) for alt in first[1]]
            if any(not alt for alt in alternatives):
                out.pop(0)
                continue
            out[0] = ("alt", alternatives)
        break
    return out


def _byte(code: int) -> str:
    char = chr(code)
    return char if char.isascii() and char.isalnum() else f"\\x{code:02x}"


def _emit_set(bits: int) -> str:
    codes = [code for code in range(129) if bits >> code & 1]
    if len(codes) == 1:
        return _byte(codes[0])
    parts = []
    start = prev = codes[0]
    for code in [*codes[1:], -2]:
        if code == prev + 1:
            prev = code
            continue
        parts.append(_byte(start) if start == prev else f"{_byte(start)}-{_byte(prev)}")
        start = prev = code
    return "[" + "".join(parts) + "]"


def _emit(nodes: list[Any]) -> str:
    out = []
    for node in nodes:
        kind = node[0]
        if kind == "set":
            out.append(_emit_set(node[1]))
        elif kind == "seq":
            out.append(f"(?:{_emit(node[1])})")
        elif kind == "alt":
            out.append("(?:" + "|".join(_emit(alt) for alt in node[1]) + ")")
        else:
            lo, hi, body = node[1], node[2], _emit(node[3])
            count = f"{{{lo}}}" if lo == hi else f"{{{lo},{'' if hi >= MAX_WIDTH else hi}}}"
            out.append(f"(?:{body}){count}")
    return "".join(out)


def _unique_group_names(pattern: str) -> str:
    """``regex`` allows a group name twice (alternatives that each capture the secret); the ``re``
    parser does not. Renaming the repeats changes nothing the translation looks at."""
    seen: dict[str, int] = {}

    def rename(m: re.Match[str]) -> str:
        name = m.group(1)
        seen[name] = seen.get(name, 0) + 1
        return m.group(0) if seen[name] == 1 else f"(?P<{name}__{seen[name]}>"

    renamed = re.sub(r"\(\?P<([A-Za-z_]\w*)>", rename, pattern)
    if any(f"(?P={name})" in pattern for name, count in seen.items() if count > 1):
        raise _Untranslatable("backreference to a repeated group name")
    return renamed


def analyse(pattern: str, tables: Tables | None = None) -> Analysis:
    """Width, assertion reach and a Hyperscan prefix pattern for a rule's regex."""
    from re import _constants as c  # type: ignore[attr-defined]
    from re import _parser  # type: ignore[attr-defined]

    tables = tables or Tables()
    try:
        if _REGEX_ONLY.search(pattern):
            raise _Untranslatable("syntax only the regex module reads this way")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "possible nested set": read as re reads it, like regex V0
            tree = _parser.parse(_unique_group_names(pattern), 0)
        flags = tree.state.flags
        if flags & (c.SRE_FLAG_ASCII | c.SRE_FLAG_LOCALE):
            raise _Untranslatable("ASCII or LOCALE flag")
        translator = _Translator(tables)
        nodes = translator.normalise(
            tree, bool(flags & c.SRE_FLAG_IGNORECASE), bool(flags & c.SRE_FLAG_DOTALL)
        )
    except _Untranslatable as exc:
        return Analysis(None, None, False, None, note=str(exc))
    except (re.error, RecursionError, ValueError, OverflowError, AttributeError, TypeError) as exc:
        return Analysis(None, None, False, None, note=f"not parsed: {exc}")
    high = _width(nodes)[1]
    width = None if high >= MAX_WIDTH else high
    single_line = not translator.crosses_lines
    core = _core(nodes)
    if core is None:
        return Analysis(width, translator.reach, single_line, None, note="no literal to anchor on")
    emitted, p_low, p_high, core_nodes = core
    samples = tuple(_samples(core_nodes))
    return Analysis(width, translator.reach, single_line, emitted, p_low, p_high, samples=samples)


def _samples(nodes: list[Any], limit: int = 64) -> list[str]:
    """The shortest text along each way through ``nodes`` (at most ``limit`` ways), literal
    characters lower-cased and every other class as "\0"."""
    out = [""]
    for node in nodes:
        kind = node[0]
        if kind == "set":
            bits = node[1]
            if _literal(bits):
                out = [s + chr((bits & -bits).bit_length() - 1).lower() for s in out]
                continue
            chars = [chr(c).lower() for c in range(128) if bits >> c & 1] if _narrow(bits) else ["\0"]
            options = list(dict.fromkeys(chars))
            out = [s + o for s in out for o in options][:limit]
            continue
        if kind == "seq":
            options = _samples(node[1], limit)
        elif kind == "alt":
            options = [s for alt in node[1] for s in _samples(alt, limit)]
        else:
            body = _samples(node[3], limit)
            options = [s * node[1] for s in body] if node[1] else [""]
        out = [s + o for s in out for o in dict.fromkeys(options)][:limit]
    return out


def _literal(bits: int) -> bool:
    """A set that is one character, or one letter in both cases."""
    if bits & (bits - 1) == 0:
        return True
    low = bits & -bits
    code = low.bit_length() - 1
    char = chr(code)
    return char.isalpha() and bits == low | 1 << ord(char.swapcase())


def _narrow(bits: int) -> bool:
    """A set Hyperscan can treat as a handful of literals (a letter in both cases, ``[aby]``)."""
    return bits.bit_count() <= 6


def _runs(nodes: list[Any]) -> tuple[int, int, int, bool]:
    """Literal runs of a sequence: (run at its start, longest run inside, run at its end, whether
    it is all literal), counting only what every match contains."""
    pre = best = running = 0
    full = True
    for node in nodes:
        n_pre, n_best, n_suf, n_full = _node_runs(node)
        if n_full:
            running += n_pre
            if full:
                pre = running
            best = max(best, running)
            continue
        best = max(best, running + n_pre, n_best)
        if full:
            pre = running + n_pre
        full = False
        running = n_suf
    return pre, max(best, running), running, full


def _node_runs(node: Any) -> tuple[int, int, int, bool]:
    kind = node[0]
    if kind == "set":
        return (1, 1, 1, True) if _narrow(node[1]) else (0, 0, 0, False)
    if kind == "seq":
        return _runs(node[1])
    if kind == "alt":
        runs = [_runs(alt) for alt in node[1]]
        pre, best, suf = (min(r[i] for r in runs) for i in range(3))
        return pre, best, suf, len(runs) == 1 and runs[0][3]
    lo, hi, body = node[1], node[2], _runs(node[3])
    if lo == 0:
        return 0, 0, 0, False
    if body[3] and lo == hi:
        return body[0] * lo, body[0] * lo, body[0] * lo, True
    inner = body[1] if lo == 1 else max(body[1], body[2] + body[0])
    return body[0], inner, body[2], False


def _anchor(nodes: list[Any]) -> int:
    """The longest run of literal characters every match of ``nodes`` contains."""
    return _runs(nodes)[1]


def _flatten(nodes: list[Any]) -> list[Any]:
    out: list[Any] = []
    for node in nodes:
        if node[0] == "seq":
            out.extend(_flatten(node[1]))
        else:
            out.append(node)
    return out


def _wide(node: Any) -> bool:
    """Whether the width of what ``node`` matches varies widely (it splits the sequence)."""
    low, high = _width([node])
    return high - low > MAX_SPREAD


def _core(nodes: list[Any]) -> tuple[str, int, int, list[Any]] | None:
    """The Hyperscan pattern for a rule: a stretch of its top-level sequence that every match
    contains, ending where a prefix of the match ends, with a literal to anchor on. Returns the
    pattern and the minimum and maximum distance from a match's start to where it ends."""
    flat = _flatten(nodes)
    best: tuple[int, int, str, int, int, list[Any]] | None = None
    starts = [0] + [index + 1 for index, node in enumerate(flat) if _wide(node)]
    for start in dict.fromkeys(starts):
        prefix = _trim_end(_cut(flat[start:], PREFIX_BUDGET)[0])
        core = _trim_start(prefix)
        anchor = _anchor(core)
        before_low, before_high = _width(flat[:start])
        low, high = _width(prefix)
        core_low = _width(core)[0]
        selective = anchor >= MIN_ANCHOR or (anchor >= 2 and core_low >= 8)
        if selective and before_high + high < MAX_WIDTH and core_low > 0:
            candidate = (anchor, -start, _emit(core), before_low + low, before_high + high, core)
            if best is None or candidate[:2] > best[:2]:
                best = candidate
    if best is None:
        return None
    return best[2], best[3], best[4], best[5]


def analyse_all(patterns: Sequence[str]) -> list[Analysis]:
    tables = Tables()
    return [analyse(p, tables) for p in patterns]


# ---------------------------------------------------------------- windows


def transliterate(text: str) -> bytes:
    """One byte per character: ASCII as is; the four characters that fold to an ASCII letter as
    that letter; U+0080-U+00FF as 0x80; anything above as "?". Every class that can match a
    non-ASCII character accepts both 0x80 and "?", so either stands for any such character."""
    if text.isascii():
        return text.encode("ascii")
    for special, letter in _SPECIAL.items():
        if chr(special) in text:
            text = text.replace(chr(special), letter)
    return text.encode("latin-1", "replace").translate(_HIGH)


def windows(spans: list[tuple[int, int, int]], width: int | None, reach: int | None) -> list[Window]:
    """Merge candidate spans (first start, last start, furthest end) into windows.

    Whatever a wanted match overlaps is merged with it, so the first match a search from a
    window's start finds is the one a whole-text search finds there."""
    spans.sort()
    out: list[Window] = []
    pos, last, end = spans[0]
    for start, stop, reach_end in spans[1:]:
        if start <= end:
            last = max(last, stop)
            end = max(end, reach_end)
            continue
        out.append(_window(pos, last, end, width, reach))
        pos, last, end = start, stop, reach_end
    out.append(_window(pos, last, end, width, reach))
    return out


def _window(pos: int, last: int, end: int, width: int | None, reach: int | None) -> Window:
    if reach is None:
        return Window(pos, last, None)
    # Any path from a start <= last reads before last + width (or the line's end) + reach.
    return Window(pos, last, (last + width if width is not None else end) + reach + 1)


def _line_bounds(text: str, at: int) -> tuple[int, int]:
    end = text.find("\n", at)
    return text.rfind("\n", 0, at) + 1, len(text) if end == -1 else end


class Matcher:
    """Plans, for one text, which rules run where."""

    name = "none"

    def plan(self, text: str, active: Container[int]) -> Plan:
        """Windows for the rules in ``active`` (indexes) that may match ``text``."""
        raise NotImplementedError


class _KeywordSet:
    """The keywords of one set of active rules, found in one pass for long texts: a trie regex
    tried at every position gives the longest keyword starting there, and with it every keyword
    that is a prefix of it (all the keywords that start there)."""

    def __init__(self, by_keyword: dict[str, list[int]]) -> None:
        self.by_keyword = by_keyword
        self._regex: re.Pattern[str] | None = None
        self._prefixes: dict[str, list[str]] = {}

    def occurrences(self, lower: str) -> dict[str, list[int]]:
        """Where each keyword occurs in ``lower`` (every start, overlapping ones too)."""
        found: dict[str, list[int]] = {}
        if len(lower) < TRIE_FROM:
            for kw in self.by_keyword:
                at = lower.find(kw)
                if at == -1:
                    continue
                spots = found[kw] = []
                while at != -1:
                    spots.append(at)
                    at = lower.find(kw, at + 1)
            return found
        if self._regex is None:
            words = sorted(self.by_keyword)
            self._regex = re.compile("(?=(" + _trie(words) + "))")
            self._prefixes = {w: [p for p in words if w.startswith(p)] for w in words}
        prefixes = self._prefixes
        for m in self._regex.finditer(lower):
            at = m.start()
            for kw in prefixes[m.group(1)]:
                known = found.get(kw)
                if known is None:
                    found[kw] = [at]
                else:
                    known.append(at)
        return found


def _trie(words: Sequence[str]) -> str:
    """A regex matching the longest of ``words`` that starts at a position."""
    root: dict[str, Any] = {}
    for word in words:
        node = root
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def emit(node: dict[str, Any]) -> str:
        branches = [re.escape(char) + emit(child) for char, child in sorted(node.items()) if char]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if "" in node else body

    return emit(root)


# Shorter texts search keyword by keyword (no trie to build); longer ones in one trie pass.
TRIE_FROM = 8 * 1024


class KeywordMatcher(Matcher):
    """The pure-Python backend: keyword occurrences bound where a match can be."""

    name = "python"

    def __init__(self, keywords: Sequence[tuple[str, ...]], analyses: Sequence[Analysis]) -> None:
        self.analyses = analyses
        self.keywords = keywords
        self._indexes = [i for i, kws in enumerate(keywords) if kws]
        self._sets: dict[frozenset[int], _KeywordSet] = {}
        self._last: tuple[Container[int], _KeywordSet] | None = None

    def _keyword_set(self, active: Container[int]) -> _KeywordSet:
        if self._last is not None and self._last[0] is active:  # the usual case: the same rules
            return self._last[1]
        key = frozenset(i for i in self._indexes if i in active)
        found = self._sets.get(key)
        if found is None:
            by_keyword: dict[str, list[int]] = {}
            for index in sorted(key):
                for kw in dict.fromkeys(self.keywords[index]):
                    by_keyword.setdefault(kw, []).append(index)
            if len(self._sets) > 64:
                self._sets.clear()
            found = self._sets[key] = _KeywordSet(by_keyword)
        self._last = (active, found)
        return found

    def plan(self, text: str, active: Container[int]) -> Plan:
        keyword_set = self._keyword_set(active)
        if not keyword_set.by_keyword:
            return {}
        lower = text.lower()
        aligned = len(lower) == len(text)  # lower() kept every character one character long
        spans: dict[int, list[tuple[int, int, int]]] = {}
        plan: Plan = {}
        for kw, found in keyword_set.occurrences(lower).items():
            size = len(kw)
            for index in keyword_set.by_keyword[kw]:
                analysis = self.analyses[index]
                width = analysis.width
                if not aligned or (width is None and not analysis.single_line):
                    plan[index] = None
                    continue
                out = spans.setdefault(index, [])
                if width is not None:
                    out.extend((max(0, at + size - width), at, at + width) for at in found)
                else:
                    for at in found:
                        start, end = _line_bounds(text, at)
                        out.append((start, at, end))
        for index, found_spans in spans.items():
            if index not in plan:
                analysis = self.analyses[index]
                plan[index] = windows(found_spans, analysis.width, analysis.reach)
        return plan


# How Hyperscan takes a rule's prefix: exactly, in prefilter mode (a superset), or not at all.
EXACT, PREFILTER, NONE = "exact", "prefilter", "none"


class CompiledRules(Record):
    """A serialised Hyperscan database for a list of analysed rules, with each rule's mode."""

    database: bytes
    modes: tuple[str, ...]
    notes: tuple[str, ...]
    # Keywords the database reports (once each) after the rules' patterns: expression id
    # len(modes) + i is keywords[i]. A rule runs only where one of its keywords occurs.
    keywords: tuple[str, ...] = ()


def hyperscan_import() -> tuple[Any, str]:
    """The hyperscan binding (its extension module, which holds everything leaksweep uses), or
    None and why not."""
    loaded = sys.modules.get("hyperscan._hs_ext")
    if loaded is not None:
        return loaded, ""
    try:
        return _load_extension(), ""
    except Exception:  # a layout other than the one expected: import the package as usual
        pass
    try:
        import hyperscan
    except Exception as exc:  # ImportError, or a broken wheel (OSError from the loader)
        return None, f"{type(exc).__name__}: {exc}"
    return hyperscan, ""


def _load_extension() -> Any:
    """The binding's extension module, loaded without running the package's ``__init__``: that
    imports ``typing`` to define one NamedTuple leaksweep never uses, and importing ``typing`` is
    7% of the pre-commit hook's instructions. The module is registered under its own name, so a
    later ``import hyperscan`` (which re-exports it) finds and shares it."""
    from importlib.machinery import ExtensionFileLoader, PathFinder

    package = PathFinder.find_spec("hyperscan")
    if package is None or not package.submodule_search_locations:
        raise ImportError("no hyperscan package")
    spec = PathFinder.find_spec("hyperscan._hs_ext", list(package.submodule_search_locations))
    if spec is None or not isinstance(spec.loader, ExtensionFileLoader):
        raise ImportError("no hyperscan extension module")
    module = spec.loader.create_module(spec)
    spec.loader.exec_module(module)
    if not all(hasattr(module, name) for name in ("Database", "Scratch", "loadb", "dumpb", "error")):
        raise ImportError("an unexpected hyperscan extension module")
    sys.modules["hyperscan._hs_ext"] = module
    return module


def _compiles(hs: Any, patterns: Sequence[bytes], flags: Sequence[int]) -> bool:
    db = hs.Database(mode=hs.HS_MODE_BLOCK)
    try:
        db.compile(
            expressions=list(patterns),
            ids=list(range(len(patterns))),
            elements=len(patterns),
            flags=list(flags),
        )
    except hs.error:
        return False
    return True


def compile_rules(
    analyses: Sequence[Analysis], ids: Sequence[str], keywords: Sequence[tuple[str, ...]] = ()
) -> CompiledRules:
    """One Hyperscan database holding every rule's prefix (prefilter mode where exact mode fails)
    and their keywords; rules without a prefix are left to the keyword matcher."""
    hs, _ = hyperscan_import()

    modes = [EXACT if a.prefix is not None else NONE for a in analyses]
    notes = [
        f"rule {rule_id}: no Hyperscan pattern ({a.note}); keywords find its candidates"
        for rule_id, a in zip(ids, analyses, strict=True)
        if a.prefix is None
    ]
    patterns = [a.prefix.encode("latin-1") if a.prefix is not None else b"" for a in analyses]

    def flags_of(index: int) -> int:
        return hs.HS_FLAG_PREFILTER if modes[index] == PREFILTER else 0

    wanted = [i for i, mode in enumerate(modes) if mode != NONE]
    if wanted and not _compiles(hs, [patterns[i] for i in wanted], [0] * len(wanted)):
        # Find the patterns Hyperscan refuses, one by one (only when the whole set fails).
        for index in wanted:
            if _compiles(hs, [patterns[index]], [0]):
                continue
            if _compiles(hs, [patterns[index]], [hs.HS_FLAG_PREFILTER]):
                modes[index] = PREFILTER
                notes.append(f"rule {ids[index]}: Hyperscan takes it only in prefilter mode")
            else:
                modes[index] = NONE
                notes.append(f"rule {ids[index]}: Hyperscan refuses it; keywords find its candidates")
        wanted = [i for i, mode in enumerate(modes) if mode != NONE]
    if not wanted:
        return CompiledRules(b"", tuple(modes), tuple(notes))
    # The gate: whether a keyword occurs at all (ASCII ones, matched caseless on the
    # transliteration, which is where lower() would put them; rules with others are not gated).
    weak = [i for i in wanted if i < len(keywords) and not analyses[i].implies_keyword(keywords[i])]
    gating = sorted({kw for i in weak for kw in keywords[i] if kw.isascii()})
    exprs: list[bytes] = []
    expr_ids: list[int] = []
    flags: list[int] = []
    for i in wanted:
        for part in split_heads(patterns[i]):  # one rule, one id, however many expressions
            exprs.append(part)
            expr_ids.append(i)
            flags.append(flags_of(i))
    exprs += [_escaped(kw) for kw in gating]
    expr_ids += [len(analyses) + k for k in range(len(gating))]
    flags += [hs.HS_FLAG_CASELESS | hs.HS_FLAG_SINGLEMATCH] * len(gating)
    db = hs.Database(mode=hs.HS_MODE_BLOCK)
    db.compile(expressions=exprs, ids=expr_ids, elements=len(exprs), flags=flags)
    return CompiledRules(hs.dumpb(db), tuple(modes), tuple(notes), tuple(gating))


def split_heads(pattern: bytes) -> list[bytes]:
    """``(?:A|B)REST`` as ``(?:A)REST`` and ``(?:B)REST``: the same matches, as separate
    expressions. Hyperscan 5.4 was seen to drop a match of such a prefix that followed an earlier
    match (tests/test_matching.py has the case); compiled one head at a time, it reports both.
    Works on the prefixes this module emits: escapes are ``\\xNN`` and classes hold no bracket."""
    if not pattern.startswith(b"(?:"):
        return [pattern]
    depth = 0
    cuts: list[int] = []
    index = 0
    while index < len(pattern):
        char = pattern[index : index + 1]
        if char == b"\\":
            index += 2
            continue
        if char == b"[":
            index = pattern.index(b"]", index + 1) + 1
            continue
        if char == b"(":
            depth += 1
        elif char == b")":
            depth -= 1
            if depth == 0:
                break
        elif char == b"|" and depth == 1:
            cuts.append(index)
        index += 1
    else:
        return [pattern]  # unbalanced: not one of ours, leave it whole
    if not cuts:
        return [pattern]
    bounds = [3, *(c + 1 for c in cuts)]
    ends = [*cuts, index]
    rest = pattern[index + 1 :]
    return [b"(?:" + pattern[a:b] + b")" + rest for a, b in zip(bounds, ends, strict=True)]


def _escaped(text: str) -> bytes:
    return "".join(_byte(ord(c)) for c in text).encode("ascii")


class HyperscanMatcher(Matcher):
    """The Hyperscan backend; rules Hyperscan cannot take are planned by keywords."""

    name = "hyperscan"

    def __init__(
        self, compiled: CompiledRules, keywords: Sequence[tuple[str, ...]], analyses: Sequence[Analysis]
    ) -> None:
        hs, _ = hyperscan_import()

        self.analyses = analyses
        self.modes = compiled.modes
        self._db: Any = None
        if compiled.database:
            self._db = hs.loadb(compiled.database, hs.HS_MODE_BLOCK)
            # A loaded database has no scratch space, and scanning without one crashes the binding.
            self._db.scratch = hs.Scratch(self._db)
        rest = [kws if mode == NONE else () for kws, mode in zip(keywords, self.modes, strict=True)]
        self._keywords = KeywordMatcher(rest, analyses) if any(rest) else None
        count = len(self.modes)
        position = {kw: count + k for k, kw in enumerate(compiled.keywords)}
        # For each rule, the expression ids of its keywords; None: not gated (a keyword the
        # database does not report).
        self._gates: list[frozenset[int] | None] = [
            frozenset(position[kw] for kw in kws)
            if kws and all(kw in position for kw in kws) and not analysis.implies_keyword(kws)
            else None
            for kws, analysis in zip(keywords, (analyses[i] for i in range(len(keywords))), strict=True)
        ]

    def plan(self, text: str, active: Container[int]) -> Plan:
        plan: Plan = {}
        if self._db is not None:
            events: list[tuple[int, int]] = []
            add = events.append

            def on_match(index: int, start: int, end: int, flags: int, context: object) -> None:
                add((index, end))

            self._db.scan(transliterate(text), match_event_handler=on_match)
            if events:
                self._plan_events(text, events, plan, active)
        if self._keywords is not None:
            plan.update(self._keywords.plan(text, active))
        return plan

    def _plan_events(
        self, text: str, events: list[tuple[int, int]], plan: Plan, active: Container[int]
    ) -> None:
        by_rule: dict[int, list[int]] = {}
        for index, end in events:
            ends = by_rule.get(index)
            if ends is None:
                by_rule[index] = [end]
            else:
                ends.append(end)
        present = {index for index in by_rule if index >= len(self.modes)}
        for index, ends in by_rule.items():
            if index >= len(self.modes) or index not in active:
                continue
            gate = self._gates[index]
            if gate is not None and gate.isdisjoint(present):
                continue  # none of its keywords occurs: the rule cannot match here
            analysis = self.analyses[index]
            width = analysis.width
            back, front = analysis.prefix_max, analysis.prefix_min
            if width is None or back - front <= MAX_STARTS:
                # Few places a match can start: try each (a match may run on without bound).
                ranges: list[tuple[int, int]] = []
                for end in sorted(ends):
                    first, last = max(0, end - back), end - front
                    if ranges and first <= ranges[-1][1] + 1:
                        if last > ranges[-1][1]:
                            ranges[-1] = (ranges[-1][0], last)
                    else:
                        ranges.append((first, last))
                plan[index] = Starts(ranges)
                continue
            spans: list[tuple[int, int, int]] = []
            for end in ends:
                # The prefix ended at ``end``: the match started within the prefix's widths before.
                first, last = max(0, end - back), end - front
                if width is not None:
                    spans.append((first, last, last + width))
                else:
                    line_start, line_end = _line_bounds(text, end - 1)
                    spans.append((max(first, line_start), last, line_end))
            plan[index] = windows(spans, width, analysis.reach)


# ---------------------------------------------------------------- the candidate stage

BACKENDS = ("auto", "hyperscan", "python", "plain")
# "auto" without a ready database: keywords until this much text was scanned, then Hyperscan
# (compiling the database costs about as much as the keyword path spends on this much text).
AUTO_COMPILE_BYTES = 4 * 1024 * 1024


class Candidates:
    """The candidate stage for one list of rules, built as it is needed.

    ``analyses`` and ``compiled`` come from the rules cache when it has them; ``compile`` builds
    (and caches) the database when it does not. The backend never changes what is found, only
    how fast: ``auto`` starts with keywords when no database is ready and switches to Hyperscan
    once a scan proves large."""

    def __init__(
        self,
        patterns: Sequence[str],
        keywords: Sequence[tuple[str, ...]],
        backend: str = "auto",
        analyses: Sequence[Analysis] | None = None,
        compiled: CompiledRules | None = None,
        compile: Callable[[Sequence[Analysis]], CompiledRules] | None = None,
        eager: bool = False,
    ) -> None:
        if backend not in BACKENDS:
            raise ValueError(f"unknown matching backend {backend!r} (known: {', '.join(BACKENDS)})")
        self.patterns = list(patterns)
        self.keywords = list(keywords)
        self.requested = backend
        self._analyses: list[Analysis | None] = (
            list(analyses) if analyses is not None else [None] * len(self.patterns)
        )
        self._tables: Tables | None = None
        self._compiled = compiled
        self._compile = compile
        self._eager = eager  # "auto": compile the database even for a small scan
        self._matcher: Matcher | None = None
        self._scanned = 0
        # "auto" may still move from keywords to Hyperscan.
        self._settled = backend != "auto"
        self.why_not_hyperscan = ""
        self.origin: list[str] = []  # what came from the cache (for -v)
        if backend == "hyperscan":
            module, why = hyperscan_import()
            if module is None:
                raise RuntimeError(f"the hyperscan backend is not available: {why}")

    @property
    def backend(self) -> str:
        return self._matcher.name if self._matcher is not None else "none"

    @property
    def compiled(self) -> CompiledRules | None:
        return self._compiled

    def known_analyses(self) -> list[Analysis] | None:
        """The analyses, if every one is known (a worker then need not redo them)."""
        if any(a is None for a in self._analyses):
            return None
        return [a for a in self._analyses if a is not None]

    def prepare(self) -> None:
        """Settle the backend now, for a scan known to be large (before worker processes are
        forked, so that they share the compiled database instead of each compiling one)."""
        if self.requested == "auto" and not self._settled:
            self._scanned = max(self._scanned, AUTO_COMPILE_BYTES)
        if self._matcher is None or not self._settled:
            self._select()

    def analysis(self, index: int) -> Analysis:
        found = self._analyses[index]
        if found is None:
            if self._tables is None:
                self._tables = Tables()
            found = self._analyses[index] = analyse(self.patterns[index], self._tables)
        return found

    def analyses(self) -> list[Analysis]:
        return [self.analysis(i) for i in range(len(self.patterns))]

    def plan(self, text: str, active: Container[int]) -> Plan:
        matcher = self._matcher
        if matcher is None or not self._settled:
            self._scanned += len(text)
            matcher = self._select()
        return matcher.plan(text, active)

    def _select(self) -> Matcher:
        if self.requested == "python":
            return self._keywords()
        if self.requested == "hyperscan":
            self._matcher = self._hyperscan()
            return self._matcher
        # auto: Hyperscan when its database is at hand or the scan proves large.
        if self._compiled is None and self._scanned < AUTO_COMPILE_BYTES and not self._eager:
            return self._keywords()
        self._settled = True
        module, why = hyperscan_import()
        if module is not None:
            try:
                self._matcher = self._hyperscan()
                return self._matcher
            except Exception as exc:  # a broken wheel or database: the keywords find the same
                why = f"{type(exc).__name__}: {exc}"
        self.why_not_hyperscan = why
        return self._keywords()

    def _keywords(self) -> Matcher:
        if self._matcher is None:
            self._matcher = KeywordMatcher(self.keywords, _LazyAnalyses(self))
        return self._matcher

    def _hyperscan(self) -> HyperscanMatcher:
        if self._compiled is None:
            analyses = self.analyses()
            if self._compile is not None:
                self._compiled = self._compile(analyses)
            else:
                ids = [str(i) for i in range(len(analyses))]
                self._compiled = compile_rules(analyses, ids, self.keywords)
        return HyperscanMatcher(self._compiled, self.keywords, _LazyAnalyses(self))


class _LazyAnalyses(Sequence[Analysis]):
    """The candidate stage's analyses, each made when first needed."""

    def __init__(self, owner: Candidates) -> None:
        self.owner = owner

    def __len__(self) -> int:
        return len(self.owner.patterns)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return [self.owner.analysis(i) for i in range(len(self))[index]]
        return self.owner.analysis(index)
