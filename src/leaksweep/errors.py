"""Errors that leaksweep reports to the user, and the exit codes they map to."""

from __future__ import annotations

EXIT_CLEAN = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3
EXIT_INTERRUPTED = 130


class LeaksweepError(Exception):
    """A problem with the user's input or environment: shown as one line, exit code 2.

    ``where`` names the place at fault (``rules/aws.yaml:41``) and ``rule`` the rule id,
    so that every message reads ``FILE:LINE: rule ID: what is wrong``.
    """

    exit_code = EXIT_USAGE

    def __init__(self, message: str, where: str | None = None, rule: str | None = None) -> None:
        self.message = message
        self.where = where
        self.rule = rule
        super().__init__(self.render())

    def render(self) -> str:
        parts = []
        if self.where:
            parts.append(self.where)
        if self.rule:
            parts.append(f"rule {self.rule}")
        parts.append(self.message)
        # One line, whatever the input held: a key or value quoted from a hostile file may carry
        # newlines or terminal escapes, which are shown escaped.
        return "".join(c if c.isprintable() else repr(c)[1:-1] for c in ": ".join(parts))


class RuleError(LeaksweepError):
    """A rule pack that cannot be loaded."""


class GitError(LeaksweepError):
    """git is missing, too old, or refused what we asked."""


class Terminated(BaseException):
    """SIGTERM or SIGHUP arrived: unwind like KeyboardInterrupt (so ``finally`` blocks stop git
    and remove temporary files) and exit 128 + the signal number."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum
