"""Property-based tests (Hypothesis) of everything that reads untrusted input: the YAML loader,
the rule pack, config, allowlist and baseline loaders, the pre-push input parser and the
regex size measure. Whatever the input, the only exception is the documented LeaksweepError
(RuleError for packs), which the CLI turns into one line and exit code 2.

A longer run of the same idea, counting its inputs, is ``python fuzz/run.py``."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from leaksweep.config import KEYS, load_config
from leaksweep.errors import LeaksweepError
from leaksweep.regexguard import expanded_size, too_large
from leaksweep.rules import ALLOW_KEYS, RULE_KEYS, load_pack
from leaksweep.sources.prepush import PushedRef, framework_args, parse_lines
from leaksweep.suppress import ENTRY_KEYS, load_allowlist, load_baseline
from leaksweep.yamlsrc import load_yaml

FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
)


@pytest.fixture(scope="module")
def scratch() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="leaksweep-fuzz-") as folder:
        yield Path(folder)


# ---- strategies ---------------------------------------------------------------------------------

# Text that stresses parsers: YAML/JSON syntax, regex metacharacters, controls, odd Unicode.
_SYNTAX = st.sampled_from([*"[]{}:,-&*!|>'\"#%@`?\\/\t\n\r ", "\x00", "\x1b", "\u2028", "\ufeff", "\x85"])
nasty_text = st.text(st.one_of(st.characters(), _SYNTAX), max_size=200)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    nasty_text,
    st.sampled_from(
        ["(a|aa)+b", "a{1000000}", "([", "\\b(?P<secret>x{3})\\b", "2024-02-30", "1e999", "~", "yes"]
    ),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(nasty_text, inner, max_size=4)),
    max_leaves=20,
)


def _shaped(keys: set[str] | dict[str, str]) -> st.SearchStrategy[dict[str, Any]]:
    """Mappings that mostly use the real keys (so validation goes deep) with random values."""
    return st.dictionaries(
        st.one_of(st.sampled_from(sorted(keys)), nasty_text), values, max_size=len(keys) + 1
    )


rule_like = st.lists(
    st.one_of(
        _shaped(RULE_KEYS),
        st.builds(lambda d, allow: {**d, "allow": allow}, _shaped(RULE_KEYS), _shaped(ALLOW_KEYS)),
        values,
    ),
    max_size=3,
)
config_like = st.one_of(_shaped(KEYS), values)
allowlist_like = st.one_of(st.lists(st.one_of(_shaped(ENTRY_KEYS), values), max_size=4), values)
baseline_like = st.one_of(
    st.fixed_dictionaries(
        {
            "version": st.one_of(st.just(1), scalars),
            "findings": st.lists(st.one_of(values, _shaped({"fingerprint", "rule", "path"})), max_size=4),
        }
    ),
    values,
)


def _dump_yaml(data: Any) -> str:
    try:
        return yaml.safe_dump(data, allow_unicode=True)
    except (yaml.YAMLError, ValueError):
        return str(data)


@st.composite
def documents(
    draw: st.DrawFn, shaped: st.SearchStrategy[Any], dump: Callable[[Any], str] = _dump_yaml
) -> bytes:
    """A well-formed document of the right shape, then maybe damaged: truncated, spliced with
    syntax, or swapped for raw bytes."""
    text = dump(draw(shaped))
    how = draw(st.sampled_from(["as-is", "truncate", "splice", "bytes", "text"]))
    if how == "truncate" and text:
        text = text[: draw(st.integers(0, len(text)))]
    elif how == "splice":
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(nasty_text) + text[at:]
    elif how == "bytes":
        return draw(st.binary(max_size=300))
    elif how == "text":
        text = draw(nasty_text)
    return text.encode("utf-8", "surrogatepass")


def _load(loader: Callable[[Path], Any], folder: Path, name: str, raw: bytes) -> None:
    path = folder / name
    path.write_bytes(raw)
    try:
        loader(path)
    except LeaksweepError as exc:
        message = str(exc)
        assert message.startswith(str(path)), message  # it names the file
        assert "\n" not in message  # and fits on one line


# ---- properties ---------------------------------------------------------------------------------


@FUZZ
@given(raw=documents(values))
def test_yaml_loader(scratch: Path, raw: bytes) -> None:
    _load(load_yaml, scratch, "doc.yaml", raw)


@FUZZ
@given(raw=documents(rule_like))
def test_rule_pack_loader(scratch: Path, raw: bytes) -> None:
    _load(load_pack, scratch, "pack.yaml", raw)


@FUZZ
@given(raw=documents(config_like))
def test_config_loader(scratch: Path, raw: bytes) -> None:
    _load(lambda p: load_config(explicit=p), scratch, "config.yaml", raw)


@FUZZ
@given(raw=documents(allowlist_like))
def test_allowlist_loader(scratch: Path, raw: bytes) -> None:
    _load(load_allowlist, scratch, "allow.yaml", raw)


@FUZZ
@given(raw=documents(baseline_like, dump=lambda d: json.dumps(d, allow_nan=True, default=str)))
def test_baseline_loader(scratch: Path, raw: bytes) -> None:
    _load(load_baseline, scratch, "baseline.json", raw)


_sha = st.text("0123456789abcdef", min_size=40, max_size=40)
_ref = st.text(st.characters(blacklist_categories=["Z", "C"]), min_size=1, max_size=40)


@FUZZ
@given(text=st.text(max_size=300))
def test_pre_push_parser_on_anything(text: str) -> None:
    try:
        refs = parse_lines(text)
    except LeaksweepError as exc:
        assert str(exc).startswith("pre-push input line ")
        return
    assert all(isinstance(r, PushedRef) for r in refs)


@FUZZ
@given(lines=st.lists(st.tuples(_ref, _sha, _ref, _sha), max_size=5), blank=st.booleans())
def test_pre_push_parser_reads_what_git_writes(lines: list[tuple[str, str, str, str]], blank: bool) -> None:
    text = "".join(f"{a} {b} {c} {d}\n" + ("\n" if blank else "") for a, b, c, d in lines)
    assert parse_lines(text) == [PushedRef(*line) for line in lines]


@FUZZ
@given(
    env=st.dictionaries(
        st.sampled_from(["PRE_COMMIT_FROM_REF", "PRE_COMMIT_TO_REF", "PRE_COMMIT_LOCAL_BRANCH", "X"]),
        st.text(max_size=50),
    )
)
@example(env={"PRE_COMMIT_FROM_REF": "1", "PRE_COMMIT_TO_REF": "-"})  # once found by CI
@example(env={"PRE_COMMIT_LOCAL_BRANCH": "--output=x"})
def test_pre_commit_framework_variables(env: dict[str, str]) -> None:
    try:
        args = framework_args(env)
    except LeaksweepError:
        return
    if args is not None:
        # Whatever the variables say, they reach git as revisions, never as options.
        assert "--end-of-options" in args
        assert all(not a.startswith("-") for a in args[args.index("--end-of-options") + 1 :])


@FUZZ
@given(
    pattern=st.text(
        st.one_of(st.characters(), st.sampled_from(list("(){}[]\\?*+|,0123456789^$"))), max_size=80
    )
)
def test_regex_size_measure_never_fails(pattern: str) -> None:
    size = expanded_size(pattern)
    assert size >= 0
    assert (too_large(pattern) is None) == (size <= 50_000)


@FUZZ
@given(counts=st.lists(st.integers(1, 60), min_size=1, max_size=5))
def test_regex_size_measure_multiplies_nested_counts(counts: list[int]) -> None:
    pattern = "a"
    for n in counts:
        pattern = f"(?:{pattern}){{{n}}}"
    expected = 1
    for n in counts:
        expected *= n
    assert expanded_size(pattern) == expected
    assume(expected > 0)


@FUZZ
@given(digits=st.text("0123456789", min_size=1, max_size=6000), low=st.booleans())
def test_regex_size_measure_with_any_repeat_count(digits: str, low: bool) -> None:
    """Counts longer than Python converts to int (4300 digits) were a crash fuzz/run.py found."""
    pattern = f"a{{{digits},}}" if low else f"a{{1,{digits}}}"
    assert expanded_size(pattern) >= 1
