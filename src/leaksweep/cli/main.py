"""Entry point: the single place exceptions become exit codes.

click is imported only when the command line needs parsing (see :func:`_run`); the commands
live in :mod:`leaksweep.cli.app`."""

from __future__ import annotations

import errno
import gc
import os
import signal
import sys
from types import FrameType

from leaksweep.errors import (
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    LeaksweepError,
    Terminated,
)

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (see records.py)
if TYPE_CHECKING:
    from typing import NoReturn

# Writing the report failed for a reason outside leaksweep: the disk, a quota, a size limit.
_OUTPUT_ERRNOS = frozenset({errno.ENOSPC, errno.EFBIG, errno.EDQUOT, errno.EIO, errno.EROFS})


def _in_finalizer(frame: FrameType | None) -> bool:
    """Whether the signal arrived inside a ``__del__``: Python prints and swallows an exception
    raised there, and the run would go on as if nothing had happened."""
    while frame is not None:
        if frame.f_code.co_name == "__del__":
            return True
        frame = frame.f_back
    return False


def _interrupt(signum: int) -> BaseException:
    """What a signal unwinds with: Ctrl-C as Python's own KeyboardInterrupt, the others as
    Terminated (exit 128 + the signal number)."""
    return KeyboardInterrupt() if signum == signal.SIGINT else Terminated(signum)


def _defer(signum: int) -> None:
    # Ask for the same signal again in 50 ms, when the finalizer is (almost surely) done; where
    # there is no interval timer (Windows) the interrupt is raised at once, as Python would.
    setitimer = getattr(signal, "setitimer", None)
    alarm = getattr(signal, "SIGALRM", None)
    if setitimer is None or alarm is None:
        raise _interrupt(signum)
    signal.signal(alarm, lambda _s, frame: _unwind(signum, frame))
    setitimer(signal.ITIMER_REAL, 0.05)


def _unwind(signum: int, frame: FrameType | None) -> None:
    """Unwind like Ctrl-C does, so ``finally`` blocks kill git children and remove temporary
    files; but never from inside a finalizer, where the exception would be lost."""
    if _in_finalizer(frame):
        _defer(signum)
        return
    raise _interrupt(signum)


def _install_signal_handlers() -> None:
    """Ctrl-C, SIGTERM (a CI job cancelled, `timeout`) and SIGHUP (the terminal closed) end the
    run cleanly, instead of killing Python where it stands or being swallowed by a finalizer."""
    for name in ("SIGINT", "SIGTERM", "SIGHUP"):
        signum = getattr(signal, name, None)
        if signum is None:
            continue
        try:
            if signal.getsignal(signum) in (signal.SIG_DFL, signal.default_int_handler):
                signal.signal(signum, _unwind)
        except (ValueError, OSError):  # not the main thread (embedded use): leave them be
            pass


def _say(message: str) -> None:
    """One line on standard error, whatever the message holds: a file name or git's own complaint
    can carry newlines and terminal escapes, and must not rewrite the user's terminal."""
    from leaksweep.report.common import printable

    sys.stderr.write(f"leaksweep: {printable(message)}\n")
    sys.stderr.flush()


def _where_it_failed(exc: BaseException) -> str:
    """``module.py:LINE`` of the innermost leaksweep frame: enough to report a bug, and unlike the
    exception's text it cannot carry scanned content (a secret) into a CI log."""
    import traceback

    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if f"{os.sep}leaksweep{os.sep}" in f.filename] or frames
    if not ours:
        return "unknown place"
    last = ours[-1]
    parts = last.filename.split(os.sep)
    short = "/".join(parts[parts.index("leaksweep") :]) if "leaksweep" in parts else parts[-1]
    return f"{short}:{last.lineno}"


def _quiet_stdout() -> None:
    # Nothing more can reach the reader; keep Python's exit-time flush from failing again.
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def _run_click(argv: list[str] | None) -> int:
    import click

    from leaksweep.cli.app import cli, register

    register()
    try:
        code = cli.main(args=argv, prog_name="leaksweep", standalone_mode=False)
    except click.exceptions.Abort:
        raise KeyboardInterrupt from None
    except click.ClickException as exc:
        exc.show()
        return EXIT_USAGE
    return code if isinstance(code, int) else 0


def _run(argv: list[str] | None) -> int:
    """The pre-commit hook's common forms (``staged`` with a few options) skip the command-line
    parser and the modules only other commands use: on every commit, start-up is most of the
    cost. Anything else (and ``staged --help``) goes through click."""
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["staged"]:
        from leaksweep.cli.hook import fast_staged

        code = fast_staged(args[1:])
        if code is not None:
            return code
    return _run_click(argv)


# The cyclic garbage collector runs after every 700 net allocations of container objects by
# default, and each run goes over young objects that are still alive: start-up (imports, the
# cached rules: some hundred thousand tuples, strings and records, none of them garbage) paid
# about 5% of the pre-commit hook's instructions for it. Collections still happen, less often.
GC_THRESHOLD = 50_000


def main(argv: list[str] | None = None) -> None:
    gc.set_threshold(GC_THRESHOLD, *gc.get_threshold()[1:])
    _install_signal_handlers()
    try:
        code = _run(argv)
    except LeaksweepError as exc:
        _say(f"error: {exc.render()}")
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        _say("interrupted")
        sys.exit(EXIT_INTERRUPTED)
    except Terminated as exc:
        _say("terminated")
        sys.exit(128 + exc.signum)
    except BrokenPipeError:
        # The reader went away (``leaksweep ... | head``): not our error.
        _quiet_stdout()
        sys.exit(EXIT_USAGE)
    except OSError as exc:
        if exc.errno not in _OUTPUT_ERRNOS:
            _internal(exc)
        _quiet_stdout()
        _say(f"error: cannot write the output: {exc.strerror or exc}")
        sys.exit(EXIT_USAGE)
    except Exception as exc:  # the one catch-all: a traceback is a bug, so say so plainly
        _internal(exc)
    sys.exit(code)


def _internal(exc: Exception) -> NoReturn:
    """Report a bug: the type and place, never the exception's text (it can quote scanned content,
    a secret among it), unless LEAKSWEEP_DEBUG asks for the whole traceback."""
    if os.environ.get("LEAKSWEEP_DEBUG"):
        import traceback

        traceback.print_exc()
    _say(
        f"internal error: {type(exc).__name__} at {_where_it_failed(exc)} "
        "(set LEAKSWEEP_DEBUG=1 for the traceback, which may quote scanned content; please report it)"
    )
    sys.exit(EXIT_INTERNAL)
