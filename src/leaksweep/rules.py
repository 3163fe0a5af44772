"""Rule packs: load YAML, validate every field once, compile.

Errors read ``rules/aws.yaml:41: rule aws-access-key: regex: ...`` so a pack author can jump to
the line. Validation is strict (unknown keys are errors) because a typo such as ``keyword:``
would otherwise silently disable the rule's prefilter or allow list.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from leaksweep.errors import RuleError
from leaksweep.heuristics import HEURISTICS
from leaksweep.lazyre import lazy
from leaksweep.model import CONFIDENCES, SEVERITIES, Confidence, Severity
from leaksweep.records import Record, field
from leaksweep.regexguard import too_large
from leaksweep.validators import VALIDATORS
from leaksweep.yamlsrc import LList, LMap, load_yaml

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (see records.py)
if TYPE_CHECKING:
    from typing import Any

    Pattern = Any  # a compiled ``regex`` pattern: the regex package ships no type stubs
else:
    Pattern = object

ID_RE = lazy(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
ALLOW_TARGETS = ("secret", "match", "line")

RULE_KEYS = {
    "id",
    "name",
    "description",
    "regex",
    "secret_group",
    "keywords",
    "entropy",
    "severity",
    "confidence",
    "tags",
    "paths",
    "allow",
    "remediation",
    "examples",
    "negative_examples",
    "validate",
    "filters",
}
REQUIRED_KEYS = ("id", "name", "regex", "keywords", "severity", "remediation")
ALLOW_KEYS = {"stopwords", "regexes", "paths"}


class AllowRegex(Record):
    pattern: Pattern
    target: str  # secret | match | line


class RuleAllow(Record):
    stopwords: tuple[str, ...] = ()
    regexes: tuple[AllowRegex, ...] = ()
    paths: tuple[str, ...] = ()


class Example(Record):
    text: str
    secret: str
    line: int  # where the example sits in its pack, for error messages


class Rule(Record):
    id: str
    name: str
    regex: str
    keywords: tuple[str, ...]
    severity: Severity
    remediation: str
    description: str = ""
    secret_group: int | str = 0
    entropy: float | None = None
    confidence: Confidence = "medium"
    tags: tuple[str, ...] = ()
    paths: tuple[str, ...] = ()
    allow: RuleAllow = field(default_factory=RuleAllow)
    examples: tuple[Example, ...] = ()
    negative_examples: tuple[tuple[str, int], ...] = ()
    validate: str | None = None
    filters: tuple[str, ...] = ()
    source: str = "<memory>"  # "file:line" of the rule
    compiled: Pattern | None = field(default=None, compare=False, repr=False)

    @property
    def pattern(self) -> Pattern:
        if self.compiled is not None:
            return self.compiled
        return compile_regex(self.regex, self.source, self.id, "regex")

    @property
    def generic(self) -> bool:
        return "generic" in self.tags


def compile_regex(pattern: str, where: str, rule_id: str | None, key: str) -> Pattern:
    # Measured before compiling: a counted repeat can make compile() take gigabytes.
    why = too_large(pattern)
    if why is not None:
        raise RuleError(f"{key}: {why}", where=where, rule=rule_id)
    import regex  # here, not at the top: a hook whose file holds no candidate never compiles one

    try:
        return regex.compile(pattern)
    except (regex.error, ValueError, OverflowError, RecursionError) as exc:
        raise RuleError(f"{key}: invalid regular expression: {exc}", where=where, rule=rule_id) from None


def builtin_rules_dir() -> Path:
    """The built-in packs: inside the installed package, or ``rules/`` of a source checkout."""
    # Looked for on disk first: importlib.resources (and the zipfile module it imports) costs the
    # pre-commit hook milliseconds on every commit, and is needed only for a zipped install.
    beside = Path(__file__).resolve().parent
    for candidate in (beside / "rules", beside.parents[1] / "rules"):
        if candidate.is_dir():
            return candidate
    from importlib import resources

    packaged = resources.files("leaksweep") / "rules"
    if packaged.is_dir():
        return Path(str(packaged))
    return beside.parents[1] / "rules"


def builtin_pack_paths() -> list[Path]:
    directory = builtin_rules_dir()
    if not directory.is_dir():
        raise RuleError("built-in rule packs are missing from this installation", where=str(directory))
    return sorted(directory.glob("*.yaml"))


class _Ctx:
    """Where we are while validating one rule, so every message names file, line and rule."""

    def __init__(self, path: str, mapping: LMap, rule_id: str | None) -> None:
        self.path = path
        self.mapping = mapping
        self.rule_id = rule_id

    def where(self, key: str | None = None) -> str:
        line = self.mapping.key_lines.get(key, self.mapping.line) if key else self.mapping.line
        return f"{self.path}:{line}"

    def fail(self, key: str | None, message: str, line: int | None = None) -> RuleError:
        where = f"{self.path}:{line}" if line else self.where(key)
        text = f"{key}: {message}" if key else message
        return RuleError(text, where=where, rule=self.rule_id)

    def string(self, key: str, required: bool = False, default: str = "") -> str:
        if key not in self.mapping:
            if required:
                raise self.fail(None, f"missing required field '{key}'")
            return default
        value = self.mapping[key]
        if not isinstance(value, str) or (required and not value.strip()):
            raise self.fail(key, f"must be a non-empty string, got {_describe(value)}")
        return value

    def strings(self, key: str, container: LMap | None = None) -> tuple[str, ...]:
        mapping = self.mapping if container is None else container
        if key not in mapping:
            return ()
        value = mapping[key]
        line = mapping.key_lines.get(key)
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise self.fail(key, "must be a list of non-empty strings", line)
        return tuple(value)


def _describe(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, LMap):
        return "a mapping"
    if isinstance(value, LList):
        return "a list"
    return f"{type(value).__name__} {value!r}"


def parse_rule(item: Any, path: str, line: int) -> Rule:
    if not isinstance(item, LMap):
        raise RuleError(f"each rule must be a mapping, got {_describe(item)}", where=f"{path}:{line}")
    raw_id = item.get("id")
    rule_id = raw_id if isinstance(raw_id, str) else None
    ctx = _Ctx(path, item, rule_id)
    unknown = sorted(set(item) - RULE_KEYS)
    if unknown:
        raise ctx.fail(unknown[0], f"unknown field (known: {', '.join(sorted(RULE_KEYS))})")
    for key in REQUIRED_KEYS:
        if key not in item:
            raise ctx.fail(None, f"missing required field '{key}'")
    rid = ctx.string("id", required=True)
    if not ID_RE.match(rid):
        raise ctx.fail("id", f"'{rid}' must be kebab-case: lower-case letters, digits and dashes")
    name = ctx.string("name", required=True)
    pattern_text = ctx.string("regex", required=True)
    compiled = compile_regex(pattern_text, ctx.where("regex"), rid, "regex")

    secret_group = _secret_group(ctx, compiled)

    keywords = ctx.strings("keywords")
    if not keywords:
        raise ctx.fail("keywords", "at least one keyword is required (it gates the regex)")
    for kw in keywords:
        if kw != kw.lower():
            raise ctx.fail("keywords", f"'{kw}' must be lower-case (matching is case-insensitive)")

    entropy = item.get("entropy")
    if entropy is not None:
        if isinstance(entropy, bool) or not isinstance(entropy, int | float) or not 0 <= entropy <= 8:
            raise ctx.fail(
                "entropy", f"must be a number of bits per character from 0 to 8, got {_describe(entropy)}"
            )
        entropy = float(entropy)

    severity = ctx.string("severity", required=True)
    if severity not in SEVERITIES:
        raise ctx.fail("severity", f"'{severity}' is not one of {', '.join(SEVERITIES)}")
    confidence = ctx.string("confidence", default="medium")
    if confidence not in CONFIDENCES:
        raise ctx.fail("confidence", f"'{confidence}' is not one of {', '.join(CONFIDENCES)}")

    validate = item.get("validate")
    if validate is not None and validate not in VALIDATORS:
        raise ctx.fail("validate", f"unknown validator {validate!r} (known: {', '.join(sorted(VALIDATORS))})")

    filters = ctx.strings("filters")
    for filter_name in filters:
        if filter_name not in HEURISTICS:
            known = ", ".join(sorted(HEURISTICS))
            raise ctx.fail("filters", f"unknown filter {filter_name!r} (known: {known})")

    rule = Rule(
        id=rid,
        name=name,
        description=ctx.string("description"),
        regex=pattern_text,
        secret_group=secret_group,
        keywords=keywords,
        entropy=entropy,
        severity=severity,
        confidence=confidence,
        tags=ctx.strings("tags"),
        paths=ctx.strings("paths"),
        allow=_allow(ctx),
        remediation=ctx.string("remediation", required=True),
        examples=_examples(ctx),
        negative_examples=_negatives(ctx),
        validate=validate,
        filters=filters,
        source=ctx.where(),
        compiled=compiled,
    )
    _check_keywords_reachable(ctx, rule)
    return rule


def _secret_group(ctx: _Ctx, compiled: Pattern) -> int | str:
    if "secret_group" not in ctx.mapping:
        # Default: a group named "secret", else the whole match.
        return "secret" if "secret" in compiled.groupindex else 0
    group = ctx.mapping["secret_group"]
    if isinstance(group, bool) or not isinstance(group, int | str):
        raise ctx.fail("secret_group", f"must be a group number or name, got {_describe(group)}")
    if isinstance(group, int) and not 0 <= group <= compiled.groups:
        raise ctx.fail("secret_group", f"group {group} does not exist (the regex has {compiled.groups})")
    if isinstance(group, str) and group not in compiled.groupindex:
        raise ctx.fail("secret_group", f"named group {group!r} does not exist in the regex")
    return group


def _allow(ctx: _Ctx) -> RuleAllow:
    if "allow" not in ctx.mapping:
        return RuleAllow()
    allow = ctx.mapping["allow"]
    if not isinstance(allow, LMap):
        raise ctx.fail("allow", f"must be a mapping with {', '.join(sorted(ALLOW_KEYS))}")
    unknown = sorted(set(allow) - ALLOW_KEYS)
    if unknown:
        raise ctx.fail(f"allow.{unknown[0]}", "unknown field", allow.key_lines[unknown[0]])
    stopwords = tuple(s.lower() for s in ctx.strings("stopwords", allow))
    regexes: list[AllowRegex] = []
    raw_regexes = allow.get("regexes", [])
    if not isinstance(raw_regexes, list):
        raise ctx.fail("allow.regexes", "must be a list", allow.key_lines.get("regexes"))
    for index, entry in enumerate(raw_regexes):
        line = raw_regexes.item_lines[index] if isinstance(raw_regexes, LList) else None
        where = f"{ctx.path}:{line}" if line else ctx.where("allow")
        if isinstance(entry, str):
            regexes.append(AllowRegex(compile_regex(entry, where, ctx.rule_id, "allow.regexes"), "secret"))
        elif isinstance(entry, LMap) and isinstance(entry.get("regex"), str):
            target = entry.get("target", "secret")
            if set(entry) - {"regex", "target"} or target not in ALLOW_TARGETS:
                raise ctx.fail(
                    "allow.regexes", f"entries take 'regex' and 'target' ({'|'.join(ALLOW_TARGETS)})", line
                )
            regexes.append(
                AllowRegex(compile_regex(entry["regex"], where, ctx.rule_id, "allow.regexes"), target)
            )
        else:
            raise ctx.fail("allow.regexes", "each entry is a regex string or {regex, target}", line)
    return RuleAllow(stopwords=stopwords, regexes=tuple(regexes), paths=ctx.strings("paths", allow))


def _examples(ctx: _Ctx) -> tuple[Example, ...]:
    if "examples" not in ctx.mapping:
        return ()
    raw = ctx.mapping["examples"]
    if not isinstance(raw, LList):
        raise ctx.fail("examples", "must be a list of {text, secret} mappings")
    out = []
    for index, entry in enumerate(raw):
        line = raw.item_lines[index]
        if not (
            isinstance(entry, LMap)
            and set(entry) == {"text", "secret"}
            and isinstance(entry["text"], str)
            and isinstance(entry["secret"], str)
            and entry["secret"]
        ):
            raise ctx.fail(
                "examples", "each example needs exactly 'text' and a non-empty 'secret' (strings)", line
            )
        out.append(Example(entry["text"], entry["secret"], line))
    return tuple(out)


def _negatives(ctx: _Ctx) -> tuple[tuple[str, int], ...]:
    if "negative_examples" not in ctx.mapping:
        return ()
    raw = ctx.mapping["negative_examples"]
    if not isinstance(raw, LList) or not all(isinstance(v, str) for v in raw):
        raise ctx.fail("negative_examples", "must be a list of strings")
    return tuple(zip(raw, raw.item_lines, strict=True))


def _check_keywords_reachable(ctx: _Ctx, rule: Rule) -> None:
    """Every match must contain a keyword (that is what makes the prefilter exact).

    We prove it on the rule's own examples: a keyword that appears in none of them is a
    keyword that can never gate this rule in, which is a bug in the pack.
    """
    for example in rule.examples:
        assert rule.compiled is not None
        try:
            matches = list(rule.compiled.finditer(example.text, timeout=1.0))
        except TimeoutError:
            # A pattern that needs a second for its own example backtracks catastrophically.
            raise ctx.fail(
                "regex", "took more than 1s on this example (catastrophic backtracking?)", example.line
            ) from None
        for match in matches:
            text = match.group(0).lower()
            if not any(kw in text for kw in rule.keywords):
                raise ctx.fail(
                    "keywords",
                    f"none of {list(rule.keywords)} occurs in the match {match.group(0)[:40]!r} "
                    "of an example; every match must contain a keyword",
                    example.line,
                )


def load_pack(path: Path) -> list[Rule]:
    data = load_yaml(path)
    where = str(path)
    if data is None:
        raise RuleError("empty rule pack: expected a list of rules", where=f"{where}:1")
    if not isinstance(data, LList):
        raise RuleError(f"a rule pack is a list of rules, got {_describe(data)}", where=f"{where}:1")
    return [parse_rule(item, where, line) for item, line in zip(data, data.item_lines, strict=True)]


def load_rules(extra: Sequence[Path] = (), builtin: bool = True) -> list[Rule]:
    """Built-in packs (unless ``builtin`` is False) then ``extra`` packs; ids must be unique."""
    paths: list[Path] = (builtin_pack_paths() if builtin else []) + list(extra)
    rules: list[Rule] = []
    seen: dict[str, Rule] = {}
    for path in paths:
        for rule in load_pack(path):
            if rule.id in seen:
                raise RuleError(
                    f"duplicate rule id (first defined at {seen[rule.id].source})",
                    where=rule.source,
                    rule=rule.id,
                )
            seen[rule.id] = rule
            rules.append(rule)
    return rules


def select(rules: Iterable[Rule], disabled: Iterable[str] = ()) -> list[Rule]:
    """Drop rules whose id or any tag is in ``disabled``."""
    off = set(disabled)
    return [r for r in rules if r.id not in off and not off.intersection(r.tags)]
