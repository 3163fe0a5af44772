"""Load YAML while remembering where every mapping and key came from.

Config and rule errors must name ``file:line``; PyYAML's plain loaders drop positions, so we
compose the node graph ourselves and build Python values with line numbers attached.
Expansion is bounded so an alias bomb ("billion laughs") fails fast instead of eating memory.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from leaksweep.errors import LeaksweepError

MAX_NODES = 200_000
MAX_BYTES = 20 * 1024 * 1024


class LMap(dict[str, Any]):
    """A mapping that knows its own line and the line of each key (1-based)."""

    line: int
    key_lines: dict[str, int]


class LList(list[Any]):
    line: int
    item_lines: list[int]


def load_yaml(path: Path, text: str | None = None) -> Any:
    """Parse one YAML document from ``path`` (or ``text``) into LMap/LList/scalars."""
    where = str(path)
    if text is None:
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise LeaksweepError(f"cannot read file: {exc.strerror or exc}", where=where) from None
        if len(raw) > MAX_BYTES:
            raise LeaksweepError(f"file is larger than {MAX_BYTES} bytes", where=where)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise LeaksweepError(f"not UTF-8 (byte {exc.start})", where=where) from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f":{mark.line + 1}" if mark else ""
        problem = exc.problem or exc.context or "invalid YAML"
        raise LeaksweepError(f"invalid YAML: {problem}", where=f"{where}{line}") from None
    except yaml.YAMLError as exc:
        raise LeaksweepError(f"invalid YAML: {exc}", where=where) from None
    if node is None:
        return None
    budget = [MAX_NODES]
    return _build(node, where, budget)


def _scalar(node: yaml.ScalarNode, where: str) -> Any:
    loader = yaml.SafeLoader("")
    try:
        return loader.construct_object(node, deep=True)
    except (yaml.YAMLError, ValueError, OverflowError) as exc:
        raise LeaksweepError(f"bad value: {exc}", where=f"{where}:{node.start_mark.line + 1}") from None


def _build(node: yaml.Node, where: str, budget: list[int]) -> Any:
    budget[0] -= 1
    if budget[0] < 0:
        raise LeaksweepError(
            f"document expands to more than {MAX_NODES} values (alias bomb?)",
            where=f"{where}:{node.start_mark.line + 1}",
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
            key = _build(key_node, where, budget)
            if not isinstance(key, str):
                raise LeaksweepError(
                    f"keys must be strings, not {key!r}", where=f"{where}:{key_node.start_mark.line + 1}"
                )
            if key in out:
                raise LeaksweepError(
                    f"duplicate key {key!r}", where=f"{where}:{key_node.start_mark.line + 1}"
                )
            out[key] = _build(value_node, where, budget)
            out.key_lines[key] = key_node.start_mark.line + 1
        return out
    if isinstance(node, yaml.SequenceNode):
        seq = LList()
        seq.line = node.start_mark.line + 1
        seq.item_lines = []
        for item in node.value:
            seq.append(_build(item, where, budget))
            seq.item_lines.append(item.start_mark.line + 1)
        return seq
    assert isinstance(node, yaml.ScalarNode)
    return _scalar(node, where)


def line_of(value: Any, key: str | None = None) -> int | None:
    """The line of ``value`` (an LMap/LList), or of ``key`` inside it."""
    if isinstance(value, LMap):
        if key is not None and key in value.key_lines:
            return value.key_lines[key]
        return value.line
    if isinstance(value, LList):
        return value.line
    return None
