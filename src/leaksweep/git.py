"""The one place that runs git.

Scanned repositories are hostile: their local config can name commands (fsmonitor, external
diff, textconv, filters, ssh, credential helpers, hooks). Every call goes through ``git_command``
which neutralises those with command-line ``-c`` settings (they beat repository config), strips
inherited ``GIT_*`` variables except the few a hook needs to find its repository, and forbids
network transports so a partial clone's lazy fetch cannot run anything either.
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
from collections.abc import Generator, Iterable, Iterator, Mapping, Sequence
from pathlib import Path

from leaksweep.errors import GitError, LeaksweepError
from leaksweep.fileio import atomic_text, stamp
from leaksweep.records import Record

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (see records.py)
if TYPE_CHECKING:
    from typing import IO

# Variables git sets for hooks (or a user sets deliberately) that say *which* repository and
# index to read. Everything else GIT_* is dropped: GIT_EXTERNAL_DIFF, GIT_SSH_COMMAND, GIT_CONFIG_*...
KEEP_ENV = frozenset(
    {
        "GIT_DIR",
        "GIT_WORK_TREE",
        "GIT_INDEX_FILE",
        "GIT_COMMON_DIR",
        "GIT_OBJECT_DIRECTORY",
        "GIT_ALTERNATE_OBJECT_DIRECTORIES",
        "GIT_QUARANTINE_PATH",
        "GIT_NAMESPACE",
    }
)

SAFE_CONFIG = (
    "core.fsmonitor=false",
    "core.hooksPath=/dev/null",
    "core.sshCommand=false",
    "core.askPass=false",
    "core.pager=cat",
    "core.untrackedCache=false",
    "diff.external=",
    "credential.helper=",
    "protocol.allow=never",
    "submodule.recurse=false",
    "log.showSignature=false",
    "gpg.program=false",
    "uploadpack.packObjectsHook=",
)


# git's own caches for the walks over a whole history (listing the objects, diffing every commit).
# By default git maps the pack in 1 GB windows, up to 8 GB at once, and keeps 96 MB of inflated
# delta bases, so such a walk ends up with most of the pack resident on top of that cache. Measured
# on a 192 MB pack (6,001 commits): rev-list --objects piped into cat-file --batch-check took 170-180
# MB instead of 300, and diff-tree 103 MB instead of 196, in the same time. Smaller windows are
# worse: cat-file --batch-check visits the objects in rev-list's order, not the pack's, and with
# the audit workers' 8 MB windows under a 32 MB limit it made 19,600 mmap/munmap pairs instead of
# 460 and took twice as long. Given with ``-c`` after SAFE_CONFIG (never instead of it).
WALK_CACHES = (
    "core.packedGitWindowSize=32m",
    "core.packedGitLimit=128m",
    "core.deltaBaseCacheLimit=32m",
)


def safe_env(base: Mapping[str, str] | None = None) -> dict[str, str]:
    env = {
        k: v
        for k, v in (os.environ if base is None else base).items()
        if not k.startswith("GIT_") or k in KEEP_ENV
    }
    env.update(
        {
            "GIT_TERMINAL_PROMPT": "0",
            "GIT_OPTIONAL_LOCKS": "0",  # never take index.lock just to read
            "GIT_CONFIG_NOSYSTEM": env.get("GIT_CONFIG_NOSYSTEM", "0"),
            "GIT_NO_REPLACE_OBJECTS": "1",
            "GIT_NO_LAZY_FETCH": "1",  # a partial clone must not fetch (git >= 2.44 honours this)
            "GIT_ASKPASS": "false",
            "SSH_ASKPASS": "false",
            "LC_ALL": "C",
        }
    )
    return env


# `rev-parse --end-of-options` (how every revision we pass is kept from reading as an option)
# arrived in git 2.30.
MIN_GIT = (2, 30)
_checked: dict[str, str] = {}  # PATH -> the git found on it, once its version passed
# Files that list gits which passed the check before (see remember_checked_gits).
_memos: list[Path] = []
MEMO_NAME = "checked-gits"
MEMO_LINES = 32


def remember_checked_gits(directory: Path | None) -> None:
    """Remember, in ``directory`` (the user cache), the gits whose version passed the check,
    each by the identity of its executable file (device, inode, size, modification and change
    times: replacing or upgrading it changes them), so that the pre-commit hook does not start
    ``git --version`` on every commit."""
    _memos[:] = [directory / MEMO_NAME] if directory is not None else []


def _identity(exe: str) -> str:
    return f"{exe}\0{stamp(exe)}"


def _known(memo: Path) -> list[str]:
    """The gits ``memo`` lists (none when it does not exist); OSError when it cannot be read."""
    try:
        return [line for line in memo.read_text("utf-8", "surrogateescape").split("\n") if line]
    except FileNotFoundError:
        return []


def _remembered(exe: str) -> bool:
    if not _memos:
        return False
    try:
        return _identity(exe) in _known(_memos[0])
    except (OSError, ValueError):
        return False


def _remember(exe: str) -> None:
    if not _memos:
        return
    memo = _memos[0]
    try:
        kept = _known(memo)[-(MEMO_LINES - 1) :]
        memo.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        with atomic_text(memo) as out:
            out.write("".join(f"{line}\n" for line in [*kept, _identity(exe)]))
    except (OSError, ValueError, LeaksweepError):
        pass  # an unwritable cache only costs the check next time


def git_executable() -> str:
    """The git on PATH, checked once per process to be new enough: an old git would fail later
    with an obscure usage message, or worse, read an option as a revision. A git remembered as
    checked (:func:`remember_checked_gits`) is not run again."""
    search = os.environ.get("PATH", os.defpath)
    exe = _checked.get(search)
    if exe is not None:
        return exe
    exe = _which("git", search)
    if exe is None:
        raise GitError(f"git was not found on PATH; leaksweep needs git {_dotted(MIN_GIT)} or newer")
    if _remembered(exe):
        _checked[search] = exe
        return exe
    try:
        proc = subprocess.run(
            [exe, "--version"], capture_output=True, env=safe_env(), check=False, timeout=60
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise GitError(f"cannot run git ({exe}): {exc}") from None
    found = re.search(rb"(\d+)\.(\d+)", proc.stdout)
    if proc.returncode != 0 or found is None:
        raise GitError(f"{exe} --version failed: is it git? leaksweep needs git {_dotted(MIN_GIT)} or newer")
    version = (int(found.group(1)), int(found.group(2)))
    if version < MIN_GIT:
        raise GitError(
            f"git {_dotted(version)} ({exe}) is too old: leaksweep needs git {_dotted(MIN_GIT)} or newer"
        )
    _checked[search] = exe
    _remember(exe)
    return exe


def _which(name: str, search: str) -> str | None:
    """``shutil.which`` for POSIX, without importing ``shutil`` (with ``bz2`` and ``lzma``) on
    every commit the hook sees."""
    for folder in search.split(os.pathsep):
        candidate = os.path.join(folder or os.curdir, name)
        if os.access(candidate, os.X_OK) and not os.path.isdir(candidate):
            return candidate
    return None


def _stderr_file() -> IO[bytes]:
    """An anonymous file for a git process's stderr: in memory where Linux offers it
    (``memfd_create``), else a temporary file; either way gone when closed."""
    try:
        return open(os.memfd_create("leaksweep-git-stderr", os.MFD_CLOEXEC), "w+b")
    except (AttributeError, OSError):
        import tempfile

        return tempfile.TemporaryFile()


def _dotted(version: tuple[int, int]) -> str:
    return ".".join(str(part) for part in version)


def git_command(args: Sequence[str], config: Sequence[str] = SAFE_CONFIG) -> list[str]:
    cmd = [git_executable(), "--no-pager"]
    for setting in config:
        cmd += ["-c", setting]
    return cmd + list(args)


def run(
    args: Sequence[str],
    cwd: str | Path | None = None,
    input: bytes | None = None,
    check: bool = True,
) -> subprocess.CompletedProcess[bytes]:
    """Run git and capture its output; raise GitError with git's own message on failure."""
    try:
        proc = subprocess.run(
            git_command(args),
            cwd=cwd,
            input=input,
            capture_output=True,
            env=safe_env(),
            check=False,
        )
    except OSError as exc:
        raise GitError(f"cannot run git: {exc}") from None
    if check and proc.returncode != 0:
        raise GitError(f"git {args[0]} failed: {_stderr_line(proc.stderr, str(proc.returncode))}")
    return proc


def work_tree_root(path: Path) -> Path | None:
    """The top of the git work tree containing ``path``, or None outside one."""
    directory = path if path.is_dir() else path.parent
    proc = run(["rev-parse", "--show-toplevel"], cwd=directory, check=False)
    if proc.returncode != 0:
        return None
    top = proc.stdout.decode("utf-8", "surrogateescape").rstrip("\n")
    return Path(top) if top else None


def ls_files(directory: Path) -> list[str]:
    """Tracked and untracked-but-not-ignored files below ``directory``, relative to it."""
    proc = run(["ls-files", "-z", "-co", "--exclude-standard"], cwd=directory)
    names = proc.stdout.decode("utf-8", "surrogateescape").split("\0")
    # ls-files lists a path once per stage during a conflicted merge; keep each once.
    return list(dict.fromkeys(n for n in names if n))


def _text(raw: bytes) -> str:
    # Paths and names are bytes to git; surrogateescape keeps undecodable ones round-trippable.
    return raw.decode("utf-8", "surrogateescape")


def _stderr_line(raw: bytes, fallback: str) -> str:
    """git's own complaint: its first fatal/error line (hints and usage follow it)."""
    lines = [line.strip() for line in raw.decode("utf-8", "replace").splitlines() if line.strip()]
    for line in lines:
        if line.startswith(("fatal:", "error:")):
            return line.split(":", 1)[1].strip()
    return lines[-1] if lines else fallback


def is_zero(oid: str) -> bool:
    """git's "no object" id (all zeros): the missing side of an added file or a new branch."""
    return bool(oid) and set(oid) == {"0"}


# ---------------------------------------------------------------- the repository


class RepoInfo(Record):
    git_dir: Path
    bare: bool
    in_work_tree: bool  # False in a bare repository and inside .git
    shallow: bool
    head: str | None  # None before the first commit (an unborn branch)


def repo_info(cwd: str | Path | None = None) -> RepoInfo:
    """What kind of repository ``cwd`` is in, with one git process (this runs on every commit)."""
    proc = run(
        [
            "rev-parse",
            "--is-bare-repository",
            "--is-inside-work-tree",
            "--is-shallow-repository",
            "--absolute-git-dir",
            "-q",
            "--verify",
            "HEAD^{commit}",
        ],
        cwd=cwd,
        check=False,
    )
    lines = _text(proc.stdout).split("\n")
    # Exit 1 with the four answers printed means only HEAD failed to resolve: an unborn branch.
    if proc.returncode not in (0, 1) or len(lines) < 4:
        raise GitError(_stderr_line(proc.stderr, "not a git repository"))
    bare, inside, shallow, git_dir = lines[:4]
    head = lines[4] if proc.returncode == 0 and len(lines) > 4 and lines[4] else None
    return RepoInfo(Path(git_dir), bare == "true", inside == "true", shallow == "true", head)


def resolve_commit(rev: str, cwd: str | Path | None = None) -> str | None:
    """The commit ``rev`` names, or None when it names none (unknown ref, missing object)."""
    proc = run(["rev-parse", "-q", "--verify", "--end-of-options", f"{rev}^{{commit}}"], cwd=cwd, check=False)
    out = _text(proc.stdout).strip()
    return out if proc.returncode == 0 and out else None


def empty_tree(cwd: str | Path | None = None) -> str:
    """The id of the empty tree in this repository's hash (SHA-1 or SHA-256), without writing it."""
    return _text(run(["hash-object", "-t", "tree", "--stdin"], cwd=cwd, input=b"").stdout).strip()


def git_path(name: str, cwd: str | Path | None = None, honour_hooks_path: bool = False) -> Path:
    """``git rev-parse --git-path NAME``, absolute.

    ``honour_hooks_path`` drops our ``core.hooksPath`` override for this one read-only call, so
    that ``git_path("hooks")`` names the directory git really runs hooks from."""
    config = [c for c in SAFE_CONFIG if not (honour_hooks_path and c.startswith("core.hooksPath="))]
    try:
        proc = subprocess.run(
            git_command(["rev-parse", "--git-path", name], config=config),
            cwd=cwd,
            capture_output=True,
            env=safe_env(),
            check=False,
        )
    except OSError as exc:
        raise GitError(f"cannot run git: {exc}") from None
    if proc.returncode != 0:
        raise GitError(_stderr_line(proc.stderr, "not a git repository"))
    path = Path(_text(proc.stdout).rstrip("\n"))
    # Relative answers are relative to where git ran.
    return path if path.is_absolute() else Path(cwd or Path.cwd()) / path


# ---------------------------------------------------------------- streams


def _feed(pipe: IO[bytes], data: bytes) -> None:
    try:
        pipe.write(data)
        pipe.close()
    except (BrokenPipeError, ValueError, OSError):
        pass  # git stopped reading (it failed, or we stopped early); its exit status says why


def _split(pipe: IO[bytes], sep: bytes) -> Iterator[bytes]:
    pending = b""
    while True:
        chunk = pipe.read1(1 << 16) if hasattr(pipe, "read1") else pipe.read(1 << 16)
        if not chunk:
            break
        pending += chunk
        *records, pending = pending.split(sep)
        yield from records
    if pending:
        yield pending


class _Process:
    """One git process whose stdout we stream; stderr goes to a temporary file so a chatty
    git can never block on a full pipe while we read stdout."""

    def __init__(
        self,
        args: Sequence[str],
        cwd: str | Path | None,
        stdin: int | IO[bytes] | None = subprocess.DEVNULL,
        caches: Sequence[str] = (),
    ) -> None:
        self.args = list(args)
        self.errors = _stderr_file()  # closed by finish()
        try:
            self.proc = subprocess.Popen(
                git_command(args, config=(*SAFE_CONFIG, *caches)),
                cwd=cwd,
                stdin=stdin,
                stdout=subprocess.PIPE,
                stderr=self.errors,
                env=safe_env(),
            )
        except OSError as exc:
            self.errors.close()
            raise GitError(f"cannot run git: {exc}") from None

    @property
    def stdout(self) -> IO[bytes]:
        assert self.proc.stdout is not None
        return self.proc.stdout

    def finish(self, check: bool = True) -> str:
        """Wait for git; raise GitError with its message if it failed (and ``check``). Returns
        git's complaint (its first fatal/error line), empty when it said nothing."""
        self.stdout.close()
        if check:
            code = self.proc.wait()
        else:
            self.proc.kill()
            code = self.proc.wait()
        self.errors.seek(0)
        message = self.errors.read()
        self.errors.close()
        if check and code != 0:
            raise GitError(f"git {self.args[0]} failed: {_stderr_line(message, str(code))}")
        return _stderr_line(message, "") if message.strip() else ""


def stream(
    args: Sequence[str],
    cwd: str | Path | None = None,
    input: bytes | None = None,
    caches: Sequence[str] = (),
) -> Iterator[bytes]:
    """Run git and yield its NUL-separated output records as they arrive.

    ``input`` is fed from a thread so that neither side can block the other. Stopping early
    (closing the generator) kills git; a failure raises GitError after the last record.
    ``caches`` are settings for git's caches (WALK_CACHES), given after SAFE_CONFIG."""
    proc = _Process(args, cwd, subprocess.PIPE if input is not None else subprocess.DEVNULL, caches)
    writer = None
    if input is not None:
        assert proc.proc.stdin is not None
        import threading

        writer = threading.Thread(target=_feed, args=(proc.proc.stdin, input), daemon=True)
        writer.start()
    finished = False
    try:
        yield from _split(proc.stdout, b"\0")
        finished = True
    finally:
        proc.finish(check=finished)
        if writer is not None:
            writer.join()


# ---------------------------------------------------------------- objects


class ObjectTooLarge(Exception):
    def __init__(self, size: int) -> None:
        super().__init__(size)
        self.size = size


class ObjectUnreadable(Exception):
    """git could not produce an object it listed: a corrupt loose object or pack, or a blob a
    partial clone never fetched (we forbid the lazy fetch). ``message`` is git's own words."""

    def __init__(self, oid: str, message: str) -> None:
        super().__init__(oid, message)
        self.oid = oid
        self.message = message


def unreadable_reason(oid: str, message: str | None = None) -> str:
    """Why an object was not scanned, naming it, for the report's skipped list."""
    said = f": git says {message!r}" if message else ""
    return (
        f"object {oid} could not be read{said} (a damaged repository, or a partial clone that never "
        "fetched it: leaksweep does not fetch; `git fsck` names the damage)"
    )


class CatFile:
    """One long-lived ``git cat-file --batch``: read many objects without a process each.

    Started on the first read, closed by ``close()`` or leaving a ``with`` block. ``caches`` are
    settings for git's caches, given after SAFE_CONFIG (the audit workers bound theirs)."""

    def __init__(self, cwd: str | Path | None = None, caches: Sequence[str] = ()) -> None:
        self.cwd = cwd
        self.caches = tuple(caches)
        self._proc: _Process | None = None

    def __enter__(self) -> CatFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> None:
        """Start git now, so that its start-up overlaps with what the caller does next."""
        self._start()

    def _start(self) -> _Process:
        if self._proc is None:
            self._proc = _Process(["cat-file", "--batch"], self.cwd, subprocess.PIPE, self.caches)
        return self._proc

    def read(self, oid: str, max_size: int | None = None) -> bytes | None:
        """The content of blob ``oid``, or None when the object is missing or not a blob.

        Raises ObjectTooLarge (after skipping its bytes) when it is larger than ``max_size``, and
        ObjectUnreadable when git dies on this object (a corrupt object, or a partial clone's
        missing blob, which git < 2.44 treats as fatal): the next read starts a fresh git, so
        one bad object costs only itself."""
        proc = self._start()
        stdin = proc.proc.stdin
        assert stdin is not None
        try:
            stdin.write(oid.encode("ascii") + b"\n")
            stdin.flush()
        except (BrokenPipeError, OSError):
            # It died after the previous answer; give this request one fresh process.
            self._died()
            proc = self._start()
            stdin = proc.proc.stdin
            assert stdin is not None
            try:
                stdin.write(oid.encode("ascii") + b"\n")
                stdin.flush()
            except (BrokenPipeError, OSError):
                raise ObjectUnreadable(oid, self._died()) from None
        header = proc.stdout.readline()
        if not header:
            raise ObjectUnreadable(oid, self._died())
        fields = header.split()
        if len(fields) != 3:  # "<oid> missing" / "<oid> ambiguous"
            return None
        kind, size = fields[1], int(fields[2])
        if kind != b"blob" or (max_size is not None and size > max_size):
            if not self._skip(proc.stdout, size + 1):
                raise ObjectUnreadable(oid, self._died())
            if kind != b"blob":
                return None
            raise ObjectTooLarge(size)
        content = proc.stdout.read(size)
        if len(content) < size:  # git printed the header, then failed to inflate the object
            raise ObjectUnreadable(oid, self._died())
        proc.stdout.read(1)  # the newline after the content
        return content

    def _died(self) -> str:
        """Reap a cat-file that stopped; its message says why."""
        proc, self._proc = self._proc, None
        if proc is None:
            return ""
        if proc.proc.stdin is not None:
            with contextlib.suppress(OSError):
                proc.proc.stdin.close()
        return proc.finish(check=False)

    @staticmethod
    def _skip(pipe: IO[bytes], count: int) -> bool:
        """Read past ``count`` bytes without keeping them; False if the stream ended first."""
        while count > 0:
            chunk = pipe.read(min(count, 1 << 20))
            if not chunk:
                return False
            count -= len(chunk)
        return True

    def close(self, check: bool = False) -> None:
        if self._proc is not None:
            proc, self._proc = self._proc, None
            if proc.proc.stdin is not None:
                with contextlib.suppress(OSError):
                    proc.proc.stdin.close()
            proc.finish(check=check)


def read_blobs(
    oids: Iterable[str], cwd: str | Path | None = None, errors: dict[str, str] | None = None
) -> Iterator[tuple[str, bytes | None]]:
    """Each blob's content, in order, through one ``cat-file --batch --buffer`` that is fed from
    a thread: the requests run ahead of the answers, so no round trip per object (audits).

    None stands for an object that is missing, not a blob, or unreadable. When git dies on an
    object (corrupt, or a partial clone's missing blob), that object is yielded as None, git's
    message is put in ``errors[oid]``, and a fresh cat-file carries on with the rest."""
    remaining = list(oids)
    while remaining:
        proc = _Process(["cat-file", "--batch", "--buffer"], cwd, subprocess.PIPE)
        assert proc.proc.stdin is not None
        request = "".join(f"{oid}\n" for oid in remaining).encode("ascii")
        import threading

        writer = threading.Thread(target=_feed, args=(proc.proc.stdin, request), daemon=True)
        writer.start()
        done = 0  # answers fully read
        outcome = "stopped"  # "finished" | "died" | "stopped" (the consumer closed us early)
        try:
            for oid in remaining:
                fields = proc.stdout.readline().split()
                if not fields:
                    outcome = "died"
                    break
                if len(fields) != 3:
                    done += 1
                    yield oid, None
                    continue
                size = int(fields[2])
                content = proc.stdout.read(size)
                if len(content) < size:
                    outcome = "died"
                    break
                proc.stdout.read(1)
                done += 1
                yield oid, content if fields[1] == b"blob" else None
            else:
                outcome = "finished"
        finally:
            message = proc.finish(check=outcome == "finished")
            writer.join()
        if outcome != "died":
            return
        # The object git was answering when it stopped is the one it could not read.
        bad = remaining[done]
        if errors is not None:
            errors[bad] = message
        yield bad, None
        remaining = remaining[done + 1 :]


class ListedObject(Record):
    oid: str
    kind: str  # blob, tree, commit, tag; "missing" when the object store lacks it
    size: int
    path: str  # the first path rev-list saw it at ("" for commits and tagged objects)


def reachable_objects(rev_args: Sequence[str], cwd: str | Path | None = None) -> Iterator[ListedObject]:
    """Every object reachable from ``rev_args`` (each once), with its type and size.

    ``rev-list --objects`` pipes straight into ``cat-file --batch-check``: no list of a whole
    history is held in memory. rev-list cuts a path at a newline (it has no -z form in older
    git); history provenance reports the exact paths later.

    ``--missing=print`` lets rev-list go on past objects the repository lacks (a partial clone's
    unfetched blobs; asking for them would try a fetch, which we forbid) and list them as
    ``?OID``. Missing and unreadable objects come last, as kind "missing", with the path they
    have in the history where one can be found.

    Both run at once, each over the whole pack: with git's default caches they were the audit's
    peak memory (about 300 MB on a 192 MB pack), hence WALK_CACHES."""
    lister = _Process(["rev-list", "--objects", "--missing=print", *rev_args], cwd, caches=WALK_CACHES)
    checker = _Process(
        ["cat-file", "--batch-check=%(objectname) %(objecttype) %(objectsize) %(rest)", "--buffer"],
        cwd,
        lister.stdout,
        WALK_CACHES,
    )
    # Only cat-file reads rev-list's output now; if it dies, rev-list gets SIGPIPE, not a hang.
    lister.stdout.close()
    finished = False
    missing: list[str] = []
    try:
        for line in _split(checker.stdout, b"\n"):
            oid, kind, rest = [*line.split(b" ", 2), b"", b""][:3]
            if kind == b"missing":
                # cat-file echoes only the name for these: "?OID missing" from rev-list's list of
                # absent objects, "OID missing" for one it listed but git cannot read.
                missing.append(_text(oid).lstrip("?"))
                continue
            size, _, path = rest.partition(b" ")
            yield ListedObject(_text(oid), _text(kind), int(size), _text(path))
        finished = True
    finally:
        checker.finish(check=finished)
        lister.finish(check=finished)
    if missing:
        paths = _object_paths(rev_args, set(missing), cwd)
        for absent in dict.fromkeys(missing):
            yield ListedObject(absent, "missing", 0, paths.get(absent, ""))


def storage_order(cwd: str | Path | None = None) -> Generator[str, None, None]:
    """The name of every object in the repository in the order git stores them: the loose objects
    (git 2.39 lists them first), then pack by pack, each in its own order. No object is read.

    An audit's readers take their blobs in this order: a delta is then mostly read just after
    the object it is based on, which git's delta-base cache still holds. Measured on a 192 MB
    pack (21,526 blobs read by two cat-files taking alternate chunks): 4.3-4.6 CPU-seconds of
    git in pack order, 5.9-6.2 in rev-list's order, 5.4 for one reader in rev-list's order."""
    proc = _Process(["cat-file", "--batch-all-objects", "--unordered", "--batch-check=%(objectname)"], cwd)
    finished = False
    try:
        for line in _split(proc.stdout, b"\n"):
            yield _text(line)
        finished = True
    finally:
        proc.finish(check=finished)


def _object_paths(rev_args: Sequence[str], oids: set[str], cwd: str | Path | None) -> dict[str, str]:
    """A path each of ``oids`` has in the history, so a damaged or unfetched blob is reported by
    its file name. A second walk over the commits' changes (trees only, no blob is read), made
    only when objects are missing; a blob no commit adds (a tag pointing at it) has none."""
    found: dict[str, str] = {}
    with contextlib.suppress(GitError):
        shas = rev_list(["--reverse", *rev_args], cwd)
        for _, changes in commit_changes(shas, cwd):
            for change in changes:
                if change.blob in oids and change.blob not in found:
                    found[change.blob] = change.path
            if len(found) == len(oids):
                break
    return found


# ---------------------------------------------------------------- commits and changes


class Commit(Record):
    sha: str
    parents: tuple[str, ...]
    author: str
    email: str
    date: str  # strict ISO 8601 author date
    subject: str


_LOG_FORMAT = "%H%x00%P%x00%an%x00%ae%x00%aI%x00%s"


def commits(
    rev_args: Sequence[str], cwd: str | Path | None = None, input: bytes | None = None
) -> list[Commit]:
    """Commits with their metadata from one ``rev-list --format`` (parents first when the caller
    passes ``--reverse``). ``input`` feeds ``--stdin`` for long lists of ids."""
    proc = run(["rev-list", f"--format={_LOG_FORMAT}", *rev_args], cwd=cwd, input=input)
    out: list[Commit] = []
    for line in proc.stdout.split(b"\n"):
        fields = line.split(b"\0")
        if len(fields) != 6:  # the "commit <sha>" line rev-list prints before each record
            continue
        sha, parents, author, email, date, subject = (f.decode("utf-8", "replace") for f in fields)
        out.append(Commit(sha, tuple(parents.split()), author, email, date, subject))
    return out


def rev_list(rev_args: Sequence[str], cwd: str | Path | None = None) -> list[str]:
    return _text(run(["rev-list", *rev_args], cwd=cwd).stdout).split()


def reflog(ref: str, cwd: str | Path | None = None) -> list[str]:
    """The commits ``ref``'s reflog records (each stash entry, for ``refs/stash``); none when the
    ref or its reflog does not exist."""
    if resolve_commit(ref, cwd) is None:
        return []
    proc = run(["rev-list", "--walk-reflogs", "--end-of-options", ref], cwd=cwd, check=False)
    return _text(proc.stdout).split() if proc.returncode == 0 else []


class Side(Record):
    """One parent's version of a changed path (a zero ``blob`` when that parent lacks it)."""

    path: str
    mode: str
    blob: str


class Change(Record):
    """A path whose content a commit (or the index) sets, with every parent's version of it.

    ``parents[i].path`` differs from ``path`` when git paired a rename or copy."""

    path: str
    mode: str
    blob: str
    status: str  # one letter per parent: A C D M R T (U while a merge is unresolved)
    parents: tuple[Side, ...]

    @property
    def deleted(self) -> bool:
        return is_zero(self.blob)

    @property
    def gitlink(self) -> bool:
        return self.mode == "160000"


def parse_raw(records: Iterable[bytes]) -> Iterator[str | Change]:
    """Parse ``--raw -z`` output, including the combined (``-c --combined-all-paths``) form for
    merges; yields each commit id line (from ``diff-tree --stdin``) as a str before its changes.

    With -z a path can be any bytes, even a commit-like hex string, so the number of path
    records is worked out from each header instead of guessed from the text."""
    it = iter(records)
    for record in it:
        if not record.startswith(b":"):
            if record:
                yield _text(record).strip()
            continue
        nparents = len(record) - len(record.lstrip(b":"))
        fields = record[nparents:].split(b" ")
        modes = [_text(f) for f in fields[: nparents + 1]]
        oids = [_text(f) for f in fields[nparents + 1 : 2 * nparents + 2]]
        status = _text(fields[2 * nparents + 2])
        if nparents == 1:
            letters = status[:1]
            paths = [_text(next(it))]
            if letters in ("R", "C"):
                paths.append(_text(next(it)))
            sources = [paths[0]]
        else:
            letters = status
            paths = [_text(next(it)) for _ in range(nparents + 1)]
            sources = paths[:nparents]
        sides = tuple(Side(sources[i], modes[i], oids[i]) for i in range(nparents))
        yield Change(paths[-1], modes[-1], oids[-1], letters, sides)


DIFF_FLAGS = ("-r", "-z", "--raw", "--no-abbrev", "--no-ext-diff", "--no-textconv", "--no-color")
_partial: dict[str, bool] = {}


def _config_may_be_partial(git_dir: Path) -> bool:
    """False when the repository's own config file cannot make it a partial clone: it names
    neither setting and includes no other file. git writes both settings there when it clones
    with a filter, so reading the file spares the pre-commit hook a git process on every
    commit; anything unusual (an include, an unreadable file) is left to ``git config``."""
    common = git_dir
    with contextlib.suppress(OSError, UnicodeDecodeError):
        # A linked worktree's git dir points at the main one, which holds the config.
        pointer = (git_dir / "commondir").read_text(encoding="utf-8").strip()
        if pointer:
            common = (git_dir / pointer).resolve()
    try:
        text = (common / "config").read_bytes().lower()
    except OSError:
        return True
    return any(word in text for word in (b"promisor", b"partialclone", b"include"))


def is_partial_clone(cwd: str | Path | None = None, git_dir: Path | None = None) -> bool:
    """Whether the repository is a partial clone (blobs may be missing: never fetched). Asked
    once per repository and process; ``git_dir``, when the caller knows it, lets the answer
    come from the config file without running git."""
    key = str(Path(cwd or ".").resolve())
    if key not in _partial and git_dir is not None and not _config_may_be_partial(git_dir):
        _partial[key] = False
    if key not in _partial:
        # extensions.partialClone names the promisor remote; git >= 2.28 marks it with
        # remote.<name>.promisor instead.
        pattern = r"^extensions\.partialclone$|^remote\..*\.promisor$"
        proc = run(["config", "-z", "--get-regexp", pattern], cwd=cwd, check=False)
        partial = False
        for record in proc.stdout.split(b"\0"):
            name, _, value = record.partition(b"\n")
            named = name.lower() == b"extensions.partialclone" and bool(value.strip())
            partial = partial or named or value.strip().lower() in (b"true", b"yes", b"on", b"1")
        _partial[key] = partial
    return _partial[key]


def _renames(cwd: str | Path | None, git_dir: Path | None = None) -> str:
    """Rename detection: similarity (-M) needs both blobs' content, which a partial clone may not
    have, and asking for it would try a fetch (forbidden: diff-tree then dies). There, only
    exact renames (same blob) are paired; an edited rename then reads as an added file, which
    can only report more, never less."""
    return "-M100%" if is_partial_clone(cwd, git_dir) else "-M"


def staged_changes(base: str, cwd: str | Path | None = None, git_dir: Path | None = None) -> list[Change]:
    """What the index changes relative to the tree-ish ``base`` (renames paired with -M).

    ``--cached`` never looks at the work tree, so no filter, fsmonitor or stat refresh runs;
    GIT_INDEX_FILE (set by ``git commit -a`` and partial commits) is honoured."""
    args = ["diff-index", "--cached", *DIFF_FLAGS, _renames(cwd, git_dir), base, "--"]
    return [c for c in parse_raw(stream(args, cwd)) if isinstance(c, Change)]


def commit_changes(shas: Sequence[str], cwd: str | Path | None = None) -> Iterator[tuple[str, list[Change]]]:
    """For each commit, the paths whose content differs from every parent, with each parent's
    version: one ``diff-tree --stdin`` for all of them.

    ``-c`` drops a path that equals one parent's version (nothing new can be in it), so a merge
    lists exactly the paths it changed itself; ``--root`` diffs a root commit (or a shallow
    clone's boundary) against the empty tree. Commits with no such path are not yielded."""
    if not shas:
        return
    args = ["diff-tree", "--stdin", *DIFF_FLAGS, _renames(cwd), "-c", "--combined-all-paths", "--root"]
    current: str | None = None
    changes: list[Change] = []
    request = "".join(f"{s}\n" for s in shas).encode("ascii")
    # A whole history's diff (provenance) reads every tree and, for renames, blobs: WALK_CACHES.
    for item in parse_raw(stream(args, cwd, input=request, caches=WALK_CACHES)):
        if isinstance(item, str):
            if current is not None:
                yield current, changes
            current, changes = item, []
        else:
            changes.append(item)
    if current is not None:
        yield current, changes


class TreeEntry(Record):
    path: str
    mode: str
    kind: str  # blob, tree, commit (a gitlink)
    oid: str


def ls_tree(rev: str, cwd: str | Path | None = None) -> list[TreeEntry]:
    """Every entry of ``rev``'s tree, recursively."""
    out: list[TreeEntry] = []
    for record in stream(["ls-tree", "-r", "-z", "--full-tree", "--end-of-options", rev], cwd):
        meta, _, path = record.partition(b"\t")
        mode, kind, oid = _text(meta).split(" ")
        out.append(TreeEntry(_text(path), mode, kind, oid))
    return out
