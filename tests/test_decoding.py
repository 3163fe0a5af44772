"""Encoded secrets: base64 and percent-encoded values are decoded and scanned, never shown encoded."""

from __future__ import annotations

import base64
import importlib
import sys
from collections.abc import Callable
from urllib.parse import quote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leaksweep import decoding
from leaksweep.decoding import encoded_runs
from leaksweep.detector import Detector
from leaksweep.model import Finding, Target
from leaksweep.rules import load_rules

RULES = load_rules()
GH = next(r for r in RULES if r.id == "github-pat").examples[0].secret
PG = next(r for r in RULES if r.id == "postgres-connection-string").examples[0].secret


Scan = Callable[[str], list[Finding]]


@pytest.fixture
def scan(make_detector: Callable[..., Detector]) -> Scan:
    """The findings in ``text`` with the built-in rules, on the test's matching backend."""

    def run(text: str) -> list[Finding]:
        return make_detector(RULES).scan(Target(path="x.yaml", content=text.encode())).findings

    return run


def test_base64_encoded_token_is_found_and_marked(scan: Scan) -> None:
    encoded = base64.b64encode(f"token={GH}".encode()).decode()
    (f,) = scan(f"apiVersion: v1\nkind: Secret\ndata:\n  creds: {encoded}\n")
    assert (f.rule_id, f.secret, f.decoded, f.line, f.column) == ("github-pat", GH, "base64", 4, 10)
    assert encoded not in f.line_text  # the encoded form is the secret too: never shown


def test_double_base64_is_bounded_but_found(scan: Scan) -> None:
    once = base64.b64encode(GH.encode())
    twice = base64.b64encode(once).decode()
    (f,) = scan(f"blob: {twice}\n")
    assert f.decoded == "base64>base64"
    assert f.secret == GH


def test_percent_encoded_url_is_decoded(scan: Scan) -> None:
    url = quote(f"https://hooks.example/?token={GH}&x=1", safe="")
    (f,) = scan(f"link = {url}\n")
    assert (f.secret, f.decoded) == (GH, "percent")


def test_plain_finding_is_not_reported_twice_through_its_encoding(scan: Scan) -> None:
    assert len(scan(f"token: {GH}\n")) == 1


def test_non_text_and_hex_runs_are_not_decoded() -> None:
    binary = base64.b64encode(bytes(range(256))).decode()
    assert list(encoded_runs(f"x = {binary}")) == []
    assert list(encoded_runs("sha = " + "0123456789abcdef" * 4)) == []


def test_kubernetes_secret_value_is_reported_decoded(scan: Scan) -> None:
    value = "b145c6dcc56cda47fad5036cd0616f"
    encoded = base64.b64encode(value.encode()).decode()
    (f,) = scan(f"kind: Secret\ndata:\n  plaid_secret: {encoded}\n")
    assert (f.rule_id, f.secret, f.decoded) == ("generic-api-secret", value, "base64")
    assert encoded not in f.line_text


def test_decoded_specific_finding_replaces_the_generic_one(scan: Scan) -> None:
    encoded = base64.b64encode(GH.encode()).decode()
    result = Detector(RULES).scan(Target(path="s.yaml", content=f"data:\n  api_token: {encoded}\n".encode()))
    assert [(f.rule_id, f.secret) for f in result.findings] == [("github-pat", GH)]
    assert any(d.reason == "reported in decoded form by rule github-pat" for d in result.dropped)


def test_percent_encoded_url_password_is_reported_as_the_password(scan: Scan) -> None:
    (f,) = scan("ftp_url = 'ftp://partner:%26%2550Nl5TbT%40ORZn@ftp.example-corp.com/in'\n")
    assert (f.secret, f.decoded) == ("&%50Nl5TbT@ORZn", "percent")


def test_base64_of_words_is_not_a_secret(scan: Scan) -> None:
    encoded = base64.b64encode(b"readonly-service-user").decode()
    assert scan(f'var cfg={{secretBannerB64:"{encoded}"}};\n') == []


def test_base64_env_blob_after_an_equals_sign(scan: Scan) -> None:
    blob = base64.b64encode(f"REGION=eu\nGITHUB_TOKEN={GH}\nLOG=info\n".encode()).decode()
    (f,) = scan(f"ENV_FILE_BASE64={blob}\n")
    assert (f.rule_id, f.secret, f.decoded) == ("github-pat", GH, "base64")


RUN_BYTES = st.one_of(
    st.sampled_from([b"=", b"==", b"===", b" ", b"\n", b"_", b"+", b"%41%42"]),
    st.sampled_from([b"\xc3\xa9", b"\xe2\x84\xaa", b"\xf0\x9f\x94\x91"]),  # 2, 3 and 4 bytes
    st.sampled_from([b"\xe2\x82", b"\xff", b"\xed\xa0\x80", b"\xc3", b"\x80\x80"]),  # what decoding replaces
    st.binary(min_size=1, max_size=40).map(base64.b64encode),
    st.binary(min_size=1, max_size=40).map(lambda b: base64.urlsafe_b64encode(b).rstrip(b"=")),
    st.text("token=é ", min_size=1, max_size=30).map(lambda t: base64.b64encode(t.encode())),
)


@settings(max_examples=400, deadline=None)
@given(st.lists(RUN_BYTES, max_size=14).map(b"".join))
def test_runs_found_in_the_undecoded_bytes_are_those_of_the_text(raw: bytes) -> None:
    """The detector hands over the bytes a text was decoded from: runs are found in them and
    their offsets converted, and that must give what the text alone gives, whatever multi-byte
    characters and replaced bytes come before a run."""
    text = raw.decode("utf-8", "replace")

    def runs(**kw: bytes) -> list[tuple[int, int, str, str]]:
        return [(r.start, r.end, r.kind, r.text) for r in encoded_runs(text, **kw)]

    assert runs(data=raw) == runs()


MASKS = st.lists(st.sampled_from([b"a", b" ", b"a" * 19, b"a" * 20, b"a" * 45]), max_size=30).map(b"".join)


@settings(max_examples=300, deadline=None)
@given(MASKS)
def test_both_run_searches_find_the_same_spans(mask: bytes) -> None:
    """Runs are searched with the regex module once the rules have loaded it, with bytes.find
    before (a hook need not import it): the two searches must agree."""
    importlib.import_module("regex")
    assert list(decoding._regex_spans(mask)) == list(decoding._find_spans(mask))


def test_encoded_runs_without_the_regex_module_loaded(monkeypatch: pytest.MonkeyPatch) -> None:
    text = f"a = {base64.b64encode(f'token={GH}'.encode()).decode()}\n" + "b" * 30 + "==\n"
    importlib.import_module("regex")
    loaded = [(r.start, r.end, r.text) for r in encoded_runs(text)]
    monkeypatch.delitem(sys.modules, "regex")
    assert [(r.start, r.end, r.text) for r in encoded_runs(text)] == loaded
    assert "regex" not in sys.modules  # the search did not import it


def test_the_memo_keeps_only_short_runs() -> None:
    """A history of embedded images (data: URIs) holds thousands of long distinct runs that
    decode to nothing: remembered, they would make the memo gigabytes. Short ones are kept."""
    images = [base64.b64encode(bytes([n % 251, 0xFF, 0x00]) * 400).decode() for n in range(30)]
    text = "\n".join(f'<img src="data:image/png;base64,{image}">' for image in images)
    text += "\nassert_called_once_with_arguments = 1\n"
    memo: dict[bytes, str | None] = {}
    assert list(encoded_runs(text, memo)) == []
    assert list(memo) == [b"assert_called_once_with_arguments"]
    assert max(map(len, images)) > decoding.MEMO_RUN
    # The same text again: the long runs are decided again, with the same result.
    assert list(encoded_runs(text, memo)) == []
