"""Project configuration: ``.leaksweep.yaml`` (or ``--config FILE``, or ``[tool.leaksweep]`` in
``pyproject.toml``).

The built-in rules stay on unless the config says ``builtin: false`` in so many words: a local
config that silently drops every default rule is one of the classic ways scanners go quiet.
"""

from __future__ import annotations

import re
from pathlib import Path

from leaksweep.errors import LeaksweepError
from leaksweep.lazyre import lazy
from leaksweep.records import Record, field
from leaksweep.yamlsrc import MAX_BYTES, LMap, decode_utf8, load_yaml, read_bounded, short_repr

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (see records.py)
if TYPE_CHECKING:
    from typing import Any

CONFIG_NAME = ".leaksweep.yaml"
ALLOWLIST_NAME = ".leaksweep-allowlist.yaml"
BASELINE_NAME = ".leaksweep-baseline.json"
_SIZE = lazy(r"^\s*(\d+(?:\.\d+)?)\s*([kmg]?)i?b?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}
# Files are read whole, so a limit beyond this is a typo (or a hostile config), not a wish.
MAX_SIZE_LIMIT = 4 * 1024**3

KEYS = {
    "rules": "list of rule pack paths (relative to the config file)",
    "builtin": "true or false",
    "disable": "list of rule ids or tags",
    "exclude": "list of gitignore-style globs",
    "max_file_size": "a size such as 10MB or a number of bytes, at most 4GB",
    "allowlist": "path of the allowlist file",
    "baseline": "path of the baseline file",
    "inline_allow": "true or false",
}


class ProjectConfig(Record):
    path: Path | None = None  # where it was read from (None: defaults)
    root: Path = field(default_factory=Path.cwd)  # relative paths resolve against this
    rules: tuple[Path, ...] = ()
    builtin: bool = True
    disable: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    max_file_size: int | None = None
    allowlist: Path | None = None
    baseline: Path | None = None
    inline_allow: bool = True


def parse_size(text: str | int) -> int | None:
    """Bytes for ``10MB``, ``512KB``, ``1.5g`` or a number; None unless from 0 to MAX_SIZE_LIMIT."""
    if isinstance(text, bool):
        return None
    if isinstance(text, int):
        return text if 0 <= text <= MAX_SIZE_LIMIT else None
    m = _SIZE.match(str(text)[:100])
    if not m:
        return None
    # float() of a 400-digit number is inf: compare before converting to int.
    size = float(m.group(1)) * _UNITS[m.group(2).lower()]
    return int(size) if size <= MAX_SIZE_LIMIT else None


def find_root(start: Path) -> Path:
    """The repository root above ``start`` (a folder holding ``.git``), else ``start``."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / ".git").exists():
            return folder
    return start


def load_config(explicit: Path | None = None, start: Path | None = None) -> ProjectConfig:
    """``explicit`` if given; else ``.leaksweep.yaml`` or ``pyproject.toml [tool.leaksweep]`` at
    the repository root; else defaults (with the allowlist/baseline files picked up if present)."""
    root = find_root(start or Path.cwd())
    if explicit is not None:
        if not explicit.exists() and not explicit.is_symlink():
            raise LeaksweepError("config file not found", where=str(explicit))
        data, lines = _read(explicit)
        return _build(data, lines, explicit, explicit.resolve().parent)
    candidate = root / CONFIG_NAME
    if candidate.is_file():
        data, lines = _read(candidate)
        return _build(data, lines, candidate, root)
    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
        section = _pyproject_section(pyproject)
        if section is not None:
            data, lines = section
            return _build(data, lines, pyproject, root)
    return _build({}, {}, None, root)


def _read(path: Path) -> tuple[dict[str, Any], dict[str, int]]:
    data = load_yaml(path)
    if data is None:
        return {}, {}
    if not isinstance(data, LMap):
        raise LeaksweepError("the config must be a mapping of keys to values", where=f"{path}:1")
    return dict(data), dict(data.key_lines)


def _pyproject_section(path: Path) -> tuple[dict[str, Any], dict[str, int]] | None:
    text = decode_utf8(read_bounded(path, MAX_BYTES), str(path))
    if "leaksweep" not in text:
        # Every way TOML can spell [tool.leaksweep] names it; most projects' pyproject.toml has
        # no such section, and parsing it (importing tomllib) would be wasted on every commit.
        return None
    import tomllib

    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise LeaksweepError(f"invalid TOML: {' '.join(str(exc).split())}", where=str(path)) from None
    except RecursionError:
        raise LeaksweepError("invalid TOML: nested too deeply", where=str(path)) from None
    except ValueError as exc:  # an integer of thousands of digits
        raise LeaksweepError(f"invalid TOML: {' '.join(str(exc).split())[:120]}", where=str(path)) from None
    tool = doc.get("tool")
    if tool is None:
        return None
    if not isinstance(tool, dict):
        raise LeaksweepError("[tool] must be a table", where=str(path))
    section = tool.get("leaksweep")
    if section is None:
        return None
    if not isinstance(section, dict):
        raise LeaksweepError("[tool.leaksweep] must be a table", where=str(path))
    # tomllib keeps no positions: find each key's line under the section header ourselves.
    lines: dict[str, int] = {}
    in_section = False
    header = 1
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if stripped.startswith("["):
            in_section = stripped.replace(" ", "") == "[tool.leaksweep]"
            if in_section:
                header = number
            continue
        if in_section:
            key = stripped.split("=", 1)[0].strip().strip('"')
            if key in section and key not in lines:
                lines[key] = number
    for key in section:
        lines.setdefault(key, header)
    return section, lines


def _build(data: dict[str, Any], lines: dict[str, int], path: Path | None, root: Path) -> ProjectConfig:
    where = str(path) if path else "<defaults>"

    def fail(key: str, message: str) -> LeaksweepError:
        return LeaksweepError(f"{key}: {message}", where=f"{where}:{lines.get(key, 1)}")

    for key in data:
        if key not in KEYS:
            raise fail(key, f"unknown key (known: {', '.join(sorted(KEYS))})")

    def strings(key: str) -> tuple[str, ...]:
        value = data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise fail(key, f"must be a {KEYS[key]}")
        return tuple(value)

    def boolean(key: str, default: bool) -> bool:
        value = data.get(key, default)
        if not isinstance(value, bool):
            raise fail(key, f"must be true or false, got {short_repr(value)}")
        return value

    def path_value(key: str, default_name: str) -> Path | None:
        if key in data:
            value = data[key]
            if not isinstance(value, str) or not value:
                raise fail(key, f"must be a {KEYS[key]}")
            return (root / value) if not Path(value).is_absolute() else Path(value)
        default = root / default_name
        return default if default.is_file() else None

    size = None
    if "max_file_size" in data:
        size = parse_size(data["max_file_size"]) if not isinstance(data["max_file_size"], bool) else None
        if size is None:
            raise fail(
                "max_file_size", f"must be {KEYS['max_file_size']}, got {short_repr(data['max_file_size'])}"
            )
    return ProjectConfig(
        path=path,
        root=root,
        rules=tuple(root / p for p in strings("rules")),
        builtin=boolean("builtin", True),
        disable=strings("disable"),
        exclude=strings("exclude"),
        max_file_size=size,
        allowlist=path_value("allowlist", ALLOWLIST_NAME),
        baseline=path_value("baseline", BASELINE_NAME),
        inline_allow=boolean("inline_allow", True),
    )
