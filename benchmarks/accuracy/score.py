#!/usr/bin/env python3
"""Score leaksweep against the accuracy benchmark built by generate.py.

    python benchmarks/accuracy/score.py OUT_DIR [--mode history|scan] [--leaksweep CMD] [--markdown FILE]

Runs ``leaksweep history --format json --show-secrets`` in OUT_DIR/repo (``--mode scan``: ``leaksweep
scan`` of the work tree, scored against the secrets in the current tree only), matches the
findings to OUT_DIR/truth.json and prints precision, recall and F1 overall and per type, false
positives per rule, and every missed secret (redacted to its first four characters).

Matching. A planted secret is found when some finding's secret, normalised, equals it. PEM blocks
are compared without whitespace and ``\\n``/``\\r`` escapes (CRLF files, ``\\n`` in JSON, YAML
indentation). A finding whose secret contains the planted one, or is contained in it, with at least
16 characters in common also counts (footnoted), as does a percent-encoded secret reported as
written (footnoted). Base64 plants must be reported decoded: a finding of the encoded text
itself is listed with the missed secret and counted neither as found nor as a false positive.
Every other finding is a false positive, counted once per distinct secret value however many
blobs, commits or rules report it; TP counts planted secrets found, so
precision = TP / (TP + FP) and recall = TP / planted.
"""

from __future__ import annotations

import argparse
import json
import re
import shlex
import shutil
import subprocess
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

MIN_OVERLAP = 16


def normalise(secret: str) -> str:
    s = secret.strip()
    if "-----BEGIN" in s or "PuTTY" in s or "$ANSIBLE_VAULT" in s:
        s = s.replace("\\r", "").replace("\\n", "")
        s = re.sub(r"\s+", "", s)
    return s


def redact(secret: str) -> str:
    s = secret.replace("\r", "").replace("\n", "\\n")
    return (s[:4] + "…") if len(s) > 4 else "…"


@dataclass
class Plant:
    type: str
    secret: str
    path: str
    context: str
    where: str
    encoding: str
    written: str
    in_head: bool
    norm: str = ""
    forms: set[str] = field(default_factory=set)  # percent-encoded forms that also count
    found_by: set[str] = field(default_factory=set)
    how: set[str] = field(default_factory=set)
    encoded_only_by: set[str] = field(default_factory=set)


@dataclass
class Score:
    mode: str
    plants: list[Plant]
    findings: int
    seconds: float
    fp: dict[str, dict[str, str]]  # rule -> {normalised secret: path}
    fp_kind: dict[str, str]  # normalised FP secret -> hard-negative kind or "unplanned"
    negatives: Counter[str]
    negatives_flagged: Counter[str]
    encoded_only: int = 0

    @property
    def tp(self) -> int:
        return sum(1 for p in self.plants if p.found_by)

    @property
    def fn(self) -> int:
        return len(self.plants) - self.tp

    @property
    def fp_count(self) -> int:
        return len({s for secrets in self.fp.values() for s in secrets})


def load_truth(out: Path, mode: str) -> tuple[list[Plant], list[dict[str, Any]]]:
    truth = json.loads((out / "truth.json").read_text(encoding="utf-8"))
    plants = []
    for s in truth["secrets"]:
        if mode == "scan" and not s["in_head"]:
            continue
        p = Plant(
            s["type"],
            s["secret"],
            s["path"],
            s["context"],
            s["where"],
            s["encoding"],
            s["written"],
            s["in_head"],
        )
        p.norm = normalise(p.secret)
        if p.encoding == "percent":
            p.forms = {quote(p.secret, safe=""), quote(p.secret)} - {p.secret}
        plants.append(p)
    return plants, truth["negatives"]


def run_leaksweep(cmd: list[str], repo: Path, mode: str) -> tuple[list[dict[str, Any]], float]:
    args = (
        ["history", "--format", "json", "--show-secrets"]
        if mode == "history"
        else ["scan", "--format", "json", "--show-secrets", "."]
    )
    started = time.perf_counter()
    proc = subprocess.run([*cmd, *args], cwd=repo, capture_output=True, check=False)
    took = time.perf_counter() - started
    text = proc.stdout.decode("utf-8", "replace")
    # Exit 1 is also what Python gives a crash before leaksweep's own handling (an ImportError):
    # only a JSON report (the list of findings) counts as a run, never an empty output.
    try:
        report = json.loads(text)
    except ValueError:
        report = None
    is_report = isinstance(report, list) or (isinstance(report, dict) and "findings" in report)
    if proc.returncode not in (0, 1) or not is_report:
        sys.stderr.write(proc.stderr.decode(errors="replace"))
        raise SystemExit(f"{shlex.join([*cmd, *args])} exited {proc.returncode} without a JSON report")
    return parse_findings(text), took


def parse_findings(text: str) -> list[dict[str, Any]]:
    data = json.loads(text) if text.strip() else []
    if isinstance(data, dict):
        data = data.get("findings", [])
    return [f for f in data if isinstance(f, dict) and isinstance(f.get("secret"), str)]


def score(
    plants: list[Plant],
    negatives: list[dict[str, Any]],
    findings: list[dict[str, Any]],
    mode: str,
    seconds: float,
) -> Score:
    exact: dict[str, Plant] = {}
    percent: dict[str, Plant] = {}
    for p in plants:
        exact.setdefault(p.norm, p)
        for form in p.forms:
            percent.setdefault(form, p)
    long_plants = [p for p in plants if len(p.norm) >= MIN_OVERLAP]
    b64_plants = [p for p in plants if p.encoding == "base64"]
    neg_norm = [(normalise(n["value"]), n["kind"]) for n in negatives]
    fp: dict[str, dict[str, str]] = defaultdict(dict)
    encoded_only = 0
    seen: dict[str, tuple[str, Plant | None]] = {}  # normalised finding secret -> outcome cache
    for f in findings:
        rule = str(f.get("rule_id", "?"))
        ns = normalise(f["secret"])
        if ns not in seen:
            seen[ns] = match(ns, exact, percent, long_plants, b64_plants)
        how, plant = seen[ns]
        if plant is not None and how != "encoded-only":
            plant.found_by.add(rule)
            plant.how.add(how)
        elif plant is not None:
            plant.encoded_only_by.add(rule)
            encoded_only += 1
        else:
            fp[rule].setdefault(ns, str(f.get("path", "")))
    fp_kind: dict[str, str] = {}
    flagged: Counter[str] = Counter()
    for secrets in fp.values():
        for s in secrets:
            if s in fp_kind:
                continue
            fp_kind[s] = attribute(s, neg_norm)
    for n_value, kind in neg_norm:
        if any(
            n_value == s or (len(s) >= 8 and s in n_value) or (len(n_value) >= 8 and n_value in s)
            for s in fp_kind
        ):
            flagged[kind] += 1
    return Score(
        mode,
        plants,
        len(findings),
        seconds,
        dict(fp),
        fp_kind,
        Counter(k for _, k in neg_norm),
        flagged,
        encoded_only,
    )


def match(
    ns: str,
    exact: dict[str, Plant],
    percent: dict[str, Plant],
    long_plants: list[Plant],
    b64_plants: list[Plant],
) -> tuple[str, Plant | None]:
    if ns in exact:
        return "exact", exact[ns]
    if ns in percent:
        return "percent-form", percent[ns]
    if len(ns) >= MIN_OVERLAP:
        for p in long_plants:
            if p.norm in ns or ns in p.norm:
                return "overlap", p
    for p in b64_plants:
        if ns == p.written or (len(ns) >= MIN_OVERLAP and ns in p.written):
            return "encoded-only", p
    return "fp", None


def attribute(secret: str, negatives: list[tuple[str, str]]) -> str:
    for value, kind in negatives:
        if secret == value:
            return kind
    for value, kind in negatives:
        if (len(secret) >= 8 and secret in value) or (len(value) >= 8 and value in secret):
            return kind
    return "unplanned"


# --- reporting ----------------------------------------------------------------------------------


def ratio(a: int, b: int) -> float:
    return a / b if b else 0.0


Table = tuple[str, list[str], list[list[str]]]


def group_recall(plants: list[Plant], key: str) -> list[list[str]]:
    planted: Counter[str] = Counter(getattr(p, key) for p in plants)
    found: Counter[str] = Counter(getattr(p, key) for p in plants if p.found_by)
    rows = sorted(planted, key=lambda k: (ratio(found[k], planted[k]), -planted[k], k))
    return [[k, str(planted[k]), str(found[k]), f"{ratio(found[k], planted[k]):.0%}"] for k in rows]


def tables(sc: Score) -> tuple[list[str], list[Table]]:
    tp, fp, fn = sc.tp, sc.fp_count, sc.fn
    precision, recall = ratio(tp, tp + fp), ratio(tp, tp + fn)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    scope = (
        "all planted secrets (every ref)" if sc.mode == "history" else "planted secrets in the current tree"
    )
    head = [
        f"mode {sc.mode}: {sc.findings} findings in {sc.seconds:.1f}s; "
        f"scored against {len(sc.plants)} {scope}",
        f"overall: TP {tp}  FP {fp}  FN {fn}   precision {precision:.3f}  recall {recall:.3f}  F1 {f1:.3f}",
    ]
    out: list[Table] = []
    cols = ["planted", "found", "recall"]
    out.append(("Recall by type (worst first)", ["type", *cols], group_recall(sc.plants, "type")))
    out.append(("Recall by place", ["where", *cols], group_recall(sc.plants, "where")))
    out.append(("Recall by encoding", ["encoding", *cols], group_recall(sc.plants, "encoding")))
    out.append(("Recall by context", ["context", *cols], group_recall(sc.plants, "context")))
    rows = []
    for rule, secrets in sorted(sc.fp.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        kinds = Counter(sc.fp_kind[s] for s in secrets)
        examples = ", ".join(f"{redact(s)} ({path})" for s, path in list(secrets.items())[:3])
        rows.append(
            [rule, str(len(secrets)), ", ".join(f"{k} {n}" for k, n in kinds.most_common()), examples]
        )
    out.append(
        ("False positives by rule (distinct values)", ["rule", "FPs", "what they were", "examples"], rows)
    )
    neg_kinds = sorted(set(sc.negatives) | set(sc.negatives_flagged))
    out.append(
        (
            "Hard negatives flagged, by kind",
            ["kind", "planted", "flagged", "share"],
            [
                [
                    k,
                    str(sc.negatives[k]),
                    str(sc.negatives_flagged[k]),
                    f"{ratio(sc.negatives_flagged[k], sc.negatives[k]):.0%}",
                ]
                for k in neg_kinds
            ],
        )
    )
    missed = sorted((p for p in sc.plants if not p.found_by), key=lambda p: (p.type, p.where, p.path))
    out.append(
        (
            "Missed secrets",
            ["type", "where", "context", "encoding", "path", "secret", "note"],
            [
                [
                    p.type,
                    p.where,
                    p.context,
                    p.encoding,
                    p.path,
                    redact(p.secret),
                    ("reported only encoded by " + ", ".join(sorted(p.encoded_only_by)))
                    if p.encoded_only_by
                    else "",
                ]
                for p in missed
            ],
        )
    )
    how = Counter(h for p in sc.plants for h in p.how if p.found_by and "exact" not in p.how)
    notes = [
        f"{how['overlap']} found secrets matched only by containment (a finding containing the planted "
        "secret or "
        f"contained in it, at least {MIN_OVERLAP} characters in common).",
        f"{how['percent-form']} found secrets matched only in their percent-encoded form.",
        f"{sum(1 for p in sc.plants if p.encoded_only_by and not p.found_by)} missed base64 plants were "
        "reported "
        "in encoded form only (not counted as found, nor as false positives).",
        "FP counts distinct secret values; TP counts planted secrets; precision = TP/(TP+FP).",
    ]
    return head, [*out, ("Notes", ["note"], [[n] for n in notes])]


def render_text(head: list[str], tabs: list[Table]) -> str:
    lines = [*head, ""]
    for title, cols, rows in tabs:
        lines.append(f"{title}:")
        if not rows:
            lines += ["  (none)", ""]
            continue
        widths = [min(60, max(len(c), *(len(r[i]) for r in rows))) for i, c in enumerate(cols)]
        lines.append("  " + "  ".join(c.ljust(w) for c, w in zip(cols, widths, strict=True)).rstrip())
        for r in rows:
            lines.append("  " + "  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip())
        lines.append("")
    return "\n".join(lines)


def render_markdown(head: list[str], tabs: list[Table]) -> str:
    lines = ["# leaksweep accuracy benchmark", "", *(f"- {h}" for h in head), ""]
    for title, cols, rows in tabs:
        lines += [f"## {title}", ""]
        if not rows:
            lines += ["(none)", ""]
            continue
        lines.append("| " + " | ".join(cols) + " |")
        lines.append("|" + "---|" * len(cols))
        for r in rows:
            lines.append("| " + " | ".join(v.replace("|", "\\|") for v in r) + " |")
        lines.append("")
    return "\n".join(lines)


def default_cmd() -> list[str]:
    beside = Path(sys.executable).with_name("leaksweep")
    if beside.exists():
        return [str(beside)]
    found = shutil.which("leaksweep")
    return [found] if found else [sys.executable, "-m", "leaksweep"]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Score leaksweep against the accuracy benchmark.")
    ap.add_argument("out_dir", type=Path, help="the folder generate.py wrote (holds repo/ and truth.json)")
    ap.add_argument("--mode", choices=["history", "scan"], default="history")
    ap.add_argument(
        "--leaksweep", metavar="CMD", help="command to run leaksweep (default: the one beside python)"
    )
    ap.add_argument("--findings", type=Path, help="score this JSON report instead of running leaksweep")
    ap.add_argument("--markdown", type=Path, metavar="FILE", help="also write the tables as markdown")
    ap.add_argument("--limit", type=int, default=0, help="print at most N rows per table (0: all)")
    args = ap.parse_args(argv)
    plants, negatives = load_truth(args.out_dir, args.mode)
    if args.findings:
        findings, took = parse_findings(args.findings.read_text(encoding="utf-8")), 0.0
    else:
        cmd = shlex.split(args.leaksweep) if args.leaksweep else default_cmd()
        findings, took = run_leaksweep(cmd, args.out_dir / "repo", args.mode)
    sc = score(plants, negatives, findings, args.mode, took)
    head, tabs = tables(sc)
    shown = [(t, c, r[: args.limit] if args.limit and t != "Notes" else r) for t, c, r in tabs]
    print(render_text(head, shown))
    if args.markdown:
        args.markdown.write_text(render_markdown(head, tabs) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
