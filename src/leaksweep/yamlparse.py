"""The YAML parsing behind :func:`leaksweep.yamlsrc.load_yaml`: PyYAML's composer, bounded, with
positions kept (see that module for the why)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from leaksweep.errors import LeaksweepError
from leaksweep.yamlsrc import (
    MAX_BYTES,
    MAX_DEPTH,
    MAX_NODES,
    LList,
    LMap,
    decode_utf8,
    read_bounded,
    short_repr,
)

_NODE_EVENTS = (yaml.ScalarEvent, yaml.CollectionStartEvent, yaml.AliasEvent)

# libyaml parses several times faster than the pure-Python parser and has its own nesting limit;
# the pure-Python one is the fallback where PyYAML was built without it.
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse_document(path: Path, text: str | None = None) -> Any:
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
