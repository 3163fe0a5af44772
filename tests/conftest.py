"""Shared fixtures: real git repositories in tmp_path with a pinned identity, and the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Test Author",
    "GIT_AUTHOR_EMAIL": "author@example.invalid",
    "GIT_COMMITTER_NAME": "Test Committer",
    "GIT_COMMITTER_EMAIL": "committer@example.invalid",
    "GIT_AUTHOR_DATE": "2024-01-02T03:04:05+00:00",
    "GIT_COMMITTER_DATE": "2024-01-02T03:04:05+00:00",
    "GIT_CONFIG_NOSYSTEM": "1",
}


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """A private HOME (no user git config, no user cache) and no colour, for every test."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("NO_COLOR", "1")
    for key in list(os.environ):
        if key.startswith("GIT_") or key.startswith("PRE_COMMIT"):
            monkeypatch.delenv(key, raising=False)
    for key, value in GIT_ENV.items():
        monkeypatch.setenv(key, value)
    (home / ".gitconfig").write_text(
        "[init]\n\tdefaultBranch = main\n[user]\n\tname = Test Author\n\temail = author@example.invalid\n"
        '[commit]\n\tgpgsign = false\n[protocol "file"]\n\tallow = always\n'
    )


@pytest.fixture(scope="session")
def _shared_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("leaksweep-cache")


@pytest.fixture(autouse=True)
def _one_cache_per_session(_shared_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every CLI run of the session shares one leaksweep cache (parsed rules, analyses, compiled
    database): results never depend on it, and parsing the rule packs once saves minutes. The
    cache's own tests point LEAKSWEEP_CACHE_DIR elsewhere."""
    monkeypatch.setenv("LEAKSWEEP_CACHE_DIR", str(_shared_cache))


@dataclass
class Repo:
    """A real git repository built with the git CLI."""

    path: Path

    def git(self, *args: str, input: bytes | None = None, check: bool = True) -> str:
        proc = subprocess.run(["git", *args], cwd=self.path, input=input, capture_output=True, check=False)
        if check and proc.returncode != 0:
            raise AssertionError(f"git {' '.join(args)} failed: {proc.stderr.decode(errors='replace')}")
        return proc.stdout.decode("utf-8", "surrogateescape")

    def write(self, name: str, content: str | bytes) -> Path:
        path = self.path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            path.write_text(content, encoding="utf-8", newline="")
        else:
            path.write_bytes(content)
        return path

    def commit(self, message: str, *files: str, **contents: str) -> str:
        """Write ``contents`` (name=text; use __ for /), stage them and ``files``, commit; return sha."""
        for name, text in contents.items():
            self.write(name.replace("__", "/"), text)
        self.git("add", "-A", *files)
        self.git("commit", "-q", "--allow-empty", "-m", message)
        return self.git("rev-parse", "HEAD").strip()


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    path = tmp_path / "repo"
    path.mkdir()
    r = Repo(path)
    r.git("init", "-q", "-b", "main")
    return r


@dataclass
class Result:
    code: int
    out: str
    err: str


def run_cli(
    *args: str, cwd: Path | None = None, input: bytes | None = None, env: dict[str, str] | None = None
) -> Result:
    """Run the installed CLI in a real subprocess (as a hook or CI would)."""
    full_env = dict(os.environ)
    if env:
        full_env.update(env)
    proc = subprocess.run(
        [sys.executable, "-m", "leaksweep", *args],
        cwd=cwd,
        input=input,
        capture_output=True,
        env=full_env,
        check=False,
        timeout=300,
    )
    return Result(
        proc.returncode, proc.stdout.decode("utf-8", "replace"), proc.stderr.decode("utf-8", "replace")
    )


@pytest.fixture
def cli() -> Iterator[type]:
    yield type("CLI", (), {"run": staticmethod(run_cli)})


# ---------------------------------------------------------------- matching backends

BACKENDS = ("python", "hyperscan")


@pytest.fixture(scope="session")
def _candidate_stages() -> dict[tuple[object, ...], object]:
    """Candidate stages shared by the tests of a session, per backend and rule list, so that the
    Hyperscan database for the built-in rules is compiled once, not once per test."""
    return {}


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """Each detector test runs under both matching backends; they must agree exactly."""
    if request.param == "hyperscan":
        from leaksweep.matching import hyperscan_import

        if hyperscan_import()[0] is None:
            pytest.skip("hyperscan is not installed on this platform")
    return str(request.param)


@pytest.fixture
def make_detector(backend: str, _candidate_stages: dict[tuple[object, ...], object]) -> object:
    """``make_detector(rules, **options)``: a Detector on the test's backend."""
    from leaksweep.detector import Detector
    from leaksweep.matching import Candidates

    def make(rules: list[object], **options: object) -> Detector:
        key = (backend, *((r.id, r.regex, r.keywords) for r in rules))  # type: ignore[attr-defined]
        stage = _candidate_stages.get(key)
        if stage is None:
            stage = _candidate_stages[key] = Candidates(
                [r.regex for r in rules],  # type: ignore[attr-defined]
                [r.keywords for r in rules],  # type: ignore[attr-defined]
                backend=backend,
            )
        return Detector(rules, backend=backend, candidates=stage, **options)  # type: ignore[arg-type]

    return make
