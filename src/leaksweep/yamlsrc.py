"""Load YAML while remembering where every mapping and key came from.

Config and rule errors must name ``file:line``; PyYAML's plain loaders drop positions, so we
compose the node graph ourselves and build Python values with line numbers attached.

Everything about the input is bounded, because rule packs and configs can come from a
repository we do not trust: the bytes read, the number of parser events (counted in a cheap
first pass that stops at the limit, so a huge flat document fails before a node graph is built),
the nesting depth, and the values an alias can expand to (an alias bomb, "billion laughs", fails
fast instead of eating memory).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import yaml

from leaksweep.errors import LeaksweepError

MAX_NODES = 200_000
MAX_BYTES = 20 * 1024 * 1024
MAX_DEPTH = 100
_NODE_EVENTS = (yaml.ScalarEvent, yaml.CollectionStartEvent, yaml.AliasEvent)

# libyaml parses several times faster than the pure-Python parser and has its own nesting limit;
# the pure-Python one is the fallback where PyYAML was built without it.
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class LMap(dict[str, Any]):
    """A mapping that knows its own line and the line of each key (1-based)."""

    line: int
    key_lines: dict[str, int]


class LList(list[Any]):
    line: int
    item_lines: list[int]


def read_bounded(path: Path, limit: int, what: str = "file") -> bytes:
    """The bytes of the regular file ``path``, refusing more than ``limit``.

    Opened non-blocking and checked with fstat, so a FIFO or device named as a config (or a
    symlink to one) is refused instead of hanging the run or streaming forever."""
    where = str(path)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise LeaksweepError(f"cannot read {what}: {exc.strerror or exc}", where=where) from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise LeaksweepError(f"cannot read {what}: not a regular file", where=where)
        with os.fdopen(fd, "rb", closefd=False) as handle:
            raw = handle.read(limit + 1)
    except OSError as exc:
        raise LeaksweepError(f"cannot read {what}: {exc.strerror or exc}", where=where) from None
    finally:
        os.close(fd)
    if len(raw) > limit:
        raise LeaksweepError(f"{what} is larger than {limit} bytes", where=where)
    return raw


def decode_utf8(raw: bytes, where: str, what: str = "file") -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise LeaksweepError(f"{what} is not UTF-8 (byte {exc.start})", where=f"{where}:{line}") from None


def load_yaml(path: Path, text: str | None = None) -> Any:
    """Parse one YAML document from ``path`` (or ``text``) into LMap/LList/scalars."""
    where = str(path)
    if text is None:
        text = decode_utf8(read_bounded(path, MAX_BYTES), where)
    elif len(text) > MAX_BYTES:
        raise LeaksweepError(f"file is larger than {MAX_BYTES} bytes", where=where)
    try:
        _count_events(text, where)
        node = yaml.compose(text, Loader=_Loader)
    except yaml.reader.ReaderError as exc:  # a control character: it knows the offset, not the line
        number = text.count("\n", 0, max(exc.position, 0)) + 1
        raise LeaksweepError(
            f"invalid YAML: character {exc.character!r} is not allowed", where=f"{where}:{number}"
        ) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f":{mark.line + 1}" if mark else ""
        problem = " ".join(str(exc.problem or exc.context or "invalid YAML").split())
        if "maximum nesting depth" in problem:  # libyaml >= 0.2.6 stops flow nesting at 1000
            problem = f"nested more than {MAX_DEPTH} levels deep"
        else:
            problem = f"invalid YAML: {problem}"
        raise LeaksweepError(problem, where=f"{where}{line}") from None
    except yaml.YAMLError as exc:
        raise LeaksweepError(f"invalid YAML: {' '.join(str(exc).split())}", where=where) from None
    except RecursionError:  # the pure-Python composer recurses once per nesting level
        raise LeaksweepError(f"nested more than {MAX_DEPTH} levels deep", where=where) from None
    if node is None:
        return None
    budget = [MAX_NODES]
    constructor = yaml.constructor.SafeConstructor()
    return _build(node, where, budget, constructor, 0)


def _count_events(text: str, where: str) -> None:
    """Refuse a document with more than MAX_NODES values before composing it: composing builds a
    node object per value, and a flat 20 MB list would take seconds and hundreds of MB. Parsing
    alone is cheap; each value (and each alias) is one event here. Nesting depth is checked here
    too, so the error does not depend on the libyaml build (newer ones stop flow nesting at 1000
    levels with their own message, older ones not at all)."""
    count = 0
    depth = 0
    for event in yaml.parse(text, Loader=_Loader):
        if isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
            continue
        if not isinstance(event, _NODE_EVENTS):
            continue
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                line = f":{event.start_mark.line + 1}" if event.start_mark is not None else ""
                raise LeaksweepError(f"nested more than {MAX_DEPTH} levels deep", where=f"{where}{line}")
        count += 1
        if count > MAX_NODES:
            line = f":{event.start_mark.line + 1}" if event.start_mark is not None else ""
            raise LeaksweepError(f"document has more than {MAX_NODES} values", where=f"{where}{line}")


def _scalar(node: yaml.ScalarNode, where: str, constructor: yaml.constructor.SafeConstructor) -> Any:
    try:
        return constructor.construct_object(node, deep=True)
    except ValueError as exc:
        # Python refuses int() of more than 4300 digits; its advice to raise that limit is not
        # the user's to take.
        message = (
            "number too large" if "integer string conversion" in str(exc) else " ".join(str(exc).split())
        )
        raise LeaksweepError(f"bad value: {message}", where=f"{where}:{node.start_mark.line + 1}") from None
    except (yaml.YAMLError, OverflowError) as exc:
        message = " ".join(str(exc).split())
        raise LeaksweepError(f"bad value: {message}", where=f"{where}:{node.start_mark.line + 1}") from None


def _build(
    node: yaml.Node, where: str, budget: list[int], constructor: yaml.constructor.SafeConstructor, depth: int
) -> Any:
    budget[0] -= 1
    if budget[0] < 0:
        raise LeaksweepError(
            f"document expands to more than {MAX_NODES} values (alias bomb?)",
            where=f"{where}:{node.start_mark.line + 1}",
        )
    if depth > MAX_DEPTH:
        raise LeaksweepError(
            f"nested more than {MAX_DEPTH} levels deep", where=f"{where}:{node.start_mark.line + 1}"
        )
    if isinstance(node, yaml.MappingNode):
        out = LMap()
        out.line = node.start_mark.line + 1
        out.key_lines = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise LeaksweepError(
                    "merge keys (<<) are not supported", where=f"{where}:{key_node.start_mark.line + 1}"
                )
            key = _build(key_node, where, budget, constructor, depth + 1)
            if not isinstance(key, str):
                raise LeaksweepError(
                    f"keys must be strings, not {short_repr(key)}",
                    where=f"{where}:{key_node.start_mark.line + 1}",
                )
            if key in out:
                raise LeaksweepError(
                    f"duplicate key {short_repr(key)}", where=f"{where}:{key_node.start_mark.line + 1}"
                )
            out[key] = _build(value_node, where, budget, constructor, depth + 1)
            out.key_lines[key] = key_node.start_mark.line + 1
        return out
    if isinstance(node, yaml.SequenceNode):
        seq = LList()
        seq.line = node.start_mark.line + 1
        seq.item_lines = []
        for item in node.value:
            seq.append(_build(item, where, budget, constructor, depth + 1))
            seq.item_lines.append(item.start_mark.line + 1)
        return seq
    assert isinstance(node, yaml.ScalarNode)
    return _scalar(node, where, constructor)


def short_repr(value: Any, limit: int = 80) -> str:
    """A value for an error message: one line, and short even when the value is a megabyte."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def line_of(value: Any, key: str | None = None) -> int | None:
    """The line of ``value`` (an LMap/LList), or of ``key`` inside it."""
    if isinstance(value, LMap):
        if key is not None and key in value.key_lines:
            return value.key_lines[key]
        return value.line
    if isinstance(value, LList):
        return value.line
    return None
