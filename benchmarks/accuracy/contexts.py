"""File renderers: realistic files of each format with values planted among plenty of clean text.

The clean text is reused from the installed Python standard library: real module code for Python
files, its docstrings and the reference manual's prose (``pydoc_data/topics.py``) for comments
and markdown, and its identifiers for the names of filler settings and functions in the other
formats. Filler never contains generated random strings, so every high-entropy string in a
generated file is either a planted secret or a planted hard negative.
"""

from __future__ import annotations

import ast
import base64
import importlib
import json
import random
import sysconfig
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape as xml_escape

STDLIB_MODULES = [
    "argparse", "textwrap", "shlex", "calendar", "fractions", "statistics", "heapq", "difflib", "pprint",
    "sched", "queue", "csv", "configparser", "dataclasses", "enum", "functools", "ipaddress",
    "json/encoder", "json/decoder", "email/message", "email/utils", "http/cookies", "urllib/parse",
    "logging/__init__", "logging/handlers", "gettext", "mimetypes", "tempfile", "shutil", "zipfile",
    "smtplib", "ftplib", "imaplib", "poplib", "netrc", "getpass", "hmac", "secrets", "uuid", "http/client",
    "urllib/request", "xmlrpc/client",
]  # fmt: skip

# Every context a value can be planted in. "minified-js" and "pem-file" are special files.
CONTEXTS = [
    "env", "yaml", "json", "python", "js", "ts", "go", "properties", "terraform", "dockerfile", "shell",
    "xml", "ini", "k8s", "markdown",
]  # fmt: skip
CRLF_OK = {"env", "yaml", "json", "properties", "xml", "ini", "markdown", "python", "js", "shell", "pem-file"}
LATIN1_OK = {"env", "properties", "ini", "python", "xml", "markdown", "yaml", "shell"}
BLOCK_OK = {"env", "yaml", "python", "js", "ts", "go", "terraform", "shell", "xml", "ini", "k8s", "markdown"}


@dataclass
class Slot:
    """One named value to plant in a file.

    ``raw``: the value is an expression (``os.environ["X"]``), written without quotes.
    ``ml``: for a multi-line value, "block" keeps real newlines, "escaped" writes ``\\n``.
    ``b64``: the value is already base64 (Kubernetes ``data:``).
    ``doc``: the value is a whole JSON document (a service-account key, a docker config).
    """

    name: str
    value: str
    raw: bool = False
    ml: str = "block"
    b64: bool = False
    doc: bool = False


SECRETISH = ("pass", "pwd", "secret", "token", "key", "auth", "cred", "priv", "sign", "cert", "salt")

LATIN1_PHRASES = [
    "Configuración de producción",
    "Paramètres généraux de l'application",
    "Größe des Zwischenspeichers",
    "Schlüssel für den Zugriff (ändern!)",
    "© 2021 Société Exemple S.à r.l.",
    "Número máximo de conexiones",
    "Clé d'accès du service de paiement",
    "Prüfsumme der Datei",
    "Ñandú café déjà vu",
    "Durée de vie du jeton : 3600 s",
]


class Filler:
    """Clean text taken from the installed Python standard library."""

    def __init__(self, stdlib: Path | None = None) -> None:
        root = stdlib or Path(sysconfig.get_paths()["stdlib"])
        self.modules: list[list[str]] = []
        self.prose: list[str] = []
        words: set[str] = set()
        for name in STDLIB_MODULES:
            path = root / f"{name}.py"
            if not path.is_file():
                continue
            text = path.read_text(encoding="utf-8")
            self.modules.append(text.splitlines())
            try:
                tree = ast.parse(text)
            except SyntaxError:
                continue
            for node in ast.walk(tree):
                if isinstance(node, ast.FunctionDef | ast.ClassDef | ast.Module):
                    doc = ast.get_docstring(node)
                    if doc and len(doc) > 60:
                        self.prose.extend(_paragraphs(doc))
                if isinstance(node, ast.Name | ast.arg | ast.FunctionDef):
                    ident = (
                        getattr(node, "id", None) or getattr(node, "arg", None) or getattr(node, "name", "")
                    )
                    if ident and ident.isidentifier() and 3 <= len(ident) <= 18 and ident.islower():
                        words.add(ident.strip("_"))
        try:  # the reference manual's prose, as pydoc ships it
            topics: dict[str, str] = importlib.import_module("pydoc_data.topics").topics
        except ImportError:
            topics = {}
        for _, text in sorted(topics.items()):
            self.prose.extend(_paragraphs(text)[:40])
        if not self.modules:
            raise SystemExit(f"no standard library modules found under {root}")
        self.prose = sorted({p for p in self.prose if 40 < len(p) < 700 and p.isascii()})
        # no secret-ish words in filler names: clean settings must not look like credentials
        self.words = sorted(
            w for w in words if w and w.replace("_", "").isalpha() and not any(x in w for x in SECRETISH)
        )

    # --- pieces -----------------------------------------------------------------------------

    def py_chunk(self, rng: random.Random, n: int) -> list[str]:
        """About ``n`` consecutive lines of a real module, starting at a top-level statement."""
        lines = rng.choice(self.modules)
        starts = [i for i, ln in enumerate(lines) if ln.startswith(("def ", "class ", "@"))] or [0]
        start = rng.choice(starts)
        end = min(len(lines), start + n)
        while end < len(lines) and lines[end][:1] in (" ", "\t", ")", "]", "}"):
            end += 1
        return lines[start:end]

    def paragraph(self, rng: random.Random, width: int = 88) -> list[str]:
        return textwrap.wrap(rng.choice(self.prose), width) or ["Notes."]

    def comment(self, rng: random.Random, prefix: str, width: int = 86) -> list[str]:
        return [f"{prefix} {ln}" for ln in self.paragraph(rng, width - len(prefix) - 1)]

    def word(self, rng: random.Random) -> str:
        return rng.choice(self.words)

    def name(self, rng: random.Random, parts: int = 2) -> str:
        """An UPPER_SNAKE filler setting name made of stdlib identifiers."""
        return "_".join(self.word(rng).upper() for _ in range(parts))

    def value(self, rng: random.Random) -> str:
        """A plausible, clearly non-secret configuration value."""
        w = self.word(rng)
        return rng.choice(
            [
                str(rng.choice([1, 2, 3, 5, 8, 10, 30, 60, 100, 250, 1000, 8080, 5432, 3600])),
                rng.choice(["true", "false"]),
                rng.choice(["debug", "info", "warning", "error"]),
                f"{rng.choice([5, 10, 30, 90])}{rng.choice(['s', 'm', 'h'])}",
                w,
                f"/var/lib/{w}",
                f"https://{w.replace('_', '-')}.example-corp.com/api",
                f"{rng.randrange(1, 4)}.{rng.randrange(0, 20)}.{rng.randrange(0, 9)}",
                rng.choice(["eu-west-1", "us-east-1", "europe-west4", "ap-southeast-2"]),
                f"{w}@example-corp.com",
            ]
        )

    def settings(self, rng: random.Random, n: int) -> list[tuple[str, str]]:
        return [(self.name(rng, rng.choice([1, 2, 2, 3])), self.value(rng)) for _ in range(n)]


def _paragraphs(text: str) -> list[str]:
    out = []
    for para in text.split("\n\n"):
        flat = " ".join(ln.strip() for ln in para.splitlines() if ln.strip())
        if flat and not flat.startswith((">>>", "...", "*", "-", "+", "|", "=")):
            out.append(flat)
    return out


# --- names -----------------------------------------------------------------------------------


def snake(name: str) -> str:
    return name.lower()


def camel(name: str) -> str:
    parts = name.lower().split("_")
    return parts[0] + "".join(p.capitalize() for p in parts[1:])


def pascal(name: str) -> str:
    return "".join(p.capitalize() for p in name.lower().split("_"))


def dotted(name: str) -> str:
    return name.lower().replace("_", ".")


def kebab(name: str) -> str:
    return name.lower().replace("_", "-")


def dq(value: str) -> str:
    """A double-quoted literal valid in JSON, Python, JS, Go, Java and HCL."""
    return json.dumps(value, ensure_ascii=False)


def escaped(value: str) -> str:
    return value.replace("\r", "").replace("\n", "\\n")


def is_ml(slot: Slot) -> bool:
    return "\n" in slot.value


# --- renderers -------------------------------------------------------------------------------

Renderer = Callable[[list[Slot], Filler, random.Random, bool, str], str]


def _weave(
    rng: random.Random, slot_blocks: list[list[str]], filler: Callable[[], list[str]], lead: int = 1
) -> list[str]:
    """Filler blocks with the slot blocks spread among them."""
    out: list[str] = []
    for _ in range(lead):
        out += filler()
    for block in slot_blocks:
        out += block
        for _ in range(rng.randint(1, 3)):
            out += filler()
    return out


def _latin1_comment(rng: random.Random, prefix: str, latin1: bool) -> list[str]:
    return [f"{prefix} {rng.choice(LATIN1_PHRASES)}"] if latin1 else []


def render_env(slots: list[Slot], fl: Filler, rng: random.Random, latin1: bool, path: str) -> str:
    def filler() -> list[str]:
        lines = fl.comment(rng, "#")[:2] if rng.random() < 0.5 else []
        lines += [f"{k}={v}" for k, v in fl.settings(rng, rng.randint(2, 6))]
        return [*lines, ""]

    def slot(s: Slot) -> list[str]:
        lines = _latin1_comment(rng, "#", latin1)
        export = "export " if rng.random() < 0.15 else ""
        if s.doc:
            val = "'" + json.dumps(json.loads(s.value), separators=(",", ":")) + "'"
        elif is_ml(s):
            val = '"' + (escaped(s.value) if s.ml == "escaped" else s.value) + '"'
        elif "$" in s.value and not s.raw:
            val = f"'{s.value}'"
        else:
            val = rng.choice([s.value, s.value, f'"{s.value}"'])
        return [*lines, f"{export}{s.name}={val}"]

    return "\n".join(_weave(rng, [slot(s) for s in slots], filler)) + "\n"


def _yaml_scalar(s: Slot, indent: int, rng: random.Random) -> str:
    if is_ml(s):
        if s.ml == "escaped":
            return dq(s.value)
        pad = " " * (indent + 2)
        return "|\n" + "\n".join(pad + ln for ln in s.value.splitlines())
    if s.raw:
        return s.value
    plain_ok = s.value[:1].isalnum() and ": " not in s.value and " #" not in s.value
    if plain_ok and rng.random() < 0.6:
        return s.value
    return rng.choice([dq(s.value), "'" + s.value.replace("'", "''") + "'"])


def render_yaml(slots: list[Slot], fl: Filler, rng: random.Random, latin1: bool, path: str) -> str:
    flavor = "workflow" if "workflows/" in path else "compose" if "compose" in path else "app"
    out: list[str] = []
    if flavor == "app":
        out += fl.comment(rng, "#")
        groups = [slots[i : i + 2] for i in range(0, len(slots), 2)] or [[]]
        for group in groups:
            for _ in range(rng.randint(1, 2)):
                out.append(f"{fl.word(rng)}:")
                out += [f"  {snake(k)}: {v}" for k, v in fl.settings(rng, rng.randint(2, 6))]
            out.append(f"{rng.choice(['credentials', 'integrations', 'secrets', 'services', 'auth'])}:")
            out += [f"  {snake(k)}: {v}" for k, v in fl.settings(rng, rng.randint(0, 3))]
            for s in group:
                out += ["  " + ln for ln in _latin1_comment(rng, "#", latin1)]
                out.append(f"  {snake(s.name)}: {_yaml_scalar(s, 2, rng)}")
            out += [f"  {snake(k)}: {v}" for k, v in fl.settings(rng, rng.randint(0, 3))]
    elif flavor == "compose":
        out += ["services:"]
        for i in range(max(1, (len(slots) + 1) // 2)):
            out += [
                f"  {fl.word(rng).replace('_', '-')}:",
                f"    image: example-corp/{fl.word(rng)}:1.{i}",
                "    restart: unless-stopped",
                "    environment:",
            ]
            out += [f"      {k}: {dq(v)}" for k, v in fl.settings(rng, rng.randint(1, 4))]
            for s in slots[2 * i : 2 * i + 2]:
                out += ["      " + ln for ln in _latin1_comment(rng, "#", latin1)]
                out.append(f"      {s.name}: {_yaml_scalar(s, 6, rng)}")
            out += ["    ports:", f'      - "{rng.choice([80, 8080, 3000, 9000])}:8080"']
    else:
        out += [
            f"name: {fl.word(rng)}",
            "on:",
            "  push:",
            "    branches: [main]",
            "jobs:",
            "  build:",
            "    runs-on: ubuntu-latest",
            "    env:",
        ]
        for s in slots:
            out += ["      " + ln for ln in _latin1_comment(rng, "#", latin1)]
            out.append(f"      {s.name}: {_yaml_scalar(s, 6, rng)}")
        out += ["    steps:", "      - uses: actions/checkout@v4"]
        for _ in range(rng.randint(2, 5)):
            out += [
                f"      - name: {' '.join(fl.word(rng) for _ in range(3))}",
                f"        run: make {fl.word(rng)} {fl.word(rng).upper()}={fl.value(rng)}",
            ]
    tail: list[str] = []
    for _ in range(rng.randint(1, 3)):
        tail += [f"{fl.word(rng)}_{fl.word(rng)}:"] + [f"  {snake(k)}: {v}" for k, v in fl.settings(rng, 4)]
    if flavor == "app":
        out += tail
    return "\n".join(out) + "\n"


def render_json(slots: list[Slot], fl: Filler, rng: random.Random, latin1: bool, path: str) -> str:
    if len(slots) == 1 and slots[0].doc:
        return slots[0].value + "\n"

    def section(n: int) -> dict[str, object]:
        d: dict[str, object] = {}
        for k, v in fl.settings(rng, n):
            d[camel(k)] = int(v) if v.isdigit() else (v == "true" if v in ("true", "false") else v)
        return d

    data: dict[str, object] = {"name": fl.word(rng).replace("_", "-"), "version": fl.value(rng)}
    if latin1:
        data["description"] = rng.choice(LATIN1_PHRASES)
    for _ in range(rng.randint(1, 3)):
        data[camel(fl.name(rng, 1))] = section(rng.randint(3, 8))
    for s in slots:
        holder = section(rng.randint(0, 3))
        if s.doc:
            holder[camel(s.name)] = json.loads(s.value)
        else:
            holder[camel(s.name)] = s.value
        data[
            rng.choice(["credentials", "integrations", "auth", "connections", "providers"]) + str(len(data))
        ] = holder
        data[camel(fl.name(rng, 1))] = section(rng.randint(2, 6))
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _py_literal(s: Slot) -> str:
    if s.raw:
        return s.value
    if is_ml(s) and s.ml == "block":
        return '"""' + s.value + '"""'
    return dq(s.value)


def render_python(slots: list[Slot], fl: Filler, rng: random.Random, latin1: bool, path: str) -> str:
    head = ["# -*- coding: latin-1 -*-"] if latin1 else []
    head += ['"""' + "\n".join(fl.paragraph(rng, 80)) + '"""', "", "import logging", "import os", ""]

    def filler() -> list[str]:
        return ["", *fl.py_chunk(rng, rng.randint(15, 60)), ""]

    def slot(s: Slot) -> list[str]:
        lines = _latin1_comment(rng, "#", latin1)
        lit = _py_literal(s)
        form = rng.randrange(4)
        if form == 0 or is_ml(s):
            return [*lines, f"{s.name} = {lit}"]
        if form == 1:
            return [
                *lines,
                f"{fl.word(rng).upper()}_CONFIG = {{",
                f"    {dq(snake(s.name))}: {lit},",
                f"    {dq(fl.word(rng))}: {dq(fl.value(rng))},",
                "}",
            ]
        if form == 2:
            return [*lines, f"os.environ.setdefault({dq(s.name)}, {lit})"]
        return [*lines, f"client = {pascal(fl.word(rng))}Client({snake(s.name)}={lit}, timeout=30)"]

    return "\n".join(head + _weave(rng, [slot(s) for s in slots], filler)) + "\n"


def _js_filler(fl: Filler, rng: random.Random, ts: bool) -> list[str]:
    fn, a, b = camel(fl.name(rng, 2)), camel(fl.word(rng)), camel(fl.word(rng))
    t = ": string" if ts else ""
    body = [
        *fl.comment(rng, "//"),
        f"export function {fn}({a}{t}, {b} = {{}}) {{",
        f"  const result = String({a}).split({dq(',')}).map((part) => part.trim());",
        f"  if ({b}.strict && result.length > {rng.randint(2, 9)}) {{",
        f"    throw new Error({dq('unexpected ' + fl.word(rng) + ': ')} + {a});",
        "  }",
        f"  return result.filter(Boolean).slice(0, {rng.randint(3, 40)});",
        "}",
        "",
    ]
    if rng.random() < 0.5:
        body = ["/**", *(" * " + ln for ln in fl.paragraph(rng, 80)), " */", *body[len(body) - 8 :]]
    return body


def _js_literal(s: Slot) -> str:
    if s.raw:
        return s.value
    if is_ml(s) and s.ml == "block":
        return "`" + s.value + "`"
    return dq(s.value) if is_ml(s) else js_quote(s.value)


def js_quote(value: str) -> str:
    return "'" + value + "'" if "'" not in value and "\\" not in value and len(value) % 3 == 0 else dq(value)


def _render_js(slots: list[Slot], fl: Filler, rng: random.Random, ts: bool) -> str:
    head = ["'use strict';", "", f"import {{ {camel(fl.word(rng))} }} from './{fl.word(rng)}';", ""]
    if ts:
        head = [f"import type {{ {pascal(fl.word(rng))} }} from './types';", ""]

    def slot(s: Slot) -> list[str]:
        lit = _js_literal(s)
        form = rng.randrange(3)
        t = ": string" if ts else ""
        if form == 0 or is_ml(s):
            return [f"export const {s.name}{t} = {lit};", ""]
        if form == 1:
            return [
                f"const {camel(fl.word(rng))}Config = {{",
                f"  {camel(s.name)}: {lit},",
                f"  timeout: {rng.randint(1, 60) * 1000},",
                f"  baseUrl: {dq(fl.value(rng))},",
                "};",
                "",
            ]
        return [f"const {camel(s.name)}{t} = process.env.{s.name} || {lit};", ""]

    return "\n".join(head + _weave(rng, [slot(s) for s in slots], lambda: _js_filler(fl, rng, ts))) + "\n"


def render_js(slots: list[Slot], fl: Filler, rng: random.Random, latin1: bool, path: str) -> str:
    return _render_js(slots, fl, rng, False)


def render_ts(slots: list[Slot], fl: Filler, rng: random.Random, latin1: bool, path: str) -> str:
    return _render_js(slots, fl, rng, True)


def render_go(slots: list[Slot], fl: Filler, rng: random.Random, latin1: bool, path: str) -> str:
    head = [
        "// Package config " + " ".join(fl.paragraph(rng, 200)[0].split()[:12]),
        "package config",
        "",
        "import (",
        '\t"fmt"',
        '\t"os"',
        '\t"time"',
        ")",
        "",
    ]

    def filler() -> list[str]:
        fn, arg = pascal(fl.name(rng, 2)), camel(fl.word(rng))
        return [
            *fl.comment(rng, "//"),
            f"func {fn}({arg} string, limit int) ([]string, error) {{",
            f"\tif len({arg}) == 0 {{",
            f'\t\treturn nil, fmt.Errorf("{fl.word(rng)}: empty {arg}")',
            "\t}",
            "\tout := make([]string, 0, limit)",
            f"\tfor i := 0; i < limit && i < len({arg}); i++ {{",
            f"\t\tout = append(out, {arg}[i:])",
            "\t}",
            f"\t_ = {rng.randint(1, 90)} * time.Second",
            "\treturn out, nil",
            "}",
            "",
        ]

    def slot(s: Slot) -> list[str]:
        if s.raw:
            lit = s.value
        elif is_ml(s) and s.ml == "block" and "`" not in s.value:
            lit = "`" + s.value + "`"
        else:
            lit = dq(s.value)
        form = rng.randrange(3)
        if form == 0 or is_ml(s):
            return [f"var {camel(s.name)} = {lit}", ""]
        if form == 1:
            return [f"const default{pascal(s.name)} = {lit}", ""]
        return [
            f"var {camel(fl.word(rng))}Cfg = {pascal(fl.word(rng))}Config{{",
            f"\t{pascal(s.name)}: {lit},",
            f"\tTimeout: {rng.randint(1, 60)} * time.Second,",
            "}",
            "",
        ]

    return "\n".join(head + _weave(rng, [slot(s) for s in slots], filler)) + "\n"


def render_properties(slots: list[Slot], fl: Filler, rng: random.Random, latin1: bool, path: str) -> str:
    def filler() -> list[str]:
        lines = fl.comment(rng, "#")[:2] if rng.random() < 0.6 else []
        prefix = rng.choice(["spring", "server", "app", "logging.level", fl.word(rng)])
        return [*lines, *(f"{prefix}.{dotted(k)}={v}" for k, v in fl.settings(rng, rng.randint(2, 6))), ""]

    def slot(s: Slot) -> list[str]:
        key = rng.choice([dotted(s.name), kebab(s.name), f"app.{kebab(s.name)}", s.name])
        sep = rng.choice(["=", "=", " = ", ": "])
        return [*_latin1_comment(rng, "#", latin1), f"{key}{sep}{escaped(s.value)}"]

    return "\n".join(_weave(rng, [slot(s) for s in slots], filler)) + "\n"


def render_terraform(slots: list[Slot], fl: Filler, rng: random.Random, latin1: bool, path: str) -> str:
    def filler() -> list[str]:
        kind = rng.choice(
            ["aws_s3_bucket", "aws_instance", "google_storage_bucket", "azurerm_resource_group"]
        )
        lines = [f'resource "{kind}" "{fl.word(rng)}" {{']
        lines += [f"  {snake(k)} = {dq(v)}" for k, v in fl.settings(rng, rng.randint(2, 5))]
        lines += [
            "  tags = {",
            f"    Team = {dq(fl.word(rng))}",
            '    ManagedBy = "terraform"',
            "  }",
            "}",
            "",
        ]
        return fl.comment(rng, "#")[:2] + lines

    def slot(s: Slot) -> list[str]:
        if s.raw:
            lit = s.value
        elif is_ml(s) and s.ml == "block":
            lit = "<<-EOT\n" + "\n".join("    " + ln for ln in s.value.splitlines()) + "\n  EOT"
        else:
            lit = dq(s.value)
        form = rng.randrange(3)
        if form == 0:
            return [
                f'variable "{snake(s.name)}" {{',
                "  type      = string",
                f"  default   = {lit}",
                "  sensitive = true",
                "}",
                "",
            ]
        if form == 1:
            return [
                f'provider "{fl.word(rng)}" {{',
                f"  {snake(s.name)} = {lit}",
                f"  region = {dq(fl.value(rng))}",
                "}",
                "",
            ]
        return ["locals {", f"  {snake(s.name)} = {lit}", "}", ""]

    return "\n".join(_weave(rng, [slot(s) for s in slots], filler)) + "\n"


def render_dockerfile(slots: list[Slot], fl: Filler, rng: random.Random, latin1: bool, path: str) -> str:
    out = [
        f"FROM {rng.choice(['python:3.11-slim', 'node:20-alpine', 'golang:1.22', 'eclipse-temurin:21'])}",
        f'LABEL maintainer="{fl.word(rng)}@example-corp.com"',
        "WORKDIR /app",
    ]

    def filler() -> list[str]:
        return [
            *fl.comment(rng, "#")[:2],
            f"RUN apt-get update && apt-get install -y --no-install-recommends {fl.word(rng)} "
            f"{fl.word(rng)} && rm -rf /var/lib/apt/lists/*",
            f"COPY {fl.word(rng)}/ /app/{fl.word(rng)}/",
            f"ENV {fl.name(rng)}={fl.value(rng)}",
            "",
        ]

    def slot(s: Slot) -> list[str]:
        val = escaped(s.value)
        val = f'"{val}"' if rng.random() < 0.5 or "$" in val or " " in val else val
        kw = rng.choice(["ENV", "ENV", "ARG"])
        return [f"{kw} {s.name}={val}"]

    body = _weave(rng, [slot(s) for s in slots], filler)
    return "\n".join(out + body + ['CMD ["./entrypoint.sh"]']) + "\n"


def render_shell(slots: list[Slot], fl: Filler, rng: random.Random, latin1: bool, path: str) -> str:
    out = ["#!/usr/bin/env bash", "set -euo pipefail", ""]

    def filler() -> list[str]:
        fn = snake(fl.name(rng, 2))
        return [
            *fl.comment(rng, "#"),
            f"{fn}() {{",
            f'  local {fl.word(rng)}="${{1:-{fl.word(rng)}}}"',
            f'  echo "{" ".join(fl.word(rng) for _ in range(4))}" >&2',
            f"  {rng.choice(['mkdir -p', 'test -d', 'ls'])} /var/lib/{fl.word(rng)}",
            "}",
            "",
        ]

    def slot(s: Slot) -> list[str]:
        lines = _latin1_comment(rng, "#", latin1)
        if is_ml(s) and s.ml == "block":
            path = f"$HOME/.config/{kebab(s.name)}"
            return [
                *lines,
                f"cat > \"{path}\" <<'EOF'",
                *s.value.splitlines(),
                "EOF",
                f'chmod 600 "{path}"',
                "",
            ]
        val = escaped(s.value)
        q = "'" if "$" in val or rng.random() < 0.4 else '"'
        if s.raw:
            q = '"'
        return [*lines, f"export {s.name}={q}{val}{q}", ""]

    return "\n".join(out + _weave(rng, [slot(s) for s in slots], filler)) + "\n"


def render_xml(slots: list[Slot], fl: Filler, rng: random.Random, latin1: bool, path: str) -> str:
    enc = "ISO-8859-1" if latin1 else "UTF-8"
    flavor = rng.choice(["maven", "webconfig", "spring"])
    out = [f'<?xml version="1.0" encoding="{enc}"?>']
    if latin1:
        out.append(f"<!-- {rng.choice(LATIN1_PHRASES)} -->")
    out.append("<!-- " + " ".join(fl.paragraph(rng, 300)[0].split()[:14]).replace("--", "-") + " -->")

    def fill(indent: str) -> list[str]:
        return [
            f"{indent}<{kebab(k)}>{xml_escape(v)}</{kebab(k)}>"
            for k, v in fl.settings(rng, rng.randint(2, 5))
        ]

    if flavor == "maven":
        out += ["<settings>", "  <servers>"]
        for s in slots:
            tag = rng.choice(["password", "passphrase", "privateKey"]) if not is_ml(s) else "privateKey"
            out += [
                "    <server>",
                f"      <id>{fl.word(rng)}</id>",
                f"      <username>{fl.word(rng)}</username>",
                f"      <{tag}>{xml_escape(s.value)}</{tag}>",
                f"      <!-- {s.name} -->",
                "    </server>",
            ]
        out += ["  </servers>", "  <profiles>", "    <profile>", "      <properties>"]
        out += [*fill("        "), "      </properties>", "    </profile>", "  </profiles>", "</settings>"]
    elif flavor == "webconfig":
        out += ["<configuration>", "  <appSettings>"]
        adds = [f'    <add key="{pascal(k)}" value="{xml_escape(v)}" />' for k, v in fl.settings(rng, 6)]
        for s in slots:
            value = xml_escape(escaped(s.value), {'"': "&quot;"})
            adds.insert(rng.randrange(len(adds) + 1), f'    <add key="{pascal(s.name)}" value="{value}" />')
        out += [*adds, "  </appSettings>", "  <system.web>", '    <compilation debug="false" />']
        out += ["  </system.web>", "</configuration>"]
    else:
        out += ['<beans xmlns="http://www.springframework.org/schema/beans">']
        for s in slots:
            out += [f'  <bean id="{camel(fl.word(rng))}" class="com.example.{pascal(fl.word(rng))}">']
            out += [
                f'    <property name="{camel(k)}" value="{xml_escape(v)}"/>' for k, v in fl.settings(rng, 3)
            ]
            out += [
                f'    <property name="{camel(s.name)}">',
                f"      <value>{xml_escape(s.value)}</value>",
                "    </property>",
                "  </bean>",
            ]
        out += ["</beans>"]
    return "\n".join(out) + "\n"


def render_ini(slots: list[Slot], fl: Filler, rng: random.Random, latin1: bool, path: str) -> str:
    out: list[str] = []

    def section() -> list[str]:
        return [
            f"[{fl.word(rng)}]",
            *(f"{snake(k)} = {v}" for k, v in fl.settings(rng, rng.randint(2, 6))),
            "",
        ]

    out += fl.comment(rng, ";")[:3] + section()
    for s in slots:
        out += _latin1_comment(rng, ";", latin1)
        out += [f"[{rng.choice(['credentials', 'auth', 'database', 'api', fl.word(rng)])}]"]
        out += [f"{snake(k)} = {v}" for k, v in fl.settings(rng, rng.randint(0, 3))]
        if is_ml(s) and s.ml == "block":
            lines = s.value.splitlines()
            out += [f"{snake(s.name)} = {lines[0]}", *("    " + ln for ln in lines[1:])]
        else:
            out += [f"{snake(s.name)} = {escaped(s.value)}"]
        out += ["", *section()]
    return "\n".join(out) + "\n"


def render_k8s(slots: list[Slot], fl: Filler, rng: random.Random, latin1: bool, path: str) -> str:
    name = fl.word(rng).replace("_", "-")
    docs: list[list[str]] = []
    secret_slots = [s for s in slots if s.b64 or s.doc or is_ml(s) or rng.random() < 0.5]
    env_slots = [s for s in slots if s not in secret_slots]
    if secret_slots:
        data = [s for s in secret_slots if s.b64 or s.doc]
        string_data = [s for s in secret_slots if s not in data]
        doc = [
            "apiVersion: v1",
            "kind: Secret",
            "metadata:",
            f"  name: {name}-credentials",
            f"  namespace: {fl.word(rng).replace('_', '-')}",
            "type: Opaque",
        ]
        if data:
            doc.append("data:")
            for s in data:
                value = s.value if s.b64 else base64.b64encode(s.value.encode()).decode()
                key = (
                    ".dockerconfigjson"
                    if s.doc and "auths" in s.value
                    else ("credentials.json" if s.doc else kebab(s.name))
                )
                doc.append(f"  {key}: {value}")
        if string_data:
            doc.append("stringData:")
            for s in string_data:
                doc.append(f"  {kebab(s.name)}: {_yaml_scalar(s, 2, rng)}")
        docs.append(doc)
    cm = ["apiVersion: v1", "kind: ConfigMap", "metadata:", f"  name: {name}-config", "data:"]
    cm += [f"  {snake(k)}: {dq(v)}" for k, v in fl.settings(rng, rng.randint(3, 8))]
    docs.append(cm)
    dep = [
        "apiVersion: apps/v1",
        "kind: Deployment",
        "metadata:",
        f"  name: {name}",
        "spec:",
        f"  replicas: {rng.randint(1, 5)}",
        "  template:",
        "    spec:",
        "      containers:",
        f"        - name: {name}",
        f"          image: registry.example-corp.com/{name}:1.{rng.randint(0, 30)}",
        "          env:",
    ]
    for k, v in fl.settings(rng, rng.randint(2, 5)):
        dep += [f"            - name: {k}", f"              value: {dq(v)}"]
    for s in env_slots:
        dep += [f"            - name: {s.name}", f"              value: {_yaml_scalar(s, 14, rng)}"]
    dep += [
        "          resources:",
        "            limits:",
        f"              memory: {rng.choice([256, 512])}Mi",
    ]
    docs.append(dep)
    rng.shuffle(docs)
    head = ["# " + ln for ln in fl.paragraph(rng, 86)]
    return "\n".join(head) + "\n---\n" + "\n---\n".join("\n".join(d) for d in docs) + "\n"


def render_markdown(slots: list[Slot], fl: Filler, rng: random.Random, latin1: bool, path: str) -> str:
    out = [f"# {' '.join(fl.word(rng).capitalize() for _ in range(3))}", ""]
    if latin1:
        out += [rng.choice(LATIN1_PHRASES), ""]

    def filler() -> list[str]:
        lines = [*fl.paragraph(rng, 100), ""]
        if rng.random() < 0.3:
            lines = [f"## {fl.word(rng).capitalize()}", "", *lines]
        return lines

    def slot(s: Slot) -> list[str]:
        lines = [*fl.paragraph(rng, 100), ""]
        if is_ml(s) and s.ml == "block":
            return [*lines, "```text", *s.value.splitlines(), "```", ""]
        style = rng.randrange(3)
        val = escaped(s.value)
        if style == 0:
            return [
                *lines,
                "```bash",
                f"export {s.name}='{val}'",
                f"./bin/{fl.word(rng)} --verbose",
                "```",
                "",
            ]
        if style == 1:
            return [*lines, "```yaml", f"{snake(s.name)}: {dq(s.value)}", "```", ""]
        return [*lines, f"Set `{s.name}` to `{val}` before running `make {fl.word(rng)}`.", ""]

    return "\n".join(_weave(rng, [slot(s) for s in slots], filler)) + "\n"


def render_pem_file(slots: list[Slot], fl: Filler, rng: random.Random, latin1: bool, path: str) -> str:
    return "\n".join(s.value for s in slots) + "\n"


def render_minified(slots: list[Slot], fl: Filler, rng: random.Random, latin1: bool, path: str) -> str:
    """One long minified line (a webpack-style bundle) with the values among object literals."""
    size = 24_000
    parts: list[str] = []
    letters = "abcdefghijklmnopqrstuvwxyz"

    def ident() -> str:
        return rng.choice(letters) + rng.choice(letters + "0123456789$_")

    def chunk() -> str:
        w = camel(fl.name(rng, 2))
        kind = rng.randrange(5)
        if kind == 0:
            a, b, c, d = ident(), ident(), ident(), ident()
            return f"function {a}({b},{c}){{return {d}.{w}({b})||{rng.randint(0, 99)}}}"
        if kind == 1:
            return f"var {ident()}={dq(' '.join(fl.word(rng) for _ in range(rng.randint(2, 7))))}"
        if kind == 2:
            return (
                f"{ident()}.prototype.{w}=function({ident()}){{this.{camel(fl.word(rng))}="
                f"{ident()}.{camel(fl.word(rng))}({rng.randint(0, 9)})}}"
            )
        if kind == 3:
            message = dq(fl.paragraph(rng, 400)[0][:60])
            return f"if({ident()}.{w}>{rng.randint(1, 500)})throw new Error({message})"
        return f"{ident()}[{dq(w)}]=function(){{return {ident()}(this,{dq(fl.word(rng))})}}"

    slot_chunks = []
    for s in slots:
        val = s.value if s.raw else dq(s.value)
        slot_chunks.append(
            f"var {ident()}={{{camel(fl.word(rng))}:{dq(fl.value(rng))},{camel(s.name)}:{val},"
            f"timeout:{rng.randint(1, 60) * 1000}}}"
        )
    total = 0
    while total < size:
        c = chunk()
        parts.append(c)
        total += len(c) + 1
    for c in slot_chunks:
        parts.insert(rng.randrange(len(parts) + 1), c)
    return '!function(e,t){"use strict";' + ";".join(parts) + "}(window,document);\n"


RENDERERS: dict[str, Renderer] = {
    "env": render_env,
    "yaml": render_yaml,
    "json": render_json,
    "python": render_python,
    "js": render_js,
    "ts": render_ts,
    "go": render_go,
    "properties": render_properties,
    "terraform": render_terraform,
    "dockerfile": render_dockerfile,
    "shell": render_shell,
    "xml": render_xml,
    "ini": render_ini,
    "k8s": render_k8s,
    "markdown": render_markdown,
    "pem-file": render_pem_file,
    "minified-js": render_minified,
}


def encode_file(text: str, crlf: bool, latin1: bool) -> bytes:
    if crlf:
        text = text.replace("\r\n", "\n").replace("\n", "\r\n")
    return text.encode("latin-1", "replace") if latin1 else text.encode("utf-8")
