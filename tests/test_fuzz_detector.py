"""Property-based tests (Hypothesis) of the detector with every built-in rule, on random bytes and
on random text built from the rules' own keywords and examples: it never raises, every finding
points inside the content, and the reporters render whatever it finds."""

from __future__ import annotations

import io
import json
from functools import lru_cache

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leaksweep.detector import Detector, decode
from leaksweep.model import Target
from leaksweep.report import REPORTERS, ReportOptions
from leaksweep.rules import load_rules
from leaksweep.session import run_scan

FUZZ = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@lru_cache(maxsize=1)
def detector() -> Detector:
    return Detector(load_rules())


@lru_cache(maxsize=1)
def fragments() -> list[str]:
    """Pieces that make rules fire: keywords, example texts and secrets, and separators."""
    out: set[str] = set()
    for rule in detector().rules:
        out.update(rule.keywords)
        for example in rule.examples:
            out.add(example.text)
            out.add(example.secret)
    extra = ["\n", "\r\n", " = ", '"', "'", "\x00", "\ufffd", "\u202e", "=" * 4, "leaksweep:allow"]
    return [*sorted(out), *extra]


scanned_text = st.lists(
    st.one_of(
        st.sampled_from(fragments()), st.text(max_size=30), st.binary(max_size=8).map(lambda b: b.hex())
    ),
    max_size=40,
).map("".join)


def _check(content: bytes) -> None:
    target = Target(path="fuzz.txt", content=content)
    result = detector().scan(target)
    if result.skipped is not None:
        assert result.skipped.reason == "binary"
        return
    text = decode(content)
    lines = text.count("\n") + 1
    for finding in [*result.findings, *(d.finding for d in result.dropped)]:
        assert 1 <= finding.line <= finding.end_line <= lines, finding
        assert finding.column >= 1 and finding.end_column >= 1
        assert finding.secret
        assert len(finding.fingerprint) == 32


@FUZZ
@given(content=st.binary(max_size=4096))
def test_detector_on_random_bytes(content: bytes) -> None:
    _check(content)


@FUZZ
@given(text=scanned_text, encoding=st.sampled_from(["utf-8", "latin-1", "utf-16"]))
def test_detector_on_text_made_of_rule_fragments(text: str, encoding: str) -> None:
    _check(text.encode(encoding, "replace"))


@FUZZ
@given(text=scanned_text, before=scanned_text)
def test_earlier_versions_only_ever_remove_findings(text: str, before: str) -> None:
    """A secret counts as new unless an earlier version holds it: comparing can hide findings
    the earlier version explains, never invent new ones."""
    alone = detector().scan(Target(path="f.env", content=text.encode()))
    compared = detector().scan(Target(path="f.env", content=text.encode(), before=(before.encode(),)))
    new = {(f.rule_id, f.secret, f.line, f.column) for f in compared.findings}
    assert new <= {(f.rule_id, f.secret, f.line, f.column) for f in alone.findings}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    texts=st.lists(scanned_text, min_size=1, max_size=4),
    names=st.lists(st.text(max_size=20), min_size=4, max_size=4),
)
def test_every_reporter_renders_whatever_is_found(texts: list[str], names: list[str]) -> None:
    targets = [
        Target(path=name or "x", content=text.encode()) for text, name in zip(texts, names, strict=False)
    ]
    result = run_scan(targets, detector())
    for fmt, write in REPORTERS.items():
        out = io.StringIO()
        write(result, ReportOptions(), out)
        if fmt in ("json", "sarif", "gitlab"):
            json.loads(out.getvalue())
        if fmt == "jsonl":
            assert all(json.loads(line) for line in out.getvalue().splitlines())
        for finding in result.findings:
            assert finding.secret not in out.getvalue() or len(finding.secret) <= 4
