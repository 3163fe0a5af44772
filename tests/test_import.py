"""`leaksweep rules import`: gitleaks TOML configs become leaksweep packs that find the same things.

The end-to-end tests import a gitleaks config written here, scan planted synthetic secrets with
only the imported pack, and check both what is found and what the notes say was not carried over.
"""

from __future__ import annotations

import json
import random
import string
from pathlib import Path

import pytest
import regex

from leaksweep.globs import match_path
from leaksweep.importer import (
    UnsupportedRegex,
    builtin_ids,
    derive_keywords,
    import_gitleaks,
    keyword_in_matches,
    load_rendered,
    parse_go_regex,
    path_regex_to_globs,
    render_yaml,
    translate_regex,
)
from leaksweep.rules import load_pack
from tests.conftest import run_cli

GITLEAKS_CONFIG = """\
title = "Acme gitleaks config"

[extend]
useDefault = true
disabledRules = ["generic-api-key"]

[[rules]]
id = "acme-api-token"
description = "Acme API token. Grants full access to the Acme REST API."
regex = '''\\b(acme_[A-Za-z0-9]{32})\\b'''
keywords = ["ACME_"]
tags = ["acme"]

[[rules]]
id = "Corp_DB_Password"
description = "Corp database password assigned in configuration"
regex = '''(?i)corp[_-]?db[_-]?password\\s*[:=]\\s*["']?([A-Za-z0-9!@#%^&*]{12,64})["']?'''
secretGroup = 1
entropy = 3.0
keywords = ["corp", "vault"]

[[rules]]
id = "npmrc-auth-token"
description = "npm registry auth token in an .npmrc file"
regex = '''_authToken=([A-Za-z0-9_-]{36})'''
path = '''(?i)\\.npmrc$'''
keywords = ["_authtoken"]

[[rules]]
id = "widget-key"
description = "Widget key"
regex = '''wgt_(?:live|test)_[a-f0-9]{24}'''
keywords = ["wgt_"]
  [[rules.allowlists]]
  description = "documented placeholders"
  regexTarget = "line"
  regexes = ['''(?i)#\\s*example\\b''']
  stopwords = ["deadbeef"]
  [[rules.allowlists]]
  condition = "AND"
  paths = ['''^fixtures/''']
  regexes = ['''c0ffee''']
  [[rules.allowlists]]
  commits = ["0123456789abcdef0123456789abcdef01234567"]
  paths = ['''(^|/)testdata/''']

[[rules]]
id = "orbit-bot-token"
description = "Orbit bot token"
regex = '''orbit-bot-[0-9]{10}-[A-Za-z0-9]{24}'''

[[rules]]
id = "keystore-file"
description = "Java keystore file"
path = '''\\.jks$'''

[[rules]]
id = "ungreedy-token"
regex = '''token(?U)=\\w+'''
keywords = ["token"]

[[rules]]
id = "unbalanced-secret"
regex = '''secret=(\\w+'''
keywords = ["secret"]

[[rules]]
id = "hex-near-heroku"
regex = '''[0-9a-f]{40}'''
keywords = ["heroku"]

[[rules]]
id = "acme-pair"
description = "Acme key id, reported with its secret"
regex = '''acme_id_[a-z0-9]{8}'''
keywords = ["acme_id_"]
severity = "critical"
  [[rules.required]]
  id = "acme-pair-secret"
  withinLines = 2

[[rules]]
id = "acme-pair-secret"
regex = '''acme_sec_[a-z0-9]{16}'''
keywords = ["acme_sec_"]
skipReport = true

[[allowlists]]
description = "global allow list"
paths = ['''(^|/)vendor/''']
regexes = ['''EXAMPLE''']

[[allowlists]]
targetRules = ["orbit-bot-token"]
paths = ['''\\.md$''']
"""

IMPORTED_IDS = [
    "acme-api-token",
    "corp-db-password",
    "npmrc-auth-token",
    "widget-key",
    "orbit-bot-token",
    "acme-pair",
]

# (rule id or section, phrase): every dropped or unsupported item must be named in a note.
EXPECTED_NOTES = [
    ("[extend]", "useDefault"),
    ("[extend]", "disabledRules"),
    ("rule Corp_DB_Password", "renamed to corp-db-password"),
    ("rule Corp_DB_Password", "['vault'] dropped"),
    ("rule npmrc-auth-token", "case-insensitive"),
    ("rule widget-key", "condition AND"),
    ("rule widget-key", "commits (1) not carried over"),
    ("rule orbit-bot-token", "derived from the regex"),
    ("rule keystore-file", "path-only rule"),
    ("rule ungreedy-token", "not imported"),
    ("rule unbalanced-secret", "not imported"),
    ("rule hex-near-heroku", "add one"),
    ("rule acme-pair", "unknown field 'severity'"),
    ("rule acme-pair", "[[rules.required]]"),
    ("rule acme-pair-secret", "skipReport"),
    ("[[allowlists]] #1", "not carried over"),
]


def token(rng: random.Random, n: int, alphabet: str = string.ascii_letters + string.digits) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def hexes(rng: random.Random, n: int) -> str:
    return token(rng, n, "0123456789abcdef")


@pytest.fixture
def imported(tmp_path: Path) -> Path:
    config = tmp_path / "gitleaks.toml"
    config.write_text(GITLEAKS_CONFIG)
    res = run_cli("rules", "import", str(config), "-o", str(tmp_path / "imported.yaml"))
    assert res.code == 0, res.err
    assert res.out == ""
    return tmp_path / "imported.yaml"


def plant(root: Path) -> set[tuple[str, str, str]]:
    """Write synthetic secrets the way the original rules describe them.

    Returns the (rule id, path, secret) findings the imported pack must report: no more, no less.
    """
    rng = random.Random(20240501)
    acme = "acme_" + token(rng, 32)
    password = token(rng, 20)
    npm, npm_elsewhere = token(rng, 36), token(rng, 36)
    widget, widget_doc = "wgt_live_" + hexes(rng, 24), "wgt_test_" + hexes(rng, 24)
    widget_stop = "wgt_live_deadbeef" + hexes(rng, 16)
    widget_testdata, widget_and = "wgt_live_" + hexes(rng, 24), "wgt_live_c0ffee" + hexes(rng, 18)
    orbit, orbit_md = (f"orbit-bot-{token(rng, 10, string.digits)}-{token(rng, 24)}" for _ in range(2))
    pair = "acme_id_" + token(rng, 8, string.ascii_lowercase + string.digits)
    files = {
        "app/settings.py": f'DEBUG = False\nACME_TOKEN = "{acme}"\n',
        "config/db.ini": f"[db]\ncorp_db_password = {password}\nCORP-DB-PASSWORD: aaaaaaaaaaaaaaaa\n",
        ".npmrc": f"//registry.npmjs.org/:_authToken={npm}\n",
        "docs/npm.txt": f"//registry.npmjs.org/:_authToken={npm_elsewhere}\n",
        "src/widgets.py": (
            f'WIDGET = "{widget}"\nWIDGET_DOC = "{widget_doc}"  # example\nWIDGET_OLD = "{widget_stop}"\n'
        ),
        "testdata/widgets.txt": f"{widget_testdata}\n",
        "fixtures/w.txt": f"{widget_and}\n",
        "bots/orbit.txt": f"token: {orbit}\n",
        "README.md": f"Example: {orbit_md}\n",
        "hex.txt": f"heroku api key {hexes(rng, 40)}\n",
        "pair.txt": f"id = {pair}\nsecret = acme_sec_{token(rng, 16, string.ascii_lowercase)}\n",
        "keys/app.jks": "not really a keystore\n",
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return {
        ("acme-api-token", "app/settings.py", acme),  # the capture group, as gitleaks reports it
        ("corp-db-password", "config/db.ini", password),  # the low-entropy one is dropped
        ("npmrc-auth-token", ".npmrc", npm),  # docs/npm.txt is outside the path scope
        ("widget-key", "src/widgets.py", widget),  # the '# example' line and stopword are allowed
        ("widget-key", "fixtures/w.txt", widget_and),  # the AND allowlist was not carried over
        ("orbit-bot-token", "bots/orbit.txt", orbit),  # README.md is allowed via targetRules
        ("acme-pair", "pair.txt", pair),  # without its required partner rule
    }


def scan(root: Path, pack: Path) -> set[tuple[str, str, str]]:
    res = run_cli(
        "scan", "--no-builtin", "--rules", str(pack), "--format", "json", "--show-secrets", ".", cwd=root
    )
    assert res.code in (0, 1), res.err
    return {(f["rule_id"], f["path"], f["secret"]) for f in json.loads(res.out)}


def test_imported_pack_loads_with_the_expected_rules(imported: Path) -> None:
    rules = load_pack(imported)
    assert [r.id for r in rules] == IMPORTED_IDS
    by_id = {r.id: r for r in rules}
    acme = by_id["acme-api-token"]
    assert (acme.name, acme.keywords, acme.tags, acme.secret_group) == (
        "Acme API token",
        ("acme_",),
        ("acme",),
        1,
    )
    assert acme.description == "Acme API token. Grants full access to the Acme REST API."
    assert acme.severity == "high" and acme.confidence == "medium"
    assert "imported rule from gitleaks.toml" in acme.remediation
    db = by_id["corp-db-password"]
    assert (db.keywords, db.entropy, db.secret_group) == (("corp",), 3.0, 1)
    assert by_id["npmrc-auth-token"].paths == ("*.npmrc",)
    widget = by_id["widget-key"].allow
    assert widget.stopwords == ("deadbeef",)
    assert [(e.pattern.pattern, e.target) for e in widget.regexes] == [(r"(?i)#\s*example\b", "line")]
    assert widget.paths == ("**/testdata/*",)
    assert by_id["orbit-bot-token"].keywords == ("orbit-bot-",)
    assert by_id["orbit-bot-token"].allow.paths == ("*.md",)


def test_imported_rules_find_what_the_originals_describe(imported: Path, tmp_path: Path) -> None:
    root = tmp_path / "project"
    root.mkdir()
    expected = plant(root)
    assert scan(root, imported) == expected


def test_notes_name_every_dropped_or_unsupported_item(tmp_path: Path) -> None:
    config = tmp_path / "gitleaks.toml"
    config.write_text(GITLEAKS_CONFIG)
    res = run_cli("rules", "import", str(config))
    assert res.code == 0, res.err
    notes = [line.removeprefix("note: ") for line in res.err.splitlines() if line.startswith("note: ")]
    for who, phrase in EXPECTED_NOTES:
        assert any(n.startswith(who + ":") and phrase in n for n in notes), (who, phrase, notes)
    assert f"imported {len(IMPORTED_IDS)} rules" in res.err
    # The pack went to stdout, with the same notes in its header comment.
    header = res.out.split("\n- id:", 1)[0]
    unwrapped = header.replace("\n# ", " ")
    assert f"imported from the gitleaks config {config} (Acme gitleaks config)" in unwrapped
    for who, _ in EXPECTED_NOTES:
        assert f"# - {who}:" in header
    assert [r.id for r in load_rendered(res.out)] == IMPORTED_IDS


def test_rules_check_only_warns_about_missing_examples(imported: Path) -> None:
    res = run_cli("rules", "check", str(imported))
    assert res.code == 0, res.err
    assert f"{len(IMPORTED_IDS)} rules checked: 0 errors, {len(IMPORTED_IDS)} warnings" in res.out
    assert res.err.count("has no examples") == len(IMPORTED_IDS)


def test_malformed_toml_exits_2_with_file_and_line(tmp_path: Path) -> None:
    config = tmp_path / "broken.toml"
    config.write_text('title = "x"\n\n[[rules]]\nid = "a"\nregex = \n')
    out = tmp_path / "out.yaml"
    out.write_text("previous content\n")
    res = run_cli("rules", "import", str(config), "-o", str(out))
    assert res.code == 2
    assert f"{config}:5: invalid TOML: Invalid value" in res.err
    assert out.read_text() == "previous content\n"  # nothing was changed
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.toml", "out.yaml"]  # no temp files left


def test_unterminated_string_points_at_the_last_line(tmp_path: Path) -> None:
    config = tmp_path / "cut.toml"
    config.write_text('[[rules]]\nid = "a"\nregex = "abc\n')
    res = run_cli("rules", "import", str(config))
    assert res.code == 2
    assert f"{config}:3: invalid TOML" in res.err


def test_nothing_importable_exits_2(tmp_path: Path) -> None:
    config = tmp_path / "paths.toml"
    config.write_text("[[rules]]\nid = \"p12\"\npath = '''\\.p12$'''\n")
    res = run_cli("rules", "import", str(config))
    assert res.code == 2
    assert "note: rule p12: path-only rule" in res.err
    assert f"{config}: nothing could be imported" in res.err
    assert res.out == ""


def test_ids_taken_by_builtin_rules_are_renamed(tmp_path: Path) -> None:
    taken = sorted(builtin_ids())[0]
    config = tmp_path / "dup.toml"
    config.write_text(f"[[rules]]\nid = \"{taken}\"\nregex = '''zz_[a-z]{{20}}'''\nkeywords = [\"zz_\"]\n")
    pack = tmp_path / "dup.yaml"
    res = run_cli("rules", "import", str(config), "-o", str(pack))
    assert res.code == 0, res.err
    assert f"rule {taken}: id {taken} is taken by a built-in rule: imported as {taken}-imported" in res.err
    # The pack loads next to the built-ins.
    listed = run_cli("rules", "list", "--rules", str(pack))
    assert listed.code == 0, listed.err
    assert f"{taken}-imported" in listed.out


def test_old_single_allowlist_forms() -> None:
    config = """\
[[rules]]
id = "zeta"
regex = '''zeta_[a-z0-9]{16}'''
keywords = ["zeta_"]
  [rules.allowlist]
  regexes = ['''^zeta_0+$''']
  paths = ['''^docs/''', '''(a|b)+\\.txt''']

[allowlist]
description = "old global"
commits = ["abc"]
"""
    result = import_gitleaks(config, "old.toml")
    (rule,) = result.rules
    assert rule["allow"] == {"regexes": ["^zeta_0+$"], "paths": ["/docs/*"]}
    assert any("rule zeta:" in n and "'(a|b)+\\\\.txt' has no glob equivalent" in n for n in result.notes)
    assert any(
        n.startswith("[allowlist]: global allowlist 'old global' (1 commits) not carried over")
        for n in result.notes
    )
    assert [r.id for r in load_rendered(render_yaml(result))] == ["zeta"]


def test_first_group_default_and_duplicate_ids() -> None:
    config = """\
[[rules]]
id = "Two Groups"
regex = '''(key|tok)=(kk_[a-z]{10})'''
keywords = ["kk_"]

[[rules]]
id = "dup"
regex = '''first_[a-z]{10}'''
keywords = ["first_"]

[[rules]]
id = "dup"
regex = '''second_[a-z]{10}'''
keywords = ["second_"]
"""
    result = import_gitleaks(config, "c.toml")
    assert [(r["id"], r.get("secret_group")) for r in result.rules] == [("two-groups", 1), ("dup", None)]
    assert result.rules[1]["regex"] == "second_[a-z]{10}"
    assert any(
        "rule Two Groups: secretGroup is not set and the regex has 2 groups" in n for n in result.notes
    )
    assert any("rule dup: defined more than once" in n for n in result.notes)


@pytest.mark.parametrize(
    ("go", "python"),
    [
        (r"secret\z", r"secret\Z"),
        (r"\Qa.b*c\E_[0-9]+", r"a\.b\*c_[0-9]+"),
        (r"\x{41}\x{263a}", r"\x41\u263a"),
        (r"\101", r"\x41"),
        (r"a{,3}", r"a\{,3}"),
        (r"(?<tok>x)(?P<b>y)", r"(?P<tok>x)(?P<b>y)"),
        (r"(?i)abc(?-i:DEF)[[:alpha:]]", r"(?i)abc(?-i:DEF)[[:alpha:]]"),
        (r"[a[\]]+", r"[a[\]]+"),
    ],
)
def test_translate_regex(go: str, python: str) -> None:
    assert translate_regex(go) == python


def test_flags_keep_re2_scoping() -> None:
    """RE2 flags run to the end of the enclosing group, and (?-i) turns one off."""
    pattern = regex.compile(translate_regex("(?i)abc(?-i)DEF"))
    assert pattern.fullmatch("ABCDEF") and pattern.fullmatch("abcDEF")
    assert not pattern.fullmatch("abcdef")
    scoped = regex.compile(translate_regex("(a(?i)b)c"))
    assert scoped.fullmatch("aBc") and not scoped.fullmatch("aBC")


@pytest.mark.parametrize("go", [r"(?U)a+", r"a\C", r"(a)\1", r"(abc", r"abc)", r"*a", r"[a-"])
def test_untranslatable_regexes_are_rejected(go: str) -> None:
    with pytest.raises((UnsupportedRegex, regex.error)):
        translate_regex(go)


SAMPLE_PATHS = [
    ".npmrc", "a/.npmrc", "a/b/x.npmrc", "npmrc", ".npmrc.bak", ".env", "src/.env", "src/.env.local",
    "config.json", "x/config.json", "xconfig.json", "config.json.bak", "docs/a.md", "x/docs/a.md",
    "docs", "node_modules/a.js", "a/node_modules/b/c.js", "my_node_modules_x/y", "img/a.jpg", "a.gif",
    "jpg.txt", "testdata/x", "a/testdata/b/c", "mytestdata/x", "bin/a.bin", "a.zip", "a.zipx",
    ".github/workflows/ci.yml", ".github/workflows/sub/ci.yaml", "x/.github/workflows/ci.yml",
]  # fmt: skip


@pytest.mark.parametrize(
    ("path_regex", "globs"),
    [
        (r"(?i)\.npmrc$", ["*.npmrc"]),
        (r"\.env$", ["*.env"]),
        (r"(^|/)config\.json$", ["config.json"]),
        (r"^docs/", ["/docs/*"]),
        (r"node_modules", ["*node_modules*"]),
        (r"(.*?)(jpg|gif)$", ["*jpg", "*gif"]),
        (r"(?:^|\/)testdata/", ["**/testdata/*"]),
        (r"\.(?i)(?:bin|zip)$", ["*.bin", "*.zip"]),
        (r"^\.github/workflows/.*\.ya?ml$", ["/.github/workflows/**.yml", "/.github/workflows/**.yaml"]),
        (r"(^|/)[^/]+\.pem$", ["?*.pem"]),
    ],
)
def test_path_regexes_become_equivalent_globs(path_regex: str, globs: list[str]) -> None:
    converted, _ = path_regex_to_globs(path_regex)
    assert converted is not None and sorted(converted) == sorted(globs)
    compiled = regex.compile(translate_regex(path_regex))
    for path in SAMPLE_PATHS:
        assert bool(compiled.search(path)) == bool(match_path(path, converted)), path


@pytest.mark.parametrize("path_regex", [r"(a|b)+\.txt", r"[^a]\.txt$", r"\bfoo", r"(?i)secret.{3}\d+"])
def test_path_regexes_without_a_glob_equivalent(path_regex: str) -> None:
    assert path_regex_to_globs(path_regex)[0] is None


@pytest.mark.parametrize(
    ("pattern", "keywords"),
    [
        (r"xoxb-[0-9]+", ["xoxb-"]),
        (r"\b(?:ghp|gho)_[A-Za-z0-9]{36}", ["gho_", "ghp_"]),
        (r"\b(AKIA[0-9A-Z]{16})\b", ["akia"]),
        (r"foo_[a-z]+|bar_[0-9]+", ["bar_", "foo_"]),
        (r"[a-f0-9]{40}", []),
        (r"(?:abc)?[0-9]{10}", []),
        (r"ab[0-9]{10}", []),  # too short to be a useful keyword
    ],
)
def test_keywords_derived_from_regex_literals(pattern: str, keywords: list[str]) -> None:
    assert derive_keywords(parse_go_regex(pattern)) == keywords


@pytest.mark.parametrize(
    ("pattern", "keyword", "in_match"),
    [
        (r"(?i)heroku.{0,20}([0-9a-f]{32})", "heroku", True),
        (r"xox[baprs]-[0-9]+", "xoxp", True),
        (r"(?i)(?:key|passw(?:or)?d)\s*=\s*(\S+)", "password", True),
        (r"[0-9a-f]{40}", "heroku", False),
        (r"AKIA[0-9A-Z]{16}", "aws", False),
    ],
)
def test_keyword_reachability(pattern: str, keyword: str, in_match: bool) -> None:
    assert keyword_in_matches(parse_go_regex(pattern), keyword) is in_match


def test_awkward_strings_survive_the_yaml_round_trip() -> None:
    config = """\
[[rules]]
id = "quotes"
description = "It's a \\"quoted\\" rule: yes. Second sentence\\twith a tab."
regex = '''(?i)key\\s*[:=]\\s*['"]?(q_[a-z]{8})['"]?\\t#'''
keywords = ["q_"]
tags = ["yes", "no", "a: b"]
"""
    result = import_gitleaks(config, "q.toml")
    (rule,) = load_rendered(render_yaml(result))
    assert rule.name == 'It\'s a "quoted" rule: yes'
    assert rule.description == 'It\'s a "quoted" rule: yes. Second sentence with a tab.'
    assert rule.regex == r"""(?i)key\s*[:=]\s*['"]?(q_[a-z]{8})['"]?\t#"""
    assert rule.tags == ("yes", "no", "a: b")
