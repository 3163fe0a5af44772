"""gitignore-style path globs, used by rule ``paths``, allow lists and excludes.

A pattern without a slash matches the file name at any depth (``*.lock``); with a slash it is
anchored at the scan root (``docs/*.md``); ``**`` spans directories. Paths are POSIX-style.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache


@lru_cache(maxsize=4096)
def glob_to_regex(pattern: str) -> re.Pattern[str]:
    pat = pattern.strip()
    anchored = "/" in pat.rstrip("/")
    pat = pat.lstrip("/")
    dir_only = pat.endswith("/")
    pat = pat.rstrip("/")
    out: list[str] = []
    i = 0
    while i < len(pat):
        c = pat[i]
        if pat.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pat.startswith("**", i):
            out.append(".*")
            i += 2
        elif c == "*":
            out.append("[^/]*")
            i += 1
        elif c == "?":
            out.append("[^/]")
            i += 1
        elif c == "[":
            end = pat.find("]", i + 1)
            if end == -1:
                out.append(re.escape(c))
                i += 1
            else:
                body = pat[i + 1 : end].replace("\\", "\\\\")
                if body.startswith("!"):
                    body = "^" + body[1:]
                out.append(f"[{body}]")
                i = end + 1
        else:
            out.append(re.escape(c))
            i += 1
    body = "".join(out)
    prefix = "" if anchored else "(?:.*/)?"
    # A pattern naming a directory also matches everything below it.
    suffix = "/.*" if dir_only else "(?:/.*)?"
    return re.compile(f"^{prefix}{body}{suffix}$", re.DOTALL)


def match_path(path: str, patterns: Iterable[str]) -> str | None:
    """The first pattern that matches ``path``, or None."""
    norm = path.replace("\\", "/")
    while norm.startswith("./"):
        norm = norm[2:]
    for pattern in patterns:
        if glob_to_regex(pattern).match(norm):
            return pattern
    return None
