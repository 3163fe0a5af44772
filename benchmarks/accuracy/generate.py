#!/usr/bin/env python3
"""Build the accuracy benchmark: a git repository with planted synthetic secrets and hard negatives.

    python benchmarks/accuracy/generate.py OUT_DIR [--seed N] [--types N] [--negatives N]

Writes OUT_DIR/repo (a git repository; OUT_DIR must not already hold one) and OUT_DIR/truth.json:
every planted secret ``{type, secret, path, context, where, encoding, written, in_head, commit}``
and every hard negative ``{kind, value, path, context, where}``.

Places (``where``): current (in HEAD), removed (added, then deleted or replaced by a reference in
a later commit), side-branch (only on an unmerged branch), tag-only (only behind a tag whose
branch was deleted), merge (introduced by a merge commit, in neither parent). Encodings: plain,
percent, base64, pem (real newlines), pem-escaped (``\\n`` escapes). Everything is synthetic and
seeded: the same seed gives the same repository, commit ids included.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import random
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import negatives
from contexts import (
    BLOCK_OK,
    CONTEXTS,
    CRLF_OK,
    LATIN1_OK,
    RENDERERS,
    Filler,
    Slot,
    encode_file,
)
from formats import TYPES, SecretType, b64

VERSION = 1
PLACES = ["current", "removed", "side-branch", "tag-only", "merge"]
PLACE_WEIGHTS = [45, 17, 14, 10, 14]
PEM_CONTEXTS = [
    "pem-file", "pem-file", "yaml", "json", "python", "js", "go", "terraform", "shell", "markdown", "k8s",
    "env", "ini", "xml",
]  # fmt: skip
B64_CONTEXTS = ["k8s", "k8s", "env", "json", "yaml"]
AUTHORS = [
    ("Ada Lovelace", "ada@example-corp.invalid"),
    ("Grace Hopper", "grace@example-corp.invalid"),
    ("Edsger Dijkstra", "edsger@example-corp.invalid"),
]
START = datetime(2023, 1, 9, 9, 30, tzinfo=UTC)
SERVICES = [
    "orders", "billing", "payments", "auth", "gateway", "worker", "search", "notifications", "reports",
    "inventory", "checkout", "users", "analytics", "ingest", "scheduler", "mailer", "webhooks", "storage",
    "admin", "api", "catalog", "shipping", "pricing", "ledger", "export", "sync", "media", "chat", "audit",
]  # fmt: skip


@dataclass
class Plant:
    type: str
    secret: str
    written: str  # the form written in the file (percent- or base64-encoded for those encodings)
    encoding: str
    where: str
    ctx: str
    path: str = ""
    commit: str = ""
    in_head: bool = False
    companions: list[Plant] = field(default_factory=list)  # more secrets in the same value


@dataclass
class NegRecord:
    kind: str
    value: str
    ctx: str
    where: str
    path: str = ""


@dataclass
class FileSpec:
    path: str
    ctx: str
    where: str
    crlf: bool = False
    latin1: bool = False
    slots: list[Slot] = field(default_factory=list)
    plants: list[Plant] = field(default_factory=list)
    negs: list[NegRecord] = field(default_factory=list)
    seed: int = 0
    planted: list[Slot] = field(default_factory=list)  # the slots that hold plants
    removal: str = ""  # removed files: "delete" or "redact"
    after: list[Slot] | None = None  # the redacted version's slots

    @property
    def label(self) -> str:
        return self.ctx + ("-crlf" if self.crlf else "") + ("-latin1" if self.latin1 else "")


# --- planning ----------------------------------------------------------------------------------


def pick_types(count: int | None) -> list[SecretType]:
    if count is None or count >= len(TYPES):
        return list(TYPES)
    step = len(TYPES) / count
    return [TYPES[int(i * step)] for i in range(count)]


def plan_plants(types: list[SecretType], rng: random.Random) -> list[tuple[Plant, Slot]]:
    out: list[tuple[Plant, Slot]] = []
    later: list[Plant] = []  # plants other than each type's first (which is always current)
    for t in types:
        for i in range(rng.choice([3, 4] if t.shape == "pem" else [2, 3, 3, 4])):
            where = "current" if i == 0 else rng.choices(PLACES, PLACE_WEIGHTS)[0]
            plant, slot = plan_one(t, where, rng)
            out.append((plant, slot))
            if i:
                later.append(plant)
    # every place at least once, however few types were asked for
    for place in PLACES:
        if not any(p.where == place for p, _ in out):
            spare = [
                p for p in later if p.ctx != "minified-js" and sum(q.where == p.where for q in later) > 1
            ]
            if spare:
                rng.choice(spare).where = place
    return out


def plan_one(t: SecretType, where: str, rng: random.Random) -> tuple[Plant, Slot]:
    name = rng.choice(t.names)
    roll = rng.random()
    if t.shape == "json-doc":
        ctx = rng.choice(list(t.contexts))
        secret, value = t.make(rng, False)
        encoding = "base64" if ctx == "k8s" else "plain"
        written = base64.b64encode(value.encode()).decode() if ctx == "k8s" else secret
        plant = Plant(t.name, secret, written, encoding, where, ctx)
        key = json.loads(value).get("private_key")
        if key:  # a service-account key file also holds the PEM private key, with \n escapes
            plant.companions.append(
                Plant(
                    "gcp-service-account-private-key",
                    key.strip(),
                    written if ctx == "k8s" else key.strip(),
                    encoding if ctx == "k8s" else "pem-escaped",
                    where,
                    ctx,
                )
            )
        return plant, Slot(name, value, doc=True)
    if t.percent_ok and roll < 0.4:
        secret, value = t.make(rng, True)
        ctx = rng.choice(CONTEXTS)
        return Plant(t.name, secret, value, "percent", where, ctx), Slot(name, value)
    secret, value = t.make(rng, False)
    if roll > 0.9:
        ctx = rng.choice(B64_CONTEXTS)
        if ctx == "k8s":
            enc = base64.b64encode(value.encode()).decode()
            return Plant(t.name, secret, enc, "base64", where, ctx), Slot(name, enc, b64=True)
        blob_lines = [
            f"{name}={value if t.shape != 'pem' else value.replace(chr(10), chr(92) + 'n')}",
            "LOG_LEVEL=info",
            f"REGION={rng.choice(['eu-west-1', 'us-east-2'])}",
            "RETRIES=3",
        ]
        rng.shuffle(blob_lines)
        enc = b64(("\n".join(blob_lines) + "\n").encode())
        slot_name = rng.choice(["APP_CONFIG_B64", "BOOTSTRAP_ENV", "ENV_FILE_BASE64", "SETTINGS_BLOB"])
        return Plant(t.name, secret, enc, "base64", where, ctx), Slot(slot_name, enc)
    if t.shape == "pem":
        ctx = rng.choice(PEM_CONTEXTS)
        ml = (
            "escaped"
            if ctx == "json" or ctx not in BLOCK_OK | {"pem-file"} or rng.random() < 0.2
            else "block"
        )
        if ctx == "pem-file":
            ml = "block"
        return Plant(t.name, secret, value, "pem" if ml == "block" else "pem-escaped", where, ctx), Slot(
            name, value, ml=ml
        )
    if t.contexts:
        ctx = rng.choice(list(t.contexts))
    elif where == "current" and rng.random() < 0.08:
        ctx = "minified-js"
    else:
        ctx = rng.choice(CONTEXTS)
    return Plant(t.name, secret, value, "plain", where, ctx), Slot(name, value)


class Paths:
    def __init__(self, fl: Filler, rng: random.Random) -> None:
        self.fl, self.rng, self.used = fl, rng, set[str]()

    def w(self) -> str:
        return self.rng.choice(SERVICES)

    def make(self, ctx: str, plant_type: str = "") -> str:
        r, w = self.rng, self.w
        options = {
            "env": [
                ".env",
                ".env.production",
                f"config/{w()}.env",
                f"deploy/{w()}/.env.staging",
                f"services/{w()}/.env",
            ],
            "yaml": [
                f"config/{w()}.yaml",
                f"docker-compose.{w()}.yml",
                f".github/workflows/{w()}.yml",
                f"charts/{w()}/values.yaml",
                f"config/{w()}/settings.yml",
            ],
            "json": [
                f"config/{w()}.json",
                f"appsettings.{r.choice(['Production', 'Staging'])}.{w()}.json",
                f"src/{w()}/settings.json",
                f"credentials/{w()}.json",
            ],
            "python": [f"app/{w()}/settings.py", f"scripts/{w()}.py", f"src/{w()}/{w()}.py"],
            "js": [f"src/{w()}/{w()}.js", f"config/{w()}.config.js", f"server/{w()}.js"],
            "ts": [f"src/{w()}/{w()}.ts", f"packages/{w()}/src/config.ts"],
            "go": [f"internal/{w()}/config.go", f"cmd/{w()}/main.go"],
            "properties": [f"src/main/resources/application-{w()}.properties", f"conf/{w()}.properties"],
            "terraform": [f"infra/{w()}/main.tf", f"infra/modules/{w()}/variables.tf"],
            "dockerfile": [f"docker/{w()}.Dockerfile", f"services/{w()}/Dockerfile"],
            "shell": [f"scripts/{w()}.sh", f"deploy/{w()}.sh", f"bin/{w()}-setup.sh"],
            "xml": [f"config/{w()}.xml", f".m2/settings-{w()}.xml", f"web.{w()}.config"],
            "ini": [f"config/{w()}.ini", f"deploy/{w()}.cfg", f"etc/{w()}.conf"],
            "k8s": [f"k8s/{w()}/{w()}.yaml", f"manifests/{w()}-secret.yaml"],
            "markdown": [f"docs/{w()}.md", f"docs/{w()}/setup.md", f"README.{w()}.md"],
            "minified-js": [f"public/assets/app.{r.getrandbits(32):08x}.min.js"],
            "pem-file": {
                "openssh-private-key": [f"deploy/keys/{w()}_id_ed25519", f".ssh/{w()}_deploy_key"],
                "pgp-private-key": [f"keys/{w()}-signing.asc"],
            }.get(plant_type, [f"certs/{w()}.key", f"keys/{w()}.pem", f"tls/{w()}-private.pem"]),
        }[ctx]
        path = base = r.choice(options)
        n = 2
        while path in self.used:
            folder, _, name = base.rpartition("/")
            stem, _dot, ext = name.rpartition(".")
            name = f"{stem}-{n}.{ext}" if stem else f"{name}-{n}"
            path = f"{folder}/{name}" if folder else name
            n += 1
        self.used.add(path)
        return path


def variants(ctx: str, rng: random.Random) -> tuple[bool, bool]:
    roll = rng.random()
    crlf = ctx in CRLF_OK and roll < 0.12
    latin1 = not crlf and ctx in LATIN1_OK and roll > 0.9
    return crlf, latin1


def group_files(plants: list[tuple[Plant, Slot]], paths: Paths, rng: random.Random) -> list[FileSpec]:
    buckets: dict[tuple[str, str, bool, bool], list[tuple[Plant, Slot]]] = {}
    for plant, slot in plants:
        crlf, latin1 = variants(plant.ctx, rng)
        if plant.ctx == "minified-js":
            crlf = latin1 = False
        buckets.setdefault((plant.where, plant.ctx, crlf, latin1), []).append((plant, slot))
    files: list[FileSpec] = []
    for (where, ctx, crlf, latin1), items in sorted(buckets.items()):
        rng.shuffle(items)
        while items:
            if ctx == "pem-file" or (any(s.doc for _, s in items[:1]) and ctx == "json"):
                size = 1
            elif ctx == "minified-js":
                size = 8
            else:
                size = rng.randint(1, 4)
            chunk, items = items[:size], items[size:]
            if ctx == "json" and any(s.doc for _, s in chunk) and len(chunk) > 1:
                # a whole-document secret gets its own file
                doc = [c for c in chunk if c[1].doc]
                items = [c for c in chunk if not c[1].doc] + items
                chunk = doc[:1]
                items = doc[1:] + items
            spec = FileSpec(
                paths.make(ctx, chunk[0][0].type), ctx, where, crlf, latin1, seed=rng.getrandbits(32)
            )
            for plant, slot in chunk:
                for p in [plant, *plant.companions]:
                    p.path = spec.path
                    p.ctx = spec.label
                    spec.plants.append(p)
                spec.slots.append(slot)
                spec.planted.append(slot)
            if where == "removed":
                single_doc = ctx in ("pem-file", "minified-js") or (ctx == "json" and spec.slots[0].doc)
                spec.removal = "delete" if single_doc or rng.random() < 0.4 else "redact"
            files.append(spec)
    return files


def add_negatives(
    files: list[FileSpec], total: int, paths: Paths, fl: Filler, rng: random.Random
) -> tuple[list[tuple[str, str, list[tuple[str, str]]]], list[FileSpec]]:
    """Spread ``total`` hard negatives over the files; returns native files and negative-only files."""
    natives: list[tuple[str, str, list[tuple[str, str]]]] = []
    budget = total // 5
    for path, make in negatives.NATIVE_FILES.items():
        if budget < 3:
            break
        n = min(budget, rng.randint(4, 10))
        text, found = make(rng, n)
        natives.append((path, text, found))
        budget -= len(found)
    remaining = total - sum(len(f) for _, _, f in natives)
    extra: list[FileSpec] = []
    for _ in range(max(1, remaining // 8)):
        ctx = rng.choice([*CONTEXTS, "minified-js"] if remaining > 60 else CONTEXTS)
        crlf, latin1 = variants(ctx, rng)
        extra.append(FileSpec(paths.make(ctx), ctx, "current", crlf, latin1, seed=rng.getrandbits(32)))
    hosts = [f for f in files if f.ctx != "pem-file" and not (f.ctx == "json" and f.slots and f.slots[0].doc)]
    current = [f for f in hosts if f.where == "current"] + extra
    other = [f for f in hosts if f.where != "current"]
    kinds = list(negatives.KINDS)
    count = 0
    while count < remaining:
        if count % len(kinds) == 0:
            rng.shuffle(kinds)
        kind = kinds[count % len(kinds)]
        host = rng.choice(other if other and rng.random() < 0.25 else current)
        for neg in negatives.make(kind, host.ctx, rng):
            host.slots.insert(rng.randrange(len(host.slots) + 1), neg.slot)
            host.negs.append(NegRecord(neg.kind, neg.value, host.label, host.where, host.path))
            count += 1
    return natives, extra


def plan_redactions(files: list[FileSpec], rng: random.Random) -> None:
    """A removed-by-redaction file's later version: each secret replaced by a reference."""
    for spec in files:
        if spec.removal != "redact":
            continue
        after: list[Slot] = []
        planted = {id(s) for s in spec.planted}
        for slot in spec.slots:
            if id(slot) in planted:
                kind = rng.choice(["variable-reference", "placeholder"])
                neg = negatives.make(kind, spec.ctx, rng)[0]
                after.append(Slot(slot.name, neg.value, raw=neg.slot.raw))
                spec.negs.append(NegRecord(neg.kind, neg.value, spec.label, "current", spec.path))
            else:
                after.append(slot)
        spec.after = after


# --- git ----------------------------------------------------------------------------------------


class Git:
    def __init__(self, repo: Path, rng: random.Random) -> None:
        self.repo, self.rng = repo, rng
        self.when = START
        self.n = 0
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(repo.parent),
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": os.devnull,
            "LC_ALL": "C",
            "TZ": "UTC",
        }

    def run(self, *args: str) -> str:
        settings = [
            "commit.gpgsign=false", "tag.gpgsign=false", "core.autocrlf=false", "core.safecrlf=false",
            "init.defaultBranch=main", "advice.detachedHead=false", "core.hooksPath=/dev/null",
        ]  # fmt: skip
        cmd = ["git", *(x for kv in settings for x in ("-c", kv)), *args]
        proc = subprocess.run(cmd, cwd=self.repo, env=self._env(), capture_output=True, check=False)
        if proc.returncode != 0:
            raise SystemExit(f"git {' '.join(args)} failed:\n{proc.stderr.decode(errors='replace')}")
        return proc.stdout.decode()

    def _env(self) -> dict[str, str]:
        name, email = AUTHORS[self.n % len(AUTHORS)]
        stamp = self.when.strftime("%Y-%m-%dT%H:%M:%S+0000")
        return {
            **self.env,
            "GIT_AUTHOR_NAME": name,
            "GIT_AUTHOR_EMAIL": email,
            "GIT_AUTHOR_DATE": stamp,
            "GIT_COMMITTER_NAME": name,
            "GIT_COMMITTER_EMAIL": email,
            "GIT_COMMITTER_DATE": stamp,
        }

    def tick(self) -> None:
        self.n += 1
        self.when += timedelta(hours=self.rng.randint(1, 40), minutes=self.rng.randint(0, 59))

    def commit(self, message: str, add: Sequence[str] = (), remove: Sequence[str] = ()) -> str:
        self.tick()
        if add:
            self.run("add", "--", *add)
        if remove:
            self.run("rm", "-q", "--", *remove)
        self.run("commit", "-q", "--allow-empty", "-m", message)
        return self.run("rev-parse", "HEAD").strip()


class Builder:
    def __init__(self, out: Path, fl: Filler, rng: random.Random) -> None:
        self.repo = out / "repo"
        self.fl, self.rng = fl, rng
        self.git = Git(self.repo, rng)

    def write(self, spec: FileSpec, slots: list[Slot] | None = None) -> str:
        text = RENDERERS[spec.ctx](
            slots if slots is not None else spec.slots,
            self.fl,
            random.Random(spec.seed),
            spec.latin1,
            spec.path,
        )
        dest = self.repo / spec.path
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(encode_file(text, spec.crlf, spec.latin1))
        return spec.path

    def write_text(self, path: str, text: str) -> str:
        dest = self.repo / path
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(text.encode())
        return path

    def clean_files(self, n: int) -> list[str]:
        out = []
        readme = [f"# {self.fl.word(self.rng).capitalize()} platform", ""]
        for _ in range(6):
            readme += [*self.fl.paragraph(self.rng, 100), ""]
        out.append(self.write_text("README.md", "\n".join(readme)))
        out.append(self.write_text(".gitignore", "*.pyc\n__pycache__/\nnode_modules/\n/dist/\n.terraform/\n"))
        for i in range(n):
            lines = ['"""' + "\n".join(self.fl.paragraph(self.rng, 80)) + '"""', ""]
            for _ in range(4):
                lines += ["", *self.fl.py_chunk(self.rng, 80)]
            out.append(
                self.write_text(f"src/vendor/{self.fl.word(self.rng)}_{i}.py", "\n".join(lines) + "\n")
            )
        return out


def build(
    out: Path, seed: int, type_count: int | None, neg_total: int, stdlib: Path | None = None
) -> dict[str, object]:
    rng = random.Random(seed)
    fl = Filler(stdlib)
    types = pick_types(type_count)
    paths = Paths(fl, rng)
    files = group_files(plan_plants(types, rng), paths, rng)
    natives, extra = add_negatives(files, neg_total, paths, fl, rng)
    for spec in files + extra:
        if spec.ctx == "pem-file" or (spec.ctx == "json" and spec.slots and spec.slots[0].doc):
            continue
        # a few settings of pure filler among the planted ones, so no block is all secrets
        for _ in range(rng.randint(0, 2)):
            spec.slots.insert(rng.randrange(len(spec.slots) + 1), Slot(fl.name(rng), fl.value(rng)))
    plan_redactions(files, rng)

    repo = out / "repo"
    if repo.exists():
        raise SystemExit(f"{repo} already exists; choose an empty OUT_DIR or remove it first")
    repo.mkdir(parents=True)
    b = Builder(out, fl, rng)
    g = b.git
    g.run("init", "-q", "-b", "main")
    commits: dict[str, str] = {}

    def note(specs: list[FileSpec], sha: str) -> None:
        for s in specs:
            for p in s.plants:
                p.commit = p.commit or sha

    g.commit("Initial import", add=b.clean_files(6 if type_count is None else 2))
    native_paths = [b.write_text(p, t) for p, t, _ in natives]
    if native_paths:
        g.commit("Add lock files, checksums and deploy keys", add=native_paths)

    by_where: dict[str, list[FileSpec]] = {w: [f for f in files if f.where == w] for w in PLACES}
    current = by_where["current"] + extra
    rng.shuffle(current)
    removed = by_where["removed"]
    rng.shuffle(removed)
    batches: list[list[FileSpec]] = []
    while current:
        size = rng.randint(3, 8)
        batches.append(current[:size])
        current = current[size:]
    pending: list[tuple[int, FileSpec]] = []
    side_at = max(1, len(batches) * 2 // 5)
    tag_at = max(1, len(batches) * 3 // 5)
    merge_at = max(1, len(batches) * 4 // 5)
    for i in range(len(batches) + 1):
        # removals that are due
        due = [s for at, s in pending if at <= i]
        pending = [(at, s) for at, s in pending if at > i]
        for spec in due:
            if spec.removal == "delete":
                g.commit(f"Remove {Path(spec.path).name}", remove=[spec.path])
            else:
                b.write(spec, spec.after)
                g.commit(f"Read credentials from the environment in {Path(spec.path).name}", add=[spec.path])
        if i == side_at:
            side_branches(b, by_where["side-branch"], rng, commits)
        if i == tag_at:
            tag_only(b, by_where["tag-only"], rng, commits)
        if i == merge_at:
            merge(b, by_where["merge"], rng, commits)
        if i < len(batches):
            batch = batches[i]
            add = [b.write(s) for s in batch]
            if removed and rng.random() < 0.7:
                spec = removed.pop()
                add.append(b.write(spec))
                batch = [*batch, spec]
                pending.append((i + rng.randint(1, 3), spec))
            sha = g.commit(
                f"Add {', '.join(Path(p).name for p in add[:3])}" + (" and more" if len(add) > 3 else ""),
                add=add,
            )
            note(batch, sha)
    if by_where["merge"] and not any(p.commit for s in by_where["merge"] for p in s.plants):
        merge(b, by_where["merge"], rng, commits)
    if by_where["side-branch"] and not any(p.commit for s in by_where["side-branch"] for p in s.plants):
        side_branches(b, by_where["side-branch"], rng, commits)
    if by_where["tag-only"] and not any(p.commit for s in by_where["tag-only"] for p in s.plants):
        tag_only(b, by_where["tag-only"], rng, commits)
    # removed files never scheduled, and removals still pending
    for spec in removed:
        sha = g.commit(f"Add {Path(spec.path).name}", add=[b.write(spec)])
        note([spec], sha)
        pending.append((0, spec))
    for _, spec in pending:
        if spec.removal == "delete":
            g.commit(f"Remove {Path(spec.path).name}", remove=[spec.path])
        else:
            b.write(spec, spec.after)
            g.commit(f"Use references instead of inline values in {Path(spec.path).name}", add=[spec.path])
    # later edits of current files: new blobs that still hold the same secrets
    edited = [
        f
        for f in by_where["current"]
        if f.ctx not in ("pem-file", "minified-js") and not (f.ctx == "json" and f.slots[0].doc)
    ]
    for spec in rng.sample(edited, min(len(edited), max(1, len(edited) // 10))):
        spec.slots.append(Slot(fl.name(rng), fl.value(rng)))
        g.commit(f"Tune {Path(spec.path).name}", add=[b.write(spec)])

    head_blobs = set(g.run("ls-tree", "-r", "--name-only", "HEAD").splitlines())
    plants = [p for f in files for p in f.plants]
    for p in plants:
        p.in_head = p.where in ("current", "merge") and p.path in head_blobs
    negs = [n for f in files + extra for n in f.negs]
    for path, _, found in natives:
        negs += [NegRecord(kind, value, Path(path).name, "current", path) for kind, value in found]
    branches = g.run("for-each-ref", "--format=%(refname:short)", "refs/heads").split()
    tags = g.run("for-each-ref", "--format=%(refname:short)", "refs/tags").split()
    return {
        "version": VERSION,
        "seed": seed,
        "repo": "repo",
        "head": g.run("rev-parse", "HEAD").strip(),
        "commits": int(g.run("rev-list", "--all", "--count").strip()),
        "branches": branches,
        "tags": tags,
        "refs": commits,
        "types": sorted({p.type for p in plants}),
        "counts": {
            "secrets": len(plants),
            "types": len({p.type for p in plants}),
            "negatives": len(negs),
            "by_where": dict(Counter(p.where for p in plants)),
            "by_encoding": dict(Counter(p.encoding for p in plants)),
            "by_context": dict(sorted(Counter(p.ctx for p in plants).items())),
            "negatives_by_kind": dict(sorted(Counter(n.kind for n in negs).items())),
        },
        "secrets": [
            {
                "type": p.type,
                "secret": p.secret,
                "path": p.path,
                "context": p.ctx,
                "where": p.where,
                "encoding": p.encoding,
                "written": p.written,
                "in_head": p.in_head,
                "commit": p.commit,
            }
            for p in plants
        ],
        "negatives": [
            {"kind": n.kind, "value": n.value, "path": n.path, "context": n.ctx, "where": n.where}
            for n in negs
        ],
    }


def side_branches(b: Builder, specs: list[FileSpec], rng: random.Random, refs: dict[str, str]) -> None:
    if not specs:
        return
    g = b.git
    names = [f"feature/{b.fl.word(rng).replace('_', '-')}", f"experiment/{b.fl.word(rng).replace('_', '-')}"]
    groups = [specs[0::2], specs[1::2]]
    for name, group in zip(names, groups, strict=True):
        if not group:
            continue
        g.run("switch", "-q", "-c", name, "main")
        for i in range(0, len(group), 3):
            chunk = group[i : i + 3]
            sha = g.commit(
                f"WIP: {', '.join(Path(s.path).name for s in chunk)}", add=[b.write(s) for s in chunk]
            )
            for s in chunk:
                for p in s.plants:
                    p.commit = sha
        refs[name] = g.run("rev-parse", "HEAD").strip()
        g.run("switch", "-q", "main")


def tag_only(b: Builder, specs: list[FileSpec], rng: random.Random, refs: dict[str, str]) -> None:
    if not specs:
        return
    g = b.git
    tmp = f"hotfix/{b.fl.word(rng).replace('_', '-')}"
    g.run("switch", "-q", "-c", tmp, "main")
    half = max(1, len(specs) // 2)
    for n, group in enumerate([specs[:half], specs[half:]]):
        if not group:
            continue
        sha = g.commit(f"Hotfix build {n + 1}", add=[b.write(s) for s in group])
        for s in group:
            for p in s.plants:
                p.commit = sha
        tag = f"v1.{rng.randint(2, 9)}.{n + 1}-hotfix"
        if n == 0:
            g.run("tag", "-a", tag, "-m", f"Release {tag}")
        else:
            g.run("tag", tag)
        refs[tag] = sha
    g.run("switch", "-q", "main")
    g.run("branch", "-q", "-D", tmp)


def merge(b: Builder, specs: list[FileSpec], rng: random.Random, refs: dict[str, str]) -> None:
    if not specs:
        return
    g = b.git
    topic = f"topic/{b.fl.word(rng).replace('_', '-')}"
    g.run("switch", "-q", "-c", topic, "main")
    g.commit(
        "Topic work",
        add=[b.write_text(f"docs/{b.fl.word(rng)}-notes.md", "\n".join(b.fl.paragraph(rng, 90)) + "\n")],
    )
    g.run("switch", "-q", "main")
    g.commit(
        "Mainline work",
        add=[b.write_text(f"docs/{b.fl.word(rng)}-changes.md", "\n".join(b.fl.paragraph(rng, 90)) + "\n")],
    )
    g.tick()
    g.run("merge", "-q", "--no-ff", "--no-commit", topic)
    add = [b.write(s) for s in specs]
    g.run("add", "--", *add)
    g.run("commit", "-q", "-m", f"Merge branch '{topic}'")
    sha = g.run("rev-parse", "HEAD").strip()
    for s in specs:
        for p in s.plants:
            p.commit = sha
    refs[topic] = sha


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("out_dir", type=Path)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--types", type=int, default=None, help="plant only N secret types (default: all)")
    ap.add_argument("--negatives", type=int, default=360, help="number of hard negatives (default: 360)")
    ap.add_argument(
        "--stdlib",
        type=Path,
        default=None,
        help="Python standard library to take filler text from (default: this one)",
    )
    args = ap.parse_args(argv)
    if shutil.which("git") is None:
        raise SystemExit("git is not on PATH")
    args.out_dir.mkdir(parents=True, exist_ok=True)
    truth = build(args.out_dir, args.seed, args.types, args.negatives, args.stdlib)
    (args.out_dir / "truth.json").write_text(json.dumps(truth, indent=1) + "\n", encoding="utf-8")
    c = truth["counts"]
    assert isinstance(c, dict)
    print(
        f"wrote {args.out_dir / 'repo'}: {truth['commits']} commits, {len(truth['branches'])} branches, "  # type: ignore[arg-type]
        f"{len(truth['tags'])} tags; {c['secrets']} secrets of {c['types']} types, "  # type: ignore[arg-type]
        f"{c['negatives']} hard negatives; truth in {args.out_dir / 'truth.json'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
