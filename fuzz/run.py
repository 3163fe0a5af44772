"""A longer fuzz run of everything that reads untrusted input, with a count of inputs tried.

    python fuzz/run.py                       # every target, 30 s each
    python fuzz/run.py --seconds 300 --target rules --seed 7

Each target starts from real seeds (the built-in rule packs, a config, an allowlist, a baseline,
pre-push lines, the rules' own examples) and mutates them: bit flips, insertions of YAML, JSON
and regex syntax (anchors, aliases, merge keys, tags, deep nesting, huge numbers, runaway
patterns, control characters), truncation, splicing and shuffling. An input may load or be
refused with the documented LeaksweepError; any other exception is a crash, saved with its
traceback under --crashes. An input that takes longer than --slow seconds is reported too.

Prints one line per target: inputs tried, accepted, refused, crashes, slow, the slowest input.
Exit status 1 when anything crashed. The test suite runs the same properties with Hypothesis
(tests/test_fuzz_*.py); this is the long version, for a nightly job or before a release.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from leaksweep.config import load_config  # noqa: E402
from leaksweep.detector import Detector  # noqa: E402
from leaksweep.errors import LeaksweepError  # noqa: E402
from leaksweep.model import Target  # noqa: E402
from leaksweep.regexguard import expanded_size  # noqa: E402
from leaksweep.rules import builtin_pack_paths, load_pack, load_rules  # noqa: E402
from leaksweep.sources.prepush import framework_args, parse_lines  # noqa: E402
from leaksweep.suppress import load_allowlist, load_baseline  # noqa: E402
from leaksweep.yamlsrc import load_yaml  # noqa: E402

TOKENS = [
    b"&a ", b"*a", b"<<: *a", b"!!python/object/apply:os.system ['id']", b"!!binary", b"? ",
    b"[" * 60, b"{" * 60, b"- " * 40, b"'", b'"', b"\t", b"\x00", b"\x1b[2J", b"\xe2\x80\xa8",
    b"\xff\xfe", b"9" * 5000, b"1e999", b"-0x1f", b".inf", b"~", b"yes", b"2024-02-30",
    b"(a|aa)+b", b"a{1000000}", b"((a{100}){100}){100}", b"([", b"(?P<secret>", b"\\",
    b"\n---\n", b"...", b"%YAML 1.1\n", b": ", b"#", b"|\n", b">-\n", b"\r\n", b"\u202e".decode().encode(),
]  # fmt: skip

CONFIG = b"""rules: [extra.yaml]
builtin: true
disable: [generic]
exclude: [vendor/, '**/testdata/**']
max_file_size: 5MB
inline_allow: true
"""
ALLOWLIST = b"""- reason: rotated, purge pending
  fingerprint: 3f1c0d5e8a9b7c6d5e4f3a2b1c0d9e8f
  expires: 2026-12-31
- reason: fixtures
  path: tests/fixtures/**
  rule: aws-access-key-id
- reason: docs
  regex: '^sk_test_'
  target: secret
"""
BASELINE = b"""{
  "version": 1,
  "tool": "leaksweep",
  "findings": [
    {"fingerprint": "0c4a55bd0bd7a09a9a5b9c4f1f2e3d4c", "rule": "aws-access-key-id", "path": "a.env"}
  ]
}
"""
PREPUSH = (
    b"refs/heads/main 67e0a4b2f7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2 refs/heads/main "
    b"0000000000000000000000000000000000000000\n"
)


def mutate(data: bytes, seeds: list[bytes], rng: random.Random) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        how = rng.randrange(8)
        at = rng.randint(0, len(out))
        if how == 0 and out:  # flip a bit
            i = rng.randrange(len(out))
            out[i] ^= 1 << rng.randrange(8)
        elif how == 1:  # insert syntax
            out[at:at] = rng.choice(TOKENS)
        elif how == 2 and out:  # delete a chunk
            out[at : at + rng.randint(1, 64)] = b""
        elif how == 3:  # truncate
            del out[at:]
        elif how == 4 and out:  # duplicate a chunk
            start = rng.randrange(len(out))
            out[at:at] = out[start : start + rng.randint(1, 200)]
        elif how == 5:  # splice another seed
            other = rng.choice(seeds)
            start = rng.randint(0, len(other))
            out[at:at] = other[start : start + rng.randint(1, 400)]
        elif how == 6:  # shuffle lines
            lines = bytes(out).split(b"\n")
            rng.shuffle(lines)
            out = bytearray(b"\n".join(lines))
        else:  # random bytes
            out[at:at] = rng.randbytes(rng.randint(1, 16))
    return bytes(out)


@dataclass
class Tally:
    tried: int = 0
    accepted: int = 0
    refused: int = 0
    crashes: list[str] = field(default_factory=list)
    slow: int = 0
    slowest: float = 0.0


def run_target(
    name: str,
    check: Callable[[bytes], Any],
    seeds: list[bytes],
    seconds: float,
    rng: random.Random,
    crashes: Path,
    slow_after: float,
) -> Tally:
    tally = Tally()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        data = mutate(rng.choice(seeds), seeds, rng)
        started = time.monotonic()
        try:
            check(data)
            tally.accepted += 1
        except LeaksweepError:
            tally.refused += 1
        except Exception:  # anything else is a bug: keep the input that caused it
            crashes.mkdir(parents=True, exist_ok=True)
            stem = crashes / f"{name}-{len(tally.crashes)}"
            stem.with_suffix(".input").write_bytes(data)
            stem.with_suffix(".txt").write_text(traceback.format_exc())
            tally.crashes.append(str(stem))
        took = time.monotonic() - started
        tally.slowest = max(tally.slowest, took)
        tally.slow += took > slow_after
        tally.tried += 1
    return tally


def targets(scratch: Path) -> dict[str, tuple[Callable[[bytes], Any], list[bytes]]]:
    packs = [p.read_bytes() for p in builtin_pack_paths()]

    def via_file(loader: Callable[[Path], Any], suffix: str) -> Callable[[bytes], Any]:
        def check(data: bytes) -> Any:
            path = scratch / f"input{suffix}"
            path.write_bytes(data)
            return loader(path)

        return check

    detector = Detector(load_rules())
    examples = [e.text.encode() for r in detector.rules for e in r.examples][:400]

    def scan(data: bytes) -> Any:
        return detector.scan(Target(path="fuzz.env", content=data))

    def prepush(data: bytes) -> Any:
        text = data.decode("utf-8", "surrogateescape")
        parse_lines(text)
        return framework_args({"PRE_COMMIT_FROM_REF": text[:40], "PRE_COMMIT_TO_REF": text[40:80]})

    return {
        "yaml": (via_file(load_yaml, ".yaml"), [*packs, CONFIG, ALLOWLIST]),
        "rules": (via_file(load_pack, ".yaml"), packs),
        "config": (via_file(lambda p: load_config(explicit=p), ".yaml"), [CONFIG]),
        "allowlist": (via_file(load_allowlist, ".yaml"), [ALLOWLIST]),
        "baseline": (via_file(load_baseline, ".json"), [BASELINE]),
        "prepush": (prepush, [PREPUSH, PREPUSH * 3]),
        "regexguard": (
            lambda d: expanded_size(d.decode("utf-8", "replace")),
            [r.regex.encode() for r in detector.rules],
        ),
        "detector": (scan, examples),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=30.0, help="time per target (default 30)")
    parser.add_argument("--target", default="all", help="one target, or all")
    parser.add_argument("--seed", type=int, default=None, help="random seed (default: a fresh one, printed)")
    parser.add_argument(
        "--crashes", type=Path, default=ROOT / "fuzz" / "crashes", help="where crashing inputs go"
    )
    parser.add_argument("--slow", type=float, default=5.0, help="report inputs slower than this (seconds)")
    args = parser.parse_args(argv)
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1 << 32)
    print(f"seed {seed}")
    total = Tally()
    with tempfile.TemporaryDirectory(prefix="leaksweep-fuzz-") as folder:
        table = targets(Path(folder))
        names = sorted(table) if args.target == "all" else [args.target]
        for name in names:
            check, seeds = table[name]
            tally = run_target(
                name, check, seeds, args.seconds, random.Random(f"{seed}-{name}"), args.crashes, args.slow
            )
            print(
                f"{name:11} {tally.tried:8} inputs  {tally.accepted:7} accepted  {tally.refused:7} refused  "
                f"{len(tally.crashes)} crashes  {tally.slow} slow (slowest {tally.slowest:.2f}s)"
            )
            for crash in tally.crashes[:5]:
                print(f"    crash: {crash}.txt")
            total.tried += tally.tried
            total.crashes += tally.crashes
            total.slow += tally.slow
    print(f"total       {total.tried:8} inputs  {len(total.crashes)} crashes  {total.slow} slow")
    return 1 if total.crashes else 0


if __name__ == "__main__":
    sys.exit(main())
