"""On-disk caches in the user's cache directory, so a pre-commit hook and a repeated audit do not
redo work: the parsed rule packs, each rule's analysis and the Hyperscan database (keyed by a
hash of the packs and the library versions), and which blobs an audit has already scanned.

Every entry is rebuilt silently when it is missing, stale (its key no longer matches) or corrupt.
Entries are ``marshal`` data of plain values, rebuilt into leaksweep's own types from a fixed list:
loading one can never run code. Nothing here holds a secret: blob lists are hashes of ids and
paths. ``LEAKSWEEP_CACHE_DIR`` moves the cache; ``--no-cache`` turns it off for one run.
"""

from __future__ import annotations

import contextlib
import functools
import marshal
import os
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from leaksweep import __version__
from leaksweep.fileio import stamp, stat_stamp

try:
    # ``hashlib`` loads OpenSSL whatever hash is asked of it, a tenth of the pre-commit hook's
    # start-up; BLAKE2 is built into the interpreter, and this is hashlib's own implementation.
    from _blake2 import blake2b
except ImportError:  # pragma: no cover - an interpreter built without it
    from hashlib import blake2b
from leaksweep.matching import (
    ANALYSIS_VERSION,
    Analysis,
    Candidates,
    CompiledRules,
    analyse_all,
    compile_rules,
)
from leaksweep.records import fields, is_record, replace, values
from leaksweep.rules import AllowRegex, Example, Rule, RuleAllow, builtin_pack_paths

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (see records.py)
if TYPE_CHECKING:
    from typing import Any

    from leaksweep.parallel import Scanned

FORMAT = "3"
CACHE_ENV = "LEAKSWEEP_CACHE_DIR"
KEEP = 6  # entries of one kind kept (older ones are removed when a new one is written)


def default_directory() -> Path | None:
    """``$LEAKSWEEP_CACHE_DIR``, else the platform's user cache directory; None if there is none."""
    explicit = os.environ.get(CACHE_ENV)
    if explicit:
        return Path(explicit)
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA")
        return Path(base) / "leaksweep" / "Cache" if base else None
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "leaksweep"
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg and os.path.isabs(xdg):
        return Path(xdg) / "leaksweep"
    try:
        return Path.home() / ".cache" / "leaksweep"
    except RuntimeError:  # no home directory
        return None


def digest(parts: Iterable[str | bytes]) -> str:
    """A hash of ``parts`` (length-prefixed, so no two lists of parts collide by concatenation)."""
    h = blake2b(digest_size=20)
    for part in parts:
        data = part.encode("utf-8", "surrogatepass") if isinstance(part, str) else part
        h.update(len(data).to_bytes(8, "little"))
        h.update(data)
    return h.hexdigest()[:40]


def _library_versions() -> list[str]:
    return [FORMAT, __version__, sys.version, _installed("regex")]


@functools.cache  # asked for each cache key of a run; the answer cannot change within it
def _installed(module: str) -> str:
    """Which copy of ``module`` is installed, without importing it (importing regex costs the
    hook more than the rest of its start-up): its file's metadata changes whenever it is upgraded
    or replaced."""
    from importlib.util import find_spec

    try:
        spec = find_spec(module)
    except (ImportError, ValueError):
        return "?"
    if spec is None or spec.origin is None:
        return "?"
    return _located(spec.origin)


def _binding(module: Any) -> str:
    """Which Hyperscan binding and library a database is compiled for: the library's version and
    the binding's file (a database loads only into the library version that wrote it)."""
    version = str(getattr(module, "__version__", "?"))
    where = getattr(module, "__file__", None)
    return f"{version}:{_located(where)}" if where else version


def _located(path: str) -> str:
    try:
        return f"{path}:{stamp(path)}"
    except OSError:
        return path


# A file last changed this long ago is known by its metadata; a newer one by its content. More
# than the coarsest timestamps in use (FAT's two seconds); short, because a pack known by its
# content until then is parsed again once it is known by its metadata.
SETTLED_SECONDS = 3.0


def _identity(path: Path) -> str | bytes:
    """What identifies a rule pack's content in a cache key, without reading it when possible
    (the hook would read half a megabyte of built-in packs on every commit).

    Any write to a file sets its change time (``st_ctime``) to the current time, and nothing can
    set it back, so a file whose change time is unchanged and in the past has unchanged content.
    Timestamps are coarse, though (a few milliseconds on Linux), so two writes in quick succession
    can leave the same times: a file changed in the last few seconds is read and hashed instead,
    the way git treats a "racily clean" file."""
    info = path.stat()
    if time.time() - info.st_ctime > SETTLED_SECONDS:
        return f"stat:{stat_stamp(info)}"
    return path.read_bytes()


# ---------------------------------------------------------------- plain-value encoding


class LazyPattern:
    """An allow-list regex read from the cache: compiled on its first use."""

    def __init__(self, source: str) -> None:
        self.pattern = source
        self._compiled: Any = None

    def search(self, *args: Any, **kwargs: Any) -> Any:
        if self._compiled is None:
            import regex

            self._compiled = regex.compile(self.pattern)
        return self._compiled.search(*args, **kwargs)


_TYPES: dict[str, type] = {
    cls.__name__: cls for cls in (Rule, RuleAllow, AllowRegex, Example, Analysis, CompiledRules)
}


def _plain(value: Any) -> Any:
    """Plain values for ``marshal``: a record becomes ("$", name, field values in order)."""
    if is_record(value) and not isinstance(value, type):
        name = type(value).__name__
        if name not in _TYPES:
            raise TypeError(f"cannot cache a {name}")
        values = []
        for field_name in fields(value):
            item = getattr(value, field_name)
            if name == "Rule" and field_name == "compiled":
                item = None  # compiled when a candidate needs it
            elif name == "AllowRegex" and field_name == "pattern":
                item = item.pattern  # its source
            values.append(_plain(item))
        return ("$", name, tuple(values))
    if isinstance(value, list | tuple):
        return ("[", tuple(_plain(v) for v in value))
    if value is None or isinstance(value, str | int | float | bool | bytes):
        return value
    raise TypeError(f"cannot cache a {type(value).__name__}")


def _restore(value: Any) -> Any:
    if type(value) is not tuple:
        return value
    if value[0] == "[":
        return tuple([_restore(v) if type(v) is tuple else v for v in value[1]])
    if value[0] != "$":
        raise ValueError("malformed cache entry")
    cls = _TYPES[value[1]]
    args = [_restore(v) if type(v) is tuple else v for v in value[2]]
    if cls is AllowRegex:
        args[0] = LazyPattern(args[0])
    return cls(*args)


# A scan's rules (without examples) in a flat form of their own: the generic encoding above
# costs one Python call per value, and the pre-commit hook reads 400-odd rules on every commit.
_RULE_FIELDS = tuple(
    name for name in fields(Rule) if name not in ("allow", "examples", "negative_examples", "compiled")
)
# Rule's fields run: ..., paths, allow, examples, negative_examples, validate, ...
_ALLOW_AT = fields(Rule).index("allow")


def _plain_rule(rule: Rule) -> tuple[Any, ...]:
    allow = rule.allow
    head = tuple(getattr(rule, name) for name in _RULE_FIELDS)
    regexes = tuple((r.pattern.pattern, r.target) for r in allow.regexes)
    return (head, allow.stopwords, regexes, allow.paths)


def _restore_rule(value: tuple[Any, ...]) -> Rule:
    head, stopwords, regexes, paths = value
    allow = RuleAllow(stopwords, tuple(AllowRegex(LazyPattern(p), t) for p, t in regexes), paths)
    if len(head) != len(_RULE_FIELDS):
        raise ValueError("malformed cache entry")
    args: list[Any] = [*head[:_ALLOW_AT], allow, (), (), *head[_ALLOW_AT:]]
    return Rule(*args)


# ---------------------------------------------------------------- files


class Store:
    """A directory of cache entries, each written atomically and read back or rebuilt."""

    def __init__(self, directory: Path | None) -> None:
        self.directory = directory

    def writable(self) -> bool:
        """Whether entries can be written: the directory, or the nearest folder that exists on
        the way to it, is a folder this process may write to."""
        probe = self.directory
        if probe is None:
            return False
        while not probe.exists():
            if probe.parent == probe:
                return False
            probe = probe.parent
        return probe.is_dir() and os.access(probe, os.W_OK)

    def read(self, kind: str, key: str) -> Any:
        if self.directory is None:
            return None
        try:
            return marshal.loads((self.directory / kind / f"{key}.bin").read_bytes())
        except (OSError, EOFError, ValueError, TypeError):
            return None

    def read_with_payload(self, kind: str, key: str) -> tuple[Any, bytes] | None:
        """An entry written with a payload: its value, and the payload read straight into one
        bytes object (a 2 MB Hyperscan database copied once, not three times via marshal)."""
        if self.directory is None:
            return None
        try:
            with open(self.directory / kind / f"{key}.bin", "rb") as handle:
                size = int.from_bytes(handle.read(8), "little")
                value = marshal.loads(handle.read(size))
                return value, handle.read()
        except (OSError, EOFError, ValueError, TypeError):
            return None

    def write(self, kind: str, key: str, value: Any, payload: bytes | None = None) -> None:
        if self.directory is None:
            return
        import tempfile

        folder = self.directory / kind
        try:
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".bin", dir=folder)
            try:
                with os.fdopen(fd, "wb") as handle:
                    if payload is None:
                        marshal.dump(value, handle)
                    else:
                        head = marshal.dumps(value)
                        handle.write(len(head).to_bytes(8, "little") + head)
                        handle.write(payload)
                os.replace(tmp, folder / f"{key}.bin")
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
            self._prune(folder)
        except OSError:
            pass  # a read-only or full cache directory only costs speed

    @staticmethod
    def _prune(folder: Path) -> None:
        entries = sorted(folder.glob("*.bin"), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in entries[KEEP:]:
            with contextlib.suppress(OSError):
                old.unlink()


# ---------------------------------------------------------------- rules


class RuleCache:
    """Parsed rule packs and their candidate stage, from the cache when it has them."""

    def __init__(self, directory: Path | None = None, enabled: bool = True) -> None:
        self.store = Store(directory if enabled else None)
        self.hits: list[str] = []  # what came from the cache (for -v)

    def load_rules(
        self,
        packs: Sequence[Path],
        builtin: bool,
        loader: Callable[[], list[Rule]],
        examples: bool = True,
    ) -> list[Rule]:
        """The rules ``loader`` would return for these packs; read from the cache when the packs'
        contents are unchanged. Errors in a pack come from ``loader``, so they are never cached.
        Scans pass ``examples=False``: the rules then come without their (bulky) examples."""
        try:
            paths = (builtin_pack_paths() if builtin else []) + list(packs)
            parts: list[str | bytes] = [*_library_versions(), "builtin" if builtin else ""]
            for path in paths:
                parts += [str(path), _identity(path)]
        except Exception:  # an unreadable pack: the loader reports it
            return loader()
        key = digest(parts)
        rules = self._read_rules(key, examples)
        if rules is not None:
            self.hits.append("rules")
            return rules
        rules = loader()
        self.store.write("rules", key, [_plain_rule(r) for r in rules])
        self.store.write("examples", key, _plain([(r.examples, r.negative_examples) for r in rules]))
        return rules

    def _read_rules(self, key: str, examples: bool) -> list[Rule] | None:
        found = self.store.read("rules", key)
        if found is None:
            return None
        try:
            rules = [_restore_rule(value) for value in found]
            if not rules:  # damaged, or packs without rules: loading those again costs nothing
                return None
            if examples:
                extra = self.store.read("examples", key)
                if extra is None:
                    return None
                pairs = _restore(extra)
                if len(pairs) != len(rules):
                    return None
                rules = [
                    replace(r, examples=ex, negative_examples=tuple(tuple(n) for n in neg))
                    for r, (ex, neg) in zip(rules, pairs, strict=True)
                ]
        except (KeyError, TypeError, ValueError, IndexError):
            return None
        return rules

    def candidates(self, rules: Sequence[Rule], backend: str = "auto", repeated: bool = False) -> Candidates:
        """The candidate stage for ``rules``: analyses and the Hyperscan database from the cache
        when present; the database is compiled (and stored) when a scan first needs it, or at
        once for a ``repeated`` scan (the pre-commit hook) when it can be stored: one slow
        commit, and every later one finds its candidates without the ``regex`` module."""
        key = digest(
            [*_library_versions(), ANALYSIS_VERSION]
            + [f"{r.id}\0{r.regex}\0{chr(1).join(r.keywords)}" for r in rules]
        )
        analyses: list[Analysis] | None = None
        found = self.store.read("analyses", key)
        if type(found) is tuple and len(found) == len(rules):
            with contextlib.suppress(TypeError, ValueError):
                # One flat tuple of field values per analysis: the hook reads 400-odd of them.
                analyses = [Analysis(*values) for values in found]
                self.hits.append("analyses")
        if analyses is None:
            analyses = analyse_all([r.regex for r in rules])
            self.store.write("analyses", key, tuple(values(a) for a in analyses))
        compiled: CompiledRules | None = None
        db_key = ""
        if backend in ("auto", "hyperscan"):
            from leaksweep.matching import hyperscan_import

            module, _ = hyperscan_import()
            if module is not None:
                db_key = digest([key, _binding(module)])
                found = self.store.read_with_payload("hyperscan", db_key)
                if found is not None:
                    with contextlib.suppress(KeyError, TypeError, ValueError, IndexError):
                        restored_db = _restore(found[0])
                        if isinstance(restored_db, CompiledRules) and len(restored_db.modes) == len(rules):
                            compiled = replace(restored_db, database=found[1])
                            self.hits.append("hyperscan database")
        ids = [r.id for r in rules]

        def compile_and_store(all_analyses: Sequence[Analysis]) -> CompiledRules:
            built = compile_rules(all_analyses, ids, [r.keywords for r in rules])
            if db_key:
                self.store.write("hyperscan", db_key, _plain(replace(built, database=b"")), built.database)
            return built

        stage = Candidates(
            [r.regex for r in rules],
            [r.keywords for r in rules],
            backend=backend,
            analyses=analyses,
            compiled=compiled,
            compile=compile_and_store,
            # Compiled at once only when it can be kept: an unwritable cache would make every
            # commit pay the compilation instead of the keyword prefilter's few milliseconds.
            eager=repeated and bool(db_key) and self.store.writable(),
        )
        stage.origin = list(self.hits)
        return stage


# ---------------------------------------------------------------- incremental audits


def rules_digest(rules: Sequence[Rule], *options: object) -> str:
    """A hash of everything about ``rules`` (and the detector ``options``) that decides findings."""
    bare = [replace(r, examples=(), negative_examples=()) for r in rules]
    return digest([*_library_versions(), marshal.dumps(_plain(bare)), repr(options)])


class AuditMemory:
    """The blobs an earlier audit of this repository, with the same rules, scanned and found
    nothing in (no finding, nothing dropped, no note), and the ones that were binary.

    A blob is remembered with the path it was scanned at (path-scoped rules and allow lists
    depend on it), as a hash of id and path: the file holds no content and no secret. A blob
    with anything to report is never remembered, so it is scanned (and reported) every time."""

    CLEAN, BINARY = b"c", b"b"

    def __init__(self, store: Store, repository: str, rules_key: str) -> None:
        self.store = store
        self.kind = f"audits/{digest([repository])}"
        self.key = rules_key
        self.known: dict[bytes, bytes] = {}
        self.seen: dict[bytes, bytes] = {}
        self.skipped = 0
        found = store.read(self.kind, self.key)
        if isinstance(found, tuple) and len(found) == 2 and all(isinstance(x, bytes) for x in found):
            clean, binary = found
            for blob in (clean, binary):
                if len(blob) % 16:
                    return  # corrupt: start afresh
            for i in range(0, len(clean), 16):
                self.known[clean[i : i + 16]] = self.CLEAN
            for i in range(0, len(binary), 16):
                self.known[binary[i : i + 16]] = self.BINARY

    @staticmethod
    def _id(blob: str, path: str) -> bytes:
        return blake2b(f"{blob}\0{path}".encode("utf-8", "surrogateescape"), digest_size=16).digest()

    def status(self, blob: str, path: str) -> bytes | None:
        """CLEAN or BINARY if an earlier audit scanned this blob at this path, else None."""
        state = self.known.get(self._id(blob, path))
        if state is not None:
            self.seen[self._id(blob, path)] = state
            self.skipped += 1
        return state

    def record(self, scanned: Scanned) -> None:
        """Remember a blob this audit scanned, if it had nothing to report."""
        found = scanned.detection
        if scanned.blob is None or found.findings or found.dropped or found.notes:
            return
        if found.skipped is None:
            self.seen[self._id(scanned.blob, scanned.path)] = self.CLEAN
        elif found.skipped.reason == "binary":
            self.seen[self._id(scanned.blob, scanned.path)] = self.BINARY

    def save(self) -> None:
        """Remember what this audit saw (blobs no longer reachable are forgotten)."""
        clean = b"".join(sorted(k for k, v in self.seen.items() if v == self.CLEAN))
        binary = b"".join(sorted(k for k, v in self.seen.items() if v == self.BINARY))
        self.store.write(self.kind, self.key, (clean, binary))
