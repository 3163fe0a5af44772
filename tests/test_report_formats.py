"""Every report format from one fixed result: golden files, the official schemas, hostile names,
and no secret in any output unless --show-secrets.

Regenerate the golden files after an intended change with
``LEAKSWEEP_UPDATE_GOLDEN=1 python -m pytest tests/test_report_formats.py`` and review the diff.
"""

from __future__ import annotations

import csv
import io
import json
import os
import xml.etree.ElementTree as ET
from typing import Any

import jsonschema
import pytest

from leaksweep.report import REPORTERS, ReportOptions
from leaksweep.report.common import printable, uri_path
from leaksweep.report.github import escape_data, escape_property
from leaksweep.report.text import group_findings, summary
from leaksweep.session import ScanResult
from tests.report_fixtures import (
    AWS_KEY,
    DATA,
    GH_TOKEN,
    GOLDEN,
    HOSTILE_PATH,
    PG_PASSWORD,
    SECRETS,
    fixed_options,
    fixed_result,
)

GOLDEN_FILES = {
    "text": "report.txt",
    "json": "report.json",
    "jsonl": "report.jsonl",
    "sarif": "report.sarif",
    "junit": "report.junit.xml",
    "gitlab": "report.gitlab.json",
    "csv": "report.csv",
    "github": "report.github.txt",
}


def render(fmt: str, result: ScanResult | None = None, opts: ReportOptions | None = None) -> str:
    out = io.StringIO()
    REPORTERS[fmt](result or fixed_result(), opts or fixed_options(), out)
    return out.getvalue()


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("LEAKSWEEP_UPDATE_GOLDEN"):
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="")
    expected = path.read_text(encoding="utf-8")
    assert text == expected, f"{name} differs from the golden file (see the module docstring to update it)"


def test_every_format_has_a_golden_file() -> None:
    assert set(GOLDEN_FILES) == set(REPORTERS)


@pytest.mark.parametrize("fmt", sorted(GOLDEN_FILES))
def test_golden(fmt: str) -> None:
    check_golden(GOLDEN_FILES[fmt], render(fmt))


@pytest.mark.parametrize(
    ("name", "opts"),
    [
        ("report-color.txt", {"color": True}),
        ("report-verbose.txt", {"verbose": 1}),
        ("report-quiet.txt", {"verbose": -1}),
        ("report-suppressed.sarif", {"show_suppressed": True}),
    ],
)
def test_golden_variants(name: str, opts: dict[str, Any]) -> None:
    fmt = "sarif" if name.endswith(".sarif") else "text"
    check_golden(name, render(fmt, opts=fixed_options(**opts)))


# --- redaction ------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", sorted(REPORTERS))
@pytest.mark.parametrize("variant", [{}, {"verbose": 1, "show_suppressed": True}, {"color": True}])
def test_no_format_contains_a_secret(fmt: str, variant: dict[str, Any]) -> None:
    text = render(fmt, opts=fixed_options(**variant))
    for secret in SECRETS:
        assert secret not in text, (fmt, secret)


@pytest.mark.parametrize("fmt", ["text", "json", "jsonl", "sarif", "junit", "gitlab", "csv", "github"])
def test_show_secrets_shows_them(fmt: str) -> None:
    text = render(fmt, opts=fixed_options(show_secrets=True))
    assert GH_TOKEN in text and AWS_KEY in text and PG_PASSWORD in text


# --- SARIF ----------------------------------------------------------------------------------


def sarif_validator() -> jsonschema.protocols.Validator:
    schema = json.loads((DATA / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)  # type: ignore[no-any-return]


def test_vendored_sarif_schema_is_the_official_one() -> None:
    schema = json.loads((DATA / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    assert schema["id"].startswith("https://docs.oasis-open.org/sarif/sarif/v2.1.0/")
    assert schema["$schema"] == "http://json-schema.org/draft-04/schema#"
    assert len(schema["definitions"]) == 52


@pytest.mark.parametrize("variant", [{}, {"show_suppressed": True}, {"repository_uri": None}])
def test_sarif_validates_against_the_official_schema(variant: dict[str, Any]) -> None:
    log = json.loads(render("sarif", opts=fixed_options(**variant)))
    errors = sorted(sarif_validator().iter_errors(log), key=str)
    assert not errors, [e.message for e in errors]


def test_sarif_content() -> None:
    log = json.loads(render("sarif"))
    assert log["version"] == "2.1.0"
    (run,) = log["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "leaksweep" and driver["version"] == "0.0.0-test"
    rules = {r["id"]: r for r in driver["rules"]}
    assert set(rules) == {"github-pat", "aws-access-key-id", "postgres-password"}
    assert "Revoke the token" in rules["github-pat"]["help"]["text"]
    assert "**Remediation:**" in rules["github-pat"]["help"]["markdown"]
    results = run["results"]
    assert len(results) == 5
    levels = {r["ruleId"]: r["level"] for r in results}
    assert levels == {"github-pat": "error", "aws-access-key-id": "error", "postgres-password": "warning"}
    first = results[0]
    assert driver["rules"][first["ruleIndex"]]["id"] == first["ruleId"]
    region = first["locations"][0]["physicalLocation"]["region"]
    assert region == {"startLine": 4, "startColumn": 17, "endLine": 4, "endColumn": 17 + len(GH_TOKEN)}
    assert first["partialFingerprints"] == {"leaksweep/v1": first["properties"]["fingerprint"]}
    with_commit = results[1]
    assert with_commit["properties"]["commit"]["sha"] == "4f1e2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b"
    assert run["versionControlProvenance"] == [
        {
            "repositoryUri": "https://example.invalid/acme/app",
            "revisionId": with_commit["properties"]["commit"]["sha"],
        }
    ]
    assert run["invocations"][0]["startTimeUtc"] == "2024-01-02T03:04:05Z"
    uris = [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results]
    assert uris[1] == "deploy/prod%20env.yaml"
    assert "\n" not in uris[3] and "%0A" in uris[3] and "%FF" in uris[3]


def test_sarif_levels_follow_severity() -> None:
    from leaksweep.report.sarif import level

    assert [level(s) for s in ("critical", "high", "medium", "low", "info")] == [
        "error",
        "error",
        "warning",
        "note",
        "note",
    ]


def test_uri_path_encodes_odd_characters() -> None:
    assert uri_path("a b/c#d?e%f:g.txt") == "a%20b/c%23d%3Fe%25f%3Ag.txt"
    assert uri_path("<stdin>") == "%3Cstdin%3E"
    assert uri_path("caf\u00e9/x") == "caf%C3%A9/x"


# --- GitLab ---------------------------------------------------------------------------------


def test_gitlab_report_validates_against_gitlabs_schema() -> None:
    schema = json.loads((DATA / "secret-detection-report-format-15.0.7.json").read_text(encoding="utf-8"))
    report = json.loads(render("gitlab"))
    errors = list(jsonschema.Draft7Validator(schema).iter_errors(report))
    assert not errors, [e.message for e in errors]


def test_gitlab_report_has_the_required_fields() -> None:
    report = json.loads(render("gitlab"))
    assert report["version"] == "15.0.7"
    scan = report["scan"]
    for key in ("analyzer", "scanner", "type", "status", "start_time", "end_time"):
        assert scan[key], key
    assert scan["type"] == "secret_detection" and scan["status"] == "success"
    assert (scan["start_time"], scan["end_time"]) == ("2024-01-02T03:04:05", "2024-01-02T03:04:06")
    vulns = report["vulnerabilities"]
    assert len(vulns) == 5
    for v in vulns:
        for key in ("id", "category", "name", "severity", "location", "identifiers"):
            assert v[key], key
        assert v["category"] == "secret_detection"
        assert v["location"]["file"] and v["location"]["start_line"] >= 1
        assert v["location"]["commit"]["sha"]
    assert vulns[0]["severity"] == "Critical"
    assert vulns[1]["location"]["commit"]["sha"] == "4f1e2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b"
    assert vulns[0]["location"]["commit"]["sha"] == "0000000"
    assert len({v["id"] for v in vulns}) == 5


# --- JUnit ----------------------------------------------------------------------------------


def test_junit_is_junit_xml_with_one_failure_per_finding() -> None:
    root = ET.fromstring(render("junit").encode("utf-8"))
    assert root.tag == "testsuites"
    (suite,) = root.findall("testsuite")
    cases = suite.findall("testcase")
    assert len(cases) == 5 == int(suite.get("tests", "")) == int(suite.get("failures", ""))
    assert all(len(c.findall("failure")) == 1 for c in cases)
    assert cases[0].get("classname") == "leaksweep.github-pat"
    assert cases[0].get("file") == "app/settings.py" and cases[0].get("line") == "4"
    hostile = cases[3]
    assert hostile.get("file") == printable(HOSTILE_PATH)


def test_junit_clean_scan_has_one_passing_case() -> None:
    result = fixed_result()
    result.findings.clear()
    root = ET.fromstring(render("junit", result).encode("utf-8"))
    cases = root.findall("testsuite/testcase")
    assert len(cases) == 1 and not cases[0].findall("failure")
    assert root.find("testsuite").get("failures") == "0"  # type: ignore[union-attr]


# --- CSV, JSON Lines, GitHub ----------------------------------------------------------------


def test_csv_has_one_line_per_finding_and_no_formula() -> None:
    text = render("csv")
    assert len(text.splitlines()) == 6
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 5
    assert rows[3]["path"].startswith("'=evil\\x0a::warning")
    assert rows[1]["commit"] == "4f1e2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b"


def test_jsonl_is_one_json_object_per_line() -> None:
    text = render("jsonl")
    lines = text.split("\n")
    assert lines[-1] == "" and len(lines) == 6
    records = [json.loads(line) for line in lines[:-1]]
    assert records[3]["path"] == HOSTILE_PATH.replace("\udcff", "\\xff")
    assert text.isascii()


def test_github_annotations_cannot_inject_commands() -> None:
    lines = render("github").splitlines()
    assert len(lines) == 5
    assert [line.split(" ", 1)[0] for line in lines] == [
        "::error",
        "::error",
        "::warning",
        "::error",
        "::error",
    ]
    hostile = lines[3]
    assert hostile.startswith("::error file==evil\\x0a%3A%3Awarning file=x%3A%3Apwned\\x0d%2C")
    assert "%25%3A\\u202ename\\xff.txt," in hostile
    assert "\r" not in hostile
    assert escape_data("50%\r\nx") == "50%25%0D%0Ax"
    assert escape_property("a:b,c%") == "a%3Ab%2Cc%25"


def test_github_levels() -> None:
    result = fixed_result()
    text = render("github", result)
    assert text.count("::error ") == 4  # critical and high
    assert text.count("::warning ") == 1  # medium
    assert not text.count("::notice ")


# --- the text report ------------------------------------------------------------------------


def test_text_groups_one_secret_seen_at_many_places() -> None:
    result = fixed_result()
    groups = group_findings(result.findings)
    assert [len(g.places) for g in groups] == [2, 2, 1]
    text = render("text")
    assert text.count("GitHub personal access token (github-pat)") == 1
    assert "2 places" in text


def test_text_marks_the_secret_without_colour() -> None:
    lines = render("text").splitlines()
    at = lines.index('       GITHUB_TOKEN = "ghp_*****"')
    assert lines[at + 1] == "                       ^^^^^^^^^"


def test_text_marker_aligns_after_tabs_and_wide_characters() -> None:
    text = render("text")
    # The CJK character takes two columns and the tab one, so the marker starts 8 columns in.
    assert "       鍵 key: AKIA*****  # note\n" + " " * 15 + "^^^^^^^^^\n" in text


def test_text_colour_underlines_instead() -> None:
    text = render("text", opts=fixed_options(color=True))
    assert '"\x1b[4mghp_*****\x1b[24m"' in text
    assert "^^^^" not in text
    assert "\x1b[1;31mCRITICAL" in text


def test_text_escapes_hostile_names() -> None:
    text = render("text")
    assert "\x1b" not in text and "\r" not in text and "\u202e" not in text
    assert "at =evil\\x0a::warning file=x::pwned\\x0d,\"<&>'\\x1b[31m%:\\u202ename\\xff.txt:1:7" in text


def test_quiet_and_verbose() -> None:
    quiet = render("text", opts=fixed_options(verbose=-1))
    assert quiet == summary(fixed_result()) + "\n"
    verbose = render("text", opts=fixed_options(verbose=1))
    assert "suppressed github-pat at docs/example.md:8: allowlist: docs/**" in verbose
    assert "slowest rules: github-pat 12.3ms, aws-access-key-id 4.5ms" in verbose
    assert "suppressed" not in render("text")


def test_summary_line() -> None:
    assert summary(fixed_result()) == (
        "5 secrets found (2 critical, 2 high, 1 medium) in 3 distinct values; "
        "42 files (120.6 KB) scanned in 1.25s, 1 skipped."
    )
