"""The candidate stage: rules translated for Hyperscan, windows, and the promise that every backend
finds exactly what the plain detector (every rule over the whole text) finds."""

from __future__ import annotations

import base64
import sysconfig
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import regex
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leaksweep.detector import Detection, Detector
from leaksweep.matching import (
    Candidates,
    HyperscanMatcher,
    KeywordMatcher,
    Starts,
    analyse,
    compile_rules,
    hyperscan_import,
    split_heads,
    transliterate,
)
from leaksweep.model import Target
from leaksweep.rules import Rule, load_pack, load_rules

RULES = load_rules()
needs_hyperscan = pytest.mark.skipif(hyperscan_import()[0] is None, reason="hyperscan is not installed")


def outcome(found: Detection) -> tuple[Any, ...]:
    return (found.findings, found.dropped, found.notes, found.skipped)


# ---------------------------------------------------------------- analysis


@pytest.mark.parametrize(
    ("pattern", "width", "single_line"),
    [
        (r"ghp_[A-Za-z0-9]{36}", 40, True),
        (r"(?i)key\s{0,3}=\s{0,3}(?P<secret>[a-z]{8,16})", 26, False),
        (r"token=[^\n]{4,}", None, True),
        (r"(?s)BEGIN.{10,20}END", 28, False),
        (r"tok\s*b", None, False),
    ],
)
def test_width_and_lines(pattern: str, width: int | None, single_line: bool) -> None:
    found = analyse(pattern)
    assert (found.width, found.single_line) == (width, single_line)
    assert found.prefix is not None


@pytest.mark.parametrize(
    "pattern",
    [
        r"[[:alpha:]]{8}tok",  # a POSIX class: regex and re read it differently
        r"(?:tok){e<=1}xx",  # fuzzy matching
        r"(?V1)tok[[a-z]--[aeiou]]",  # version-1 set operations
        r"x*",  # can match empty text
        r"[0-9a-f]{32}",  # nothing literal to anchor on
    ],
)
def test_untranslatable_patterns_fall_back_to_keywords(pattern: str) -> None:
    assert analyse(pattern).prefix is None


def test_lookarounds_widen_the_reach_not_the_prefix() -> None:
    found = analyse(r"(?<![a-z])tok_[a-z]{4}(?![a-z0-9]{3})")
    assert found.prefix is not None and found.width == 8
    assert found.reach is not None and found.reach >= 3
    assert analyse(r"tok_[a-z]{4}(?=.*x)").reach is None  # an unbounded lookahead


def test_prefix_ends_where_a_token_starts_to_vary() -> None:
    found = analyse(r"sk_live_[A-Za-z0-9]{24,99}")
    assert found.prefix is not None
    # One end per token (at its minimum length), not one per character of a long token.
    assert (found.prefix_min, found.prefix_max) == (32, 32)


# ---------------------------------------------------------------- transliteration and case folding


def test_transliteration_keeps_one_byte_per_character() -> None:
    text = "aé€\U0001d518 \u017f\u212a \u0130\u0131\n"
    data = transliterate(text)
    assert len(data) == len(text)
    assert data == b"a\x80??\x20sk\x20ii\n"


@needs_hyperscan
@pytest.mark.parametrize(
    ("pattern", "text"),
    [
        (r"(?i)secret_([a-z0-9]{8})", "\u017fecret_abcdefgh"),  # long s folds to s
        (r"(?i)key=([a-z0-9]{8})", "\u212aey=abcdefgh"),  # the Kelvin sign folds to k
        (r"(?i)pin=([a-z]{8})", "P\u0130N=abcdefgh"),  # dotted capital I
        (r"tok=(\w{8})", "tok=ÀÉÎÕÜàéî"),  # \w is Unicode
        (r"tok=([^\s\"]{8})", "tok=€€€€€€€€"),
        (r"tok=(\d{4})", "tok=٠١٢٣"),  # Arabic-Indic digits are \d
        (r"tok=([a-z]{4})\b", "tok=abcdé"),  # \b next to a non-ASCII word character
        (r"(?i)t[o]k=(.{4})", "TOK=\U0001d518\U0001d518\U0001d518\U0001d518"),
    ],
)
def test_unicode_matches_are_found_by_every_backend(pattern: str, text: str, tmp_path: Path) -> None:
    pack = tmp_path / "p.yaml"
    pack.write_text(
        f"- id: u\n  name: u\n  regex: '{pattern}'\n  secret_group: 1\n  keywords: [e, t, k, i, o]\n"
        "  severity: low\n  remediation: x\n",
        encoding="utf-8",
    )
    rules = load_pack(pack)
    content = f"line one\n{text}\n".encode()
    plain = Detector(rules, backend="plain").scan(Target("a.txt", content))
    for backend in ("python", "hyperscan"):
        assert outcome(Detector(rules, backend=backend).scan(Target("a.txt", content))) == outcome(plain)


# ---------------------------------------------------------------- windows and chains


@needs_hyperscan
def test_a_loaded_database_gets_scratch_space() -> None:
    """The binding crashes when a database from loadb() scans without scratch: the matcher must
    attach one (this would abort the test process otherwise)."""
    rules = [r for r in RULES if r.id == "github-pat"]
    analyses = [analyse(r.regex) for r in rules]
    compiled = compile_rules(analyses, [r.id for r in rules], [r.keywords for r in rules])
    matcher = HyperscanMatcher(compiled, [r.keywords for r in rules], analyses)
    text = f"token = {rules[0].examples[0].secret}\n"
    plan = matcher.plan(text, {0})
    assert 0 in plan


def test_adjacent_and_overlapping_matches_chain_as_in_a_whole_text_search(tmp_path: Path) -> None:
    pack = tmp_path / "p.yaml"
    pack.write_text(
        "- id: pair\n  name: pair\n  regex: 'ab[0-9]{2,6}(?:ab)?'\n  keywords: [ab]\n"
        "  severity: low\n  remediation: x\n"
    )
    rules = load_pack(pack)
    texts = ["ab12ab34ab56", "xab1234567ab12ab", "ab12abab12ab1", "ab12\nab34ab\n" * 50]
    for text in texts:
        plain = Detector(rules, backend="plain").scan(Target("a.txt", text.encode()))
        for backend in ("python", "hyperscan") if hyperscan_import()[0] else ("python",):
            got = Detector(rules, backend=backend).scan(Target("a.txt", text.encode()))
            assert outcome(got) == outcome(plain), (backend, text)


def test_split_heads_keeps_the_language() -> None:
    pattern = rb"(?:(?:ab)|(?:c[\x28-\x29\x7c]d)|e\x7c)x(?:f|g)"
    parts = split_heads(pattern)
    assert parts == [rb"(?:(?:ab))x(?:f|g)", rb"(?:(?:c[\x28-\x29\x7c]d))x(?:f|g)", rb"(?:e\x7c)x(?:f|g)"]
    for text in (b"abxf", b"c(dxg", b"c|dxf", b"e|xg", b"exf", b"abx"):
        assert bool(regex.fullmatch(pattern, text)) == any(regex.fullmatch(p, text) for p in parts)
    assert split_heads(rb"abc(?:d|e)") == [rb"abc(?:d|e)"]
    assert split_heads(rb"(?:ab)c") == [rb"(?:ab)c"]


@needs_hyperscan
def test_unbounded_rules_are_tried_only_where_they_can_start() -> None:
    # The built-in rules are all bounded now (rules check lints it); a rule pack may not be.
    unbounded = r"postgres(?:ql)?://[^\s:@/]+:(?P<secret>[^\s@/]+)@[^\s/]+"
    stage = Candidates([unbounded], [("postgres",)], backend="hyperscan")
    text = "x" * 1000 + "\n" + "DB=postgres://app:s3cr3tPassw0rd@db.internal/app" + "\n" + "y" * 1000
    plan = stage.plan(text, {0})
    assert isinstance(plan[0], Starts)
    assert all(last - first < 32 for first, last in plan[0].ranges)


def test_keyword_matcher_finds_overlapping_and_prefix_keywords() -> None:
    analyses = [analyse(r"api_key=[a-z]{4}"), analyse(r"key=[a-z]{4}")]
    matcher = KeywordMatcher([("api_key",), ("key",)], analyses)
    plan = matcher.plan("x api_key=abcd " * 400, {0, 1})  # long enough for the trie
    assert set(plan) == {0, 1}


# ---------------------------------------------------------------- the oracle


def corpus() -> Iterator[Target]:
    """Rule examples, negative examples, all examples in one file, tricky encodings, and some of
    the standard library: the backends must report exactly what the plain detector reports."""
    for rule in RULES:
        path = "x/" + (rule.paths[0].replace("**/", "").replace("*", "example") if rule.paths else "a.txt")
        for example in rule.examples:
            yield Target(path, example.text.encode())
            yield Target(path, (example.text + "\n").encode("utf-16-le", "replace"))
        for text, _ in rule.negative_examples:
            yield Target(path, text.encode())
    every = "\n".join(e.text for r in RULES for e in r.examples)
    yield Target("all.txt", every.encode())
    yield Target("crlf.txt", every.replace("\n", "\r\n").encode())
    yield Target("latin1.txt", every.encode("latin-1", "replace"))
    yield Target("wide.txt", ("\u017f\u212a€\U0001d518 " + every.replace(" ", " é ")).encode())
    yield Target("b64.yaml", base64.b64encode(every.encode()[:4000]))
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    for path in sorted(stdlib.glob("*.py"))[:60]:
        yield Target(path.name, path.read_bytes())


@pytest.fixture(scope="module")
def plain_results() -> list[tuple[Target, Detection]]:
    detector = Detector(RULES, backend="plain")
    return [(t, detector.scan(t)) for t in corpus()]


def test_backends_agree_with_the_plain_detector(
    make_detector: Callable[..., Detector], plain_results: list[tuple[Target, Detection]]
) -> None:
    detector = make_detector(RULES)
    mismatched = [t.path for t, found in plain_results if outcome(detector.scan(t)) != outcome(found)]
    assert mismatched == []
    assert sum(len(found.findings) for _, found in plain_results) > 300


PIECES = st.sampled_from(
    ["ab", "tok_", "TOK_", "\u017f", "\u212a", "\u0130", "é", "€", "\U0001d518", "\n", "\r\n", " ", "=",
     "'", '"', "_", "-", "0", "9", "xyz", "Zz", "QQ", "/", "+", "==", "%2F", "pass", "word", "key"]
)  # fmt: skip
FUZZ_RULES = [
    r"tok_[A-Za-z0-9]{4,12}",
    r"(?i)(?:pass|key)\w{0,4}\s{0,2}=\s{0,2}['\"]?(?P<secret>[^\s'\"]{4,20})",
    r"(?i)\bab[^\n]{2,8}\b",
    r"(?<![a-z])zz[0-9]+",
    r"(?i)tok_(?=[a-z]{2})[a-z0-9]{3,}(?![a-z])",
]


@pytest.fixture(scope="module")
def fuzz_rules(tmp_path_factory: pytest.TempPathFactory) -> list[Rule]:
    pack = tmp_path_factory.mktemp("fuzz") / "p.yaml"
    items = []
    for number, pattern in enumerate(FUZZ_RULES):
        keywords = ["tok_"] if "tok" in pattern else ["ab"] if "ab" in pattern else ["zz"]
        if "pass" in pattern:
            keywords = ["pass", "key"]
        quoted = pattern.replace("'", "''")
        items.append(
            f"- id: r{number}\n  name: r\n  regex: '{quoted}'\n  keywords: {keywords}\n"
            "  severity: low\n  remediation: x\n"
        )
    pack.write_text("".join(items), encoding="utf-8")
    return load_pack(pack)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(PIECES, max_size=60).map("".join))
def test_backends_agree_on_random_text(fuzz_rules: list[Rule], text: str) -> None:
    content = text.encode("utf-8", "surrogatepass")
    plain = outcome(Detector(fuzz_rules, backend="plain").scan(Target("f.txt", content)))
    backends = ("python", "hyperscan") if hyperscan_import()[0] else ("python",)
    for backend in backends:
        assert outcome(Detector(fuzz_rules, backend=backend).scan(Target("f.txt", content))) == plain


def test_regex_semantics_the_windows_rely_on() -> None:
    """Lookbehind and \\b see the text before ``pos``; ``^`` matches only at the real start."""
    assert regex.compile(r"(?<![a-z])abc").search("xabc", 1) is None
    assert regex.compile(r"\babc").search("xabc", 1) is None
    assert regex.compile(r"^abc").search("xabc", 1) is None


def test_without_hyperscan_auto_falls_back_to_keywords(monkeypatch: pytest.MonkeyPatch) -> None:
    import leaksweep.matching as matching

    monkeypatch.setattr(matching, "hyperscan_import", lambda: (None, "ImportError: no wheel here"))
    rules = [r for r in RULES if r.id == "github-pat"]
    stage = Candidates([r.regex for r in rules], [r.keywords for r in rules], backend="auto")
    stage.prepare()  # as a large scan would: it wants Hyperscan
    detector = Detector(rules, candidates=stage)
    found = detector.scan(Target("a.txt", f"t = {rules[0].examples[0].secret}\n".encode()))
    assert [f.rule_id for f in found.findings] == ["github-pat"]
    assert detector.backend == "python" and "no wheel here" in stage.why_not_hyperscan
    with pytest.raises(RuntimeError, match="not available"):
        Candidates([r.regex for r in rules], [r.keywords for r in rules], backend="hyperscan")


def test_verbose_names_the_backend(tmp_path: Path) -> None:
    from .conftest import run_cli

    (tmp_path / "a.txt").write_text("nothing here\n")
    res = run_cli("scan", "-v", str(tmp_path / "a.txt"))
    assert res.code == 0, res.err
    assert "leaksweep: matching: " in res.err


# ---------------------------------------------------------------- decoding: the fast path is the same


def reference_runs(text: str) -> list[tuple[int, int, str, str]]:
    """encoded_runs as it was written first (regex over the whole text, base64 module), kept as
    the definition the fast version must agree with."""
    import binascii
    import re as std_re
    from urllib.parse import unquote

    from leaksweep import decoding

    def printable(t: str) -> bool:
        return bool(t) and sum(1 for c in t if c.isprintable() or c in "\r\n\t") / len(t) >= 0.95

    def b64(run: str, urlsafe: bool) -> str | None:
        padded = run + "=" * (-len(run) % 4)
        try:
            raw = base64.urlsafe_b64decode(padded) if urlsafe else base64.b64decode(padded, validate=True)
            out = raw.decode("utf-8")
        except (binascii.Error, ValueError, UnicodeDecodeError):
            return None
        return out if printable(out) else None

    found: list[tuple[int, int, str, str]] = []
    for m in std_re.finditer(r"[A-Za-z0-9+/_-]{20,}={0,2}", text):
        run, (start, end) = m.group(0), m.span()
        if len(run) > decoding.MAX_RUN or (end < len(text) and text[end] == "="):
            continue
        body = run.rstrip("=")
        standard, urlsafe = any(c in "+/" for c in body), any(c in "-_" for c in body)
        if (standard and urlsafe) or body.isalpha() or all(c in "0123456789abcdefABCDEF" for c in body):
            continue
        decoded = b64(body if urlsafe else run, urlsafe)
        if decoded is not None:
            found.append((start, end, "base64", decoded))
    if len(std_re.findall(r"%[0-9A-Fa-f]{2}", text)) >= 2:
        for m in decoding._PERCENT.finditer(text):
            try:
                plain = unquote(m.group(0), errors="strict")
            except UnicodeDecodeError:
                continue
            if plain != m.group(0) and printable(plain):
                found.append((m.start(), m.end(), "percent", plain))
    return found


RUN_PIECES = st.one_of(
    st.sampled_from(
        ["=", "==", "===", " ", "\n", "_", "-", "+", "/", "%2F", "%41", "é", "\u212a", "a" * 30, "x" * 260]
    ),
    # Longer than the memo keeps (decided again at each meeting).
    st.binary(min_size=190, max_size=260).map(lambda b: base64.b64encode(b).decode()),
    st.binary(min_size=1, max_size=40).map(lambda b: base64.b64encode(b).decode()),
    st.binary(min_size=1, max_size=40).map(lambda b: base64.urlsafe_b64encode(b).decode().rstrip("=")),
    st.text("abc xyz=\n%", min_size=1, max_size=30).map(lambda t: base64.b64encode(t.encode()).decode()),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(RUN_PIECES, max_size=12).map("".join))
def test_encoded_runs_match_their_definition(text: str) -> None:
    from leaksweep.decoding import encoded_runs

    fast = [(r.start, r.end, r.kind, r.text) for r in encoded_runs(text)]
    assert fast == reference_runs(text)
    memo: dict[bytes, str | None] = {}
    assert [(r.start, r.end, r.kind, r.text) for r in encoded_runs(text, memo)] == fast
    assert [(r.start, r.end, r.kind, r.text) for r in encoded_runs(text, memo)] == fast  # from the memo


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(RUN_PIECES, max_size=8).map("".join), min_size=2, max_size=5))
def test_one_memo_across_texts_changes_no_result(texts: list[str]) -> None:
    """One detector's memo serves every file it scans: a run decided in one text (or one too long
    to be remembered) and met again in another must decode there as its definition says."""
    from leaksweep.decoding import encoded_runs

    memo: dict[bytes, str | None] = {}
    for text in texts:
        assert [(r.start, r.end, r.kind, r.text) for r in encoded_runs(text, memo)] == reference_runs(text)


def test_encoded_runs_match_their_definition_on_the_standard_library() -> None:
    from leaksweep.decoding import encoded_runs

    stdlib = Path(sysconfig.get_paths()["stdlib"])
    for path in sorted(stdlib.glob("*.py"))[:80]:
        text = path.read_text("utf-8", "replace")
        assert [(r.start, r.end, r.kind, r.text) for r in encoded_runs(text)] == reference_runs(text), path


@needs_hyperscan
def test_a_prefix_match_after_an_earlier_one_is_not_lost() -> None:
    # Found while bounding rules: Hyperscan 5.4 reported only the first line's prefix match when
    # the prefix opened with an alternation of two heads, so the second line came out only as a
    # generic secret. Each head is now an expression of its own (matching.split_heads).
    rule = next(r for r in RULES if r.id == "cloudflare-api-token-legacy")
    text = (
        'cf_api_token: "Ndrm7q5zB1IHMiJsAymQWgiB7D5sdabz5pgsFrew"\n'
        'const cfToken = process.env.CLOUDFLARE_API_TOKEN || "uMLEIfQbfo57VzuUNln0Sd6CzLrfIcB5fc1bEjrF";\n'
    )
    found = {
        backend: outcome(Detector([rule], backend=backend).scan(Target("a.js", text.encode())))
        for backend in ("plain", "hyperscan")
    }
    assert found["hyperscan"] == found["plain"]


@needs_hyperscan
def test_the_binding_loads_without_its_package_init_and_is_shared_with_it() -> None:
    """The hook loads Hyperscan's extension module directly (the package's __init__ imports
    typing); a later `import hyperscan` gets the same module, so databases and errors agree."""
    import subprocess
    import sys

    # A site-packages .pth file may import typing before our code runs: count only ours.
    probe = (
        "import sys\n"
        "before = set(sys.modules)\n"
        "from leaksweep.matching import hyperscan_import\n"
        "hs, why = hyperscan_import()\n"
        "new = set(sys.modules) - before\n"
        "print(hs.__name__, why == '', 'typing' in new, 'hyperscan' in sys.modules)\n"
        "import hyperscan\n"
        "print(hyperscan.Database is hs.Database, hyperscan.error is hs.error)\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.split("\n")[:2] == ["hyperscan._hs_ext True False False", "True True"], out
