#!/usr/bin/env python3
"""Build a large, realistic git repository for the speed benchmark.

    python benchmarks/bigrepo.py OUT_DIR [--commits N] [--files N] [--seed N] [--small]

The content is real source text (the running Python's standard library and site-packages:
``.py``, ``.pyi``, ``.rst``, ``.txt``, ``.json``, ``.md`` files), committed as a project that grows
and is edited over thousands of commits: each commit edits a few files (lines replaced or
inserted from other files), now and then adds or deletes one, and a few commits plant a
synthetic secret (a built-in rule's example) that a later commit removes. A few tags and an
unmerged side branch make ``--all`` mean something. Everything is seeded, with fixed dates and
authors: the same seed and the same Python installation give the same repository.

The history is written with ``git fast-import`` and then repacked with deltas, as a real
repository would be. OUT_DIR/repo is reused when OUT_DIR/params.json matches the parameters.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

VERSION = 2
SUFFIXES = (".py", ".pyi", ".rst", ".txt", ".json", ".md")
MIN_SIZE, MAX_SIZE = 1_000, 200_000
DEFAULTS = {"commits": 6000, "files": 3000, "seed": 7}
SMALL = {"commits": 600, "files": 600, "seed": 7}
AUTHORS = [
    (b"Ada Lovelace", b"ada@example-corp.invalid"),
    (b"Grace Hopper", b"grace@example-corp.invalid"),
    (b"Alan Turing", b"alan@example-corp.invalid"),
    (b"Barbara Liskov", b"barbara@example-corp.invalid"),
]
EPOCH = 1_600_000_000


def source_files() -> list[Path]:
    """Text files of this Python installation, sorted (the same installation, the same list)."""
    roots = sorted({Path(sysconfig.get_paths()["stdlib"]), Path(sysconfig.get_paths()["purelib"])})
    found: set[Path] = set()
    for root in roots:
        for path in root.rglob("*"):
            if path.suffix in SUFFIXES and "__pycache__" not in path.parts and path.is_file():
                try:
                    size = path.stat().st_size
                except OSError:
                    continue
                if MIN_SIZE <= size <= MAX_SIZE:
                    found.add(path)
    return sorted(found)


def planted_secrets() -> list[tuple[str, str]]:
    """(rule id, example text) of built-in rules: synthetic secrets that leaksweep must find."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    from leaksweep.rules import load_rules

    out = []
    for rule in load_rules():
        if rule.examples and not rule.paths and "\n" not in rule.examples[0].text:
            out.append((rule.id, rule.examples[0].text))
    return out


class Builder:
    def __init__(self, seed: int, pool: list[Path]) -> None:
        self.rng = random.Random(seed)
        self.pool = pool
        self.tree: dict[str, list[bytes]] = {}
        self.out: list[bytes] = []
        self.mark = 0
        self.commits = 0
        self.cursor = 0
        self.commit_marks: list[int] = []

    def _read(self, path: Path) -> list[bytes] | None:
        try:
            data = path.read_bytes()
            data.decode("utf-8")
        except (OSError, UnicodeDecodeError):
            return None
        return data.splitlines(keepends=True)

    def next_file(self) -> tuple[str, list[bytes]] | None:
        while self.cursor < len(self.pool):
            path = self.pool[self.cursor]
            self.cursor += 1
            lines = self._read(path)
            if lines:
                parts = path.parts
                name = "/".join(parts[-3:]) if len(parts) >= 3 else path.name
                return f"src/{name}", lines
        return None

    def blob(self, lines: list[bytes]) -> int:
        data = b"".join(lines)
        self.mark += 1
        self.out.append(b"blob\nmark :%d\ndata %d\n%s\n" % (self.mark, len(data), data))
        return self.mark

    def commit(
        self, branch: bytes, message: str, changes: dict[str, list[bytes] | None], parent: int = 0
    ) -> None:
        ops = []
        for name, lines in sorted(changes.items()):
            if lines is None:
                ops.append(b"D %s\n" % name.encode())
            else:
                ops.append(b"M 100644 :%d %s\n" % (self.blob(lines), name.encode()))
        author, email = AUTHORS[self.commits % len(AUTHORS)]
        when = EPOCH + self.commits * 3600
        msg = message.encode()
        self.mark += 1
        self.out.append(
            b"commit %s\nmark :%d\nauthor %s <%s> %d +0000\ncommitter %s <%s> %d +0000\ndata %d\n%s\n"
            % (branch, self.mark, author, email, when, author, email, when, len(msg), msg)
        )
        if parent:
            self.out.append(b"from :%d\n" % parent)
        self.out.extend(ops)
        self.out.append(b"\n")
        self.commits += 1
        self.commit_marks.append(self.mark)

    def edit(self, lines: list[bytes]) -> list[bytes]:
        """A few lines replaced or inserted from another file of the tree, as a person edits."""
        out = list(lines)
        donor_name = self.rng.choice(sorted(self.tree))
        donor = self.tree[donor_name] or [b"\n"]
        for _ in range(self.rng.randint(1, 3)):
            at = self.rng.randrange(len(out) + 1)
            take = self.rng.randint(1, 6)
            start = self.rng.randrange(len(donor))
            piece = donor[start : start + take]
            if self.rng.random() < 0.5 and at < len(out):
                out[at : at + self.rng.randint(1, 4)] = piece
            else:
                out[at:at] = piece
        if len(out) > 6000:  # keep files from growing without end
            start = self.rng.randrange(len(out) - 500)
            del out[start : start + 500]
        return out or [b"\n"]


def build(out_dir: Path, commits: int, files: int, seed: int) -> Path:
    repo = out_dir / "repo"
    params = {"version": VERSION, "commits": commits, "files": files, "seed": seed, "python": sys.version}
    marker = out_dir / "params.json"
    if repo.is_dir() and marker.is_file() and json.loads(marker.read_text()) == params:
        return repo
    if repo.exists():
        shutil.rmtree(repo)
    repo.mkdir(parents=True)
    pool = source_files()
    b = Builder(seed, pool)
    b.rng.shuffle(pool)
    secrets = planted_secrets()
    b.rng.shuffle(secrets)
    # The first commit: a project of ``files`` files.
    initial: dict[str, list[bytes] | None] = {}
    while len(initial) < files:
        got = b.next_file()
        if got is None:
            break
        initial[got[0]] = got[1]
    b.tree = {k: v for k, v in initial.items() if v is not None}
    b.commit(b"refs/heads/main", "Initial import", initial)
    planted: list[tuple[int, str, str]] = []
    for number in range(1, commits):
        changes: dict[str, list[bytes] | None] = {}
        names = sorted(b.tree)
        # Bigger files are edited more often, as the core modules of a project are.
        weights = [len(b.tree[n]) + 50 for n in names]
        for name in set(b.rng.choices(names, weights, k=b.rng.randint(1, 5))):
            changes[name] = b.edit(b.tree[name])
        roll = b.rng.random()
        if roll < 0.08:
            got = b.next_file()
            if got is not None:
                changes[got[0]] = got[1]
        elif roll < 0.10 and len(names) > files // 2:
            victim = b.rng.choice(names)
            changes[victim] = None
        if number % 40 == 0 and secrets:
            rule_id, text = secrets[(number // 40) % len(secrets)]
            name = b.rng.choice(sorted(n for n in changes if changes[n] is not None))
            lines = changes[name]
            assert lines is not None
            lines.insert(b.rng.randrange(len(lines) + 1), text.encode() + b"\n")
            planted.append((number, rule_id, name))
        if number % 40 == 20 and planted:
            # Take the last planted secret out again (it stays in history).
            _, _, name = planted[-1]
            if name in b.tree and name not in changes:
                changes[name] = b.edit(b.tree[name])
        branch = b"refs/heads/main"
        if number % 997 == 0:
            b.out.append(b"reset refs/tags/v%d\nfrom :%d\n\n" % (number // 997, b.commit_marks[-1]))
        b.commit(branch, f"Change {number}: edit {len(changes)} file(s)", changes)
        for name, lines in changes.items():
            if lines is None:
                b.tree.pop(name, None)
            else:
                b.tree[name] = lines
    # An unmerged side branch off the middle of history, with a secret of its own.
    name = sorted(b.tree)[0]
    side = list(b.tree[name])
    if secrets:
        side.insert(len(side) // 2, secrets[0][1].encode() + b"\n")
    middle = b.commit_marks[len(b.commit_marks) // 2]
    b.commit(b"refs/heads/side", "Side experiment", {name: side}, parent=middle)
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    proc = subprocess.run(
        ["git", "fast-import", "--quiet", "--done"],
        cwd=repo,
        input=b"".join(b.out) + b"done\n",
        check=True,
    )
    del proc
    subprocess.run(["git", "repack", "-a", "-d", "-q", "--window=10", "--depth=50"], cwd=repo, check=True)
    subprocess.run(["git", "prune-packed"], cwd=repo, check=True)
    subprocess.run(["git", "checkout", "-q", "main"], cwd=repo, check=True)
    (out_dir / "planted.json").write_text(json.dumps(planted, indent=1))
    marker.write_text(json.dumps(params))
    return repo


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--commits", type=int)
    parser.add_argument("--files", type=int)
    parser.add_argument("--seed", type=int)
    parser.add_argument("--small", action="store_true", help="a repository ten times smaller")
    args = parser.parse_args(argv)
    base = SMALL if args.small else DEFAULTS
    repo = build(
        args.out_dir,
        args.commits or base["commits"],
        args.files or base["files"],
        args.seed if args.seed is not None else base["seed"],
    )
    print(repo)
    return 0


if __name__ == "__main__":
    sys.exit(main())
