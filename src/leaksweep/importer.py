"""Import a gitleaks (or betterleaks) TOML config as a leaksweep YAML rule pack.

Users migrating from gitleaks keep their custom rules this way. The two formats mean different
things by similar words, so the converter translates semantics, not just field names:

- gitleaks ``keywords`` only need to occur *somewhere in the file*; leaksweep needs one *inside
  every match*. Keywords that cannot occur in a match are dropped, and a rule left without any
  gets one derived from a literal its regex always matches, or is not imported.
- gitleaks ``path`` and allowlist ``paths`` are regexes; leaksweep ``paths`` are gitignore-style
  globs. Common shapes are translated; the rest are reported.
- gitleaks without ``secretGroup`` takes the first non-empty capture group as the secret;
  leaksweep defaults to the whole match, so the group is made explicit.

Whatever cannot be carried over faithfully becomes a note naming the rule: the import never
silently widens an allow list (which would hide secrets); where it must lose something, it
loses a suppression or a scope, so the imported rule reports more, not less.
"""

from __future__ import annotations

import itertools
import re
import tempfile
import textwrap
import tomllib
from collections.abc import Collection, Iterable, Sequence
from pathlib import Path
from typing import Any

import regex
import yaml

from leaksweep.errors import LeaksweepError
from leaksweep.records import Record, field
from leaksweep.regexguard import too_large
from leaksweep.rules import ID_RE, Rule, builtin_pack_paths, load_pack
from leaksweep.yamlsrc import LList, LMap, load_yaml

SEVERITY = "high"
CONFIDENCE = "medium"
NAME_MAX = 80

# gitleaks reads its config through viper, which ignores the case of keys: these are lower-cased.
RULE_FIELDS = {
    "id",
    "description",
    "regex",
    "secretgroup",
    "entropy",
    "keywords",
    "path",
    "tags",
    "allowlist",
    "allowlists",
    "required",
    "skipreport",
}
ALLOWLIST_FIELDS = {
    "description",
    "condition",
    "commits",
    "paths",
    "regextarget",
    "regexes",
    "stopwords",
    "targetrules",
}
TOP_FIELDS = {"title", "description", "extend", "rules", "allowlist", "allowlists"}
REGEX_TARGETS = ("secret", "match", "line")


class ImportResult(Record, frozen=False):
    source: str
    title: str | None = None
    rules: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


class UnsupportedRegex(ValueError):
    """A Go/RE2 construct with no faithful Python ``regex`` equivalent."""


class _Skip(Exception):
    """The rule cannot be imported; the message says why."""


# --------------------------------------------------------------------------------------------
# A small RE2 syntax tree: enough to translate to Python syntax, to see which literals every
# match contains (keywords) and to turn simple path regexes into globs. RE2 syntax is small, so
# the parser covers all of it; what it rejects, RE2 (and so gitleaks) rejects too, apart from the
# ungreedy flag, which Python lacks.
# --------------------------------------------------------------------------------------------


class _Lit(Record):
    char: str


class _Class(Record):
    chars: frozenset[str] | None  # None: too many (or unknown) characters to enumerate
    slash: bool  # whether it can match "/" (matters for globs)
    dot: bool = False  # '.'
    not_slash: bool = False  # '[^/]': exactly what a glob's '*' repeats


class _Empty(Record):
    kind: str  # "^", "$", "\\A", "\\z", "\\b", "\\B", "flags", "look"


class _Group(Record):
    alts: tuple[tuple[_Node, ...], ...]


class _Repeat(Record):
    node: _Node
    low: int
    high: int | None


_Node = _Lit | _Class | _Empty | _Group | _Repeat

_SIMPLE_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "f": "\f", "v": "\v", "a": "\a"}
# Perl classes and whether they can match "/".
_PERL_CLASSES = {"d": False, "w": False, "s": False, "D": True, "W": True, "S": True}
_SMALL_CLASS = 8  # enumerate classes up to this many characters
_MAX_STRINGS = 64  # cap on literal expansions
_QUANT_RE = re.compile(r"\{(\d+)(,(\d*))?\}")
_FLAGS_RE = re.compile(r"\(\?([imsU]*)(?:-([imsU]*))?([:)])")
_NAME_RE = re.compile(r"\(\?P?<([A-Za-z_][A-Za-z0-9_]*)>")
_LOOK_RE = re.compile(r"\(\?(?:=|!|<=|<!)")


class _Parser:
    """Parses RE2 syntax into _Node trees and, in the same pass, writes the Python equivalent."""

    def __init__(self, text: str) -> None:
        self.s = text
        self.i = 0
        self.out: list[str] = []
        self.ignore_case = False  # a (?i) flag occurs somewhere

    def parse(self) -> tuple[tuple[_Node, ...], ...]:
        alts = self._alternation()
        if self.i < len(self.s):
            raise UnsupportedRegex(f"unbalanced ')' at position {self.i}")
        return alts

    def _emit(self, text: str) -> None:
        self.out.append(text)

    def _alternation(self) -> tuple[tuple[_Node, ...], ...]:
        alts = [self._sequence()]
        while self.i < len(self.s) and self.s[self.i] == "|":
            self._emit("|")
            self.i += 1
            alts.append(self._sequence())
        return tuple(alts)

    def _sequence(self) -> tuple[_Node, ...]:
        items: list[_Node] = []
        while self.i < len(self.s) and self.s[self.i] not in "|)":
            items.append(self._quantified(self._atom()))
        return tuple(items)

    def _quantified(self, atom: _Node) -> _Node:
        while self.i < len(self.s):
            c = self.s[self.i]
            if c in "*+?":
                low, high = {"*": (0, None), "+": (1, None), "?": (0, 1)}[c]
                self._emit(c)
                self.i += 1
            elif c == "{" and (m := _QUANT_RE.match(self.s, self.i)):
                low = int(m.group(1))
                high = low if m.group(2) is None else (int(m.group(3)) if m.group(3) else None)
                self._emit(m.group(0))
                self.i = m.end()
            else:
                return atom
            if self.i < len(self.s) and self.s[self.i] == "?":  # lazy: same language
                self._emit("?")
                self.i += 1
            atom = _Repeat(atom, low, high)
        return atom

    def _atom(self) -> _Node:
        c = self.s[self.i]
        if c == "(":
            return self._group()
        if c == "[":
            return self._class()
        if c == "\\":
            return self._escape(in_class=False)[0]
        self.i += 1
        if c == ".":
            self._emit(".")
            return _Class(None, slash=True, dot=True)
        if c in "^$":
            self._emit(c)
            return _Empty(c)
        if c in "*+?":
            raise UnsupportedRegex(f"missing argument to repetition operator at position {self.i - 1}")
        if c == "{":
            # RE2 reads a '{' that does not start a valid repeat as a literal; Python reads
            # '{,n}' as a repeat, so escape it to keep the literal meaning.
            self._emit("\\{")
            return _Lit("{")
        self._emit(c)
        return _Lit(c)

    def _group(self) -> _Node:
        s, i = self.s, self.i
        if s.startswith("(?", i):
            if m := _LOOK_RE.match(s, i):
                # RE2 has no lookarounds, but a betterleaks config may: Python reads them the
                # same way, and they add nothing to what a match contains.
                self._emit(m.group(0))
                self.i = m.end()
                self._alternation()
                if self.i >= len(s) or s[self.i] != ")":
                    raise UnsupportedRegex("missing closing ')'")
                self._emit(")")
                self.i += 1
                return _Empty("look")
            if m := _NAME_RE.match(s, i):
                self._emit(f"(?P<{m.group(1)}>")
                self.i = m.end()
            elif m := _FLAGS_RE.match(s, i):
                on, off = m.group(1), m.group(2) or ""
                if "U" in on + off:
                    raise UnsupportedRegex("the ungreedy flag (?U) has no Python equivalent")
                if not on and not off and m.group(3) == ")":
                    raise UnsupportedRegex("empty flag group '(?)'")
                self.ignore_case = self.ignore_case or "i" in on
                self._emit(m.group(0))
                self.i = m.end()
                if m.group(3) == ")":
                    return _Empty("flags")
            else:
                raise UnsupportedRegex(f"unsupported group syntax at position {i}: {s[i : i + 4]!r}")
        else:
            self._emit("(")
            self.i += 1
        alts = self._alternation()
        if self.i >= len(s) or s[self.i] != ")":
            raise UnsupportedRegex("missing closing ')'")
        self._emit(")")
        self.i += 1
        return _Group(alts)

    def _escape(self, in_class: bool) -> tuple[_Node, str | None]:
        """One escape at self.i; returns its node and, for a single character, that character."""
        s = self.s
        if self.i + 1 >= len(s):
            raise UnsupportedRegex("trailing backslash")
        c = s[self.i + 1]
        self.i += 2
        if c == "Q" and not in_class:
            end = s.find("\\E", self.i)
            text = s[self.i :] if end == -1 else s[self.i : end]
            self.i = len(s) if end == -1 else end + 2
            self._emit(regex.escape(text, special_only=True) if text else "")
            return _Group((tuple(_Lit(ch) for ch in text),)), None
        if c == "x":
            if self.i < len(s) and s[self.i] == "{":
                end = s.find("}", self.i)
                digits = s[self.i + 1 : end] if end != -1 else ""
                if not digits or not re.fullmatch(r"[0-9A-Fa-f]{1,8}", digits):
                    raise UnsupportedRegex("bad \\x{...} escape")
                self.i = end + 1
            else:
                digits = s[self.i : self.i + 2]
                if not re.fullmatch(r"[0-9A-Fa-f]{2}", digits):
                    raise UnsupportedRegex("bad \\x escape")
                self.i += 2
            return self._char_escape(int(digits, 16))
        if c in "01234567":
            # RE2 octal escapes: \0, \0nn, or \nnn with at least two digits; a single \1-\7
            # would be a backreference, which RE2 rejects.
            m = re.match(r"[0-7]{0,2}", s[self.i :])
            digits = c + (m.group(0) if m else "")
            if c != "0" and len(digits) == 1:
                raise UnsupportedRegex("backreferences are not RE2 syntax")
            self.i += len(digits) - 1
            return self._char_escape(int(digits, 8))
        if c in _SIMPLE_ESCAPES:
            self._emit("\\" + c)
            return _Lit(_SIMPLE_ESCAPES[c]), _SIMPLE_ESCAPES[c]
        if c in _PERL_CLASSES:
            self._emit("\\" + c)
            return _Class(None, slash=_PERL_CLASSES[c]), None
        if c in "pP":
            if self.i < len(s) and s[self.i] == "{":
                end = s.find("}", self.i)
                if end == -1:
                    raise UnsupportedRegex("bad \\p{...} escape")
                name = s[self.i : end + 1]
                self.i = end + 1
            else:
                name = s[self.i : self.i + 1]
                self.i += 1
            self._emit("\\" + c + name)
            return _Class(None, slash=True), None
        if not in_class and c in "bBAz":
            # RE2 \z is Python's \Z (end of text only); \A, \b, \B mean the same in both.
            self._emit("\\Z" if c == "z" else "\\" + c)
            return _Empty("\\" + c), None
        if c.isascii() and c.isalnum():
            raise UnsupportedRegex(f"unsupported escape \\{c}")
        self._emit("\\" + c)
        return _Lit(c), c

    def _char_escape(self, code: int) -> tuple[_Node, str | None]:
        if code > 0x10FFFF:
            raise UnsupportedRegex("character code out of range")
        if code <= 0xFF:
            self._emit(f"\\x{code:02x}")
        elif code <= 0xFFFF:
            self._emit(f"\\u{code:04x}")
        else:
            self._emit(f"\\U{code:08x}")
        return _Lit(chr(code)), chr(code)

    def _class(self) -> _Node:
        s = self.s
        self._emit("[")
        self.i += 1
        negated = s.startswith("^", self.i)
        if negated:
            self._emit("^")
            self.i += 1
        chars: set[str] = set()
        large = False
        slash = False
        first = True
        while True:
            if self.i >= len(s):
                raise UnsupportedRegex("missing closing ']'")
            c = s[self.i]
            if c == "]" and not first:
                self._emit("]")
                self.i += 1
                break
            first = False
            if c == "[" and (m := re.match(r"\[:(\^?)([a-z]+):\]", s[self.i :])):
                self._emit(m.group(0))
                self.i += len(m.group(0))
                large = True
                slash = slash or m.group(1) == "^" or m.group(2) in ("punct", "graph", "print", "ascii")
                continue
            if c == "\\":
                node, ch = self._escape(in_class=True)
                if ch is None:
                    large = True
                    slash = slash or (isinstance(node, _Class) and node.slash)
                    continue
            else:
                # regex's default (V0) syntax reads '[' and '&&'-style set operators inside a
                # class literally, as RE2 does, so characters are copied unchanged.
                self._emit(c)
                self.i += 1
                ch = c
            if s.startswith("-", self.i) and self.i + 1 < len(s) and s[self.i + 1] != "]":
                self.i += 1
                self._emit("-")
                if s[self.i] == "\\":
                    _, hi = self._escape(in_class=True)
                    if hi is None:
                        raise UnsupportedRegex("bad character class range")
                else:
                    hi = s[self.i]
                    self._emit(hi)
                    self.i += 1
                if ord(hi) < ord(ch):
                    raise UnsupportedRegex("bad character class range")
                slash = slash or ord(ch) <= ord("/") <= ord(hi)
                if ord(hi) - ord(ch) >= _SMALL_CLASS:
                    large = True
                else:
                    chars.update(chr(x) for x in range(ord(ch), ord(hi) + 1))
            else:
                chars.add(ch)
                slash = slash or ch == "/"
        if negated:
            return _Class(None, slash="/" not in chars, not_slash=chars == {"/"} and not large)
        return _Class(None if large else frozenset(chars), slash=slash)


class ParsedRegex(Record):
    python: str  # the same pattern in Python ``regex`` syntax
    alts: tuple[tuple[_Node, ...], ...]
    ignore_case: bool


def parse_go_regex(pattern: str) -> ParsedRegex:
    """Parse RE2/Go syntax; raise UnsupportedRegex for what has no Python equivalent."""
    parser = _Parser(pattern)
    alts = parser.parse()
    return ParsedRegex("".join(parser.out), alts, parser.ignore_case)


def translate_regex(pattern: str) -> str:
    """RE2/Go regex -> Python ``regex`` syntax; raises UnsupportedRegex, or regex.error on compile."""
    python = parse_go_regex(pattern).python
    _refuse_huge(python)
    regex.compile(python)
    return python


def _refuse_huge(python: str) -> None:
    # Before compiling: a counted repeat can make compile() take gigabytes (see regexguard).
    why = too_large(python)
    if why is not None:
        raise UnsupportedRegex(why)


# ---- literals every match contains (for keywords) ----


def _expand(node: _Node) -> set[str] | None:
    """All (lower-cased) strings ``node`` can match, when that is a small set of literals."""
    if isinstance(node, _Lit):
        return {node.char.lower()}
    if isinstance(node, _Class):
        if node.chars is None:
            return None
        lowered = {c.lower() for c in node.chars}
        return lowered if len(lowered) <= _SMALL_CLASS else None
    if isinstance(node, _Empty):
        return {""}
    if isinstance(node, _Group):
        out: set[str] = set()
        for alt in node.alts:
            part = _expand_seq(alt)
            if part is None:
                return None
            out |= part
        return out if len(out) <= _MAX_STRINGS else None
    inner = _expand(node.node)
    if inner is None or node.high is None or node.high > 8:
        return None
    result: set[str] = set()
    for count in range(node.low, node.high + 1):
        strings = {""}
        for _ in range(count):
            strings = {a + b for a in strings for b in inner}
            if len(strings) > _MAX_STRINGS:
                return None
        result |= strings
    return result if len(result) <= _MAX_STRINGS else None


def _expand_seq(items: Sequence[_Node]) -> set[str] | None:
    strings = {""}
    for item in items:
        part = _expand(item)
        if part is None:
            return None
        strings = {a + b for a in strings for b in part}
        if len(strings) > _MAX_STRINGS:
            return None
    return strings


def _flatten(items: Iterable[_Node]) -> list[_Node]:
    """Inline single-alternative groups: ``(xoxb-)`` is just ``xoxb-`` for literal analysis."""
    out: list[_Node] = []
    for item in items:
        if isinstance(item, _Group) and len(item.alts) == 1:
            out.extend(_flatten(item.alts[0]))
        else:
            out.append(item)
    return out


class _Segment(Record, frozen=False):
    strings: frozenset[str]  # one of these occurs, contiguously...
    required: bool  # ...in every match (True) or in some matches (False)


def _segments(items: Sequence[_Node], required: bool, out: list[_Segment]) -> None:
    current = {""}

    def flush() -> None:
        nonlocal current
        if current != {""}:
            out.append(_Segment(frozenset(current), required))
        current = {""}

    for item in _flatten(items):
        part = _expand(item)
        if part is not None:
            joined = {a + b for a in current for b in part}
            if len(joined) <= _MAX_STRINGS:
                current = joined
                continue
            flush()
            current = part
            continue
        flush()
        if isinstance(item, _Group):
            for alt in item.alts:
                _segments(alt, required and len(item.alts) == 1, out)
        elif isinstance(item, _Repeat):
            _segments((item.node,), required and item.low >= 1, out)
    flush()


def _all_segments(parsed: ParsedRegex) -> list[_Segment]:
    out: list[_Segment] = []
    for alt in parsed.alts:
        _segments(alt, len(parsed.alts) == 1, out)
    return out


def keyword_in_matches(parsed: ParsedRegex, keyword: str) -> bool:
    """Whether the regex's own literals put ``keyword`` inside (some of) its matches."""
    kw = keyword.lower()
    return any(kw in s for seg in _all_segments(parsed) for s in seg.strings)


def derive_keywords(parsed: ParsedRegex) -> list[str]:
    """Literals of which one occurs in every match (the regex's literal prefix, usually)."""
    keywords: set[str] = set()
    for alt in parsed.alts:
        segments: list[_Segment] = []
        _segments(alt, True, segments)
        usable = [
            seg
            for seg in segments
            if seg.required and len(seg.strings) <= 8 and all(len(s.strip()) >= 3 for s in seg.strings)
        ]
        if not usable:
            return []
        keywords |= usable[0].strings
    return sorted(keywords) if len(keywords) <= 8 else []


# ---- path regexes to globs ----

_GLOB_SAFE = re.compile(r"[A-Za-z0-9._~@%+=,-]")
_MAX_GLOBS = 16


def _glob_parts(node: _Node) -> list[str] | None:
    """Glob fragments equivalent to ``node`` (alternatives), or None when there is none."""
    if isinstance(node, _Lit):
        c = node.char
        if not c.isprintable() or c in "[]\\":
            return None
        # Globs read only * ? and [ specially; a bracket makes * and ? literal.
        return [f"[{c}]"] if c in "*?" else [c]
    if isinstance(node, _Class):
        if node.dot or node.not_slash:
            return ["?"]
        if node.chars is not None and node.chars and all(_GLOB_SAFE.fullmatch(c) for c in node.chars):
            ordered = "".join(sorted(node.chars, key=lambda ch: (ch == "-", ch)))
            return [ordered] if len(node.chars) == 1 else [f"[{ordered}]"]
        return None
    if isinstance(node, _Empty):
        return [""] if node.kind == "flags" else None
    if isinstance(node, _Group):
        out: list[str] = []
        for alt in node.alts:
            bodies = _glob_bodies(alt)
            if bodies is None:
                return None
            out.extend(bodies)
        return out if len(out) <= _MAX_GLOBS else None
    inner = node.node
    if node.high is None:
        # '.*' crosses directories ('**'); '[^/]*' stays inside one ('*'). Other unbounded
        # repeats ('\\d+') have no glob: '*' would match more, and that would widen allow lists.
        if not isinstance(inner, _Class) or not (inner.dot or inner.not_slash):
            return None
        star = "**" if inner.dot else "*"
        return [star] if node.low == 0 else ["?" * node.low + star]
    parts = _glob_parts(inner)
    if parts is None or node.high is None or node.high > 4:
        return None
    result: list[str] = []
    for count in range(node.low, node.high + 1):
        result.extend("".join(p) for p in itertools.product(parts, repeat=count))
    return result if len(result) <= _MAX_GLOBS else None


def _glob_bodies(items: Sequence[_Node]) -> list[str] | None:
    bodies = [""]
    for item in items:
        parts = _glob_parts(item)
        if parts is None:
            return None
        bodies = [b + p for b in bodies for p in parts]
        if len(bodies) > _MAX_GLOBS:
            return None
    return bodies


def _is_component_start(node: _Node) -> bool:
    """``(^|/)``: the match starts a path component."""
    if not isinstance(node, _Group) or len(node.alts) != 2:
        return False
    shapes = {alt for alt in node.alts}
    return shapes == {(_Empty("^"),), (_Lit("/"),)}


def _anchor(body: str, start: str, end: bool) -> str:
    if not end:
        # A regex without '$' also matches longer paths: a trailing '*' (plus the glob's own
        # "and everything below") says the same.
        body = body.rstrip("*") + "*"
    if start == "root":
        return "/" + body.lstrip("/")
    if start == "component":
        return "**/" + body if "/" in body.rstrip("/") else body
    # Unanchored: the match may start anywhere, even inside a component.
    body = body.lstrip("*")
    if not body:
        return "**"
    if "/" in body.rstrip("/"):
        return "**/*" + body if not body.startswith("/") else "**" + body
    return "*" + body


def path_regex_to_globs(pattern: str) -> tuple[list[str] | None, bool]:
    """Globs matching the paths a gitleaks path regex matches, or None; and whether it was (?i)."""
    try:
        parsed = parse_go_regex(pattern)
    except UnsupportedRegex:
        return None, False
    globs: list[str] = []
    for alt in parsed.alts:
        items = [n for n in alt if not (isinstance(n, _Empty) and n.kind == "flags")]
        start = "none"
        if items and isinstance(items[0], _Empty) and items[0].kind in ("^", "\\A"):
            start, items = "root", items[1:]
        elif items and _is_component_start(items[0]):
            start, items = "component", items[1:]
        end = bool(items) and isinstance(items[-1], _Empty) and items[-1].kind in ("$", "\\z")
        if end:
            items = items[:-1]
        bodies = _glob_bodies(items)
        if bodies is None:
            return None, parsed.ignore_case
        globs.extend(_anchor(b, start, end) for b in bodies)
    if not globs or len(globs) > _MAX_GLOBS:
        return None, parsed.ignore_case
    return list(dict.fromkeys(globs)), parsed.ignore_case


# --------------------------------------------------------------------------------------------
# The conversion
# --------------------------------------------------------------------------------------------


def _lower_keys(table: dict[str, Any]) -> dict[str, Any]:
    return {k.lower(): v for k, v in table.items()}


def _kind(value: Any) -> str:
    return {dict: "a table", list: "an array", str: "a string", bool: "a boolean"}.get(
        type(value), type(value).__name__
    )


def normalise_id(raw: str) -> str:
    text = re.sub(r"[^a-z0-9]+", "-", raw.strip().lower())
    return text.strip("-")


def _name_and_description(description: str, rule_id: str) -> tuple[str, str]:
    text = " ".join(description.split())
    if not text:
        return rule_id, ""
    first = re.split(r"(?<=[.!?])\s", text, maxsplit=1)[0].rstrip(".")
    if len(first) > NAME_MAX:
        first = textwrap.shorten(first, NAME_MAX, placeholder="...")
    return first, text if text.rstrip(".") != first else ""


def _str_list(value: Any) -> list[str] | None:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        return None
    return value


class _Converter:
    def __init__(self, source: str, reserved_ids: Collection[str]) -> None:
        self.source = source
        self.source_name = Path(source).name  # remediation text travels with the pack: no local paths
        self.reserved = set(reserved_ids)
        self.notes: list[str] = []
        self.rules: dict[str, dict[str, Any]] = {}  # by original gitleaks id
        self.used_ids: set[str] = set()

    def note(self, text: str) -> None:
        self.notes.append(text)

    # ---- allow lists ----

    def allowlist(self, table: Any, who: str, where: str) -> dict[str, list[Any]] | None:
        """A gitleaks allowlist as a leaksweep ``allow`` fragment (or None when nothing carries)."""
        if not isinstance(table, dict):
            self.note(f"{who}: {where} is {_kind(table)}, not a table: not carried over")
            return None
        table = _lower_keys(table)
        for key in sorted(set(table) - ALLOWLIST_FIELDS):
            self.note(f"{who}: {where}: unknown field '{key}' ignored")
        condition = str(table.get("condition", "") or "OR").upper()
        if condition not in ("OR", "||", "AND", "&&"):
            self.note(f"{who}: {where}: unknown condition {table['condition']!r}: allowlist not carried over")
            return None
        commits = _str_list(table.get("commits", [])) or []
        criteria = [k for k in ("commits", "paths", "regexes", "stopwords") if table.get(k)]
        if condition in ("AND", "&&") and len(criteria) > 1:
            # With one kind of criterion AND is the same as OR; with several, leaksweep cannot
            # require them together, and OR-ing them would allow far more than gitleaks did.
            self.note(
                f"{who}: {where}: condition AND over {' + '.join(criteria)} is not supported: "
                "allowlist not carried over (the rule may report what gitleaks allowed)"
            )
            return None
        if commits:
            self.note(
                f"{who}: {where}: commits ({len(commits)}) not carried over: leaksweep allow lists "
                "match content and paths, not commits (a baseline can hold known findings)"
            )
        out: dict[str, list[Any]] = {"stopwords": [], "regexes": [], "paths": []}
        stopwords = _str_list(table.get("stopwords", []))
        if stopwords is None:
            self.note(f"{who}: {where}: stopwords is not an array of strings: not carried over")
        else:
            out["stopwords"] = [w.lower() for w in stopwords if w]
        target = table.get("regextarget") or "secret"
        regexes = _str_list(table.get("regexes", []))
        if target not in REGEX_TARGETS:
            if regexes:
                self.note(f"{who}: {where}: unknown regexTarget {target!r}: its regexes not carried over")
            regexes = []
        if regexes is None:
            self.note(f"{who}: {where}: regexes is not an array of strings: not carried over")
            regexes = []
        for pattern in regexes:
            try:
                python = translate_regex(pattern)
            except (UnsupportedRegex, regex.error, ValueError, OverflowError, RecursionError) as exc:
                self.note(f"{who}: {where}: regex {pattern!r} not carried over: {exc}")
                continue
            out["regexes"].append(python if target == "secret" else {"regex": python, "target": target})
        paths = _str_list(table.get("paths", []))
        if paths is None:
            self.note(f"{who}: {where}: paths is not an array of strings: not carried over")
            paths = []
        for pattern in paths:
            globs, folded = path_regex_to_globs(pattern)
            if globs is None:
                self.note(f"{who}: {where}: path regex {pattern!r} has no glob equivalent: not carried over")
                continue
            if folded:
                self.note(
                    f"{who}: {where}: path regex {pattern!r} is case-insensitive; its globs "
                    f"{globs} match case-sensitively"
                )
            out["paths"].extend(globs)
        return out

    def merge_allow(self, rule: dict[str, Any], fragment: dict[str, list[Any]]) -> None:
        allow = rule.setdefault("allow", {})
        for key, values in fragment.items():
            existing = allow.setdefault(key, [])
            for value in values:
                if value not in existing:
                    existing.append(value)
        for key in [k for k, v in allow.items() if not v]:
            del allow[key]
        if not allow:
            del rule["allow"]

    # ---- rules ----

    def new_id(self, label: str, raw: Any, index: int) -> str:
        """A kebab-case id for the rule, unique among the imported and the built-in rules."""
        if isinstance(raw, str) and ID_RE.match(raw):
            base = raw
        else:
            base = (normalise_id(raw) if isinstance(raw, str) else "") or f"imported-rule-{index + 1}"
            if isinstance(raw, str) and raw.strip():
                self.note(f"rule {label}: id renamed to {base} (leaksweep ids are kebab-case)")
            else:
                self.note(f"rule {label}: has no id: imported as {base}")
        new = base
        if new in self.reserved:
            new = f"{base}-imported"
            self.note(f"rule {label}: id {base} is taken by a built-in rule: imported as {new}")
        counter = 2
        while new in self.used_ids:
            new = f"{base}-{counter}"
            counter += 1
            if new not in self.used_ids:
                self.note(
                    f"rule {label}: id {base} is already used by another imported rule: imported as {new}"
                )
        return new

    def rule(self, raw: Any, index: int) -> None:
        if not isinstance(raw, dict):
            self.note(f"rule #{index + 1}: is {_kind(raw)}, not a table: not imported")
            return
        table = _lower_keys(raw)
        raw_id = table.get("id")
        label = raw_id if isinstance(raw_id, str) and raw_id.strip() else f"#{index + 1}"
        if label in self.rules:
            # gitleaks keeps the last definition of an id.
            self.used_ids.discard(self.rules.pop(label)["id"])
            self.note(f"rule {label}: defined more than once: only the last definition is imported")
        # A dropped rule gets one note, its reason: what else would have changed is moot.
        outer, self.notes = self.notes, []
        try:
            rule = self._rule(table, label, index)
        except _Skip as skip:
            outer.append(f"rule {label}: {skip}")
            return
        finally:
            outer, self.notes = self.notes, outer
        self.notes.extend(outer)
        self.rules[label] = rule
        self.used_ids.add(rule["id"])

    def _rule(self, table: dict[str, Any], label: str, index: int) -> dict[str, Any]:
        who = f"rule {label}"
        if table.get("skipreport") is True:
            raise _Skip("skipReport = true (only reported as part of a composite rule): not imported")
        pattern, path = table.get("regex"), table.get("path")
        if not pattern:
            if path:
                raise _Skip(
                    f"path-only rule (reports any file whose path matches {path!r}): not supported "
                    "by leaksweep, not imported"
                )
            raise _Skip("has no regex (it only adjusts a rule of an extended config): not imported")
        if not isinstance(pattern, str):
            raise _Skip(f"regex is {_kind(pattern)}, not a string: not imported")
        try:
            parsed = parse_go_regex(pattern)
            _refuse_huge(parsed.python)
            compiled = regex.compile(parsed.python)
        except (UnsupportedRegex, regex.error, ValueError, OverflowError, RecursionError) as exc:
            raise _Skip(f"regex does not compile as a Python regex ({exc}): not imported") from None

        new_id = self.new_id(label, table.get("id"), index)
        for key in sorted(set(table) - RULE_FIELDS):
            self.note(f"{who}: unknown field '{key}' ignored")
        description = table.get("description")
        if description is not None and not isinstance(description, str):
            self.note(f"{who}: description is {_kind(description)}, not a string: ignored")
            description = None
        name, long_description = _name_and_description(description or "", new_id)
        keywords = self.keywords(who, table.get("keywords", []), parsed)
        secret_group = self.secret_group(who, table.get("secretgroup", 0), compiled.groups)

        rule: dict[str, Any] = {"id": new_id, "name": name}
        if long_description:
            rule["description"] = long_description
        rule["regex"] = parsed.python
        if secret_group:
            rule["secret_group"] = secret_group
        rule["keywords"] = keywords
        entropy = table.get("entropy", 0)
        if isinstance(entropy, bool) or not isinstance(entropy, int | float):
            self.note(f"{who}: entropy {entropy!r} is not a number: ignored")
        elif not 0 <= entropy <= 8:
            self.note(f"{who}: entropy {entropy} is outside 0..8 bits per character: ignored")
        elif entropy:
            rule["entropy"] = float(entropy)
        rule["severity"] = SEVERITY
        rule["confidence"] = CONFIDENCE
        tags = _str_list(table.get("tags", []))
        if tags is None:
            self.note(f"{who}: tags is not an array of strings: ignored")
        elif any(tags):
            rule["tags"] = list(dict.fromkeys(t for t in tags if t))
        if path:
            self.scope(who, rule, path)
        rule["remediation"] = (
            f"Revoke or rotate this credential at its issuer (imported rule from {self.source_name}: "
            "add provider-specific steps)"
        )

        allowlists: list[tuple[str, Any]] = []
        if "allowlist" in table:
            allowlists.append(("[rules.allowlist]", table["allowlist"]))
        raw_lists = table.get("allowlists", [])
        if isinstance(raw_lists, list):
            allowlists += [(f"[[rules.allowlists]] #{n + 1}", a) for n, a in enumerate(raw_lists)]
        else:
            allowlists.append(("[[rules.allowlists]]", raw_lists))
        for where, item in allowlists:
            fragment = self.allowlist(item, who, where)
            if fragment is not None:
                self.merge_allow(rule, fragment)

        required = table.get("required")
        if required:
            ids = [r.get("id") for r in required if isinstance(r, dict)] if isinstance(required, list) else []
            self.note(
                f"{who}: composite rule: its [[rules.required]] rules {ids} are not carried over; "
                "the rule now reports its own matches without them"
            )
        return rule

    def keywords(self, who: str, raw: Any, parsed: ParsedRegex) -> list[str]:
        """Keywords that occur inside the rule's matches: gitleaks only needs them in the file."""
        given = _str_list(raw)
        if given is None:
            self.note(f"{who}: keywords is not an array of strings: ignored")
            given = []
        keywords = list(dict.fromkeys(k.lower() for k in given if k.strip()))
        kept = [k for k in keywords if keyword_in_matches(parsed, k)]
        dropped = [k for k in keywords if k not in kept]
        if kept:
            if dropped:
                self.note(
                    f"{who}: keywords {dropped} dropped: they do not occur in the regex's matches "
                    "(leaksweep requires a keyword inside every match)"
                )
            return kept
        derived = derive_keywords(parsed)
        if not derived:
            why = f"its keywords {keywords} do not occur in its matches" if keywords else "it has no keywords"
            raise _Skip(
                f"not imported: {why} and its regex has no literal to derive one from. leaksweep "
                "needs a keyword that occurs in every match: add one (a literal the token always "
                "contains) to the rule's regex and keywords, and import again"
            )
        if keywords:
            self.note(
                f"{who}: keywords {keywords} do not occur in the regex's matches: replaced by "
                f"{derived}, derived from the regex"
            )
        else:
            self.note(f"{who}: had no keywords: using {derived}, derived from the regex")
        return derived

    def secret_group(self, who: str, value: Any, groups: int) -> int:
        """The group holding the secret (0: the whole match)."""
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise _Skip(f"secretGroup {value!r} is not a group number: not imported")
        if value > groups:
            raise _Skip(f"secretGroup {value} does not exist (the regex has {groups} groups): not imported")
        if value or not groups:
            return value
        # Unset: gitleaks takes the first non-empty capture group, leaksweep the whole match.
        if groups > 1:
            self.note(
                f"{who}: secretGroup is not set and the regex has {groups} groups: gitleaks takes "
                "the first non-empty one, leaksweep uses group 1; set secret_group if another "
                "group holds the secret"
            )
        return 1

    def scope(self, who: str, rule: dict[str, Any], path: Any) -> None:
        globs, folded = path_regex_to_globs(path) if isinstance(path, str) else (None, False)
        if globs is None:
            self.note(
                f"{who}: path regex {path!r} has no glob equivalent: the rule is imported without "
                "a path scope (it runs on every file)"
            )
            return
        rule["paths"] = globs
        if folded:
            self.note(
                f"{who}: path regex {path!r} is case-insensitive; its globs {globs} match case-sensitively"
            )

    # ---- the top level ----

    def extend(self, table: Any) -> None:
        if not isinstance(table, dict):
            self.note(f"[extend]: is {_kind(table)}, not a table: ignored")
            return
        table = _lower_keys(table)
        if table.get("usedefault"):
            self.note(
                "[extend]: useDefault = true not carried over: leaksweep's built-in rules play the "
                "part of gitleaks' default config (they load unless --no-builtin)"
            )
        for key in ("path", "url"):
            if table.get(key):
                self.note(
                    f"[extend]: {key} = {table[key]!r} not carried over: import that config too "
                    "and pass both packs with --rules"
                )
        disabled = table.get("disabledrules")
        if disabled:
            self.note(
                f"[extend]: disabledRules {disabled} not carried over: use --disable ID on the "
                "command line for rules you do not want"
            )
        for key in sorted(set(table) - {"usedefault", "path", "url", "disabledrules"}):
            self.note(f"[extend]: unknown field '{key}' ignored")

    def global_allowlist(self, item: Any, where: str) -> None:
        if isinstance(item, dict):
            table = _lower_keys(item)
            targets = table.get("targetrules")
            if targets:
                # Allowlists with targetRules are per-rule allow lists shared by several rules.
                rest = {k: v for k, v in item.items() if k.lower() != "targetrules"}
                for target in _str_list(targets) or []:
                    if target not in self.rules:
                        self.note(f"{where}: targets rule {target}, which was not imported: ignored")
                        continue
                    fragment = self.allowlist(rest, f"rule {target}", f"{where} (targetRules)")
                    if fragment is not None:
                        self.merge_allow(self.rules[target], fragment)
                return
            counts = [f"{len(v)} {k}" for k, v in table.items() if isinstance(v, list) and v]
            what = f" ({', '.join(counts)})" if counts else ""
            label = f" '{table['description']}'" if isinstance(table.get("description"), str) else ""
            self.note(
                f"{where}: global allowlist{label}{what} not carried over: global allow lists belong "
                "in leaksweep's allowlist file (not yet available)"
            )
        else:
            self.note(f"{where}: is {_kind(item)}, not a table: ignored")


def import_gitleaks(text: str, source: str, reserved_ids: Collection[str] = ()) -> ImportResult:
    """Convert gitleaks TOML ``text`` (read from ``source``, for messages) to leaksweep rules.

    ``reserved_ids`` are ids already in use (the built-in rules): imported rules that would
    clash are renamed, so the pack loads next to the built-ins.
    Raises LeaksweepError (``source:line``) for malformed TOML.
    """
    try:
        data = tomllib.loads(text)
    except RecursionError:
        raise LeaksweepError("invalid TOML: nested too deeply", where=source) from None
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        m = re.search(r"\s*\(at line (\d+), column (\d+)\)$", message)
        if m:
            where = f"{source}:{m.group(1)}"
            message = f"{message[: m.start()]} (column {m.group(2)})"
        else:
            end = re.search(r"\s*\(at end of document\)$", message)
            where = f"{source}:{max(len(text.splitlines()), 1)}"
            message = f"{message[: end.start()]} (at end of file)" if end else message
        raise LeaksweepError(f"invalid TOML: {message}", where=where) from None
    except ValueError:  # an integer of thousands of digits: Python refuses to convert it
        raise LeaksweepError("invalid TOML: number too large", where=source) from None

    conv = _Converter(source, reserved_ids)
    result = ImportResult(source=source)
    title = data.get("title")
    result.title = title if isinstance(title, str) and title.strip() else None
    for key in sorted(set(data) - TOP_FIELDS):
        conv.note(f"top level: unknown field '{key}' ignored")
    if "extend" in data:
        conv.extend(data["extend"])
    rules = data.get("rules", [])
    if not isinstance(rules, list):
        conv.note(f"rules: is {_kind(rules)}, not an array of tables: nothing imported")
        rules = []
    for index, raw in enumerate(rules):
        conv.rule(raw, index)
    if "allowlist" in data:
        conv.global_allowlist(data["allowlist"], "[allowlist]")
    raw_lists = data.get("allowlists", [])
    for n, item in enumerate(raw_lists if isinstance(raw_lists, list) else [raw_lists]):
        conv.global_allowlist(item, f"[[allowlists]] #{n + 1}")
    result.rules = list(conv.rules.values())
    result.notes = conv.notes
    return result


def builtin_ids() -> set[str]:
    """Ids of the built-in rules, read leniently: a pack being edited must not block an import."""
    ids: set[str] = set()
    try:
        paths = builtin_pack_paths()
    except LeaksweepError:
        return ids
    for path in paths:
        try:
            data = load_yaml(path)
        except LeaksweepError:
            continue
        if isinstance(data, LList):
            ids.update(
                item["id"] for item in data if isinstance(item, LMap) and isinstance(item.get("id"), str)
            )
    return ids


# --------------------------------------------------------------------------------------------
# YAML output: written by hand for a stable, readable layout; every scalar is quoted in a way
# that reads back as exactly the same string.
# --------------------------------------------------------------------------------------------

_PLAIN_RE = re.compile(r"[A-Za-z][A-Za-z0-9 ._/()'-]*")


def _quote(value: str) -> str:
    if value.isprintable():
        return "'" + value.replace("'", "''") + "'"
    # Double quotes are the only YAML style that can spell control characters.
    out = []
    for ch in value:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch.isprintable():
            out.append(ch)
        elif ord(ch) <= 0xFF:
            out.append(f"\\x{ord(ch):02x}")
        elif ord(ch) <= 0xFFFF:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(f"\\U{ord(ch):08x}")
    return '"' + "".join(out) + '"'


def _scalar(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        raise TypeError(f"unexpected value {value!r}")
    if isinstance(value, int | float):
        return repr(value)
    text = str(value)
    if _PLAIN_RE.fullmatch(text) and not text.endswith(" ") and yaml.safe_load(text) == text:
        return text
    return _quote(text)


def _flow(values: Iterable[Any]) -> str:
    return "[" + ", ".join(_quote(v) if isinstance(v, str) else _scalar(v) for v in values) + "]"


def _comment_block(text: str, first: str = "# ", rest: str = "#   ") -> list[str]:
    return textwrap.wrap(
        text,
        98,
        initial_indent=first,
        subsequent_indent=rest,
        break_long_words=False,  # paths and regexes stay whole
        break_on_hyphens=False,
    )


def render_yaml(result: ImportResult) -> str:
    """The leaksweep YAML pack for ``result``, with the notes as a header comment."""
    title = f" ({result.title})" if result.title else ""
    lines = _comment_block(
        f"leaksweep rule pack imported from the gitleaks config {result.source}{title} by "
        "`leaksweep rules import`. Review it before use: imported rules carry no examples, so "
        "`leaksweep rules check` warns that each has none; add examples to prove them.",
        rest="# ",
    )
    lines.append("#")
    if result.notes:
        lines.append(f"# Not carried over, or changed on the way ({len(result.notes)}):")
        for note in result.notes:
            lines.extend(_comment_block(note, first="# - ", rest="#     "))
    else:
        lines.append("# Everything was carried over.")
    if not result.rules:
        lines.append("[]")
    for rule in result.rules:
        lines.append("")
        for key, value in rule.items():
            lead = "- " if key == "id" else "  "
            if key == "allow":
                lines.append(f"{lead}allow:")
                for sub, items in value.items():
                    if sub == "regexes":
                        lines.append("    regexes:")
                        for entry in items:
                            if isinstance(entry, dict):
                                lines.append(f"      - regex: {_quote(entry['regex'])}")
                                lines.append(f"        target: {entry['target']}")
                            else:
                                lines.append(f"      - {_quote(entry)}")
                    else:
                        lines.append(f"    {sub}: {_flow(items)}")
            elif isinstance(value, list):
                lines.append(f"{lead}{key}: {_flow(value)}")
            elif key in ("regex", "remediation", "description"):
                lines.append(f"{lead}{key}: {_quote(value)}")
            else:
                lines.append(f"{lead}{key}: {_scalar(value)}")
    return "\n".join(lines) + "\n"


def load_rendered(text: str, name: str = "imported.yaml") -> list[Rule]:
    """Load ``text`` with leaksweep's own loader (through a private temporary file)."""
    with tempfile.TemporaryDirectory(prefix="leaksweep-import-") as tmp:
        path = Path(tmp) / name
        path.write_text(text, encoding="utf-8")
        return load_pack(path)


def check_round_trip(result: ImportResult, loaded: Sequence[Rule]) -> None:
    """The YAML must say what the converter meant; a difference is a bug in this module."""
    if len(loaded) != len(result.rules):
        raise AssertionError(f"{len(result.rules)} rules written, {len(loaded)} read back")
    for want, got in zip(result.rules, loaded, strict=True):
        allow = want.get("allow", {})
        read_regexes = [
            e.pattern.pattern if e.target == "secret" else {"regex": e.pattern.pattern, "target": e.target}
            for e in got.allow.regexes
        ]
        pairs = [
            (want["id"], got.id),
            (want["name"], got.name),
            (want.get("description", ""), got.description),
            (want["regex"], got.regex),
            (want["keywords"], list(got.keywords)),
            (want.get("paths", []), list(got.paths)),
            (allow.get("stopwords", []), list(got.allow.stopwords)),
            (allow.get("paths", []), list(got.allow.paths)),
            (allow.get("regexes", []), read_regexes),
        ]
        for expected, actual in pairs:
            if expected != actual:
                raise AssertionError(f"rule {want['id']}: wrote {expected!r}, read back {actual!r}")
