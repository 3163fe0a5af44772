"""The detector on its own: positions, encodings, filters, overlaps, time budgets."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leaksweep.detector import Detector, _decode, decode
from leaksweep.model import Target
from leaksweep.rules import Rule, load_pack, load_rules

RULES = load_rules()
GH = next(r for r in RULES if r.id == "github-pat").examples[0].secret
AKID = next(r for r in RULES if r.id == "aws-access-key-id").examples[0].secret


Scan = Callable[..., Any]


@pytest.fixture
def scan(make_detector: Callable[..., Detector]) -> Scan:
    """Scan content with the built-in rules (or ``rules``) on the test's matching backend."""

    def run(content: bytes | str, path: str = "a.txt", rules: list[Rule] | None = None, **kw: Any) -> Any:
        data = content.encode() if isinstance(content, str) else content
        return make_detector(rules or RULES).scan(Target(path=path, content=data, **kw))

    return run


def test_line_and_column_are_one_based(scan: Scan) -> None:
    result = scan(f"first\nsecond\n  token = {GH}\n")
    (f,) = result.findings  # type: ignore[attr-defined]
    assert (f.rule_id, f.line, f.column, f.end_line) == ("github-pat", 3, 11, 3)
    assert f.end_column == 11 + len(GH) - 1
    assert f.line_text == f"  token = {GH}"


def test_crlf_line_numbers_and_line_text(scan: Scan) -> None:
    result = scan(f"a\r\nb\r\nkey={AKID}\r\nc\r\n")
    (f,) = result.findings  # type: ignore[attr-defined]
    assert (f.line, f.column) == (3, 5)
    assert f.line_text == f"key={AKID}"


def test_latin1_content_is_scanned_with_right_positions(scan: Scan) -> None:
    content = "caf\xe9 = 1\nna\xefve: x\n\xe9\xe9 k=".encode("latin-1") + AKID.encode() + b"\n"
    (f,) = scan(content).findings  # type: ignore[attr-defined]
    assert (f.line, f.column) == (3, 6)
    assert f.secret == AKID


def test_binary_content_is_skipped(scan: Scan) -> None:
    result = scan(b"\x00\x01\x02" + GH.encode())
    assert result.findings == []  # type: ignore[attr-defined]
    assert result.skipped.reason == "binary"  # type: ignore[attr-defined]


def test_secret_already_in_earlier_version_is_not_new(scan: Scan) -> None:
    old = f"token = {GH}\n".encode()
    result = scan(f"# moved\ntoken = {GH}\n", before=(old,))
    assert result.findings == []  # type: ignore[attr-defined]
    reasons = [d.reason for d in result.dropped if d.finding.rule_id == "github-pat"]  # type: ignore[attr-defined]
    assert reasons == ["already present in the earlier version"]
    assert scan(f"token = {GH}\n", before=(b"nothing here",)).findings  # type: ignore[attr-defined]


def test_specific_rule_beats_generic_rule_on_the_same_secret(scan: Scan) -> None:
    result = scan(f'api_token = "{GH}"\n')
    assert [f.rule_id for f in result.findings] == ["github-pat"]  # type: ignore[attr-defined]
    assert any("same secret already reported by rule github-pat" in d.reason for d in result.dropped)  # type: ignore[attr-defined]


def test_placeholders_and_low_entropy_are_dropped_with_reasons(scan: Scan) -> None:
    result = scan(
        'password = "changeme"\npassword = "aaaaaaaaaaaa"\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\n'
    )
    assert result.findings == []  # type: ignore[attr-defined]
    reasons = " | ".join(d.reason for d in result.dropped)  # type: ignore[attr-defined]
    assert "too few distinct characters" in reasons
    low = scan('password = "abababababcd"\n')
    assert [d.reason for d in low.dropped] == ["entropy 1.65 below threshold 3.00"]  # type: ignore[attr-defined]
    assert "stopword 'example'" in reasons


def test_validator_rejects_bad_checksum(scan: Scan) -> None:
    bad = GH[:-6] + ("000000" if not GH.endswith("000000") else "111111")
    result = scan(f"token = {bad}\n")
    assert not [f for f in result.findings if f.rule_id == "github-pat"]  # type: ignore[attr-defined]
    assert any(d.reason == "failed validator github-checksum" for d in result.dropped)  # type: ignore[attr-defined]


def test_keyword_must_be_inside_the_match(scan: Scan, tmp_path: Path) -> None:
    pack = tmp_path / "p.yaml"
    pack.write_text(
        "- id: near\n  name: near\n  regex: '(?P<secret>[0-9]{8})'\n  keywords: [code]\n"
        "  severity: low\n  remediation: x\n"
    )
    rules = load_pack(pack)
    assert scan("code 12345678", rules=rules).findings == []  # type: ignore[attr-defined]


def test_catastrophic_regex_is_cut_off_and_reported(
    make_detector: Callable[..., Detector], tmp_path: Path
) -> None:
    pack = tmp_path / "slow.yaml"
    pack.write_text(
        "- id: slow\n  name: slow\n  regex: '(x+x+)+y'\n  keywords: [x]\n  severity: low\n  remediation: x\n"
    )
    detector = make_detector(load_pack(pack), timeout=0.2, timeout_per_mb=0.0)
    started = time.monotonic()
    result = detector.scan(Target(path="bomb.txt", content=b"x" * 5000))
    elapsed = time.monotonic() - started
    assert result.findings == []
    assert result.notes and "exceeded its time budget" in result.notes[0]
    # Not a timing assertion on speed: only that the budget, not the regex, decided when it stopped.
    assert elapsed < 30


def test_rule_paths_scope_the_rule(scan: Scan, tmp_path: Path) -> None:
    pack = tmp_path / "p.yaml"
    pack.write_text(
        "- id: scoped\n  name: scoped\n  regex: 'tok_(?P<secret>[a-z]{10})'\n  keywords: [tok_]\n"
        "  severity: low\n  remediation: x\n  paths: ['.npmrc']\n"
    )
    rules = load_pack(pack)
    assert scan("tok_qzkwmfhtrp", path="x/.npmrc", rules=rules).findings  # type: ignore[attr-defined]
    assert not scan("tok_qzkwmfhtrp", path="x/app.py", rules=rules).findings  # type: ignore[attr-defined]


@pytest.mark.parametrize("size", [1, 50_000])
def test_long_minified_line_keeps_a_short_line_text(scan: Scan, size: int) -> None:
    content = "var a=1;" * size + f'k="{GH}";' + "b=2;" * size
    (f,) = scan(content).findings  # type: ignore[attr-defined]
    assert f.line == 1
    assert GH in f.line_text
    assert len(f.line_text) <= 1000


def test_fingerprint_depends_on_rule_and_secret_only(scan: Scan) -> None:
    a = scan(f"x\n\n{GH}", path="a.py").findings[0]  # type: ignore[attr-defined]
    b = scan(f"{GH}", path="b/c.txt").findings[0]  # type: ignore[attr-defined]
    assert a.fingerprint == b.fingerprint
    assert GH not in a.fingerprint


def test_a_rejected_specific_rule_neither_hides_nor_lets_in_other_rules(scan: Scan) -> None:
    bad = GH[:-6] + ("000000" if not GH.endswith("000000") else "111111")
    result = scan(f'api_token = "{bad}"\n')
    assert result.findings == []  # type: ignore[attr-defined]
    reasons = {d.finding.rule_id: d.reason for d in result.dropped}  # type: ignore[attr-defined]
    assert reasons["github-pat"] == "failed validator github-checksum"
    assert reasons["generic-api-secret"] == "value rejected by the specific rule github-pat"


def test_base58check_validator() -> None:
    from leaksweep.validators import base58check

    wif = next(r for r in RULES if r.id == "bitcoin-wif-private-key").examples[0].secret
    assert base58check(wif)
    assert not base58check(wif[:-1] + ("A" if wif[-1] != "A" else "B"))
    assert not base58check("0OIl")


@settings(max_examples=400, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.sampled_from([b"\r", b"\n", b"\r\n", b"\r\r\n", b"\xe2\x82", b"\xe2\x82\xac", b"\xff", b"a"]),
            st.binary(max_size=6),
        ),
        max_size=20,
    ).map(b"".join)
)
def test_decode_normalises_line_endings_as_the_text_replace_did(content: bytes) -> None:
    """CRLF is now replaced in the bytes, before decoding: the same text as decoding first and
    replacing in the text, also around bytes the decoder replaces."""
    text = content.decode("utf-8", "replace").replace("\r\n", "\n")
    assert decode(content) == text
    decoded, data = _decode(content)
    assert decoded == text
    assert data == content.replace(b"\r\n", b"\n")
