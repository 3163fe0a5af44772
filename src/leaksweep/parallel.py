"""Scanning in worker processes.

An audit spreads its blobs over ``--jobs`` processes: the main process lists the work (blob ids
and paths, never contents) and hands it out in chunks; each worker reads its blobs through its
own long-lived ``git cat-file --batch`` and runs its own copy of the detector; the results come
back in the order the work was listed, so a parallel scan reports exactly what a sequential one
does, in the same order. At most a few chunks per worker are in flight, so memory stays bounded
however many objects the repository has, and a huge blob is only ever in one worker at a time.

On Linux the workers are forked once the work is listed (no git stream is open then), so they
start in milliseconds with the compiled rules already loaded; elsewhere they are spawned and
rebuild the detector from the same rules and database.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

from leaksweep import git
from leaksweep.detector import Detection, Detector
from leaksweep.model import Skipped, Target
from leaksweep.records import Record, replace
from leaksweep.sources.gitblob import BlobReader

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (see records.py)
if TYPE_CHECKING:
    from typing import Any, TypeAlias

    # Imported where git work is read: the pre-commit hook hands over Targets only.
    from leaksweep.sources.commits import ChangeWork
    from leaksweep.sources.files import FileWork
    from leaksweep.sources.history import BlobWork

# What a chunk holds at most: enough to amortise the hand-over, small enough to balance the load.
CHUNK_ITEMS = 256
CHUNK_BYTES = 4 * 1024 * 1024
IN_FLIGHT = 3  # chunks per worker queued or being scanned
# Below this much content a scan stays in one process (starting workers costs more).
MIN_PARALLEL_BYTES = 2 * 1024 * 1024

Work: TypeAlias = "Skipped | Target | BlobWork | ChangeWork | FileWork"


class Scanned(Record):
    """A target the detector ran on, reduced to what the session needs (never its content)."""

    path: str
    blob: str | None
    size: int
    detection: Detection


def default_jobs() -> int:
    """The CPUs this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def _size(item: Work) -> int:
    if isinstance(item, Target):
        return len(item.content)
    if isinstance(item, Skipped):
        return 0
    from leaksweep.sources.files import FileWork
    from leaksweep.sources.history import BlobWork

    return item.size if isinstance(item, BlobWork | FileWork) else 4096


# Each worker runs its own cat-file, so git's own caches are kept smaller than its defaults (96 MB
# of delta bases, 1 GB pack windows). Measured on a delta-packed history (192 MB pack, two readers
# of its 21,526 blobs): a 32 MB delta-base cache instead of 64 MB took the two cat-files from about
# 160 MB to 100 MB for some 4% more of git's CPU time (0.3 s of a 28 CPU-second audit); with
# 64 MB the scan was the audit's peak (about 305 MB). Since audits read in storage order (which
# keeps those caches fuller) the two cat-files reach about 109 MB at the audit's peak, against 84
# in rev-list's order; 16 MB of delta bases would take the peak from 262 MB to 227 (`--no-cache`,
# benchmarks/memory.py) for about 2% more CPU time: the target is met either way, speed is not,
# so 32 MB stays. Given with ``-c`` after git.SAFE_CONFIG.
READER_CACHES = (
    "core.packedGitWindowSize=8m",
    "core.packedGitLimit=32m",
    "core.deltaBaseCacheLimit=32m",
)


class _ReadOnce(BlobReader):
    """A BlobReader that keeps nothing: an audit reads each blob once."""

    def _read(self, oid: str) -> bytes | None:
        return self.cat.read(oid, self.max_size)


class _Reader:
    """Reads work items in one process through one ``git cat-file --batch``."""

    def __init__(self, cwd: str | Path | None, max_size: int) -> None:
        self.cwd = cwd
        self.max_size = max_size
        self._cat: git.CatFile | None = None
        self._reader: BlobReader | None = None
        # Per scanned tree, whether each folder lies inside it (a symlinked folder may not).
        self._parents: dict[str, dict[Path, bool]] = {}

    def read(self, item: Work) -> Target | Skipped:
        if isinstance(item, Target | Skipped):
            return item
        from leaksweep.sources.files import FileWork, read_work

        if isinstance(item, FileWork):
            return read_work(item, self.max_size, self._parents.setdefault(item.root, {}))
        from leaksweep.sources.commits import read_change
        from leaksweep.sources.history import BlobWork, read_blob

        if self._reader is None:
            self._cat = git.CatFile(self.cwd, READER_CACHES)
            # Commits compare each version with its parents' (just read, mostly): those are kept.
            kind = _ReadOnce if isinstance(item, BlobWork) else BlobReader
            self._reader = kind(self._cat, self.max_size)
        if isinstance(item, BlobWork):
            return read_blob(item, self._reader)
        return read_change(item, self._reader)

    def close(self) -> None:
        if self._cat is not None:
            self._cat.close()
            self._cat = None
            self._reader = None


def scan_one(detector: Detector, reader: _Reader, item: Work) -> Skipped | Scanned:
    target = reader.read(item)
    if isinstance(target, Skipped):
        return target
    return Scanned(target.path, target.blob, len(target.content), detector.scan(target))


# ---------------------------------------------------------------- workers


class _DetectorSpec(Record):
    """What a spawned worker needs to rebuild the detector (a forked one inherits it)."""

    rules: list[Any]
    options: dict[str, Any]
    backend: str
    analyses: list[Any] | None
    compiled: Any

    @classmethod
    def of(cls, detector: Detector) -> _DetectorSpec:
        stage = detector.candidates
        return cls(
            rules=[replace(r, compiled=None) for r in detector.rules],
            options={
                "timeout": detector.timeout,
                "timeout_per_mb": detector.timeout_per_mb,
                "timing": detector.timing,
                "decode_depth": detector.decode_depth,
            },
            backend="plain" if detector.plain else stage.requested,
            analyses=stage.known_analyses(),
            compiled=stage.compiled,
        )

    def build(self) -> Detector:
        from leaksweep.matching import Candidates

        stage = Candidates(
            [r.regex for r in self.rules],
            [r.keywords for r in self.rules],
            backend="auto" if self.backend == "plain" else self.backend,
            analyses=self.analyses,
            compiled=self.compiled,
        )
        return Detector(self.rules, backend=self.backend, candidates=stage, **self.options)


def _work(
    payload: Detector | _DetectorSpec,
    cwd: str | Path | None,
    max_size: int,
    tasks: Any,
    results: Any,
) -> None:
    """A worker: scan chunks until told to stop; an error goes back to the main process."""
    # The main process decides when to stop (Ctrl-C, SIGTERM, a closed terminal): a worker is
    # stopped by it, and never unwinds on its own.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "SIGHUP"):
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    detector = payload if isinstance(payload, Detector) else payload.build()
    reader = _Reader(cwd, max_size)
    try:
        while True:
            task = tasks.get()
            if task is None:
                break
            number, chunk = task
            try:
                out = [scan_one(detector, reader, item) for item in chunk]
            except BaseException as exc:
                results.put((number, None, _portable(exc)))
                break
            results.put((number, out, None))
    finally:
        reader.close()


def _portable(exc: BaseException) -> BaseException:
    """The exception itself if it survives pickling, else a RuntimeError that says what it was."""
    import pickle

    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc}")
    return exc


class WorkerDied(RuntimeError):
    pass


class ParallelScan:
    """Runs a detector over work items in ``jobs`` worker processes, results in order."""

    def __init__(
        self,
        detector: Detector,
        jobs: int,
        cwd: str | Path | None = None,
        max_size: int = 0,
        method: str | None = None,
    ) -> None:
        self.detector = detector
        self.jobs = max(1, jobs)
        self.cwd = cwd
        self.max_size = max_size
        # fork on Linux (workers inherit the loaded rules); spawn elsewhere, as macOS and Windows
        # require (workers rebuild the detector from the same rules and compiled database).
        self.method = method or ("fork" if sys.platform.startswith("linux") else "spawn")

    def run(self, items: Iterable[Work]) -> Iterator[Skipped | Scanned]:
        import multiprocessing

        self.detector.candidates.prepare()
        method = self.method
        ctx: Any = multiprocessing.get_context(method)
        payload: Detector | _DetectorSpec = (
            self.detector if method == "fork" else _DetectorSpec.of(self.detector)
        )
        tasks = ctx.Queue(maxsize=self.jobs * IN_FLIGHT)
        results = ctx.Queue()
        workers = [
            ctx.Process(target=_work, args=(payload, self.cwd, self.max_size, tasks, results), daemon=True)
            for _ in range(self.jobs)
        ]
        for worker in workers:
            worker.start()
        try:
            yield from self._exchange(items, tasks, results, workers)
        finally:
            self._stop(tasks, workers)

    def _exchange(
        self, items: Iterable[Work], tasks: Any, results: Any, workers: list[Any]
    ) -> Iterator[Skipped | Scanned]:
        chunks = _chunks(items)
        pending: dict[int, list[Skipped | Scanned]] = {}
        sent = 0
        received = 0
        exhausted = False
        limit = self.jobs * IN_FLIGHT
        while True:
            while not exhausted and sent - received < limit:
                chunk = next(chunks, None)
                if chunk is None:
                    exhausted = True
                    break
                tasks.put((sent, chunk))
                sent += 1
            if received == sent:
                return
            while received not in pending:
                number, out, error = self._result(results, workers)
                if error is not None:
                    raise error
                pending[number] = out
            yield from pending.pop(received)
            received += 1

    @staticmethod
    def _result(results: Any, workers: list[Any]) -> tuple[int, Any, BaseException | None]:
        import queue  # multiprocessing's queues import it too: only runs with workers pay

        while True:
            try:
                got: tuple[int, Any, BaseException | None] = results.get(timeout=0.5)
                return got
            except queue.Empty:
                dead = [w for w in workers if not w.is_alive()]
                if dead:
                    raise WorkerDied(
                        f"a scan worker stopped unexpectedly (exit code {dead[0].exitcode}); "
                        "the scan is incomplete"
                    ) from None

    @staticmethod
    def _stop(tasks: Any, workers: list[Any]) -> None:
        for _ in workers:
            with contextlib.suppress(Exception):
                tasks.put_nowait(None)
        for worker in workers:
            worker.join(timeout=2)
            if worker.is_alive():
                worker.terminate()
                worker.join(timeout=2)
        with contextlib.suppress(Exception):
            tasks.cancel_join_thread()


def _chunks(items: Iterable[Work]) -> Iterator[list[Work]]:
    chunk: list[Work] = []
    size = 0
    for item in items:
        chunk.append(item)
        size += _size(item)
        if len(chunk) >= CHUNK_ITEMS or size >= CHUNK_BYTES:
            yield chunk
            chunk, size = [], 0
    if chunk:
        yield chunk


def scan_items(
    detector: Detector,
    items: Iterable[Work],
    jobs: int = 1,
    cwd: str | Path | None = None,
    max_size: int = 0,
    force: bool = False,
) -> Iterator[Skipped | Scanned]:
    """Scan ``items``, in item order. With ``jobs`` > 1 the scan starts in this process and moves
    to worker processes once it has scanned MIN_PARALLEL_BYTES (at once, with ``force``): a small
    scan never pays for starting workers, and each result is still yielded as soon as it is known
    (a streamed report shows the first finding before the next file is read)."""
    it = iter(items)
    reader = _Reader(cwd, max_size)
    scanned = 0
    try:
        for item in it:
            record = scan_one(detector, reader, item)
            yield record
            if isinstance(record, Scanned):
                scanned += record.size
            if jobs > 1 and (force or scanned >= MIN_PARALLEL_BYTES):
                break
        else:
            return
    finally:
        # Closed before forking: a worker must not inherit this process's git pipes.
        reader.close()
    yield from ParallelScan(detector, jobs, cwd, max_size).run(it)
